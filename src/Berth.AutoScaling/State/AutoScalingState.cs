using System.Collections.Immutable;

namespace Berth.AutoScaling.State;

/// <summary>Which of a target's scaling kinds are suspended (RegisterScalableTarget's SuspendedState).</summary>
/// <param name="DynamicIn">DynamicScalingInSuspended: policies do not scale in.</param>
/// <param name="DynamicOut">DynamicScalingOutSuspended: policies do not scale out.</param>
/// <param name="Scheduled">ScheduledScalingSuspended: scheduled actions do not run.</param>
public sealed record Suspension(bool DynamicIn, bool DynamicOut, bool Scheduled)
{
    /// <summary>Nothing suspended.</summary>
    public static Suspension None { get; } = new(false, false, false);
}

/// <summary>A registered scalable target: an ECS service's desired count between a minimum and a maximum.</summary>
public sealed record ScalableTargetRecord
{
    /// <summary>The region it lives in.</summary>
    public required string Region { get; init; }

    /// <summary><c>service/CLUSTER/SERVICE</c>.</summary>
    public required string ResourceId { get; init; }

    /// <summary><c>ecs:service:DesiredCount</c>.</summary>
    public required string Dimension { get; init; }

    /// <summary>Its ARN (<c>scalable-target/ID</c>).</summary>
    public required string Arn { get; init; }

    /// <summary>The lowest desired count scaling sets.</summary>
    public required int Min { get; init; }

    /// <summary>The highest desired count scaling sets.</summary>
    public required int Max { get; init; }

    /// <summary>The role it was registered with.</summary>
    public string? RoleArn { get; init; }

    /// <summary>What is suspended.</summary>
    public Suspension Suspended { get; init; } = Suspension.None;

    /// <summary>When it was first registered.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When a policy last scaled it out (cooldowns count from it).</summary>
    public DateTimeOffset? ScaledOutAt { get; init; }

    /// <summary>When a policy last scaled it in.</summary>
    public DateTimeOffset? ScaledInAt { get; init; }

    /// <summary>Its tags.</summary>
    public ImmutableSortedDictionary<string, string> Tags { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);
}

/// <summary>The metric a target-tracking policy tracks, or a step policy's alarms watch.</summary>
/// <param name="Namespace">The metric's namespace.</param>
/// <param name="MetricName">Its name.</param>
/// <param name="Dimensions">Its dimensions, in order.</param>
/// <param name="Statistic">The statistic compared.</param>
/// <param name="Unit">Its unit, when given.</param>
public sealed record TrackedMetric(string Namespace, string MetricName, ImmutableArray<KeyValuePair<string, string>> Dimensions, string Statistic, string? Unit);

/// <summary>A target-tracking configuration.</summary>
public sealed record TargetTrackingConfig
{
    /// <summary>The value the metric is kept at.</summary>
    public required double TargetValue { get; init; }

    /// <summary>The predefined metric type, when predefined.</summary>
    public string? PredefinedMetricType { get; init; }

    /// <summary>ResourceLabel of ALBRequestCountPerTarget.</summary>
    public string? ResourceLabel { get; init; }

    /// <summary>Whether the metric was given as a CustomizedMetricSpecification.</summary>
    public bool Customized { get; init; }

    /// <summary>The metric its alarms watch.</summary>
    public required TrackedMetric Metric { get; init; }

    /// <summary>ScaleOutCooldown in seconds, as given.</summary>
    public int? ScaleOutCooldown { get; init; }

    /// <summary>ScaleInCooldown in seconds, as given.</summary>
    public int? ScaleInCooldown { get; init; }

    /// <summary>DisableScaleIn.</summary>
    public bool DisableScaleIn { get; init; }

    /// <summary>The uuid in the names of the alarms it owns (stable, so restarts re-create the same alarms).</summary>
    public required string AlarmId { get; init; }
}

/// <summary>One step: an adjustment for a breach between two bounds (relative to the alarm's threshold).</summary>
/// <param name="Lower">MetricIntervalLowerBound (inclusive), null for minus infinity.</param>
/// <param name="Upper">MetricIntervalUpperBound (exclusive), null for infinity.</param>
/// <param name="Adjustment">ScalingAdjustment.</param>
public sealed record StepRecord(double? Lower, double? Upper, int Adjustment);

/// <summary>A step-scaling configuration.</summary>
public sealed record StepScalingConfig
{
    /// <summary>ChangeInCapacity, PercentChangeInCapacity or ExactCapacity.</summary>
    public required string AdjustmentType { get; init; }

    /// <summary>The steps.</summary>
    public required ImmutableArray<StepRecord> Steps { get; init; }

    /// <summary>MinAdjustmentMagnitude (PercentChangeInCapacity only).</summary>
    public int? MinAdjustmentMagnitude { get; init; }

    /// <summary>Cooldown in seconds, as given.</summary>
    public int? Cooldown { get; init; }

    /// <summary>MetricAggregationType, as given.</summary>
    public string? MetricAggregationType { get; init; }
}

/// <summary>A scaling policy of a scalable target.</summary>
public sealed record ScalingPolicyRecord
{
    /// <summary>The region.</summary>
    public required string Region { get; init; }

    /// <summary>Its target's resource id.</summary>
    public required string ResourceId { get; init; }

    /// <summary>Its target's dimension.</summary>
    public required string Dimension { get; init; }

