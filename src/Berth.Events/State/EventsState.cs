using System.Collections.Immutable;

namespace Berth.Events.State;

/// <summary>Whether a rule acts.</summary>
public enum RuleState
{
    /// <summary>Matches events and fires its schedule.</summary>
    Enabled,

    /// <summary>Does nothing until enabled.</summary>
    Disabled,
}

/// <summary>A custom event bus (the <c>default</c> bus of every region exists without a record).</summary>
public sealed record EventBusRecord
{
    /// <summary>The region it lives in.</summary>
    public required string Region { get; init; }

    /// <summary>Its name.</summary>
    public required string Name { get; init; }

    /// <summary>Its ARN.</summary>
    public required string Arn { get; init; }

    /// <summary>What CreateEventBus said about it.</summary>
    public string? Description { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Its tags.</summary>
    public ImmutableSortedDictionary<string, string> Tags { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);
}

/// <summary>A rule: a schedule and/or an event pattern on a bus, and the targets it invokes.</summary>
public sealed record RuleRecord
{
    /// <summary>The region it lives in.</summary>
    public required string Region { get; init; }

    /// <summary>The name of its bus.</summary>
    public required string Bus { get; init; }

    /// <summary>Its name, unique on its bus.</summary>
    public required string Name { get; init; }

    /// <summary>Its ARN (<c>rule/NAME</c> on the default bus, <c>rule/BUS/NAME</c> elsewhere).</summary>
    public required string Arn { get; init; }

    /// <summary>Its schedule expression as written, when it has one.</summary>
    public string? Schedule { get; init; }

    /// <summary>Its event pattern as written, when it has one.</summary>
    public string? Pattern { get; init; }

    /// <summary>Enabled or disabled.</summary>
    public RuleState State { get; init; }

    /// <summary>Its description.</summary>
    public string? Description { get; init; }

    /// <summary>The role it would invoke targets with.</summary>
    public string? RoleArn { get; init; }

    /// <summary>When it was first put: where a <c>rate()</c> counts from.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// Since when its schedule is in force: its creation, a change of its expression, or its enabling. Firings due
    /// before it are not delivered (a disabled rule misses them for good).
    /// </summary>
    public DateTimeOffset ActiveSince { get; init; }

    /// <summary>Where its <c>rate()</c> counts from: its creation, or the last change of its expression.</summary>
    public DateTimeOffset ScheduleAnchor { get; init; }

    /// <summary>Its tags.</summary>
    public ImmutableSortedDictionary<string, string> Tags { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>Its targets, in the order they were first put.</summary>
    public ImmutableList<TargetRecord> Targets { get; init; } = [];
}

/// <summary>A target of a rule.</summary>
public sealed record TargetRecord
{
    /// <summary>Its id, unique within the rule.</summary>
    public required string Id { get; init; }

    /// <summary>What it invokes: for ECS, a cluster ARN.</summary>
    public required string Arn { get; init; }

    /// <summary>The role it is invoked with.</summary>
    public string? RoleArn { get; init; }

    /// <summary>A constant JSON input (for ECS: <c>{"containerOverrides": [...]}</c>).</summary>
    public string? Input { get; init; }

    /// <summary>A JSONPath into the event as input.</summary>
    public string? InputPath { get; init; }

    /// <summary>Its input transformer, if any.</summary>
    public InputTransformerRecord? InputTransformer { get; init; }

    /// <summary>How an ECS target runs its task.</summary>
    public EcsTargetRecord? Ecs { get; init; }

    /// <summary>Oldest a firing may be and still be delivered (EventBridge's default: 24 h).</summary>
    public int? MaximumEventAgeInSeconds { get; init; }

    /// <summary>How many times an invocation that failed on Berth's side is tried again (EventBridge's default: 185).</summary>
    public int? MaximumRetryAttempts { get; init; }
}

/// <summary>A target's input transformer.</summary>
/// <param name="Paths">Variable name → JSON path into the event.</param>
/// <param name="Template">The input template with <c>&lt;name&gt;</c> placeholders.</param>
public sealed record InputTransformerRecord(ImmutableSortedDictionary<string, string> Paths, string Template);

/// <summary>EcsParameters of a target: the RunTask it makes.</summary>
public sealed record EcsTargetRecord
{
    /// <summary>The task definition (ARN or family[:revision]).</summary>
    public required string TaskDefinitionArn { get; init; }

    /// <summary>How many tasks each firing starts.</summary>
    public int TaskCount { get; init; } = 1;

    /// <summary>EC2, FARGATE or EXTERNAL.</summary>
    public string? LaunchType { get; init; }

    /// <summary>Fargate platform version.</summary>
    public string? PlatformVersion { get; init; }

    /// <summary>Task group.</summary>
    public string? Group { get; init; }

    /// <summary>awsvpc subnets.</summary>
    public ImmutableList<string> Subnets { get; init; } = [];

