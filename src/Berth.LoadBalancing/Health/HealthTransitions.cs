using System.Globalization;

namespace Berth.LoadBalancing.Health;

/// <summary>How one health check ended.</summary>
public enum HealthCheckResult
{
    /// <summary>A status code the matcher accepts.</summary>
    Success,

    /// <summary>A status code outside the matcher.</summary>
    ResponseCodeMismatch,

    /// <summary>No response within the timeout.</summary>
    Timeout,

    /// <summary>The connection failed (refused, reset, closed early).</summary>
    ConnectionFailed,
}

/// <summary>One health check's result with the status code when there was one.</summary>
public readonly record struct HealthCheckOutcome(HealthCheckResult Result, int? StatusCode = null);

/// <summary>A registered target's health with the consecutive counts that move it between states.</summary>
public sealed record HealthTracking(TargetHealthState State, string? Reason, string? Description, int ConsecutiveSuccesses, int ConsecutiveFailures)
{
    /// <summary>A target just registered in a group that a listener uses.</summary>
    public static HealthTracking Registered { get; } = new(
        TargetHealthState.Initial, TargetHealthReason.RegistrationInProgress, TargetHealthReason.Describe(TargetHealthReason.RegistrationInProgress), 0, 0);

    /// <summary>A target in a group that no listener uses (no checks run).</summary>
    public static HealthTracking NotInUse { get; } = new(
        TargetHealthState.Unused, TargetHealthReason.NotInUse, TargetHealthReason.Describe(TargetHealthReason.NotInUse), 0, 0);

    /// <summary>A target in a group whose checks are disabled: healthy at once.</summary>
    public static HealthTracking ChecksDisabled { get; } = new(TargetHealthState.Healthy, null, null, 0, 0);

    /// <summary>A deregistered target.</summary>
    public static HealthTracking Draining { get; } = new(
        TargetHealthState.Draining, TargetHealthReason.DeregistrationInProgress, TargetHealthReason.Describe(TargetHealthReason.DeregistrationInProgress), 0, 0);
}

/// <summary>ALB's health state machine. Pure.</summary>
public static class HealthTransitions
{
    /// <summary>
    /// The tracking after one check: <paramref name="healthyThreshold"/> consecutive successes make a target healthy,
    /// <paramref name="unhealthyThreshold"/> consecutive failures unhealthy; in between a target keeps its state
    /// (an initial one shows <c>Elb.InitialHealthChecking</c>). Draining and unused targets are not checked and stay.
    /// </summary>
    public static HealthTracking Next(HealthTracking current, HealthCheckOutcome outcome, int healthyThreshold, int unhealthyThreshold)
    {
        if (current.State is TargetHealthState.Draining or TargetHealthState.Unused)
            return current;
        if (outcome.Result == HealthCheckResult.Success)
        {
            var successes = current.ConsecutiveSuccesses + 1;
            if (successes >= healthyThreshold || current.State == TargetHealthState.Healthy)
                return new HealthTracking(TargetHealthState.Healthy, null, null, successes, 0);
            return current.State == TargetHealthState.Initial
                ? new HealthTracking(TargetHealthState.Initial, TargetHealthReason.InitialHealthChecking, TargetHealthReason.Describe(TargetHealthReason.InitialHealthChecking), successes, 0)
                : current with { ConsecutiveSuccesses = successes, ConsecutiveFailures = 0 };
        }

        var failures = current.ConsecutiveFailures + 1;
        var (reason, description) = Failure(outcome);
        if (failures >= unhealthyThreshold || current.State == TargetHealthState.Unhealthy)
            return new HealthTracking(TargetHealthState.Unhealthy, reason, description, 0, failures);
        return current.State == TargetHealthState.Initial
            ? new HealthTracking(TargetHealthState.Initial, TargetHealthReason.InitialHealthChecking, TargetHealthReason.Describe(TargetHealthReason.InitialHealthChecking), 0, failures)
            : current with { ConsecutiveSuccesses = 0, ConsecutiveFailures = failures };
    }

    private static (string Reason, string Description) Failure(HealthCheckOutcome outcome) => outcome.Result switch
    {
        HealthCheckResult.ResponseCodeMismatch => (TargetHealthReason.ResponseCodeMismatch,
            TargetHealthReason.Describe(TargetHealthReason.ResponseCodeMismatch, outcome.StatusCode?.ToString(CultureInfo.InvariantCulture))),
        HealthCheckResult.Timeout => (TargetHealthReason.Timeout, TargetHealthReason.Describe(TargetHealthReason.Timeout)),
        _ => (TargetHealthReason.FailedHealthChecks, TargetHealthReason.Describe(TargetHealthReason.FailedHealthChecks)),
    };
}

/// <summary>ALB's matcher <c>HttpCode</c>: single codes, ranges and comma lists ("200", "200-299", "200,302"). Pure.</summary>
public sealed class HttpCodeMatcher
{
    private readonly (int Low, int High)[] _ranges;

    private HttpCodeMatcher((int, int)[] ranges) => _ranges = ranges;

    /// <summary>Parses a matcher; throws <see cref="FormatException"/> on anything else.</summary>
    public static HttpCodeMatcher Parse(string matcher)
    {
        var ranges = new List<(int, int)>();
        foreach (var part in matcher.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                var code = ParseCode(part);
                ranges.Add((code, code));
            }
            else
            {
                var low = ParseCode(part[..dash]);
                var high = ParseCode(part[(dash + 1)..]);
                if (high < low)
                    throw new FormatException($"invalid HTTP code range '{part}'");
                ranges.Add((low, high));
            }
        }
        if (ranges.Count == 0)
            throw new FormatException("empty HTTP code matcher");
        return new HttpCodeMatcher([.. ranges]);
    }

    /// <summary>True when <paramref name="statusCode"/> is accepted.</summary>
    public bool Matches(int statusCode)
    {
        foreach (var (low, high) in _ranges)
        {
            if (statusCode >= low && statusCode <= high)
                return true;
        }
        return false;
    }

    private static int ParseCode(string text) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599
            ? code
            : throw new FormatException($"invalid HTTP code '{text}'");
}
