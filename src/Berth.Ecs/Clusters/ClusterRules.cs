using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;

namespace Berth.Ecs.Clusters;

/// <summary>Finding clusters by name or ARN, and ECS's rules for what a cluster may hold.</summary>
public static partial class ClusterRules
{
    /// <summary>The cluster ECS uses when a request names none.</summary>
    public const string DefaultName = "default";

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,255}$")]
    private static partial Regex NamePattern();

    /// <summary>The ARN a cluster reference (name, ARN, or nothing for <c>default</c>) stands for in this scope.</summary>
    public static string ArnOf(Scope scope, string? clusterRef)
    {
        if (string.IsNullOrEmpty(clusterRef))
        {
            return Arn.Cluster(scope, DefaultName);
        }

        if (clusterRef.StartsWith("arn:", StringComparison.Ordinal))
        {
            if (!EcsArn.IsOf(clusterRef, "cluster"))
            {
                throw AwsException.InvalidParameter("Invalid identifier: Unexpected number of separators");
            }

            return clusterRef;
        }

        return Arn.Cluster(scope, clusterRef);
    }

    /// <summary>The ACTIVE cluster a request names; ClusterNotFoundException otherwise.</summary>
    public static ClusterRecord RequireActive(EcsState state, Scope scope, string? clusterRef)
    {
        if (state.Clusters.TryGetValue(ArnOf(scope, clusterRef), out var cluster) && cluster.Status == ClusterStatus.Active)
        {
            return cluster;
        }

        throw new AwsException("ClusterNotFoundException", "Cluster not found.");
    }

    /// <summary>
    /// The ACTIVE cluster a request changes (update, delete, tag): as <see cref="RequireActive"/>, and Berth's own
    /// FARGATE capacity cluster is refused, as its name is reserved.
    /// </summary>
    public static ClusterRecord RequireChangeable(EcsState state, Scope scope, string? clusterRef)
    {
        var cluster = RequireActive(state, scope, clusterRef);
        return Capacity.FargateCapacity.IsCapacity(cluster) ? throw Reserved(cluster.ClusterName) : cluster;
    }

    /// <summary>The error for Berth's reserved capacity cluster name.</summary>
    public static AwsException Reserved(string name) => AwsException.InvalidParameter($"The cluster name {name} is reserved for Berth's FARGATE capacity.");

    /// <summary>Checks a new cluster's name.</summary>
    public static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw AwsException.InvalidParameter("Cluster name can have up to 255 characters. Valid characters are letters (uppercase and lowercase), numbers, hyphens (-), and underscores (_).");
        }
    }

    /// <summary>Checks cluster settings (only <c>containerInsights</c> exists).</summary>
    public static void ValidateSettings(List<ClusterSetting>? settings)
    {
        foreach (var setting in settings ?? [])
        {
            if (setting.Name is null || Array.IndexOf(WireEnums.ClusterSettingName, setting.Name) < 0)
            {
                throw AwsException.InvalidParameter($"Invalid setting name: {setting.Name}. Valid names are: {string.Join(", ", WireEnums.ClusterSettingName)}.");
            }

            if (setting.Value is not ("enabled" or "disabled" or "enhanced"))
            {
                throw AwsException.InvalidParameter($"Invalid value for setting {setting.Name}: '{setting.Value}'. Valid values are enabled, disabled and enhanced.");
            }
        }
    }

    /// <summary>Merges settings by name, later ones winning, as UpdateClusterSettings does.</summary>
    public static ImmutableArray<NameValue> Merge(ImmutableArray<NameValue> existing, List<ClusterSetting> updates)
    {
        var merged = existing.ToBuilder();
        foreach (var update in updates)
        {
            merged.RemoveAll(s => s.Name == update.Name);
            merged.Add(new NameValue(update.Name ?? string.Empty, update.Value));
        }

        return merged.ToImmutable();
    }

    /// <summary>Checks a new cluster's capacity providers and default strategy (as PutClusterCapacityProviders does).</summary>
    public static void ValidateCapacityProviders(EcsState state, Scope scope, List<string>? providers, List<CapacityProviderStrategyItem>? strategy)
    {
        var names = new List<string>();
        foreach (var provider in providers ?? [])
        {
            var name = CapacityProviders.CapacityProviderRules.NameOf(provider ?? string.Empty);
            if (!CapacityProviders.CapacityProviderRules.Exists(state, scope, name))
            {
                throw AwsException.InvalidParameter($"The specified capacity provider {provider} does not exist. Specify a valid capacity provider and try again.");
            }

            if (!CapacityProviders.CapacityProviderRules.IsFargate(name) && CapacityProviders.CapacityProviderRules.AssociatedWith(state, scope, name) is { } other)
            {
                throw AwsException.InvalidParameter($"The specified capacity provider {name} is already associated with the cluster {other.ClusterName}. An Auto Scaling group capacity provider can be associated with only one cluster.");
            }

            names.Add(name);
        }

        CapacityProviders.StrategyRules.Validate(state, scope, strategy, names, "default capacity provider strategy");
    }
}