    /// <summary>Its name, unique on its target.</summary>
    public required string Name { get; init; }

    /// <summary>Its ARN.</summary>
    public required string Arn { get; init; }

    /// <summary>TargetTracking when set.</summary>
    public TargetTrackingConfig? TargetTracking { get; init; }

    /// <summary>StepScaling when set.</summary>
    public StepScalingConfig? Step { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last scaled its target (a step policy's cooldown counts from it).</summary>
    public DateTimeOffset? LastScaledAt { get; init; }

    /// <summary>The policy type on the wire.</summary>
    public string PolicyType => TargetTracking is not null ? "TargetTrackingScaling" : "StepScaling";
}

/// <summary>A scheduled action.</summary>
public sealed record ScheduledActionRecord
{
    /// <summary>The region.</summary>
    public required string Region { get; init; }

    /// <summary>Its target's resource id.</summary>
    public required string ResourceId { get; init; }

    /// <summary>Its target's dimension.</summary>
    public required string Dimension { get; init; }

    /// <summary>Its name, unique on its target.</summary>
    public required string Name { get; init; }

    /// <summary>Its ARN.</summary>
    public required string Arn { get; init; }

    /// <summary>at(), rate() or cron(), as written.</summary>
    public required string Schedule { get; init; }

    /// <summary>Its IANA zone (UTC when not given).</summary>
    public string? Timezone { get; init; }

    /// <summary>Not before.</summary>
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>Not after.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>The minimum it sets.</summary>
    public int? Min { get; init; }

    /// <summary>The maximum it sets.</summary>
    public int? Max { get; init; }

    /// <summary>When it was created (or last changed): a rate() counts from it.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The due time it last ran for.</summary>
    public DateTimeOffset? LastRun { get; init; }
}

/// <summary>A scaling activity, as DescribeScalingActivities shows it.</summary>
public sealed record ActivityRecord
{
    /// <summary>Its id (a uuid).</summary>
    public required string Id { get; init; }

    /// <summary>The region.</summary>
    public required string Region { get; init; }

    /// <summary>Its target's resource id.</summary>
    public required string ResourceId { get; init; }

    /// <summary>Its target's dimension.</summary>
    public required string Dimension { get; init; }

    /// <summary>What it does.</summary>
    public required string Description { get; init; }

    /// <summary>Why.</summary>
    public required string Cause { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartTime { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>Successful, Failed, InProgress, ...</summary>
    public required string StatusCode { get; init; }

    /// <summary>The status in words.</summary>
    public string? StatusMessage { get; init; }
}

/// <summary>Application Auto Scaling's immutable state, in one commit pipeline.</summary>
public sealed record AutoScalingState
{
    /// <summary>How many activities a target keeps (the oldest go first).</summary>
    public const int ActivitiesPerTarget = 100;

    /// <summary>The empty state.</summary>
    public static AutoScalingState Empty { get; } = new();

    /// <summary>Targets by <see cref="TargetKey(string, string, string)"/>.</summary>
    public ImmutableSortedDictionary<string, ScalableTargetRecord> Targets { get; init; } = ImmutableSortedDictionary.Create<string, ScalableTargetRecord>(StringComparer.Ordinal);

    /// <summary>Policies by <see cref="ChildKey(string, string)"/> of their target key and name.</summary>
    public ImmutableSortedDictionary<string, ScalingPolicyRecord> Policies { get; init; } = ImmutableSortedDictionary.Create<string, ScalingPolicyRecord>(StringComparer.Ordinal);

    /// <summary>Scheduled actions by <see cref="ChildKey(string, string)"/> of their target key and name.</summary>
    public ImmutableSortedDictionary<string, ScheduledActionRecord> ScheduledActions { get; init; } = ImmutableSortedDictionary.Create<string, ScheduledActionRecord>(StringComparer.Ordinal);

    /// <summary>Activities by target key, then start time and id (oldest first).</summary>
    public ImmutableSortedDictionary<string, ActivityRecord> Activities { get; init; } = ImmutableSortedDictionary.Create<string, ActivityRecord>(StringComparer.Ordinal);

    /// <summary>The key of a target.</summary>
    public static string TargetKey(string region, string resourceId, string dimension) => $"{region}|{resourceId}|{dimension}";

    /// <summary>The key of a target's policy or scheduled action.</summary>
    public static string ChildKey(string targetKey, string name) => $"{targetKey}|{name}";

    /// <summary>The key of an activity: its target, then the time it started (sortable), then its id.</summary>
    public static string ActivityKey(ActivityRecord a) =>
        $"{TargetKey(a.Region, a.ResourceId, a.Dimension)}|{a.StartTime.UtcTicks:D19}|{a.Id}";

    /// <summary>A target's policies.</summary>
    public IEnumerable<ScalingPolicyRecord> PoliciesOf(string targetKey) => Children(Policies, targetKey);

    /// <summary>A target's scheduled actions.</summary>
    public IEnumerable<ScheduledActionRecord> ScheduledActionsOf(string targetKey) => Children(ScheduledActions, targetKey);

    /// <summary>A target's activities, oldest first.</summary>
    public IEnumerable<ActivityRecord> ActivitiesOf(string targetKey) => Children(Activities, targetKey);

    private static IEnumerable<T> Children<T>(ImmutableSortedDictionary<string, T> map, string targetKey)
    {
        var prefix = targetKey + "|";
        return map.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p.Value);
    }
}
