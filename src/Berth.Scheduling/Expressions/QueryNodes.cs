namespace Berth.Scheduling.Expressions;

/// <summary>One compiled piece of an expression.</summary>
internal abstract class QueryNode
{
    public abstract bool Matches(IQueryTarget target);
}

internal sealed class AndNode(QueryNode[] parts) : QueryNode
{
    public override bool Matches(IQueryTarget target)
    {
        foreach (var part in parts)
        {
            if (!part.Matches(target))
            {
                return false;
            }
        }

        return true;
    }
}

internal sealed class OrNode(QueryNode[] parts) : QueryNode
{
    public override bool Matches(IQueryTarget target)
    {
        foreach (var part in parts)
        {
            if (part.Matches(target))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed class NotNode(QueryNode inner) : QueryNode
{
    public override bool Matches(IQueryTarget target) => !inner.Matches(target);
}

/// <summary>A node whose answer was decided at parse time (agentConnected has only two values).</summary>
internal sealed class AgentConnectedNode(bool whenConnected, bool whenDisconnected) : QueryNode
{
    public override bool Matches(IQueryTarget target) => target.AgentConnected ? whenConnected : whenDisconnected;
}

internal sealed class AttributeNode(string name, TextTest test) : QueryNode
{
    public override bool Matches(IQueryTarget target) => target.TryGetAttribute(name, out var value) && test.Test(value);
}

internal sealed class AttributeExistsNode(string name, bool exists) : QueryNode
{
    public override bool Matches(IQueryTarget target) => target.TryGetAttribute(name, out _) == exists;
}

internal sealed class Ec2InstanceIdNode(TextTest test) : QueryNode
{
    public override bool Matches(IQueryTarget target) => target.Ec2InstanceId is { } id && test.Test(id);
}

internal sealed class RunningTasksCountNode(Comparison comparison, int count) : QueryNode
{
    public override bool Matches(IQueryTarget target) => comparison.Holds(target.RunningTasksCount.CompareTo(count));
}

internal sealed class AgentVersionNode(Comparison comparison, int[] version) : QueryNode
{
    public override bool Matches(IQueryTarget target) =>
        Versions.TryCompare(target.AgentVersion, version, out var order) && comparison.Holds(order);
}

/// <summary>registeredAt against the span <c>[from, until)</c> that the literal names (a day, a second...).</summary>
internal sealed class RegisteredAtNode(Comparison comparison, DateTimeOffset from, DateTimeOffset until) : QueryNode
{
    public override bool Matches(IQueryTarget target)
    {
        if (target.RegisteredAt is not { } at)
        {
            return false;
        }

        return comparison switch
        {
            Comparison.Equal => at >= from && at < until,
            Comparison.NotEqual => at < from || at >= until,
            Comparison.Less => at < from,
            Comparison.LessOrEqual => at < until,
            Comparison.Greater => at >= until,
            _ => at >= from,
        };
    }
}

internal sealed class TaskGroupExistsNode : QueryNode
{
    public override bool Matches(IQueryTarget target) => target.TaskGroups.Count > 0;
}

/// <summary><c>task:group == x</c>: a set lookup rather than a scan.</summary>
internal sealed class TaskGroupEqualsNode(string group) : QueryNode
{
    public override bool Matches(IQueryTarget target) => target.TaskGroups.Contains(group);
}

/// <summary><c>task:group in [...]</c> and <c>=~</c>: whether any group of the instance passes the test.</summary>
internal sealed class TaskGroupAnyNode(TextTest test) : QueryNode
{
    public override bool Matches(IQueryTarget target)
    {
        var groups = target.TaskGroups;
        if (groups.Count == 0)
        {
            return false;
        }

        // HashSet's struct enumerator avoids boxing one per evaluation.
        if (groups is HashSet<string> set)
        {
            foreach (var group in set)
            {
                if (test.Test(group))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var group in groups)
        {
            if (test.Test(group))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The six ordering operators.</summary>
internal enum Comparison
{
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

internal static class ComparisonExtensions
{
    /// <summary>Whether a comparison holds given <c>actual.CompareTo(literal)</c>.</summary>
    public static bool Holds(this Comparison comparison, int order) => comparison switch
    {
        Comparison.Equal => order == 0,
        Comparison.NotEqual => order != 0,
        Comparison.Greater => order > 0,
        Comparison.GreaterOrEqual => order >= 0,
        Comparison.Less => order < 0,
        _ => order <= 0,
    };
}
