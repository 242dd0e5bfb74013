using System.Collections.Immutable;

namespace Berth.Events.State;

/// <summary>
/// An EventBridge Scheduler schedule group (the <c>default</c> group of every region exists without a record until it
/// is tagged).
/// </summary>
public sealed record ScheduleGroupRecord
{
    /// <summary>The region it lives in.</summary>
    public required string Region { get; init; }

    /// <summary>Its name.</summary>
    public required string Name { get; init; }

    /// <summary>Its ARN.</summary>
    public required string Arn { get; init; }

    /// <summary>When it was created (null for the default group).</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When it last changed (null for the default group).</summary>
    public DateTimeOffset? ModifiedAt { get; init; }

    /// <summary>The ClientToken it was created with: the same create again answers the same group.</summary>
    public string? ClientToken { get; init; }

    /// <summary>Its tags.</summary>
    public ImmutableSortedDictionary<string, string> Tags { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);
}

/// <summary>An EventBridge Scheduler schedule: when it fires, and the one target it invokes.</summary>
public sealed record ScheduleRecord
{
    /// <summary>The region it lives in.</summary>
    public required string Region { get; init; }

    /// <summary>The name of its group.</summary>
    public required string Group { get; init; }

    /// <summary>Its name, unique in its group.</summary>
    public required string Name { get; init; }

    /// <summary>Its ARN (<c>schedule/GROUP/NAME</c>).</summary>
    public required string Arn { get; init; }

    /// <summary><c>at(...)</c>, <c>rate(...)</c> or <c>cron(...)</c> as written.</summary>
    public required string Expression { get; init; }

    /// <summary>The IANA zone of its <c>cron()</c> and <c>at()</c> (UTC by default).</summary>
    public string Timezone { get; init; } = "UTC";

    /// <summary>Not before (recurring schedules only).</summary>
    public DateTimeOffset? StartDate { get; init; }

    /// <summary>Not after (recurring schedules only).</summary>
    public DateTimeOffset? EndDate { get; init; }

    /// <summary>Enabled or disabled.</summary>
    public RuleState State { get; init; }

    /// <summary>Its description.</summary>
    public string? Description { get; init; }

    /// <summary>FLEXIBLE's MaximumWindowInMinutes; null when the window is OFF.</summary>
    public int? FlexibleWindowMinutes { get; init; }

    /// <summary>ActionAfterCompletion DELETE: removed once its last firing is made.</summary>
    public bool DeleteAfterCompletion { get; init; }

    /// <summary>Whether ActionAfterCompletion was given at all (GetSchedule echoes it only then).</summary>
    public string? ActionAfterCompletion { get; init; }

    /// <summary>The KMS key it names (accepted, not used).</summary>
    public string? KmsKeyArn { get; init; }

    /// <summary>The ClientToken of its last create or update: the same request again answers the same schedule.</summary>
    public string? ClientToken { get; init; }

    /// <summary>The target as the client gave it (wire JSON, RetryPolicy defaulted), echoed by GetSchedule.</summary>
    public required string TargetJson { get; init; }

    /// <summary>The target's ARN: a cluster ARN, or the universal target <c>arn:aws:scheduler:::aws-sdk:ecs:runTask</c>.</summary>
    public required string TargetArn { get; init; }

    /// <summary>The templated ECS target's EcsParameters (null for other targets).</summary>
    public EcsTargetRecord? Ecs { get; init; }

    /// <summary>The target's Input: ECS overrides for the templated target, a RunTask request for the universal one.</summary>
    public string? Input { get; init; }

    /// <summary>RetryPolicy.MaximumEventAgeInSeconds: how late a missed firing is still delivered.</summary>
    public int MaximumEventAgeInSeconds { get; init; } = 86400;

    /// <summary>RetryPolicy.MaximumRetryAttempts: how many times an invocation that failed on Berth's side is tried again.</summary>
    public int MaximumRetryAttempts { get; init; } = 185;

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was last updated.</summary>
    public required DateTimeOffset ModifiedAt { get; init; }

    /// <summary>Since when its current settings are in force: firings due at or before it are not made.</summary>
    public DateTimeOffset ActiveSince { get; init; }

    /// <summary>Where its <c>rate()</c> counts from when it has no StartDate: its creation or the last change of its expression.</summary>
    public DateTimeOffset ScheduleAnchor { get; init; }
}
