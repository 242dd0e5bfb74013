using Berth.LoadBalancing.Health;

namespace Berth.LoadBalancing.Tests.Pure;

public class HealthTransitionsTests
{
    private static readonly HealthCheckOutcome Ok = new(HealthCheckResult.Success, 200);
    private static readonly HealthCheckOutcome Code500 = new(HealthCheckResult.ResponseCodeMismatch, 500);
    private static readonly HealthCheckOutcome TimedOut = new(HealthCheckResult.Timeout);
    private static readonly HealthCheckOutcome Refused = new(HealthCheckResult.ConnectionFailed);

    private static HealthTracking Run(HealthTracking start, params HealthCheckOutcome[] outcomes) =>
        outcomes.Aggregate(start, (t, o) => HealthTransitions.Next(t, o, healthyThreshold: 3, unhealthyThreshold: 2));

    [Fact]
    public void A_new_target_is_initial_until_the_healthy_threshold()
    {
        Assert.Equal((TargetHealthState.Initial, TargetHealthReason.RegistrationInProgress), (HealthTracking.Registered.State, HealthTracking.Registered.Reason));
        var checking = Run(HealthTracking.Registered, Ok, Ok);
        Assert.Equal(TargetHealthState.Initial, checking.State);
        Assert.Equal(TargetHealthReason.InitialHealthChecking, checking.Reason);
        Assert.Equal("Initial health checks in progress", checking.Description);
        var healthy = Run(HealthTracking.Registered, Ok, Ok, Ok);
        Assert.Equal(new HealthTracking(TargetHealthState.Healthy, null, null, 3, 0), healthy);
    }

    [Fact]
    public void A_failure_resets_the_count_of_successes()
    {
        Assert.Equal(TargetHealthState.Initial, Run(HealthTracking.Registered, Ok, Ok, Code500, Ok, Ok).State);
        Assert.Equal(TargetHealthState.Healthy, Run(HealthTracking.Registered, Ok, Ok, Code500, Ok, Ok, Ok).State);
    }

    public static TheoryData<HealthCheckOutcome, string, string> Failures => new()
    {
        { Code500, TargetHealthReason.ResponseCodeMismatch, "Health checks failed with these codes: [500]" },
        { TimedOut, TargetHealthReason.Timeout, "Request timed out" },
        { Refused, TargetHealthReason.FailedHealthChecks, "Health checks failed" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Unhealthy_after_the_unhealthy_threshold_with_ALB_s_reason(HealthCheckOutcome failure, string reason, string description)
    {
        var healthy = Run(HealthTracking.Registered, Ok, Ok, Ok);
        Assert.Equal(TargetHealthState.Healthy, Run(healthy, failure).State);
        var unhealthy = Run(healthy, failure, failure);
        Assert.Equal((TargetHealthState.Unhealthy, reason, description), (unhealthy.State, unhealthy.Reason, unhealthy.Description));
        Assert.Equal(TargetHealthState.Unhealthy, Run(unhealthy, Ok, Ok).State);
        Assert.Equal(TargetHealthState.Healthy, Run(unhealthy, Ok, Ok, Ok).State);
    }

    [Fact]
    public void An_initial_target_can_go_straight_to_unhealthy()
    {
        Assert.Equal(TargetHealthState.Initial, Run(HealthTracking.Registered, Refused).State);
        Assert.Equal(TargetHealthState.Unhealthy, Run(HealthTracking.Registered, Refused, Refused).State);
    }

    [Fact]
    public void Draining_and_unused_targets_are_not_moved_by_checks()
    {
        Assert.Same(HealthTracking.Draining, Run(HealthTracking.Draining, Ok, Ok, Ok));
        Assert.Same(HealthTracking.NotInUse, Run(HealthTracking.NotInUse, Refused, Refused));
    }

    [Theory]
    [InlineData("200", 200, true)]
    [InlineData("200", 204, false)]
    [InlineData("200-299", 204, true)]
    [InlineData("200-299", 302, false)]
    [InlineData("200,302", 302, true)]
    [InlineData("200, 302", 301, false)]
    [InlineData("200-204,404", 404, true)]
    public void Matcher_codes(string matcher, int code, bool expected) =>
        Assert.Equal(expected, HttpCodeMatcher.Parse(matcher).Matches(code));

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("299-200")]
    [InlineData("99")]
    [InlineData("600")]
    public void Bad_matchers_are_rejected(string matcher) =>
        Assert.Throws<FormatException>(() => HttpCodeMatcher.Parse(matcher));
}
