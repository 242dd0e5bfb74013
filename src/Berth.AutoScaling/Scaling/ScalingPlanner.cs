using Berth.AutoScaling.State;
using Berth.CloudWatch.Alarms;

namespace Berth.AutoScaling.Scaling;

/// <summary>An alarm as the planner reads it: its state, its most recent datapoint and its threshold.</summary>
/// <param name="Name">The alarm's name.</param>
/// <param name="State">Its state after the last evaluation.</param>
/// <param name="Latest">The value of its most recent whole period with data, if any.</param>
/// <param name="Threshold">Its threshold.</param>
public sealed record AlarmSignal(string Name, AlarmState State, double? Latest, double Threshold);

/// <summary>A policy with the alarms that drive it.</summary>
/// <param name="Policy">The policy.</param>
/// <param name="High">A target-tracking policy's AlarmHigh.</param>
/// <param name="Low">A target-tracking policy's AlarmLow.</param>
/// <param name="StepAlarms">The alarms whose actions name a step policy.</param>
public sealed record PolicySignal(ScalingPolicyRecord Policy, AlarmSignal? High, AlarmSignal? Low, IReadOnlyList<AlarmSignal> StepAlarms);

/// <summary>One scalable target as the planner sees it.</summary>
/// <param name="Target">The target (range, suspension, last scaling times).</param>
/// <param name="Current">The service's desired count now; null when the service is gone or not ACTIVE.</param>
/// <param name="Policies">Its policies and their alarms.</param>
public sealed record TargetSnapshot(ScalableTargetRecord Target, int? Current, IReadOnlyList<PolicySignal> Policies)
{
    /// <summary>
    /// What every cooldown is multiplied by: the metric period / 60 s, so a period shortened with
    /// BERTH_METRIC_PERIOD_SECONDS shortens the cooldowns in proportion, as it shortens the alarms' periods (1 by default).
    /// </summary>
    public double CooldownScale { get; init; } = 1;
}

/// <summary>Which way a change goes.</summary>
public enum ScalingDirection
{
    /// <summary>A policy adds capacity.</summary>
    Out,

    /// <summary>A policy removes capacity.</summary>
    In,

    /// <summary>The desired count is brought into the target's [min, max].</summary>
    Range,
}

/// <summary>A decided change of one target's desired count.</summary>
/// <param name="From">The desired count it was decided on (the writer re-checks it).</param>
/// <param name="To">The new desired count.</param>
/// <param name="Direction">Which way.</param>
/// <param name="Cause">The activity's cause, in AWS's words.</param>
/// <param name="PolicyNames">The policies that caused it (their step cooldowns restart).</param>
public sealed record ScalingChange(int From, int To, ScalingDirection Direction, string Cause, IReadOnlyList<string> PolicyNames)
{
    /// <summary>The activity's description.</summary>
    public string Description => $"Setting desired count to {To}.";

    /// <summary>The activity's status message.</summary>
    public string StatusMessage => $"Successfully set desired count to {To}. Change successfully fulfilled by ecs.";
}

/// <summary>
/// The scaling decision for one target as a pure function of (target, desired count, policies with their alarms,
/// now), by Application Auto Scaling's rules: a target-tracking policy whose AlarmHigh is in ALARM asks for
/// ceil(current × metric / target) tasks, one whose AlarmLow is in ALARM asks for the same (fewer) unless
/// DisableScaleIn; a step policy's ALARM alarm asks for the step its breach falls into. Any policy may scale out (the
/// largest ask wins); target tracking scales in only when every target-tracking policy that may scale in asks to, and
/// then by the smallest step. Cooldowns (times <see cref="TargetSnapshot.CooldownScale"/>): a target-tracking scale-out waits ScaleOutCooldown after the last
/// scale-out, a scale-in waits ScaleInCooldown after the last scaling either way; a step policy waits its Cooldown
/// after it last scaled. Suspended directions do nothing; an alarm without a datapoint (insufficient data) does
/// nothing; the result always lies in [min, max], and a desired count outside the range is brought into it first.
/// </summary>
public static class ScalingPlanner
{
    /// <summary>The cooldown of a policy that names none (Application Auto Scaling's default for ECS).</summary>
    public static readonly TimeSpan DefaultCooldown = TimeSpan.FromSeconds(300);

