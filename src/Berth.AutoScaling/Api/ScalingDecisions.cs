using System.Collections.Immutable;
using System.Globalization;
using Berth.AutoScaling.Model;
using Berth.AutoScaling.State;
using Berth.Events.Schedules;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.AutoScaling.Api;

/// <summary>Where a request is made: region and account.</summary>
/// <param name="Region">The request's region.</param>
/// <param name="AccountId">The account.</param>
public sealed record AasScope(string Region, string AccountId);

/// <summary>
/// Application Auto Scaling's operations as pure decisions (state, request, time, ids → next state, mutations,
/// answer) with its validation and errors. Only <c>ecs</c> / <c>service/CLUSTER/SERVICE</c> /
/// <c>ecs:service:DesiredCount</c> is a scalable resource in Berth.
/// </summary>
public static class ScalingDecisions
{
    /// <summary>ECS's namespace.</summary>
    public const string Namespace = "ecs";

    /// <summary>ECS's one scalable dimension.</summary>
    public const string Dimension = "ecs:service:DesiredCount";

    /// <summary>Scaling policies per scalable target (AWS's quota).</summary>
    public const int MaxPoliciesPerTarget = 50;

    /// <summary>Scheduled actions per scalable target (AWS's quota).</summary>
    public const int MaxScheduledActionsPerTarget = 200;

    /// <summary>Scalable targets per namespace and region (AWS's quota).</summary>
    public const int MaxTargets = 3000;

    /// <summary>The cluster and service names of a <c>service/CLUSTER/SERVICE</c> resource id, or null.</summary>
    public static (string Cluster, string Service)? ParseResource(string resourceId)
    {
        var parts = resourceId.Split('/');
        return parts is ["service", { Length: > 0 } cluster, { Length: > 0 } service] ? (cluster, service) : null;
    }

    /// <summary>Checks namespace, resource id and dimension; returns the target key.</summary>
    public static string CheckResource(AasScope scope, string? ns, string? resourceId, string? dimension)
    {
        CheckNamespace(ns);
        if (resourceId is null)
        {
            throw AutoScalingErrors.Missing("resourceId");
        }

        if (resourceId.Length is 0 or > 1600)
        {
            throw AutoScalingErrors.Constraint(resourceId, "resourceId", "Member must have length less than or equal to 1600");
        }

        if (dimension is null)
        {
            throw AutoScalingErrors.Missing("scalableDimension");
        }

        CheckDimension(dimension);
        if (dimension != Dimension || ParseResource(resourceId) is null)
        {
            throw AutoScalingErrors.Unsupported();
        }

        return AutoScalingState.TargetKey(scope.Region, resourceId, dimension);
    }

