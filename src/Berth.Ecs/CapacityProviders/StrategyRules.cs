using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.Scheduling.Capacity;

namespace Berth.Ecs.CapacityProviders;

/// <summary>
/// ECS's rules for a capacity provider strategy (RunTask, CreateService, UpdateService, a cluster's default) and
/// what a request runs on: a launch type, or a strategy whose providers the pure <see cref="ProviderStrategy"/> picks.
/// </summary>
public static class StrategyRules
{
    /// <summary>Most providers in one strategy.</summary>
    public const int MaxProviders = 20;

    /// <summary>
    /// Checks a strategy: at most 20 providers, no duplicates, each existing (and, when <paramref name="allowed"/> is
    /// given, associated with the cluster), base 0–100000 on at most one provider, weights 0–1000, and no mix of
    /// Fargate and Auto Scaling group providers.
    /// </summary>
    public static void Validate(EcsState state, Scope scope, List<CapacityProviderStrategyItem>? strategy, IReadOnlyCollection<string>? allowed, string what = "capacity provider strategy")
    {
        if (strategy is null)
        {
            return;
        }

        if (strategy.Count > MaxProviders)
        {
            throw AwsException.InvalidParameter($"The {what} can contain a maximum of {MaxProviders} capacity providers.");
        }

        var withBase = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var fargate = 0;
        foreach (var item in strategy)
        {
            if (string.IsNullOrEmpty(item.CapacityProvider))
            {
                throw AwsException.InvalidParameter($"The {what} contains a capacity provider without a name.");
            }

            var name = CapacityProviderRules.NameOf(item.CapacityProvider);
            if (!names.Add(name))
            {
                throw AwsException.InvalidParameter("Duplicate capacity providers are not allowed in a capacity provider strategy.");
            }

            if (!CapacityProviderRules.Exists(state, scope, name))
            {
                throw AwsException.InvalidParameter($"The specified capacity provider {name} does not exist. Specify a valid capacity provider and try again.");
            }

            if (allowed is not null && !allowed.Contains(name))
            {
                throw AwsException.InvalidParameter("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.");
            }

            if (item.Base is < 0 or > 100000)
            {
                throw AwsException.InvalidParameter("The base value must be between 0 and 100000.");
            }

            if (item.Weight is < 0 or > 1000)
            {
                throw AwsException.InvalidParameter("The weight value must be between 0 and 1000.");
            }

            withBase += item.Base > 0 ? 1 : 0;
            fargate += CapacityProviderRules.IsFargate(name) ? 1 : 0;
        }

        if (withBase > 1)
        {
            throw AwsException.InvalidParameter("You can specify a base value for only one capacity provider in a capacity provider strategy.");
        }

        if (fargate > 0 && fargate < names.Count)
        {
            throw AwsException.InvalidParameter("The capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.");
        }
    }

    /// <summary>A stored strategy (ECS's wire list, frozen) as terms.</summary>
    public static List<CapacityProviderStrategyItem> Terms(FrozenJson? strategy)
        => strategy?.Thaw(WireJsonContext.Default.ListCapacityProviderStrategyItem) ?? [];

    /// <summary>A wire strategy as the pure function's terms (weight and base default to 0, as in ECS).</summary>
    public static List<ProviderTerm> ToTerms(IEnumerable<CapacityProviderStrategyItem> strategy)
        => [.. strategy.Select(s => new ProviderTerm(CapacityProviderRules.NameOf(s.CapacityProvider ?? string.Empty), s.Weight ?? 0, s.Base ?? 0))];

    /// <summary>
    /// What a request runs on: the launch type it names (EC2 when it names nothing and its cluster has no default
    /// strategy), or a strategy — its own, else the cluster's default. A strategy of Fargate providers runs as
    /// FARGATE, one of Auto Scaling group providers as EC2 on the groups' instances.
    /// </summary>
    public static (string LaunchType, List<CapacityProviderStrategyItem>? Strategy) Resolve(EcsState state, Scope scope, ClusterRecord cluster, string? requestedLaunchType, List<CapacityProviderStrategyItem>? requestedStrategy)
    {
        if (requestedLaunchType is not null && requestedStrategy is { Count: > 0 })
        {
            throw AwsException.InvalidParameter("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.");
        }

        if (requestedLaunchType is { } given && Array.IndexOf(WireEnums.LaunchType, given) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for launchType: {given}. Valid values are {string.Join(", ", WireEnums.LaunchType)}.");
        }

        var strategy = requestedStrategy is { Count: > 0 } asked ? asked
            : requestedLaunchType is null && cluster.DefaultCapacityProviderStrategy.Length > 0 ? ClusterRecord.ToWire(cluster.DefaultCapacityProviderStrategy) : null;
        if (strategy is not null)
        {
            Validate(state, scope, strategy, requestedStrategy is { Count: > 0 } ? [.. cluster.CapacityProviders] : null);
            strategy = [.. strategy.Select(s => new CapacityProviderStrategyItem { CapacityProvider = CapacityProviderRules.NameOf(s.CapacityProvider!), Weight = s.Weight, Base = s.Base })];
            if (strategy.Count > 1 && strategy.All(s => (s.Weight ?? 0) == 0) && !strategy.Any(s => s.Base > 0))
            {
                throw AwsException.InvalidParameter("The capacity provider strategy must contain at least one capacity provider with a weight greater than zero.");
            }

            // Auto Scaling group providers run tasks on their groups' container instances (GroupCapacity).
            return (strategy.All(s => CapacityProviderRules.IsFargate(s.CapacityProvider)) ? "FARGATE" : "EC2", strategy);
        }

        var launchType = requestedLaunchType ?? "EC2";
        if (launchType == "MANAGED_INSTANCES")
        {
            throw AwsException.Client("Berth does not run the MANAGED_INSTANCES launch type. Use EC2, EXTERNAL or FARGATE.");
        }

        return (launchType, null);
    }

    /// <summary>The provider of each of <paramref name="count"/> new tasks, given what each provider already runs.</summary>
    public static IReadOnlyList<string> Assign(List<CapacityProviderStrategyItem> strategy, IReadOnlyDictionary<string, int> existing, int count)
        => ProviderStrategy.Assign(ToTerms(strategy), existing, count);
}
