using System.Globalization;
using System.Text.RegularExpressions;

namespace Berth.Scheduling.Expressions;

/// <summary>A test of one string value (an attribute's, the EC2 instance ID, a task group). Null is a value-less attribute.</summary>
internal abstract class TextTest
{
    public abstract bool Test(string? value);
}

internal sealed class EqualsTest(string literal) : TextTest
{
    public override bool Test(string? value) => string.Equals(value, literal, StringComparison.Ordinal);
}

internal sealed class InTest(HashSet<string> literals) : TextTest
{
    public override bool Test(string? value) => value is not null && literals.Contains(value);
}

internal sealed class PatternTest(Pattern pattern) : TextTest
{
    public override bool Test(string? value) => value is not null && pattern.IsMatch(value);
}

internal sealed class NegatedTest(TextTest inner) : TextTest
{
    public override bool Test(string? value) => !inner.Test(value);
}

/// <summary>Attribute ordering: numeric when both sides are numbers, ordinal otherwise.</summary>
internal sealed class OrderTest(Comparison comparison, string literal) : TextTest
{
    private readonly double? _number = Numbers.TryParse(literal, out var number) ? number : null;

    public override bool Test(string? value)
    {
        if (value is null)
        {
            return false;
        }

        var order = _number is { } right && Numbers.TryParse(value, out var left)
            ? left.CompareTo(right)
            : string.CompareOrdinal(value, literal);
        return comparison.Holds(order);
    }
}

internal static class Numbers
{
    public static bool TryParse(string text, out double value) =>
        double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
}

/// <summary>
/// A compiled <c>=~</c> pattern that must match the whole value. Patterns without metacharacters, and a literal
/// followed by <c>.*</c> (the common <c>t2.*</c> shape), skip the regex engine altogether.
/// </summary>
internal sealed class Pattern
{
    private static readonly System.Buffers.SearchValues<char> Metacharacters = System.Buffers.SearchValues.Create("\\^$.|?*+()[]{}");

    private readonly string? _exact;
    private readonly string? _prefix;
    private readonly Regex? _regex;

    private Pattern(string? exact, string? prefix, Regex? regex)
    {
        _exact = exact;
        _prefix = prefix;
        _regex = regex;
    }

    /// <summary>Compiles a pattern; throws <see cref="ArgumentException"/> when it is not a valid regular expression.</summary>
    public static Pattern Compile(string pattern)
    {
        if (pattern.AsSpan().IndexOfAny(Metacharacters) < 0)
        {
            return new Pattern(pattern, null, null);
        }

        if (pattern.EndsWith(".*", StringComparison.Ordinal) && pattern.AsSpan(0, pattern.Length - 2).IndexOfAny(Metacharacters) < 0)
        {
            return new Pattern(null, pattern[..^2], null);
        }

        var anchored = "^(?:" + pattern + ")\\z";

        // Only the non-backtracking engine: it runs in linear time, so no pattern can stall placement (which runs in
        // the single writer). It lacks lookarounds and backreferences; patterns with them are refused, not run.
        Regex regex;
        try
        {
            regex = new Regex(anchored, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException e)
        {
            throw new ArgumentException("lookarounds, backreferences and other constructs that need backtracking are not supported", nameof(pattern), e);
        }

        return new Pattern(null, null, regex);
    }

    public bool IsMatch(string value)
    {
        if (_exact is not null)
        {
            return string.Equals(value, _exact, StringComparison.Ordinal);
        }

        if (_prefix is not null)
        {
            // '.' does not match a line break, so neither may the rest of the value.
            return value.StartsWith(_prefix, StringComparison.Ordinal) && value.AsSpan(_prefix.Length).IndexOf('\n') < 0;
        }

        return _regex!.IsMatch(value);
    }
}
