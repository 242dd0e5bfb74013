using System.Collections.Immutable;

namespace Berth.LoadBalancing.Health;

/// <summary>ALB's <c>TargetHealth.State</c>.</summary>
public enum TargetHealthState
{
    /// <summary>Registered; health checks have not yet passed the healthy threshold.</summary>
    Initial,

    /// <summary>Passing health checks; receives traffic.</summary>
    Healthy,

    /// <summary>Failed the unhealthy threshold; receives traffic only when every target of the group is unhealthy (fail-open).</summary>
    Unhealthy,

    /// <summary>Not in use: the target group is not used by any listener.</summary>
    Unused,

    /// <summary>Deregistered; in-flight requests finish, no new ones, until the deregistration delay ends.</summary>
    Draining,
}

/// <summary>ALB's reason codes and descriptions (<c>TargetHealth.Reason</c> / <c>Description</c>).</summary>
public static class TargetHealthReason
{
    /// <summary>Initial: just registered.</summary>
    public const string RegistrationInProgress = "Elb.RegistrationInProgress";

    /// <summary>Initial: checks are running.</summary>
    public const string InitialHealthChecking = "Elb.InitialHealthChecking";

    /// <summary>Unhealthy: the check got a status code outside the matcher.</summary>
    public const string ResponseCodeMismatch = "Target.ResponseCodeMismatch";

    /// <summary>Unhealthy: the check had no response in time.</summary>
    public const string Timeout = "Target.Timeout";

    /// <summary>Unhealthy: the connection failed (refused, reset).</summary>
    public const string FailedHealthChecks = "Target.FailedHealthChecks";

    /// <summary>Draining.</summary>
    public const string DeregistrationInProgress = "Target.DeregistrationInProgress";

    /// <summary>Unused: the group is not used by a listener.</summary>
    public const string NotInUse = "Target.NotInUse";

    /// <summary>Unused: the target is not registered in the group.</summary>
    public const string NotRegistered = "Target.NotRegistered";

    /// <summary>Healthy, or unused with checks disabled.</summary>
    public const string HealthCheckDisabled = "Target.HealthCheckDisabled";

    /// <summary>ALB's description for a reason; <paramref name="statusCodes"/> fills ResponseCodeMismatch's list.</summary>
    public static string Describe(string reason, string? statusCodes = null) => reason switch
    {
        RegistrationInProgress => "Target registration is in progress",
        InitialHealthChecking => "Initial health checks in progress",
        ResponseCodeMismatch => $"Health checks failed with these codes: [{statusCodes}]",
        Timeout => "Request timed out",
        FailedHealthChecks => "Health checks failed",
        DeregistrationInProgress => "Target deregistration is in progress",
        NotInUse => "Target group is not configured to receive traffic from the load balancer",
        NotRegistered => "Target is not registered to the target group",
        HealthCheckDisabled => "Health checks are disabled",
        _ => reason,
    };
}

/// <summary>One target's health as DescribeTargetHealth shows it. Reason and description are null when healthy.</summary>
public sealed record TargetHealthDescription(
    string TargetGroupId,
    string TargetId,
    string Host,
    int Port,
    TargetHealthState State,
    string? Reason,
    string? Description);

/// <summary>A change of one target's health; <see cref="Previous"/> is null for a new registration, <see cref="Current"/> null when the target is gone.</summary>
public sealed record TargetHealthChange(TargetHealthDescription? Previous, TargetHealthDescription? Current);

/// <summary>An immutable view of every target's health, by target group id.</summary>
public sealed record TargetHealthSnapshot(ImmutableDictionary<string, ImmutableArray<TargetHealthDescription>> ByTargetGroup)
{
    /// <summary>No target groups.</summary>
    public static TargetHealthSnapshot Empty { get; } = new(ImmutableDictionary<string, ImmutableArray<TargetHealthDescription>>.Empty);

    /// <summary>The targets of a group (registered and draining); empty when the group is unknown.</summary>
    public ImmutableArray<TargetHealthDescription> For(string targetGroupId) =>
        ByTargetGroup.TryGetValue(targetGroupId, out var targets) ? targets : [];

    /// <summary>One target's health in a group, or null when it is not registered there (ALB's <c>unused</c>/<c>Target.NotRegistered</c>).</summary>
    public TargetHealthDescription? Find(string targetGroupId, string targetId, int? port = null) =>
        For(targetGroupId).FirstOrDefault(t => t.TargetId == targetId && (port is null || t.Port == port));
}
