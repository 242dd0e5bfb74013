using System.Text.Json.Serialization.Metadata;
using Berth.AutoScaling.Api;
using Berth.AutoScaling.Model;
using Berth.AutoScaling.Scaling;
using Berth.AutoScaling.State;
using Berth.CloudWatch.Alarms;
using Berth.Protocol.Dispatch;
using Berth.Storage.Commit;

namespace Berth.AutoScaling;

/// <summary>
/// Wires Application Auto Scaling's operations (target prefix <c>AnyScaleFrontendService</c>, signing name
/// <c>application-autoscaling</c>) into the dispatch table: reads on the current snapshot, writes through its pipeline
/// as pure decisions; a target-tracking policy's alarms are put into the alarm book once the policy is committed.
/// </summary>
public sealed class AutoScalingApi(CommitPipeline<AutoScalingState> pipeline, AlarmBook alarms, IScalableResources resources, TimeProvider time, TimeSpan metricPeriod)
{
    private static readonly WireJsonContext Json = WireJsonContext.Default;

    /// <summary>Where new ids come from.</summary>
    public Func<Guid> Ids { get; init; } = Guid.NewGuid;

    /// <summary>Puts the alarms of every committed target-tracking policy (after a restart: alarms live in memory).</summary>
    public void RestoreAlarms(string accountId)
    {
        foreach (var policy in pipeline.Current.Policies.Values)
        {
            PutAlarms(policy, policy.Region, accountId);
        }
    }

    /// <summary>Adds every operation Berth implements to <paramref name="table"/>.</summary>
    public void Register(DispatchTable table)
    {
        Add(table, "RegisterScalableTarget", Json.RegisterScalableTargetRequest, Json.RegisterScalableTargetResponse, async (c, r) =>
        {
            var exists = r.ResourceId is not null && resources.DesiredCount(c.Region, r.ResourceId) is not null;
            var target = await pipeline.ExecuteAsync(s => ScalingDecisions.Register(s, Scope(c), Ids, time.GetUtcNow(), r, exists));
            return new RegisterScalableTargetResponse { ScalableTargetARN = target.Arn };
        });
        Add(table, "DeregisterScalableTarget", Json.DeregisterScalableTargetRequest, Json.DeregisterScalableTargetResponse, async (c, r) =>
        {
            var policies = await pipeline.ExecuteAsync(s => ScalingDecisions.Deregister(s, Scope(c), r));
            alarms.DeleteOwned(policies.SelectMany(PolicyAlarms.Names));
            return new DeregisterScalableTargetResponse();
        });
        Add(table, "DescribeScalableTargets", Json.DescribeScalableTargetsRequest, Json.DescribeScalableTargetsResponse, (c, r) =>
            ValueTask.FromResult(ScalingDecisions.DescribeTargets(pipeline.Current, Scope(c), r)));
        Add(table, "PutScalingPolicy", Json.PutScalingPolicyRequest, Json.PutScalingPolicyResponse, async (c, r) =>
        {
            var key = r.ResourceId is null || r.ScalableDimension is null || r.PolicyName is null
                ? null
                : AutoScalingState.ChildKey(AutoScalingState.TargetKey(c.Region, r.ResourceId, r.ScalableDimension), r.PolicyName);
            var before = key is not null && pipeline.Current.Policies.TryGetValue(key, out var had) ? had : null;
            var policy = await pipeline.ExecuteAsync(s => ScalingDecisions.PutPolicy(s, Scope(c), Ids, time.GetUtcNow(), r));
            var owned = PutAlarms(policy, c.Region, c.AccountId);

            // A policy that changed type, or now disables scale-in, no longer owns some of its old alarms.
            if (before is not null)
            {
                alarms.DeleteOwned(PolicyAlarms.Names(before).Except(owned.Select(a => a.AlarmName!), StringComparer.Ordinal));
            }
            return new PutScalingPolicyResponse { PolicyARN = policy.Arn, Alarms = owned };
        });
        Add(table, "DeleteScalingPolicy", Json.DeleteScalingPolicyRequest, Json.DeleteScalingPolicyResponse, async (c, r) =>
        {
            var policy = await pipeline.ExecuteAsync(s => ScalingDecisions.DeletePolicy(s, Scope(c), r));
            alarms.DeleteOwned(PolicyAlarms.Names(policy));
            return new DeleteScalingPolicyResponse();
        });
        Add(table, "DescribeScalingPolicies", Json.DescribeScalingPoliciesRequest, Json.DescribeScalingPoliciesResponse, (c, r) =>
        {
            var (page, next) = ScalingDecisions.DescribePolicies(pipeline.Current, Scope(c), r);
            return ValueTask.FromResult(new DescribeScalingPoliciesResponse
            {
                ScalingPolicies = [.. page.Select(p => ScalingViews.Policy(p, AlarmsOf(p)))],
                NextToken = next,
            });
        });
        Add(table, "DescribeScalingActivities", Json.DescribeScalingActivitiesRequest, Json.DescribeScalingActivitiesResponse, (c, r) =>
            ValueTask.FromResult(ScalingDecisions.DescribeActivities(pipeline.Current, Scope(c), r)));
        Add(table, "PutScheduledAction", Json.PutScheduledActionRequest, Json.PutScheduledActionResponse, async (c, r) =>
        {
            await pipeline.ExecuteAsync(s => ScalingDecisions.PutScheduledAction(s, Scope(c), Ids, time.GetUtcNow(), r));
            return new PutScheduledActionResponse();
        });
        Add(table, "DeleteScheduledAction", Json.DeleteScheduledActionRequest, Json.DeleteScheduledActionResponse, async (c, r) =>
        {
            await pipeline.ExecuteAsync(s => ScalingDecisions.DeleteScheduledAction(s, Scope(c), r));
            return new DeleteScheduledActionResponse();
        });
        Add(table, "DescribeScheduledActions", Json.DescribeScheduledActionsRequest, Json.DescribeScheduledActionsResponse, (c, r) =>
            ValueTask.FromResult(ScalingDecisions.DescribeScheduledActions(pipeline.Current, Scope(c), r)));
        Add(table, "TagResource", Json.TagResourceRequest, Json.TagResourceResponse, async (c, r) =>
        {
            if (r.Tags is null)
            {
                throw AutoScalingErrors.Missing("tags");
            }

            await pipeline.ExecuteAsync(s => ScalingDecisions.Tag(s, r.ResourceARN, r.Tags, null));
            return new TagResourceResponse();
        });
        Add(table, "UntagResource", Json.UntagResourceRequest, Json.UntagResourceResponse, async (c, r) =>
        {
            if (r.TagKeys is null)
            {
                throw AutoScalingErrors.Missing("tagKeys");
            }

            await pipeline.ExecuteAsync(s => ScalingDecisions.Tag(s, r.ResourceARN, null, r.TagKeys));
            return new UntagResourceResponse();
        });
        Add(table, "ListTagsForResource", Json.ListTagsForResourceRequest, Json.ListTagsForResourceResponse, (c, r) =>
        {
            var target = ScalingDecisions.FindByArn(pipeline.Current, r.ResourceARN);
            return ValueTask.FromResult(new ListTagsForResourceResponse { Tags = target.Tags.ToDictionary(StringComparer.Ordinal) });
        });
    }

