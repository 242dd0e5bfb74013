using System.Collections.Immutable;

namespace Berth.Ec2AutoScaling.State;

/// <summary>Everything EC2 Auto Scaling knows, as one immutable snapshot: only the commit pipeline makes the next one.</summary>
public sealed record AsgState
{
    private static readonly ImmutableSortedDictionary<string, LaunchConfigurationRecord> NoConfigurations = ImmutableSortedDictionary.Create<string, LaunchConfigurationRecord>(StringComparer.Ordinal);
    private static readonly ImmutableSortedDictionary<string, GroupRecord> NoGroups = ImmutableSortedDictionary.Create<string, GroupRecord>(StringComparer.Ordinal);
    private static readonly ImmutableSortedDictionary<string, InstanceRecord> NoInstances = ImmutableSortedDictionary.Create<string, InstanceRecord>(StringComparer.Ordinal);
    private static readonly ImmutableSortedDictionary<string, ActivityRecord> NoActivities = ImmutableSortedDictionary.Create<string, ActivityRecord>(StringComparer.Ordinal);

    /// <summary>Nothing.</summary>
    public static AsgState Empty { get; } = new();

    /// <summary>Launch configurations by region-qualified key (<c>REGION|NAME</c>).</summary>
    public ImmutableSortedDictionary<string, LaunchConfigurationRecord> LaunchConfigurations { get; init; } = NoConfigurations;

    /// <summary>Groups by region-qualified key (<c>REGION|NAME</c>).</summary>
    public ImmutableSortedDictionary<string, GroupRecord> Groups { get; init; } = NoGroups;

    /// <summary>Instances by id.</summary>
    public ImmutableSortedDictionary<string, InstanceRecord> Instances { get; init; } = NoInstances;

    /// <summary>Activities by id.</summary>
    public ImmutableSortedDictionary<string, ActivityRecord> Activities { get; init; } = NoActivities;

    /// <summary>The key of a named thing in a region.</summary>
    public static string Key(string region, string name) => region + "|" + name;

    /// <summary>The region of a key.</summary>
    public static string RegionOf(string key) => key[..key.IndexOf('|', StringComparison.Ordinal)];

    /// <summary>The instances of group <paramref name="groupKey"/>, oldest first.</summary>
    public IEnumerable<InstanceRecord> InstancesOf(string groupKey)
        => Instances.Values.Where(i => i.GroupKey == groupKey).OrderBy(i => i.LaunchedAt).ThenBy(i => i.InstanceId, StringComparer.Ordinal);

    /// <summary>The state with <paramref name="record"/> put in place.</summary>
    public AsgState With(string key, LaunchConfigurationRecord record) => this with { LaunchConfigurations = LaunchConfigurations.SetItem(key, record) };

    /// <summary>The state with <paramref name="record"/> put in place.</summary>
    public AsgState With(string key, GroupRecord record) => this with { Groups = Groups.SetItem(key, record) };

    /// <summary>The state with <paramref name="record"/> put in place.</summary>
    public AsgState With(InstanceRecord record) => this with { Instances = Instances.SetItem(record.InstanceId, record) };

    /// <summary>The state with <paramref name="record"/> put in place.</summary>
    public AsgState With(ActivityRecord record) => this with { Activities = Activities.SetItem(record.ActivityId, record) };
}