    /// <summary>awsvpc security groups.</summary>
    public ImmutableList<string> SecurityGroups { get; init; } = [];

    /// <summary>ENABLED or DISABLED.</summary>
    public string? AssignPublicIp { get; init; }

    /// <summary>Whether the firing carries a network configuration at all.</summary>
    public bool HasNetworkConfiguration { get; init; }

    /// <summary>Placement constraints (type, expression).</summary>
    public ImmutableList<PlacementTerm> PlacementConstraints { get; init; } = [];

    /// <summary>Placement strategy (type, field).</summary>
    public ImmutableList<PlacementTerm> PlacementStrategy { get; init; } = [];

    /// <summary>Capacity provider strategy.</summary>
    public ImmutableList<CapacityTerm> CapacityProviderStrategy { get; init; } = [];

    /// <summary>TASK_DEFINITION when the definition's tags are copied to the task.</summary>
    public string? PropagateTags { get; init; }

    /// <summary>The reference id given to RunTask.</summary>
    public string? ReferenceId { get; init; }

    /// <summary>Tags of the tasks.</summary>
    public ImmutableList<KeyValuePair<string, string>> Tags { get; init; } = [];

    /// <summary>Whether ECS's managed tags are added.</summary>
    public bool EnableEcsManagedTags { get; init; }

    /// <summary>Whether ECS Exec is enabled.</summary>
    public bool EnableExecuteCommand { get; init; }
}

/// <summary>One placement constraint (type, expression) or strategy (type, field).</summary>
public sealed record PlacementTerm(string? Type, string? Value);

/// <summary>One capacity provider strategy item.</summary>
public sealed record CapacityTerm(string? Provider, int? Weight, int? Base);

/// <summary>Everything EventBridge knows: custom buses and rules, keyed <c>region|bus|name</c>.</summary>
public sealed record EventsState
{
    /// <summary>The name of the bus every region has.</summary>
    public const string DefaultBus = "default";

    /// <summary>The empty state.</summary>
    public static readonly EventsState Empty = new();

    /// <summary>Custom buses by <c>region|name</c>.</summary>
    public ImmutableSortedDictionary<string, EventBusRecord> Buses { get; init; } = ImmutableSortedDictionary.Create<string, EventBusRecord>(StringComparer.Ordinal);

    /// <summary>Rules by <c>region|bus|name</c>.</summary>
    public ImmutableSortedDictionary<string, RuleRecord> Rules { get; init; } = ImmutableSortedDictionary.Create<string, RuleRecord>(StringComparer.Ordinal);

    /// <summary>The scheduled time of the last firing of each rule, by rule key: a firing at or before it never happens again.</summary>
    public ImmutableSortedDictionary<string, DateTimeOffset> LastFired { get; init; } = ImmutableSortedDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal);

    /// <summary>The name of the schedule group every region has.</summary>
    public const string DefaultGroup = "default";

    /// <summary>Scheduler schedule groups by <c>region|name</c> (the default group only once tagged).</summary>
    public ImmutableSortedDictionary<string, ScheduleGroupRecord> ScheduleGroups { get; init; } = ImmutableSortedDictionary.Create<string, ScheduleGroupRecord>(StringComparer.Ordinal);

    /// <summary>Scheduler schedules by <c>region|group|name</c>.</summary>
    public ImmutableSortedDictionary<string, ScheduleRecord> Schedules { get; init; } = ImmutableSortedDictionary.Create<string, ScheduleRecord>(StringComparer.Ordinal);

    /// <summary>The scheduled time of the last firing of each schedule, by schedule key.</summary>
    public ImmutableSortedDictionary<string, DateTimeOffset> ScheduleLastFired { get; init; } = ImmutableSortedDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal);

    /// <summary>The key of a schedule group.</summary>
    public static string GroupKey(string region, string group) => region + "|" + group;

    /// <summary>The key of a schedule.</summary>
    public static string ScheduleKey(string region, string group, string name) => region + "|" + group + "|" + name;

    /// <summary>The key of a schedule record.</summary>
    public static string KeyOf(ScheduleRecord schedule) => ScheduleKey(schedule.Region, schedule.Group, schedule.Name);

    /// <summary>The key of a bus.</summary>
    public static string BusKey(string region, string bus) => region + "|" + bus;

    /// <summary>The key of a rule.</summary>
    public static string RuleKey(string region, string bus, string name) => region + "|" + bus + "|" + name;

    /// <summary>The key of a rule record.</summary>
    public static string KeyOf(RuleRecord rule) => RuleKey(rule.Region, rule.Bus, rule.Name);

    /// <summary>This state with <paramref name="rule"/> put.</summary>
    public EventsState With(RuleRecord rule) => this with { Rules = Rules.SetItem(KeyOf(rule), rule) };
}
