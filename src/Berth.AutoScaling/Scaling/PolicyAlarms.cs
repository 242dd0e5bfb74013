using Berth.AutoScaling.State;
using Berth.CloudWatch.Model;

namespace Berth.AutoScaling.Scaling;

/// <summary>
/// The CloudWatch alarms a target-tracking policy creates and owns, named and shaped as Application Auto Scaling makes
/// them: <c>TargetTracking-RESOURCE-AlarmHigh-UUID</c> (the metric above the target for 3 of 3 one-minute periods)
/// and <c>TargetTracking-RESOURCE-AlarmLow-UUID</c> (below 90 % of the target for 15 of 15), both with the policy's
/// ARN as their action.
/// </summary>
public static class PolicyAlarms
{
    /// <summary>Datapoints (and periods) of the AlarmHigh.</summary>
    public const int HighPeriods = 3;

    /// <summary>Datapoints (and periods) of the AlarmLow.</summary>
    public const int LowPeriods = 15;

    /// <summary>The AlarmLow's threshold as a fraction of the target.</summary>
    public const double LowFraction = 0.9;

    /// <summary>The AlarmHigh's name.</summary>
    public static string HighName(ScalingPolicyRecord p) => $"TargetTracking-{p.ResourceId}-AlarmHigh-{p.TargetTracking!.AlarmId}";

    /// <summary>The AlarmLow's name.</summary>
    public static string LowName(ScalingPolicyRecord p) => $"TargetTracking-{p.ResourceId}-AlarmLow-{p.TargetTracking!.AlarmId}";

    /// <summary>The names of the alarms a policy owns (none for a step policy: its alarms are the user's).</summary>
    public static IReadOnlyList<string> Names(ScalingPolicyRecord p) => p.TargetTracking is null ? [] : [HighName(p), LowName(p)];

    /// <summary>The PutMetricAlarm inputs of a target-tracking policy's alarms (high, then low; none when scale-in is disabled for the low).</summary>
    public static IReadOnlyList<PutMetricAlarmInput> For(ScalingPolicyRecord p)
    {
        var t = p.TargetTracking;
        if (t is null)
        {
            return [];
        }

        var alarms = new List<PutMetricAlarmInput> { Input(p, HighName(p), HighPeriods, t.TargetValue, "GreaterThanThreshold") };
        if (!t.DisableScaleIn)
        {
            alarms.Add(Input(p, LowName(p), LowPeriods, t.TargetValue * LowFraction, "LessThanThreshold"));
        }

        return alarms;
    }

    private static PutMetricAlarmInput Input(ScalingPolicyRecord p, string name, int periods, double threshold, string comparison) => new()
    {
        AlarmName = name,
        AlarmDescription = $"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {p.Arn}.",
        ActionsEnabled = true,
        AlarmActions = [p.Arn],
        MetricName = p.TargetTracking!.Metric.MetricName,
        Namespace = p.TargetTracking.Metric.Namespace,
        Statistic = p.TargetTracking.Metric.Statistic,
        Dimensions = [.. p.TargetTracking.Metric.Dimensions.Select(d => new Dimension { Name = d.Key, Value = d.Value })],
        Unit = p.TargetTracking.Metric.Unit,
        Period = 60,
        EvaluationPeriods = periods,
        DatapointsToAlarm = periods,
        Threshold = threshold,
        ComparisonOperator = comparison,
        TreatMissingData = "missing",
    };
}
