using Berth.AutoScaling.Scaling;
using Berth.AutoScaling.State;
using Berth.CloudWatch.Alarms;
using CsCheck;

namespace Berth.AutoScaling.Tests;

/// <summary>The scaling decision as tables (Application Auto Scaling's documented rules) and as properties.</summary>
public class ScalingPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    private static ScalableTargetRecord Target(int min = 1, int max = 10, Suspension? suspended = null, DateTimeOffset? outAt = null, DateTimeOffset? inAt = null) => new()
    {
        Region = "us-east-1",
        ResourceId = "service/default/web",
        Dimension = "ecs:service:DesiredCount",
        Arn = "arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/0ec5x",
        Min = min,
        Max = max,
        Suspended = suspended ?? Suspension.None,
        CreatedAt = Now.AddHours(-1),
        ScaledOutAt = outAt,
        ScaledInAt = inAt,
    };

    private static ScalingPolicyRecord Tracking(string name = "cpu", double target = 50, int? outCooldown = 0, int? inCooldown = 0, bool disableIn = false) => new()
    {
        Region = "us-east-1",
        ResourceId = "service/default/web",
        Dimension = "ecs:service:DesiredCount",
        Name = name,
        Arn = "arn:policy/" + name,
        CreatedAt = Now.AddHours(-1),
        TargetTracking = new TargetTrackingConfig
        {
            TargetValue = target,
            PredefinedMetricType = "ECSServiceAverageCPUUtilization",
            Metric = new TrackedMetric("AWS/ECS", "CPUUtilization", [], "Average", null),
            ScaleOutCooldown = outCooldown,
            ScaleInCooldown = inCooldown,
            DisableScaleIn = disableIn,
            AlarmId = "id-" + name,
        },
    };

    private static ScalingPolicyRecord Step(string type, int? cooldown = 0, int? minMagnitude = null, DateTimeOffset? last = null, params StepRecord[] steps) => new()
    {
        Region = "us-east-1",
        ResourceId = "service/default/web",
        Dimension = "ecs:service:DesiredCount",
        Name = "step",
        Arn = "arn:policy/step",
        CreatedAt = Now.AddHours(-1),
        LastScaledAt = last,
        Step = new StepScalingConfig { AdjustmentType = type, Steps = [.. steps], Cooldown = cooldown, MinAdjustmentMagnitude = minMagnitude },
    };

    private static AlarmSignal A(AlarmState state, double? latest, double threshold = 50, string name = "alarm") => new(name, state, latest, threshold);

    private static PolicySignal High(ScalingPolicyRecord p, double metric) =>
        new(p, A(AlarmState.Alarm, metric, p.TargetTracking!.TargetValue, "high-" + p.Name), A(AlarmState.Ok, metric, p.TargetTracking.TargetValue * 0.9, "low-" + p.Name), []);

    private static PolicySignal Low(ScalingPolicyRecord p, double metric) =>
        new(p, A(AlarmState.Ok, metric, p.TargetTracking!.TargetValue, "high-" + p.Name), A(AlarmState.Alarm, metric, p.TargetTracking.TargetValue * 0.9, "low-" + p.Name), []);

    private static PolicySignal Quiet(ScalingPolicyRecord p, double? metric = 45) =>
        new(p, A(AlarmState.Ok, metric), A(AlarmState.Ok, metric), []);

    private static int? Decide(ScalableTargetRecord target, int? current, params PolicySignal[] policies) =>
        ScalingPlanner.Decide(new TargetSnapshot(target, current, policies), Now)?.To;

    public static TheoryData<string, int, double, int?> TrackingTable => new()
    {
        // desired = ceil(current × metric / target)
        { "2 tasks at 100 % of a 50 % target → 4", 2, 100, 4 },
        { "2 tasks at 75 % → 3", 2, 75, 3 },
        { "3 tasks at 51 % → 4 (rounded up)", 3, 51, 4 },
        { "1 task at 400 % (several cores) → 8", 1, 400, 8 },
        { "4 tasks at 10 % → 1", 4, 10, 1 },
        { "4 tasks at 30 % → 3 (rounded up: scale in conservatively)", 4, 30, 3 },
        { "the max clamps: 5 tasks at 300 % → 10", 5, 300, 10 },
        { "the min clamps: 4 tasks at 1 % → 1", 4, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(TrackingTable))]
    public void Target_tracking_is_proportional(string why, int current, double metric, int? expected)
    {
        var p = Tracking();
        var signal = metric > 50 ? High(p, metric) : Low(p, metric);
        Assert.True(expected == Decide(Target(), current, signal), why);
    }

    [Fact]
    public void The_activity_says_what_AWS_says()
    {
        var change = ScalingPlanner.Decide(new TargetSnapshot(Target(), 2, [High(Tracking(), 100)]), Now)!;
        Assert.Equal("Setting desired count to 4.", change.Description);
        Assert.Equal("monitor alarm high-cpu in state ALARM triggered policy cpu", change.Cause);
        Assert.Equal("Successfully set desired count to 4. Change successfully fulfilled by ecs.", change.StatusMessage);
        Assert.Equal(ScalingDirection.Out, change.Direction);
    }

    [Fact]
    public void Insufficient_data_does_nothing()
    {
        var p = Tracking();
        Assert.Null(Decide(Target(), 2, new PolicySignal(p, A(AlarmState.InsufficientData, null), A(AlarmState.InsufficientData, null), [])));
        Assert.Null(Decide(Target(), 2, new PolicySignal(p, null, null, [])));
        Assert.Null(Decide(Target(), null, High(p, 100)));
    }

    [Fact]
    public void An_alarm_in_ALARM_without_a_datapoint_does_nothing()
    {
        var p = Tracking();
        Assert.Null(Decide(Target(), 2, new PolicySignal(p, A(AlarmState.Alarm, null), A(AlarmState.Ok, null), [])));
    }

    [Fact]
    public void Any_policy_may_scale_out_and_the_largest_ask_wins()
    {
        Assert.Equal(6, Decide(Target(), 2, High(Tracking("cpu", 50), 100), High(Tracking("mem", 50), 150)));
        Assert.Equal(4, Decide(Target(), 2, High(Tracking("cpu", 50), 100), Quiet(Tracking("mem", 50))));
    }

    [Fact]
    public void Scale_in_only_when_every_tracking_policy_agrees()
    {
        Assert.Null(Decide(Target(), 4, Low(Tracking("cpu"), 10), Quiet(Tracking("mem"))));
        Assert.Equal(2, Decide(Target(), 4, Low(Tracking("cpu"), 10), Low(Tracking("mem"), 25)));

        // A policy with scale-in disabled has no say.
        Assert.Equal(1, Decide(Target(), 4, Low(Tracking("cpu"), 10), Quiet(Tracking("mem", disableIn: true))));
    }

    [Fact]
    public void Scale_out_wins_over_scale_in()
    {
        Assert.Equal(4, Decide(Target(), 2, Low(Tracking("cpu"), 10), High(Tracking("mem"), 100)));
    }

    [Fact]
    public void DisableScaleIn_never_scales_in()
    {
        Assert.Null(Decide(Target(), 4, Low(Tracking(disableIn: true), 5)));
    }

    public static TheoryData<string, int?, int?, double, DateTimeOffset?, DateTimeOffset?, bool> CooldownTable => new()
    {
        { "scale-out within its cooldown waits", 60, 0, 100, Now.AddSeconds(-30), null, false },
        { "scale-out after its cooldown goes", 60, 0, 100, Now.AddSeconds(-60), null, true },
        { "the default cooldown is 300 s", null, 0, 100, Now.AddSeconds(-299), null, false },
        { "scale-out ignores the scale-in cooldown", 0, 600, 100, null, Now.AddSeconds(-1), true },
        { "scale-in within its cooldown waits", 0, 60, 10, null, Now.AddSeconds(-30), false },
        { "scale-in waits its cooldown after a scale-out too", 0, 60, 10, Now.AddSeconds(-30), null, false },
        { "scale-in after its cooldown goes", 0, 60, 10, Now.AddSeconds(-61), Now.AddSeconds(-90), true },
    };

    [Theory]
    [MemberData(nameof(CooldownTable))]
    public void Cooldowns(string why, int? outCooldown, int? inCooldown, double metric, DateTimeOffset? outAt, DateTimeOffset? inAt, bool scales)
    {
        var p = Tracking(outCooldown: outCooldown, inCooldown: inCooldown);
        var got = Decide(Target(outAt: outAt, inAt: inAt), 3, metric > 50 ? High(p, metric) : Low(p, metric));
        Assert.True(scales == (got is not null), why);
    }

    [Theory]
    [InlineData(60, 299, false)]
    [InlineData(5, 24, false)]
    [InlineData(5, 25, true)]
    [InlineData(2, 10, true)]
    public void Cooldowns_are_shortened_with_the_metric_period(int periodSeconds, int secondsSinceScaleOut, bool scales)
    {
        // The default 300 s cooldown at a 5 s metric period is 300 × 5 / 60 = 25 s.
        var p = Tracking(outCooldown: null);
        var snapshot = new TargetSnapshot(Target(outAt: Now.AddSeconds(-secondsSinceScaleOut)), 3, [High(p, 100)]) { CooldownScale = periodSeconds / 60.0 };
        Assert.Equal(scales, ScalingPlanner.Decide(snapshot, Now) is not null);
    }

    [Fact]
    public void Suspended_states()
    {
        var p = Tracking();
        Assert.Null(Decide(Target(suspended: new Suspension(false, true, false)), 2, High(p, 100)));
        Assert.Null(Decide(Target(suspended: new Suspension(true, false, false)), 4, Low(p, 10)));
        Assert.Equal(4, Decide(Target(suspended: new Suspension(true, false, true)), 2, High(p, 100)));
        Assert.Equal(1, Decide(Target(suspended: new Suspension(false, true, true)), 4, Low(p, 10)));
    }

    [Fact]
    public void A_count_outside_the_range_is_brought_into_it_first()
    {
        var below = ScalingPlanner.Decide(new TargetSnapshot(Target(min: 3), 1, []), Now)!;
        Assert.Equal((3, ScalingDirection.Range, "minimum capacity was set to 3"), (below.To, below.Direction, below.Cause));
        var above = ScalingPlanner.Decide(new TargetSnapshot(Target(max: 2), 5, [Low(Tracking(), 10)]), Now)!;
        Assert.Equal((2, "maximum capacity was set to 2"), (above.To, above.Cause));
    }

    public static TheoryData<string, string, int, double, int?, int?> StepTable => new()
    {
        // Breach = metric − threshold (50); steps [0, 10) → +1, [10, 20) → +2, [20, ∞) → +3 (or the type's meaning).
        { "first step", "ChangeInCapacity", 4, 55, null, 5 },
        { "second step", "ChangeInCapacity", 4, 65, null, 6 },
        { "open upper step", "ChangeInCapacity", 4, 95, null, 7 },
        { "exact capacity", "ExactCapacity", 4, 65, null, 2 },
        { "percent: 4 × 2 % rounds to 1", "PercentChangeInCapacity", 4, 65, null, 5 },
        { "percent with MinAdjustmentMagnitude 3", "PercentChangeInCapacity", 4, 65, 3, 7 },
        { "below the threshold no step matches", "ChangeInCapacity", 4, 45, null, null },
    };

    [Theory]
    [MemberData(nameof(StepTable))]
    public void Step_scaling(string why, string type, int current, double metric, int? minMagnitude, int? expected)
    {
        var p = Step(type, minMagnitude: minMagnitude, steps: [new StepRecord(0, 10, 1), new StepRecord(10, 20, 2), new StepRecord(20, null, 3)]);
        var got = Decide(Target(), current, new PolicySignal(p, null, null, [A(AlarmState.Alarm, metric)]));
        Assert.True(expected == got, $"{why}: {got}");
    }

    [Fact]
    public void Step_scale_in_and_its_cooldown()
    {
        var steps = new[] { new StepRecord(null, 0, -1) };
        Assert.Equal(3, Decide(Target(), 4, new PolicySignal(Step("ChangeInCapacity", steps: steps), null, null, [A(AlarmState.Alarm, 20, 30)])));
        Assert.Null(Decide(Target(), 4, new PolicySignal(Step("ChangeInCapacity", cooldown: 60, last: Now.AddSeconds(-10), steps: steps), null, null, [A(AlarmState.Alarm, 20, 30)])));
        Assert.Null(Decide(Target(), 4, new PolicySignal(Step("ChangeInCapacity", steps: steps), null, null, [A(AlarmState.Ok, 20, 30)])));
    }

    public static TheoryData<int, int, int?, int> PercentTable => new()
    {
        { 10, 25, null, 2 },   // 2.5 → 2 (down)
        { 2, 25, null, 1 },    // 0.5 → 1
        { 2, -25, null, -1 },  // −0.5 → −1
        { 10, -25, null, -2 }, // −2.5 → −2 (toward zero)
        { 10, 10, 3, 3 },      // 1 → at least 3
        { 10, -10, 3, -3 },
    };

    [Theory]
    [MemberData(nameof(PercentTable))]
    public void Percent_change_rounds_as_AWS(int current, int percent, int? minMagnitude, int expected)
    {
        Assert.Equal(expected, ScalingPlanner.PercentChange(current, percent, minMagnitude));
    }

    [Fact]
    public void Desired_always_lies_within_min_and_max()
    {
        var gen =
            from min in Gen.Int[0, 10]
            from span in Gen.Int[0, 20]
            from current in Gen.Int[0, 40]
            from metrics in Gen.Double[0, 500].Array[1, 4]
            from states in Gen.Int[0, 2].Array[4]
            from target in Gen.Double[1, 100]
            from type in Gen.Int[0, 3]
            from adjustment in Gen.Int[-50, 50]
            select (min, max: min + span, current, metrics, states, target, type, adjustment);
        gen.Sample(c =>
        {
            var policies = c.metrics.Select((m, i) =>
            {
                var state = (AlarmState)c.states[i];
                if (c.type == 3 && i == 0)
                {
                    var type = new[] { "ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity" }[Math.Abs(c.adjustment) % 3];
                    var adjustment = type == "ExactCapacity" ? Math.Abs(c.adjustment) : c.adjustment;
                    return new PolicySignal(Step(type, steps: [new StepRecord(null, null, adjustment)]), null, null, [A(state, m, c.target)]);
                }

                var p = Tracking("p" + i, c.target);
                return new PolicySignal(p, A(state, m, c.target), A((AlarmState)c.states[(i + 1) % 4 % 3], m, c.target * 0.9), []);
            }).ToArray();
            var change = ScalingPlanner.Decide(new TargetSnapshot(Target(c.min, c.max), c.current, policies), Now);
            var inRange = c.current >= c.min && c.current <= c.max;
            if (change is null)
            {
                // Nothing to do is only possible for a count already in range.
                return inRange;
            }

            return change.To >= c.min && change.To <= c.max && change.To != c.current && change.From == c.current;
        });
    }

    [Fact]
    public void Scale_out_never_lowers_and_scale_in_never_raises()
    {
        Gen.Select(Gen.Int[1, 30], Gen.Double[0, 1000], Gen.Double[1, 100]).Sample((current, metric, target) =>
        {
            var p = Tracking(target: target);
            var change = ScalingPlanner.Decide(new TargetSnapshot(Target(0, 1000), current, [metric > target ? High(p, metric) : Low(p, metric)]), Now);
            return change is null || (change.Direction == ScalingDirection.Out ? change.To > current : change.To < current);
        });
    }

    [Fact]
    public void Proportional_is_exact_on_whole_ratios()
    {
        Assert.Equal(3, ScalingPlanner.Proportional(2, 75, 50));
        Assert.Equal(0, ScalingPlanner.Proportional(3, 0, 50));
    }
}
