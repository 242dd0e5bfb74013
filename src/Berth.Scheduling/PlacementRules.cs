using Berth.Scheduling.Expressions;
using Berth.Scheduling.Feasibility;
using Berth.Scheduling.Ranking;

namespace Berth.Scheduling;

/// <summary>A placement constraint or strategy ECS would refuse; the message is ECS's InvalidParameterException text.</summary>
public sealed class PlacementSpecException(string message) : Exception(message);

/// <summary>
/// Which constraints and strategies ECS accepts, for which launch type, and how they become feasibility checks
/// and a strategy chain. RunTask, StartTask and the service scheduler all go through here.
/// </summary>
public static class PlacementRules
{
    /// <summary>The prefix of an attribute field in spread and in expressions.</summary>
    public const string AttributePrefix = "attribute:";

    /// <summary>Constraints per task, counting the task definition's.</summary>
    public const int MaxConstraints = 10;

    /// <summary>Strategies per request.</summary>
    public const int MaxStrategies = 5;

    private static readonly string[] StrategyTypes = ["random", "spread", "binpack"];

    /// <summary>
    /// Checks constraints and strategies given for <paramref name="launchType"/>: FARGATE takes none (its capacity
    /// has no instances to choose between); EC2 and EXTERNAL take both. Throws <see cref="PlacementSpecException"/>.
    /// </summary>
    public static void Validate(IReadOnlyList<ConstraintSpec> constraints, IReadOnlyList<StrategySpec> strategies, string launchType)
    {
        if (launchType == "FARGATE")
        {
            if (constraints.Count > 0)
            {
                throw new PlacementSpecException("Placement constraints are not supported with FARGATE launch type.");
            }

            if (strategies.Count > 0)
            {
                throw new PlacementSpecException("Placement strategies are not supported with FARGATE launch type.");
            }
        }

        if (constraints.Count > MaxConstraints)
        {
            throw new PlacementSpecException("You can specify up to 10 placement constraints per task, including those in the task definition.");
        }

        foreach (var constraint in constraints)
        {
            ValidateConstraint(constraint);
        }

        if (strategies.Count > MaxStrategies)
        {
            throw new PlacementSpecException("You can specify up to 5 placement strategies.");
        }

        foreach (var strategy in strategies)
        {
            ValidateStrategy(strategy);
        }
    }

    /// <summary>Checks one constraint: its type, and for memberOf an expression that parses.</summary>
    public static void ValidateConstraint(ConstraintSpec constraint)
    {
        switch (constraint.Type)
        {
            case "distinctInstance":
                if (!string.IsNullOrEmpty(constraint.Expression))
                {
                    throw new PlacementSpecException("An expression is not allowed for a distinctInstance placement constraint.");
                }

                break;
            case "memberOf":
                if (string.IsNullOrWhiteSpace(constraint.Expression))
                {
                    throw new PlacementSpecException("An expression is required for a memberOf placement constraint.");
                }

                Parse(constraint.Expression);
                break;
            default:
                throw new PlacementSpecException($"Invalid value for placement constraint type: {constraint.Type}. Valid values are distinctInstance, memberOf.");
        }
    }

    /// <summary>Checks one strategy: its type and the field that type takes.</summary>
    public static void ValidateStrategy(StrategySpec strategy)
    {
        switch (strategy.Type)
        {
            case "random":
                break;
            case "binpack":
                if (strategy.Field is not ("cpu" or "memory" or "CPU" or "MEMORY"))
                {
                    throw new PlacementSpecException($"Invalid placement strategy field for binpack: {strategy.Field ?? "null"}. Valid values are cpu, memory.");
                }

                break;
            case "spread":
                if (string.IsNullOrWhiteSpace(strategy.Field))
                {
                    throw new PlacementSpecException("A field is required for a spread placement strategy. Valid values are instanceId, host, or attribute:NAME.");
                }

                if (strategy.Field is not ("instanceId" or "host") && (!strategy.Field.StartsWith(AttributePrefix, StringComparison.Ordinal) || strategy.Field.Length == AttributePrefix.Length))
                {
                    throw new PlacementSpecException($"Invalid placement strategy field for spread: {strategy.Field}. Valid values are instanceId, host, or attribute:NAME.");
                }

                break;
            default:
                throw new PlacementSpecException($"Invalid value for placement strategy type: {strategy.Type}. Valid values are {string.Join(", ", StrategyTypes)}.");
        }
    }

    /// <summary>Parses a cluster query expression, turning a syntax error into ECS's InvalidParameterException text.</summary>
    public static ClusterQuery Parse(string expression)
    {
        try
        {
            return ClusterQuery.Parse(expression);
        }
        catch (ClusterQueryException e)
        {
            throw new PlacementSpecException(e.Message);
        }
    }

    /// <summary>
    /// The checks a request is held to, in the order ECS reports them: the agent first, then resources, then the
    /// constraints as given. The one place where feasibility is wired.
    /// </summary>
    public static IReadOnlyList<IFeasibilityCheck> ChecksFor(PlacementRequest request, Func<string, MemberOfCheck> memberOf)
    {
        var checks = new List<IFeasibilityCheck>
        {
            AgentConnectedCheck.Instance,
            CpuCheck.Instance,
            MemoryCheck.Instance,
            TcpPortsCheck.Instance,
            UdpPortsCheck.Instance,
        };
        foreach (var constraint in request.Constraints)
        {
            if (constraint.Type == "distinctInstance")
            {
                if (!checks.Contains(DistinctInstanceCheck.Instance))
                {
                    checks.Add(DistinctInstanceCheck.Instance);
                }
            }
            else if (constraint.Type == "memberOf" && constraint.Expression is { } expression)
            {
                checks.Add(memberOf(expression));
            }
        }

        return checks;
    }

    /// <summary>
    /// The strategy chain a request's strategies ask for; none means <c>random</c>, RunTask's default in ECS.
    /// The one place where ranking is wired.
    /// </summary>
    public static StrategyChain ChainFor(PlacementRequest request)
    {
        if (request.Strategies.Count == 0)
        {
            return new StrategyChain([null]);
        }

        return new StrategyChain([.. request.Strategies.Select(s => s.Type switch
        {
            "binpack" => new BinpackStrategy(string.Equals(s.Field, "cpu", StringComparison.OrdinalIgnoreCase)),
            "spread" => (IScoringStrategy?)new SpreadStrategy(s.Field ?? "instanceId"),
            _ => null,
        })]);
    }
}