    /// <summary>The change for <paramref name="snapshot"/> at <paramref name="now"/>, or null when nothing changes.</summary>
    public static ScalingChange? Decide(TargetSnapshot snapshot, DateTimeOffset now)
    {
        if (snapshot.Current is not { } current)
        {
            return null;
        }

        var target = snapshot.Target;
        if (current < target.Min)
        {
            return new ScalingChange(current, target.Min, ScalingDirection.Range, $"minimum capacity was set to {target.Min}", []);
        }

        if (current > target.Max)
        {
            return new ScalingChange(current, target.Max, ScalingDirection.Range, $"maximum capacity was set to {target.Max}", []);
        }

        var outs = new List<(int Want, string Cause, string Policy)>();
        var ins = new List<(int Want, string Cause, string Policy)>();
        var trackingVoters = 0;
        var trackingIns = new List<(int Want, string Cause, string Policy)>();
        var suspended = target.Suspended;
        foreach (var signal in snapshot.Policies)
        {
            var policy = signal.Policy;
            if (policy.TargetTracking is { } tracking)
            {
                if (signal.High is { State: AlarmState.Alarm, Latest: { } high } && current > 0)
                {
                    var want = Proportional(current, high, tracking.TargetValue);
                    if (want > current && !suspended.DynamicOut && !Cooling(target.ScaledOutAt, tracking.ScaleOutCooldown, snapshot.CooldownScale, now))
                    {
                        outs.Add((want, Cause(signal.High, policy), policy.Name));
                    }
                }

                if (!tracking.DisableScaleIn)
                {
                    trackingVoters++;
                    if (signal.Low is { State: AlarmState.Alarm, Latest: { } low })
                    {
                        var want = Proportional(current, low, tracking.TargetValue);
                        var last = Latest(target.ScaledInAt, target.ScaledOutAt);
                        if (want < current && !Cooling(last, tracking.ScaleInCooldown, snapshot.CooldownScale, now))
                        {
                            trackingIns.Add((want, Cause(signal.Low, policy), policy.Name));
                        }
                    }
                }
            }
            else if (policy.Step is { } step)
            {
                foreach (var alarm in signal.StepAlarms)
                {
                    if (alarm is not { State: AlarmState.Alarm, Latest: { } value })
                    {
                        continue;
                    }

                    var want = StepWant(step, current, value - alarm.Threshold);
                    if (want is not { } w || w == current || Cooling(policy.LastScaledAt, step.Cooldown, snapshot.CooldownScale, now))
                    {
                        continue;
                    }

                    (w > current ? outs : ins).Add((w, Cause(alarm, policy), policy.Name));
                    break;
                }
            }
        }

        if (!suspended.DynamicOut && outs.Count > 0)
        {
            var to = Math.Clamp(outs.Max(o => o.Want), target.Min, target.Max);
            if (to > current)
            {
                var chosen = outs.Where(o => Math.Clamp(o.Want, target.Min, target.Max) == to).ToList();
                return new ScalingChange(current, to, ScalingDirection.Out, chosen[0].Cause, [.. chosen.Select(o => o.Policy)]);
            }
        }

        if (suspended.DynamicIn)
        {
            return null;
        }

        // Target tracking scales in only when every policy that may scale in agrees.
        if (trackingVoters > 0 && trackingIns.Count == trackingVoters)
        {
            ins.AddRange(trackingIns);
        }

        if (ins.Count > 0)
        {
            var to = Math.Clamp(ins.Max(i => i.Want), target.Min, target.Max);
            if (to < current)
            {
                var chosen = ins.Where(i => Math.Clamp(i.Want, target.Min, target.Max) == to).ToList();
                return new ScalingChange(current, to, ScalingDirection.In, chosen[0].Cause, [.. chosen.Select(i => i.Policy)]);
            }
        }

        return null;
    }

    /// <summary>ceil(current × metric / target), the count that brings the metric to the target (never below 0).</summary>
    public static int Proportional(int current, double metric, double target)
    {
        // A hair under an integer is that integer: 2 × 75 / 50 must be 3, not 4 after floating-point noise.
        var exact = current * metric / target;
        var want = Math.Ceiling(exact - 1e-9);
        return want <= 0 ? 0 : want >= int.MaxValue ? int.MaxValue : (int)want;
    }

    /// <summary>The count a step policy asks for when its alarm's metric is <paramref name="breach"/> above its threshold; null when no step covers it.</summary>
    public static int? StepWant(StepScalingConfig step, int current, double breach)
    {
        var match = step.Steps.FirstOrDefault(s => (s.Lower is not { } lower || breach >= lower) && (s.Upper is not { } upper || breach < upper));
        if (match is null)
        {
            return null;
        }

        return step.AdjustmentType switch
        {
            "ExactCapacity" => match.Adjustment,
            "PercentChangeInCapacity" => Math.Max(0, current + PercentChange(current, match.Adjustment, step.MinAdjustmentMagnitude)),
            _ => Math.Max(0, current + match.Adjustment),
        };
    }

    /// <summary>
    /// A percent change in whole tasks, rounded as Application Auto Scaling rounds it: above 1 down, between 0 and 1 to
    /// 1, between -1 and 0 to -1, below -1 up (toward zero); at least MinAdjustmentMagnitude either way.
    /// </summary>
    public static int PercentChange(int current, int percent, int? minMagnitude)
    {
        var raw = current * percent / 100.0;
        var change = raw switch
        {
            > 1 => (int)Math.Floor(raw),
            > 0 => 1,
            0 => 0,
            > -1 => -1,
            _ => (int)Math.Ceiling(raw),
        };
        if (minMagnitude is { } m && change != 0 && Math.Abs(change) < m)
        {
            change = Math.Sign(change) * m;
        }

        return change;
    }

    private static string Cause(AlarmSignal alarm, ScalingPolicyRecord policy) =>
        $"monitor alarm {alarm.Name} in state ALARM triggered policy {policy.Name}";

    private static bool Cooling(DateTimeOffset? last, int? seconds, double scale, DateTimeOffset now) =>
        last is { } at && now < at + ((seconds is { } s ? TimeSpan.FromSeconds(s) : DefaultCooldown) * scale);

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
