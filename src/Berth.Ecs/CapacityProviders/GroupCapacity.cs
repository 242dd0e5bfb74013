using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Scheduling;

namespace Berth.Ecs.CapacityProviders;

/// <summary>
/// Where tasks of Auto Scaling group providers run: the container instances of the provider's group. An instance
/// launched into a group registers with the <see cref="Attribute"/> attribute naming its group (the provisioner starts
/// its agent with it), so placement is a <c>memberOf</c> constraint on that attribute and a placed task's provider is
/// the strategy's provider of its instance's group.
/// </summary>
public static class GroupCapacity
{
    /// <summary>The attribute an instance of an Auto Scaling group registers with: the group's name.</summary>
    public const string Attribute = "berth.autoscaling-group";

    private const string NameMarker = ":autoScalingGroupName/";

    /// <summary>The group name of an Auto Scaling group ARN (or a name as given).</summary>
    public static string GroupName(string groupArnOrName)
    {
        var at = groupArnOrName.IndexOf(NameMarker, StringComparison.Ordinal);
        return at >= 0 ? groupArnOrName[(at + NameMarker.Length)..] : groupArnOrName;
    }

    /// <summary>The groups of a strategy's providers that may get tasks (weight or base above zero), by provider name.</summary>
    public static Dictionary<string, string> Groups(EcsState state, Scope scope, IEnumerable<CapacityProviderStrategyItem> strategy)
    {
        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in strategy.Where(s => (s.Weight ?? 0) > 0 || (s.Base ?? 0) > 0 || strategy.Count() == 1))
        {
            if (CapacityProviderRules.Find(state, scope, item.CapacityProvider ?? string.Empty) is { } provider)
            {
                groups[provider.Name] = GroupName(provider.GroupArn);
            }
        }

        return groups;
    }

    /// <summary>The constraint that keeps a strategy's tasks on its groups' instances.</summary>
    public static ConstraintSpec Constraint(IReadOnlyDictionary<string, string> groups)
        => new("memberOf", $"attribute:{Attribute} in [{string.Join(", ", groups.Values.Distinct(StringComparer.Ordinal))}]");

    /// <summary>The provider of a task placed on <paramref name="instance"/> (the strategy's provider of the instance's group).</summary>
    public static string? ProviderOf(IReadOnlyDictionary<string, string> groups, InstanceSnapshot instance)
        => instance.Attributes.TryGetValue(Attribute, out var group) ? groups.FirstOrDefault(g => g.Value == group).Key : null;
}