    /// <summary>RegisterScalableTarget: creates the target, or updates the given members of an existing one.</summary>
    public static Decision<AutoScalingState, ScalableTargetRecord> Register(AutoScalingState state, AasScope scope, Func<Guid> ids, DateTimeOffset now, RegisterScalableTargetRequest r, bool resourceExists)
    {
        var key = CheckResource(scope, r.ServiceNamespace, r.ResourceId, r.ScalableDimension);
        CheckCapacity(r.MinCapacity, "minCapacity");
        CheckCapacity(r.MaxCapacity, "maxCapacity");
        CheckTags(r.Tags);
        state.Targets.TryGetValue(key, out var had);
        if (had is null && (r.MinCapacity is null || r.MaxCapacity is null))
        {
            throw AutoScalingErrors.Validation("MinCapacity and MaxCapacity are required for registering a new scalable target.");
        }

        if (!resourceExists)
        {
            throw AutoScalingErrors.Validation($"ECS service doesn't exist: {r.ResourceId}");
        }

        var min = r.MinCapacity ?? had!.Min;
        var max = r.MaxCapacity ?? had!.Max;
        if (min > max)
        {
            throw AutoScalingErrors.Validation("Minimum capacity cannot be greater than maximum capacity");
        }

        if (had is null && state.Targets.Values.Count(t => t.Region == scope.Region) >= MaxTargets)
        {
            throw AutoScalingErrors.Limit($"The number of scalable targets for service namespace {Namespace} exceeds the limit of {MaxTargets}.");
        }

        var s = r.SuspendedState;
        var old = had?.Suspended ?? Suspension.None;
        var suspended = new Suspension(
            s?.DynamicScalingInSuspended ?? old.DynamicIn,
            s?.DynamicScalingOutSuspended ?? old.DynamicOut,
            s?.ScheduledScalingSuspended ?? old.Scheduled);
        var target = had is null
            ? new ScalableTargetRecord
            {
                Region = scope.Region,
                ResourceId = r.ResourceId!,
                Dimension = r.ScalableDimension!,
                Arn = $"arn:aws:application-autoscaling:{scope.Region}:{scope.AccountId}:scalable-target/0ec5{ids():N}",
                Min = min,
                Max = max,
                RoleArn = r.RoleARN ?? $"arn:aws:iam::{scope.AccountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
                Suspended = suspended,
                CreatedAt = now,
                Tags = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, r.Tags ?? []),
            }
            : had with { Min = min, Max = max, RoleArn = r.RoleARN ?? had.RoleArn, Suspended = suspended };
        return new(state with { Targets = state.Targets.SetItem(key, target) }, [AutoScalingCodec.Put(target)], target);
    }

    /// <summary>DeregisterScalableTarget: removes the target with its policies and scheduled actions (their alarms go with them).</summary>
    public static Decision<AutoScalingState, IReadOnlyList<ScalingPolicyRecord>> Deregister(AutoScalingState state, AasScope scope, DeregisterScalableTargetRequest r)
    {
        var key = CheckResource(scope, r.ServiceNamespace, r.ResourceId, r.ScalableDimension);
        RequireTarget(state, key, r.ServiceNamespace!, r.ResourceId!, r.ScalableDimension!);
        var policies = state.PoliciesOf(key).ToList();
        var actions = state.ScheduledActionsOf(key).ToList();
        var mutations = new List<Mutation> { Mutation.Delete(AutoScalingCodec.TargetKind, key) };
        mutations.AddRange(policies.Select(p => Mutation.Delete(AutoScalingCodec.PolicyKind, AutoScalingCodec.KeyOf(p))));
        mutations.AddRange(actions.Select(a => Mutation.Delete(AutoScalingCodec.ScheduledKind, AutoScalingCodec.KeyOf(a))));
        var next = state with
        {
            Targets = state.Targets.Remove(key),
            Policies = state.Policies.RemoveRange(policies.Select(AutoScalingCodec.KeyOf)),
            ScheduledActions = state.ScheduledActions.RemoveRange(actions.Select(AutoScalingCodec.KeyOf)),
        };
        return new(next, mutations, policies);
    }

    /// <summary>DescribeScalableTargets.</summary>
    public static DescribeScalableTargetsResponse DescribeTargets(AutoScalingState state, AasScope scope, DescribeScalableTargetsRequest r)
    {
        CheckNamespace(r.ServiceNamespace);
        if (r.ScalableDimension is { } d)
        {
            CheckDimension(d);
        }

        var (offset, size) = Paging(r.MaxResults, r.NextToken);
        var matching = state.Targets.Values
            .Where(t => t.Region == scope.Region && r.ServiceNamespace == Namespace
                && (r.ResourceIds is not { Count: > 0 } ids || ids.Contains(t.ResourceId))
                && (r.ScalableDimension is null || r.ScalableDimension == t.Dimension))
            .ToList();
        var page = matching.Skip(offset).Take(size).Select(ScalingViews.Target).ToList();
        return new DescribeScalableTargetsResponse { ScalableTargets = page, NextToken = Next(offset, size, matching.Count) };
    }

    /// <summary>
    /// PutScalingPolicy: creates or replaces a target-tracking or step policy. A target-tracking policy keeps the
    /// uuid of its alarms' names across updates (the caller re-puts those alarms).
    /// </summary>
    public static Decision<AutoScalingState, ScalingPolicyRecord> PutPolicy(AutoScalingState state, AasScope scope, Func<Guid> ids, DateTimeOffset now, PutScalingPolicyRequest r)
    {
        if (r.PolicyName is null)
        {
            throw AutoScalingErrors.Missing("policyName");
        }

        if (r.PolicyName.Length is 0 or > 256)
        {
            throw AutoScalingErrors.Constraint(r.PolicyName, "policyName", "Member must have length less than or equal to 256");
        }

        var key = CheckResource(scope, r.ServiceNamespace, r.ResourceId, r.ScalableDimension);
        var type = r.PolicyType ?? "StepScaling";
        if (Array.IndexOf(WireEnums.PolicyType, type) < 0)
        {
            throw AutoScalingErrors.Constraint(type, "policyType", $"Member must satisfy enum value set: [{string.Join(", ", WireEnums.PolicyType)}]");
        }

        if (type == "PredictiveScaling")
        {
            throw AutoScalingErrors.Validation("Unsupported policy type PredictiveScaling for service namespace ecs in Berth; use TargetTrackingScaling or StepScaling.");
        }

        RequireTarget(state, key, r.ServiceNamespace!, r.ResourceId!, r.ScalableDimension!);
        var policyKey = AutoScalingState.ChildKey(key, r.PolicyName);
        state.Policies.TryGetValue(policyKey, out var had);
        if (had is null && state.PoliciesOf(key).Count() >= MaxPoliciesPerTarget)
        {
            throw AutoScalingErrors.Limit($"Exceeded the limit of {MaxPoliciesPerTarget} scaling policies for resource {r.ResourceId}");
        }

        TargetTrackingConfig? tracking = null;
        StepScalingConfig? step = null;
        if (type == "TargetTrackingScaling")
        {
            if (r.StepScalingPolicyConfiguration is not null)
            {
                throw AutoScalingErrors.Validation("StepScalingPolicyConfiguration is not allowed for TargetTrackingScaling policy type");
            }

            var c = r.TargetTrackingScalingPolicyConfiguration
                ?? throw AutoScalingErrors.Validation("TargetTrackingScalingPolicyConfiguration is required for TargetTrackingScaling policy type");
            tracking = Tracking(c, r.ResourceId!, had?.TargetTracking?.AlarmId ?? ids().ToString());
        }
        else
        {
            if (r.TargetTrackingScalingPolicyConfiguration is not null)
            {
                throw AutoScalingErrors.Validation("TargetTrackingScalingPolicyConfiguration is not allowed for StepScaling policy type");
            }

            var c = r.StepScalingPolicyConfiguration
                ?? throw AutoScalingErrors.Validation("StepScalingPolicyConfiguration is required for StepScaling policy type");
            step = Step(c);
        }

        var policy = new ScalingPolicyRecord
        {
            Region = scope.Region,
            ResourceId = r.ResourceId!,
            Dimension = r.ScalableDimension!,
            Name = r.PolicyName,
            Arn = had?.Arn ?? $"arn:aws:autoscaling:{scope.Region}:{scope.AccountId}:scalingPolicy:{ids()}:resource/{Namespace}/{r.ResourceId}:policyName/{r.PolicyName}",
            TargetTracking = tracking,
            Step = step,
            CreatedAt = had?.CreatedAt ?? now,
            LastScaledAt = had?.LastScaledAt,
        };
        return new(state with { Policies = state.Policies.SetItem(policyKey, policy) }, [AutoScalingCodec.Put(policy)], policy);
    }

    /// <summary>DeleteScalingPolicy: the deleted policy (its alarms go with it).</summary>
    public static Decision<AutoScalingState, ScalingPolicyRecord> DeletePolicy(AutoScalingState state, AasScope scope, DeleteScalingPolicyRequest r)
    {
        if (r.PolicyName is null)
        {
            throw AutoScalingErrors.Missing("policyName");
        }

        var key = CheckResource(scope, r.ServiceNamespace, r.ResourceId, r.ScalableDimension);
        var policyKey = AutoScalingState.ChildKey(key, r.PolicyName);
        if (!state.Policies.TryGetValue(policyKey, out var policy))
        {
            throw AutoScalingErrors.NoPolicy(r.ServiceNamespace!, r.ResourceId!, r.ScalableDimension!, r.PolicyName);
        }

        return new(state with { Policies = state.Policies.Remove(policyKey) }, [Mutation.Delete(AutoScalingCodec.PolicyKind, policyKey)], policy);
    }

    /// <summary>The policies DescribeScalingPolicies answers, in order, with the paging token.</summary>
    public static (List<ScalingPolicyRecord> Page, string? Next) DescribePolicies(AutoScalingState state, AasScope scope, DescribeScalingPoliciesRequest r)
    {
        CheckNamespace(r.ServiceNamespace);
        if (r.ScalableDimension is { } d)
        {
            CheckDimension(d);
        }

        var (offset, size) = Paging(r.MaxResults, r.NextToken, 10);
        var matching = state.Policies.Values
            .Where(p => p.Region == scope.Region && r.ServiceNamespace == Namespace
                && (r.ResourceId is null || r.ResourceId == p.ResourceId)
                && (r.ScalableDimension is null || r.ScalableDimension == p.Dimension)
                && (r.PolicyNames is not { Count: > 0 } names || names.Contains(p.Name)))
            .ToList();
        return ([.. matching.Skip(offset).Take(size)], Next(offset, size, matching.Count));
    }

    /// <summary>DescribeScalingActivities: the most recent first.</summary>
    public static DescribeScalingActivitiesResponse DescribeActivities(AutoScalingState state, AasScope scope, DescribeScalingActivitiesRequest r)
    {
        CheckNamespace(r.ServiceNamespace);
        if (r.ScalableDimension is { } d)
        {
            CheckDimension(d);
        }

        var (offset, size) = Paging(r.MaxResults, r.NextToken);
        var matching = state.Activities.Values
            .Where(a => a.Region == scope.Region && r.ServiceNamespace == Namespace
                && (r.ResourceId is null || r.ResourceId == a.ResourceId)
                && (r.ScalableDimension is null || r.ScalableDimension == a.Dimension))
            .OrderByDescending(a => a.StartTime).ThenByDescending(a => a.Id, StringComparer.Ordinal)
            .ToList();
        return new DescribeScalingActivitiesResponse
        {
            ScalingActivities = [.. matching.Skip(offset).Take(size).Select(ScalingViews.Activity)],
            NextToken = Next(offset, size, matching.Count),
        };
    }

    /// <summary>PutScheduledAction: creates the action, or changes the given members of an existing one.</summary>
    public static Decision<AutoScalingState, ScheduledActionRecord> PutScheduledAction(AutoScalingState state, AasScope scope, Func<Guid> ids, DateTimeOffset now, PutScheduledActionRequest r)
    {
        if (r.ScheduledActionName is null)
        {
            throw AutoScalingErrors.Missing("scheduledActionName");
        }

        if (r.ScheduledActionName.Length is 0 or > 256)
        {
            throw AutoScalingErrors.Constraint(r.ScheduledActionName, "scheduledActionName", "Member must have length less than or equal to 256");
        }

        var key = CheckResource(scope, r.ServiceNamespace, r.ResourceId, r.ScalableDimension);
        RequireTarget(state, key, r.ServiceNamespace!, r.ResourceId!, r.ScalableDimension!);
        var actionKey = AutoScalingState.ChildKey(key, r.ScheduledActionName);
        state.ScheduledActions.TryGetValue(actionKey, out var had);
        if (had is null && state.ScheduledActionsOf(key).Count() >= MaxScheduledActionsPerTarget)
        {
            throw AutoScalingErrors.Limit($"Exceeded the limit of {MaxScheduledActionsPerTarget} scheduled actions for resource {r.ResourceId}");
        }

        var schedule = r.Schedule ?? had?.Schedule ?? throw AutoScalingErrors.Validation("Schedule is required for a new scheduled action.");
        if (!ScheduleExpression.TryParse(schedule, ScheduleDialect.Scheduler, out _, out _))
        {
            throw AutoScalingErrors.Validation($"Schedule expression is not valid: {schedule}");
        }

        var timezone = r.Timezone ?? had?.Timezone;
        if (timezone is not null)
        {
            _ = Zone(timezone) ?? throw AutoScalingErrors.Validation($"Time zone is not valid: {timezone}");
        }

        CheckCapacity(r.ScalableTargetAction?.MinCapacity, "scalableTargetAction.minCapacity");
        CheckCapacity(r.ScalableTargetAction?.MaxCapacity, "scalableTargetAction.maxCapacity");
        var min = r.ScalableTargetAction is null ? had?.Min : r.ScalableTargetAction.MinCapacity;
        var max = r.ScalableTargetAction is null ? had?.Max : r.ScalableTargetAction.MaxCapacity;
        if (min is null && max is null)
        {
            throw AutoScalingErrors.Validation("ScalableTargetAction must specify at least one of MinCapacity or MaxCapacity.");
        }

        if (min > max)
        {
            throw AutoScalingErrors.Validation("Minimum capacity cannot be greater than maximum capacity");
        }

        var start = r.StartTime ?? had?.StartTime;
        var end = r.EndTime ?? had?.EndTime;
        if (start is not null && end is not null && start >= end)
        {
            throw AutoScalingErrors.Validation("The start time must be before the end time.");
        }

        var action = new ScheduledActionRecord
        {
            Region = scope.Region,
            ResourceId = r.ResourceId!,
            Dimension = r.ScalableDimension!,
            Name = r.ScheduledActionName,
            Arn = had?.Arn ?? $"arn:aws:autoscaling:{scope.Region}:{scope.AccountId}:scheduledAction:{ids()}:resource/{Namespace}/{r.ResourceId}:scheduledActionName/{r.ScheduledActionName}",
            Schedule = schedule,
            Timezone = timezone,
            StartTime = start,
            EndTime = end,
            Min = min,
            Max = max,
            CreatedAt = had?.CreatedAt ?? now,

            // A changed schedule starts counting from now: what was due under the old one is not run late.
            LastRun = had is not null && had.Schedule == schedule && had.Timezone == timezone ? had.LastRun : now,
        };
        return new(state with { ScheduledActions = state.ScheduledActions.SetItem(actionKey, action) }, [AutoScalingCodec.Put(action)], action);
    }

    /// <summary>DeleteScheduledAction.</summary>
    public static Decision<AutoScalingState, ScheduledActionRecord> DeleteScheduledAction(AutoScalingState state, AasScope scope, DeleteScheduledActionRequest r)
    {
        if (r.ScheduledActionName is null)
        {
            throw AutoScalingErrors.Missing("scheduledActionName");
        }

        var key = CheckResource(scope, r.ServiceNamespace, r.ResourceId, r.ScalableDimension);
        var actionKey = AutoScalingState.ChildKey(key, r.ScheduledActionName);
        if (!state.ScheduledActions.TryGetValue(actionKey, out var action))
        {
            throw AutoScalingErrors.NoScheduledAction(r.ServiceNamespace!, r.ResourceId!, r.ScalableDimension!, r.ScheduledActionName);
        }

        return new(state with { ScheduledActions = state.ScheduledActions.Remove(actionKey) }, [Mutation.Delete(AutoScalingCodec.ScheduledKind, actionKey)], action);
    }

    /// <summary>DescribeScheduledActions.</summary>
    public static DescribeScheduledActionsResponse DescribeScheduledActions(AutoScalingState state, AasScope scope, DescribeScheduledActionsRequest r)
    {
        CheckNamespace(r.ServiceNamespace);
        if (r.ScalableDimension is { } d)
        {
            CheckDimension(d);
        }

        var (offset, size) = Paging(r.MaxResults, r.NextToken);
        var matching = state.ScheduledActions.Values
            .Where(a => a.Region == scope.Region && r.ServiceNamespace == Namespace
                && (r.ResourceId is null || r.ResourceId == a.ResourceId)
                && (r.ScalableDimension is null || r.ScalableDimension == a.Dimension)
                && (r.ScheduledActionNames is not { Count: > 0 } names || names.Contains(a.Name)))
            .ToList();
        return new DescribeScheduledActionsResponse
        {
            ScheduledActions = [.. matching.Skip(offset).Take(size).Select(ScalingViews.ScheduledAction)],
            NextToken = Next(offset, size, matching.Count),
        };
    }

    /// <summary>TagResource / UntagResource: the target's tags changed.</summary>
    public static Decision<AutoScalingState, ScalableTargetRecord> Tag(AutoScalingState state, string? arn, IReadOnlyDictionary<string, string>? add, IReadOnlyList<string>? remove)
    {
        var target = FindByArn(state, arn);
        CheckTags(add);
        var tags = target.Tags.SetItems(add ?? new Dictionary<string, string>()).RemoveRange(remove ?? []);
        if (tags.Count > 50)
        {
            throw AutoScalingErrors.TooManyTags();
        }

        var next = target with { Tags = tags };
        return new(state with { Targets = state.Targets.SetItem(AutoScalingState.TargetKey(next.Region, next.ResourceId, next.Dimension), next) }, [AutoScalingCodec.Put(next)], next);
    }

    /// <summary>The target with ARN <paramref name="arn"/> (ResourceNotFoundException otherwise).</summary>
    public static ScalableTargetRecord FindByArn(AutoScalingState state, string? arn)
    {
        if (arn is null)
        {
            throw AutoScalingErrors.Missing("resourceARN");
        }

        return state.Targets.Values.FirstOrDefault(t => t.Arn == arn) ?? throw AutoScalingErrors.NoResource(arn);
    }

    /// <summary>An IANA zone by id, or null.</summary>
    public static TimeZoneInfo? Zone(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            return null;
        }
        catch (InvalidTimeZoneException)
        {
            return null;
        }
    }

    private static TargetTrackingConfig Tracking(TargetTrackingScalingPolicyConfiguration c, string resourceId, string alarmId)
    {
        var target = c.TargetValue ?? throw AutoScalingErrors.Missing("targetTrackingScalingPolicyConfiguration.targetValue");
        if (!(target > 0) || double.IsInfinity(target))
        {
            throw AutoScalingErrors.Validation("The target value must be greater than 0.");
        }

        CheckCooldown(c.ScaleOutCooldown, "targetTrackingScalingPolicyConfiguration.scaleOutCooldown");
        CheckCooldown(c.ScaleInCooldown, "targetTrackingScalingPolicyConfiguration.scaleInCooldown");
        var (cluster, service) = ParseResource(resourceId)!.Value;
        TrackedMetric metric;
        string? predefined = null;
        string? label = null;
        if (c.PredefinedMetricSpecification is { } p)
        {
            if (c.CustomizedMetricSpecification is not null)
            {
                throw AutoScalingErrors.Validation("Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified.");
            }

            predefined = p.PredefinedMetricType ?? throw AutoScalingErrors.Missing("targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType");
            label = p.ResourceLabel;
            ImmutableArray<KeyValuePair<string, string>> service2 = [new("ClusterName", cluster), new("ServiceName", service)];
            metric = predefined switch
            {
                "ECSServiceAverageCPUUtilization" => new TrackedMetric("AWS/ECS", "CPUUtilization", service2, "Average", null),
                "ECSServiceAverageMemoryUtilization" => new TrackedMetric("AWS/ECS", "MemoryUtilization", service2, "Average", null),
                "ALBRequestCountPerTarget" => new TrackedMetric("AWS/ApplicationELB", "RequestCountPerTarget", [new("TargetGroup", TargetGroupOf(label))], "Sum", null),
                _ when Array.IndexOf(WireEnums.MetricType, predefined) >= 0 => throw AutoScalingErrors.Validation($"Unsupported metric type {predefined} for service namespace ecs"),
                _ => throw AutoScalingErrors.Constraint(predefined, "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType", "Member must satisfy enum value set"),
            };
        }
        else if (c.CustomizedMetricSpecification is { } m)
        {
            if (m.Metrics is { Count: > 0 })
            {
                throw AutoScalingErrors.Validation("Metric math in a CustomizedMetricSpecification is not supported by Berth; name one metric with MetricName, Namespace and Statistic.");
            }

            var name = m.MetricName ?? throw AutoScalingErrors.Validation("MetricName is required in a CustomizedMetricSpecification.");
            var ns = m.Namespace ?? throw AutoScalingErrors.Validation("Namespace is required in a CustomizedMetricSpecification.");
            var statistic = m.Statistic ?? throw AutoScalingErrors.Validation("Statistic is required in a CustomizedMetricSpecification.");
            if (Array.IndexOf(WireEnums.MetricStatistic, statistic) < 0)
            {
                throw AutoScalingErrors.Constraint(statistic, "targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.statistic", $"Member must satisfy enum value set: [{string.Join(", ", WireEnums.MetricStatistic)}]");
            }

            metric = new TrackedMetric(ns, name, [.. (m.Dimensions ?? []).Select(d => new KeyValuePair<string, string>(
                d.Name ?? throw AutoScalingErrors.Validation("A metric dimension needs a Name."),
                d.Value ?? throw AutoScalingErrors.Validation("A metric dimension needs a Value.")))], statistic, m.Unit);
        }
        else
        {
            throw AutoScalingErrors.Validation("Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified.");
        }

        return new TargetTrackingConfig
        {
            TargetValue = target,
            PredefinedMetricType = predefined,
            ResourceLabel = label,
            Customized = predefined is null,
            Metric = metric,
            ScaleOutCooldown = c.ScaleOutCooldown,
            ScaleInCooldown = c.ScaleInCooldown,
            DisableScaleIn = c.DisableScaleIn ?? false,
            AlarmId = alarmId,
        };
    }

    // app/LB/ID/targetgroup/TG/ID → targetgroup/TG/ID, the TargetGroup dimension of ALB's metrics.
    private static string TargetGroupOf(string? label)
    {
        var at = label?.IndexOf("/targetgroup/", StringComparison.Ordinal) ?? -1;
        if (label is null || !label.StartsWith("app/", StringComparison.Ordinal) || at < 0)
        {
            throw AutoScalingErrors.Validation($"ResourceLabel is not valid for ALBRequestCountPerTarget: {label ?? "null"}; expected app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>");
        }

        return label[(at + 1)..];
    }

    private static StepScalingConfig Step(StepScalingPolicyConfiguration c)
    {
        var type = c.AdjustmentType ?? throw AutoScalingErrors.Validation("AdjustmentType is required for a StepScaling policy.");
        if (Array.IndexOf(WireEnums.AdjustmentType, type) < 0)
        {
            throw AutoScalingErrors.Constraint(type, "stepScalingPolicyConfiguration.adjustmentType", $"Member must satisfy enum value set: [{string.Join(", ", WireEnums.AdjustmentType)}]");
        }

        if (c.MetricAggregationType is { } agg && Array.IndexOf(WireEnums.MetricAggregationType, agg) < 0)
        {
            throw AutoScalingErrors.Constraint(agg, "stepScalingPolicyConfiguration.metricAggregationType", $"Member must satisfy enum value set: [{string.Join(", ", WireEnums.MetricAggregationType)}]");
        }

        if (c.MinAdjustmentMagnitude is not null && type != "PercentChangeInCapacity")
        {
            throw AutoScalingErrors.Validation("MinAdjustmentMagnitude may only be specified when AdjustmentType is PercentChangeInCapacity");
        }

        if (c.MinAdjustmentMagnitude is < 0)
        {
            throw AutoScalingErrors.Validation("MinAdjustmentMagnitude must be greater than or equal to 0.");
        }

        CheckCooldown(c.Cooldown, "stepScalingPolicyConfiguration.cooldown");
        if (c.StepAdjustments is not { Count: > 0 } adjustments)
        {
            throw AutoScalingErrors.Validation("StepAdjustments must contain at least one step adjustment.");
        }

        var steps = adjustments.Select(a => new StepRecord(
            a.MetricIntervalLowerBound,
            a.MetricIntervalUpperBound,
            a.ScalingAdjustment ?? throw AutoScalingErrors.Validation("ScalingAdjustment is required in every step adjustment."))).ToList();
        if (steps.Any(s => s.Lower is null && s.Upper is null) && steps.Count > 1)
        {
            throw AutoScalingErrors.Validation("Step adjustments cannot overlap.");
        }

        if (steps.Any(s => s.Lower >= s.Upper))
        {
            throw AutoScalingErrors.Validation("The lower bound of a step adjustment must be less than its upper bound.");
        }

        if (type == "ExactCapacity" && steps.Any(s => s.Adjustment < 0))
        {
            throw AutoScalingErrors.Validation("ScalingAdjustment must be non-negative when AdjustmentType is ExactCapacity.");
        }

        // Sorted by lower bound, each step must begin where the previous ended.
        var sorted = steps.OrderBy(s => s.Lower ?? double.NegativeInfinity).ToList();
        for (var i = 1; i < sorted.Count; i++)
        {
            var previousUpper = sorted[i - 1].Upper ?? double.PositiveInfinity;
            var lower = sorted[i].Lower ?? double.NegativeInfinity;
            if (previousUpper > lower)
            {
                throw AutoScalingErrors.Validation("Step adjustments cannot overlap.");
            }

            if (previousUpper < lower)
            {
                throw AutoScalingErrors.Validation("There cannot be gaps between the step adjustments.");
            }
        }

        return new StepScalingConfig
        {
            AdjustmentType = type,
            Steps = [.. steps],
            MinAdjustmentMagnitude = c.MinAdjustmentMagnitude,
            Cooldown = c.Cooldown,
            MetricAggregationType = c.MetricAggregationType,
        };
    }

    private static ScalableTargetRecord RequireTarget(AutoScalingState state, string key, string ns, string resourceId, string dimension)
        => state.Targets.TryGetValue(key, out var t) ? t : throw AutoScalingErrors.NoTarget(ns, resourceId, dimension);

    private static void CheckNamespace(string? ns)
    {
        if (ns is null)
        {
            throw AutoScalingErrors.Missing("serviceNamespace");
        }

        if (Array.IndexOf(WireEnums.ServiceNamespace, ns) < 0)
        {
            throw AutoScalingErrors.Constraint(ns, "serviceNamespace", $"Member must satisfy enum value set: [{string.Join(", ", WireEnums.ServiceNamespace)}]");
        }

        if (ns != Namespace)
        {
            throw AutoScalingErrors.Unsupported();
        }
    }

    private static void CheckDimension(string dimension)
    {
        if (Array.IndexOf(WireEnums.ScalableDimension, dimension) < 0)
        {
            throw AutoScalingErrors.Constraint(dimension, "scalableDimension", $"Member must satisfy enum value set: [{string.Join(", ", WireEnums.ScalableDimension)}]");
        }
    }

    private static void CheckCapacity(int? value, string member)
    {
        if (value is < 0)
        {
            throw AutoScalingErrors.Constraint(value.Value.ToString(CultureInfo.InvariantCulture), member, "Member must have value greater than or equal to 0");
        }
    }

    private static void CheckCooldown(int? value, string member)
    {
        if (value is < 0)
        {
            throw AutoScalingErrors.Constraint(value.Value.ToString(CultureInfo.InvariantCulture), member, "Member must have value greater than or equal to 0");
        }
    }

    private static void CheckTags(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null)
        {
            return;
        }

        if (tags.Count > 50)
        {
            throw AutoScalingErrors.TooManyTags();
        }

        foreach (var (k, v) in tags)
        {
            if (k.Length is 0 or > 128 || k.StartsWith("aws:", StringComparison.Ordinal))
            {
                throw AutoScalingErrors.Validation($"Tag key is not valid: {k}");
            }

            if (v.Length > 256)
            {
                throw AutoScalingErrors.Validation($"Tag value is not valid for key {k}");
            }
        }
    }

    private static (int Offset, int Size) Paging(int? maxResults, string? token, int largest = 50)
    {
        if (maxResults is { } max && (max < 1 || max > largest))
        {
            throw AutoScalingErrors.Validation($"MaxResults must be between 1 and {largest}");
        }

        var offset = 0;
        if (token is not null && (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            throw AutoScalingErrors.NextToken();
        }

        return (offset, maxResults ?? largest);
    }

    private static string? Next(int offset, int size, int count) =>
        offset + size < count ? (offset + size).ToString(CultureInfo.InvariantCulture) : null;
}