    private List<Alarm> PutAlarms(ScalingPolicyRecord policy, string region, string accountId)
    {
        var owned = new List<Alarm>();
        foreach (var input in PolicyAlarms.For(policy))
        {
            alarms.PutOwned(input, region, accountId, metricPeriod);
            owned.Add(new Alarm { AlarmName = input.AlarmName, AlarmARN = $"arn:aws:cloudwatch:{region}:{accountId}:alarm:{input.AlarmName}" });
        }

        return owned;
    }

    // A target-tracking policy's own alarms; a step policy's are those whose actions name it.
    private List<Alarm> AlarmsOf(ScalingPolicyRecord policy)
    {
        var readings = policy.TargetTracking is null
            ? alarms.WithAction(policy.Arn)
            : [.. PolicyAlarms.For(policy).Select(a => alarms.Read(a.AlarmName!)).OfType<AlarmReading>()];
        return [.. readings.Select(a => new Alarm { AlarmName = a.Name, AlarmARN = a.Arn })];
    }

    private static AasScope Scope(RequestContext c) => new(c.Region, c.AccountId);

    private static void Add<TInput, TOutput>(DispatchTable table, string name, JsonTypeInfo<TInput> input, JsonTypeInfo<TOutput> output, Func<RequestContext, TInput, ValueTask<TOutput>> handler)
        where TInput : class, new()
        => table.Add(WireOperations.TargetPrefix, name, WireOperations.SigningName, input, output, handler);
}
