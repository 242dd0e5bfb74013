using Berth.AutoScaling.Model;
using Berth.AutoScaling.State;

namespace Berth.AutoScaling.Api;

/// <summary>The wire shapes of the stored records.</summary>
public static class ScalingViews
{
    /// <summary>A target as DescribeScalableTargets shows it.</summary>
    public static ScalableTarget Target(ScalableTargetRecord t) => new()
    {
        ServiceNamespace = ScalingDecisions.Namespace,
        ResourceId = t.ResourceId,
        ScalableDimension = t.Dimension,
        MinCapacity = t.Min,
        MaxCapacity = t.Max,
        RoleARN = t.RoleArn,
        CreationTime = t.CreatedAt,
        SuspendedState = new SuspendedState
        {
            DynamicScalingInSuspended = t.Suspended.DynamicIn,
            DynamicScalingOutSuspended = t.Suspended.DynamicOut,
            ScheduledScalingSuspended = t.Suspended.Scheduled,
        },
        ScalableTargetARN = t.Arn,
    };

    /// <summary>An activity as DescribeScalingActivities shows it.</summary>
    public static ScalingActivity Activity(ActivityRecord a) => new()
    {
        ActivityId = a.Id,
        ServiceNamespace = ScalingDecisions.Namespace,
        ResourceId = a.ResourceId,
        ScalableDimension = a.Dimension,
        Description = a.Description,
        Cause = a.Cause,
        StartTime = a.StartTime,
        EndTime = a.EndTime,
        StatusCode = a.StatusCode,
        StatusMessage = a.StatusMessage,
    };

    /// <summary>A scheduled action as DescribeScheduledActions shows it.</summary>
    public static ScheduledAction ScheduledAction(ScheduledActionRecord a) => new()
    {
        ScheduledActionName = a.Name,
        ScheduledActionARN = a.Arn,
        ServiceNamespace = ScalingDecisions.Namespace,
        Schedule = a.Schedule,
        Timezone = a.Timezone,
        ResourceId = a.ResourceId,
        ScalableDimension = a.Dimension,
        StartTime = a.StartTime,
        EndTime = a.EndTime,
        ScalableTargetAction = new ScalableTargetAction { MinCapacity = a.Min, MaxCapacity = a.Max },
        CreationTime = a.CreatedAt,
    };

    /// <summary>A policy as DescribeScalingPolicies shows it, with its alarms.</summary>
    public static ScalingPolicy Policy(ScalingPolicyRecord p, List<Alarm> alarms) => new()
    {
        PolicyARN = p.Arn,
        PolicyName = p.Name,
        ServiceNamespace = ScalingDecisions.Namespace,
        ResourceId = p.ResourceId,
        ScalableDimension = p.Dimension,
        PolicyType = p.PolicyType,
        TargetTrackingScalingPolicyConfiguration = p.TargetTracking is { } t ? Tracking(t) : null,
        StepScalingPolicyConfiguration = p.Step is { } s ? Step(s) : null,
        Alarms = alarms,
        CreationTime = p.CreatedAt,
    };

    private static TargetTrackingScalingPolicyConfiguration Tracking(TargetTrackingConfig t) => new()
    {
        TargetValue = t.TargetValue,
        PredefinedMetricSpecification = t.PredefinedMetricType is { } type
            ? new PredefinedMetricSpecification { PredefinedMetricType = type, ResourceLabel = t.ResourceLabel }
            : null,
        CustomizedMetricSpecification = t.Customized
            ? new CustomizedMetricSpecification
            {
                MetricName = t.Metric.MetricName,
                Namespace = t.Metric.Namespace,
                Dimensions = [.. t.Metric.Dimensions.Select(d => new MetricDimension { Name = d.Key, Value = d.Value })],
                Statistic = t.Metric.Statistic,
                Unit = t.Metric.Unit,
            }
            : null,
        ScaleOutCooldown = t.ScaleOutCooldown,
        ScaleInCooldown = t.ScaleInCooldown,
        DisableScaleIn = t.DisableScaleIn,
    };

    private static StepScalingPolicyConfiguration Step(StepScalingConfig s) => new()
    {
        AdjustmentType = s.AdjustmentType,
        StepAdjustments = [.. s.Steps.Select(x => new StepAdjustment { MetricIntervalLowerBound = x.Lower, MetricIntervalUpperBound = x.Upper, ScalingAdjustment = x.Adjustment })],
        MinAdjustmentMagnitude = s.MinAdjustmentMagnitude,
        Cooldown = s.Cooldown,
        MetricAggregationType = s.MetricAggregationType,
    };
}
