namespace Berth.Scheduling.Expressions;

/// <summary>
/// A parsed expression of ECS's cluster query language, as used by the <c>memberOf</c> placement constraint and
/// ListContainerInstances' <c>filter</c>. Parse once with <see cref="Parse"/>, then call <see cref="Matches"/> as
/// often as needed: the expression is compiled into a tree of nodes (patterns compiled, lists turned into sets), so
/// matching allocates nothing and builds nothing.
/// </summary>
/// <remarks>
/// <para>
/// Grammar: <c>subject operator [argument]</c> terms combined with <c>and</c>/<c>&amp;&amp;</c>,
/// <c>or</c>/<c>||</c> and <c>not</c>/<c>!</c>, grouped with parentheses. The ECS guide gives no precedence, so
/// Berth uses the usual one: <c>not</c> binds tightest, then <c>and</c>, then <c>or</c>, each left to right.
/// The guide's "a single expression can't contain parentheses" is read as: parentheses never appear inside a term
/// (around its value, say), but may enclose a single term, as in the guide's own <c>not(task:group == database)</c>.
/// Keywords, subject names and word operators are case-insensitive; attribute names and values are not.
/// </para>
/// <para>
/// Values are bare words or quoted with <c>'</c> or <c>"</c> (needed for spaces; inside quotes a backslash escapes
/// the quote character or a backslash, any other backslash is kept for patterns). A bare value ends at whitespace
/// or at a <c>)</c>, <c>]</c> or (in a list) <c>,</c> that closes nothing opened inside the value, so a pattern such
/// as <c>(t2|m5)\..*</c> needs no quotes. <c>in</c> and <c>not_in</c> take a non-empty list <c>[a, b]</c>.
/// </para>
/// <para>
/// Semantics. <c>==</c> is string equality (ordinal, case-sensitive), as the guide says. A negative operator on a
/// single-valued subject (<c>!=</c>, <c>!in</c>, <c>!~</c>) still requires the subject to exist: the guide's
/// <c>attribute:stack != prod</c> lists "the instances with the attribute stack unless its value is prod", so an
/// instance without the attribute (or without an EC2 instance ID, agent version or registration time) matches no
/// term on that subject except <c>!exists</c>; use <c>not(...)</c> to include it. An attribute with no value exists
/// but equals, lies in, matches and orders against nothing. <c>task:group</c> is the set of groups of the instance's
/// tasks: <c>==</c>, <c>in</c> and <c>=~</c> hold when some group qualifies, their negations when none does (so
/// <c>task:group != database</c> is anti-affinity, like <c>not(task:group == database)</c>), <c>exists</c> when there
/// is any group. Patterns (<c>=~</c>, <c>!~</c>) use Java regular expression syntax as .NET implements it and must
/// match the whole value (Java's <c>matches()</c>): <c>t2.*</c> matches <c>t2.small</c> but not <c>xt2</c>. They run on
/// .NET's non-backtracking engine, in time linear in the value; lookarounds and backreferences are refused.
/// </para>
/// <para>
/// Ordering: <c>runningTasksCount</c> compares whole numbers; <c>agentVersion</c> compares dotted versions number by
/// number (<c>1.9.0 &lt; 1.14.5</c>, missing parts count as 0, a suffix such as <c>-dev</c> is ignored);
/// <c>registeredAt</c> takes the guide's formats (<c>2018-06-18T22:28:28+00:00</c>, <c>...Z</c>, <c>...</c> without
/// a zone, read as UTC, and <c>2018-06-18</c>), optionally with fractional seconds, and treats the literal as the
/// span it names: <c>registeredAt == 2018-06-18</c> is any time that day, <c>&gt; 2018-06-18</c> from the next day
/// on, <c>&lt;= 2018-06-18</c> up to that day's end. Attributes order numerically when both sides are numbers,
/// otherwise ordinally as strings. Operators are limited per subject as the guide lists them (e.g. no <c>&gt;</c>
/// for <c>ec2InstanceId</c>, no <c>in</c> for <c>agentVersion</c>); <c>attribute:</c> takes every operator and
/// <c>task:group</c> every one but ordering. <c>agentConnected</c> takes <c>true</c> or <c>false</c>.
/// </para>
/// </remarks>
public sealed class ClusterQuery
{
    /// <summary>The longest expression ECS accepts (placement constraint <c>expression</c>: 2000 characters).</summary>
    public const int MaxLength = 2000;

    private readonly QueryNode _root;

    private ClusterQuery(string text, QueryNode root, bool usesTaskGroups)
    {
        Text = text;
        _root = root;
        UsesTaskGroups = usesTaskGroups;
    }

    /// <summary>The expression as given.</summary>
    public string Text { get; }

    /// <summary>
    /// Whether the expression reads <c>task:group</c> or <c>runningTasksCount</c>, which change as tasks are placed:
    /// placement must then evaluate it again for every task. Any other expression depends on the instance alone.
    /// </summary>
    public bool UsesTaskGroups { get; }

    /// <summary>Parses and compiles an expression.</summary>
    /// <exception cref="ClusterQueryException">The expression is empty, longer than <see cref="MaxLength"/>, or invalid.</exception>
    public static ClusterQuery Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var parser = new QueryParser(expression);
        var root = parser.ParseExpression();
        return new ClusterQuery(expression, root, parser.UsesTaskGroups);
    }

    /// <summary>Whether <paramref name="target"/> satisfies the expression.</summary>
    public bool Matches(IQueryTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return _root.Matches(target);
    }

    /// <inheritdoc/>
    public override string ToString() => Text;
}
