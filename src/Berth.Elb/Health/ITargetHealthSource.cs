namespace Berth.Elb.Health;

/// <summary>What the data plane's health checks say of one target.</summary>
/// <param name="State"><c>initial</c>, <c>healthy</c> or <c>unhealthy</c>.</param>
/// <param name="Reason">ALB's reason code when not healthy (e.g. <c>Elb.InitialHealthChecking</c>, <c>Target.ResponseCodeMismatch</c>, <c>Target.Timeout</c>, <c>Target.FailedHealthChecks</c>).</param>
/// <param name="Description">ALB's description (e.g. <c>Health checks failed with these codes: [500]</c>).</param>
public sealed record TargetHealthReport(string State, string? Reason = null, string? Description = null);

/// <summary>
/// Where DescribeTargetHealth learns the live health of a target: the data plane implements it with its health
/// checks. What the control plane knows by itself (unused, draining, disabled checks) never asks it.
/// </summary>
public interface ITargetHealthSource
{
    /// <summary>The health of target <paramref name="targetId"/>:<paramref name="port"/> in <paramref name="targetGroupArn"/>, or null when not checked yet.</summary>
    TargetHealthReport? Report(string targetGroupArn, string targetId, int port);
}

/// <summary>No data plane attached: every target in use is reported as ALB reports one whose checks have not run.</summary>
public sealed class NoTargetHealth : ITargetHealthSource
{
    /// <summary>The one instance.</summary>
    public static NoTargetHealth Instance { get; } = new();

    /// <inheritdoc />
    public TargetHealthReport? Report(string targetGroupArn, string targetId, int port) => null;
}
