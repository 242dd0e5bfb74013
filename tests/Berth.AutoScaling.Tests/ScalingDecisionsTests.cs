using Berth.AutoScaling.Api;
using Berth.AutoScaling.Model;
using Berth.AutoScaling.Scaling;
using Berth.AutoScaling.State;
using Berth.Protocol.Errors;
using Berth.Storage.Documents;

namespace Berth.AutoScaling.Tests;

/// <summary>The operations' decisions: what they store, and AWS's errors for bad input (which store nothing).</summary>
public class ScalingDecisionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly AasScope Scope = new("us-east-1", "000000000000");
    private static int _id;

    private static Guid Id() => new(Interlocked.Increment(ref _id), 0, 0, new byte[8]);

    private static RegisterScalableTargetRequest Register(int? min = 1, int? max = 4, string resource = "service/default/web") => new()
    {
        ServiceNamespace = "ecs",
        ResourceId = resource,
        ScalableDimension = "ecs:service:DesiredCount",
        MinCapacity = min,
        MaxCapacity = max,
    };

    private static AutoScalingState Registered() => ScalingDecisions.Register(AutoScalingState.Empty, Scope, Id, Now, Register(), true).State;

    private static PutScalingPolicyRequest Cpu(double target = 50) => new()
    {
        PolicyName = "cpu",
        ServiceNamespace = "ecs",
        ResourceId = "service/default/web",
        ScalableDimension = "ecs:service:DesiredCount",
        PolicyType = "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration = new TargetTrackingScalingPolicyConfiguration
        {
            TargetValue = target,
            PredefinedMetricSpecification = new PredefinedMetricSpecification { PredefinedMetricType = "ECSServiceAverageCPUUtilization" },
            ScaleOutCooldown = 5,
        },
    };

    private static AwsException Refused(Action act) => Assert.IsAssignableFrom<AwsException>(Record.Exception(act));

    [Fact]
    public void Register_creates_then_updates_only_what_is_given()
    {
        var created = ScalingDecisions.Register(AutoScalingState.Empty, Scope, Id, Now, Register(1, 4), true);
        Assert.Equal((1, 4), (created.Result.Min, created.Result.Max));
        Assert.StartsWith("arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/0ec5", created.Result.Arn, StringComparison.Ordinal);
        var request = new RegisterScalableTargetRequest
        {
            ServiceNamespace = "ecs",
            ResourceId = "service/default/web",
            ScalableDimension = "ecs:service:DesiredCount",
            MaxCapacity = 8,
            SuspendedState = new SuspendedState { DynamicScalingInSuspended = true },
        };
        var updated = ScalingDecisions.Register(created.State, Scope, Id, Now, request, true).Result;
        Assert.Equal((1, 8, created.Result.Arn), (updated.Min, updated.Max, updated.Arn));
        Assert.Equal(new Suspension(true, false, false), updated.Suspended);
    }

    public static TheoryData<string, RegisterScalableTargetRequest, bool, string, string> BadRegisters => new()
    {
        { "no namespace", new RegisterScalableTargetRequest { ResourceId = "service/default/web", ScalableDimension = "ecs:service:DesiredCount", MinCapacity = 1, MaxCapacity = 2 }, true, "ValidationException", "1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null" },
        { "unknown namespace", new RegisterScalableTargetRequest { ServiceNamespace = "nope", ResourceId = "service/default/web", ScalableDimension = "ecs:service:DesiredCount", MinCapacity = 1, MaxCapacity = 2 }, true, "ValidationException", "1 validation error detected: Value 'nope' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set" },
        { "bad resource id", Register(resource: "cluster/default"), true, "ValidationException", "Unsupported service namespace, resource type or scalable dimension" },
        { "another service's dimension", new RegisterScalableTargetRequest { ServiceNamespace = "ecs", ResourceId = "service/default/web", ScalableDimension = "dynamodb:table:ReadCapacityUnits", MinCapacity = 1, MaxCapacity = 2 }, true, "ValidationException", "Unsupported service namespace, resource type or scalable dimension" },
        { "min above max", Register(5, 2), true, "ValidationException", "Minimum capacity cannot be greater than maximum capacity" },
        { "negative", Register(-1, 2), true, "ValidationException", "1 validation error detected: Value '-1' at 'minCapacity' failed to satisfy constraint: Member must have value greater than or equal to 0" },
        { "new without max", Register(1, null), true, "ValidationException", "MinCapacity and MaxCapacity are required for registering a new scalable target." },
        { "no such service", Register(), false, "ValidationException", "ECS service doesn't exist: service/default/web" },
    };

    [Theory]
    [MemberData(nameof(BadRegisters))]
    public void Register_refuses_bad_input(string why, RegisterScalableTargetRequest request, bool exists, string type, string message)
    {
        var e = Refused(() => ScalingDecisions.Register(AutoScalingState.Empty, Scope, Id, Now, request, exists));
        Assert.True(type == e.ErrorType && e.Message.StartsWith(message, StringComparison.Ordinal), $"{why}: {e.ErrorType} {e.Message}");
        Assert.Equal(400, e.StatusCode);
    }

    [Fact]
    public void Unknown_targets_are_ObjectNotFoundException()
    {
        var e = Refused(() => ScalingDecisions.Deregister(AutoScalingState.Empty, Scope, new DeregisterScalableTargetRequest { ServiceNamespace = "ecs", ResourceId = "service/default/web", ScalableDimension = "ecs:service:DesiredCount" }));
        Assert.Equal(("ObjectNotFoundException", "No scalable target registered for service namespace: ecs, resource ID: service/default/web, scalable dimension: ecs:service:DesiredCount"), (e.ErrorType, e.Message));
        e = Refused(() => ScalingDecisions.PutPolicy(AutoScalingState.Empty, Scope, Id, Now, Cpu()));
        Assert.Equal("ObjectNotFoundException", e.ErrorType);
        e = Refused(() => ScalingDecisions.DeletePolicy(Registered(), Scope, new DeleteScalingPolicyRequest { PolicyName = "x", ServiceNamespace = "ecs", ResourceId = "service/default/web", ScalableDimension = "ecs:service:DesiredCount" }));
        Assert.Equal(("ObjectNotFoundException", "No scaling policy found for service namespace: ecs, resource ID: service/default/web, scalable dimension: ecs:service:DesiredCount, policy name: x"), (e.ErrorType, e.Message));
    }

    [Fact]
    public void A_target_tracking_policy_owns_alarms_named_as_AWS_names_them()
    {
        var policy = ScalingDecisions.PutPolicy(Registered(), Scope, Id, Now, Cpu()).Result;
        Assert.Matches(@"^arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:[0-9a-f-]{36}:resource/ecs/service/default/web:policyName/cpu$", policy.Arn);
        var alarms = PolicyAlarms.For(policy);
        Assert.Equal([$"TargetTracking-service/default/web-AlarmHigh-{policy.TargetTracking!.AlarmId}", $"TargetTracking-service/default/web-AlarmLow-{policy.TargetTracking.AlarmId}"], alarms.Select(a => a.AlarmName));
        var (high, low) = (alarms[0], alarms[1]);
        Assert.Equal(("AWS/ECS", "CPUUtilization", "Average", 3, 3, 50.0, "GreaterThanThreshold", 60), (high.Namespace, high.MetricName, high.Statistic, high.EvaluationPeriods, high.DatapointsToAlarm, high.Threshold, high.ComparisonOperator, high.Period));
        Assert.Equal((15, 15, 45.0, "LessThanThreshold"), (low.EvaluationPeriods, low.DatapointsToAlarm, low.Threshold, low.ComparisonOperator));
        Assert.Equal(["ClusterName=default", "ServiceName=web"], high.Dimensions!.Select(d => $"{d.Name}={d.Value}"));
        Assert.Equal([policy.Arn], high.AlarmActions);
    }

    [Fact]
    public void Updating_a_policy_keeps_its_arn_and_alarm_names()
    {
        var first = ScalingDecisions.PutPolicy(Registered(), Scope, Id, Now, Cpu(50));
        var second = ScalingDecisions.PutPolicy(first.State, Scope, Id, Now, Cpu(70)).Result;
        Assert.Equal((first.Result.Arn, first.Result.TargetTracking!.AlarmId, 70.0), (second.Arn, second.TargetTracking!.AlarmId, second.TargetTracking.TargetValue));
    }

    public static TheoryData<string, Action<PutScalingPolicyRequest>, string> BadPolicies => new()
    {
        { "no configuration", r => r.TargetTrackingScalingPolicyConfiguration = null, "TargetTrackingScalingPolicyConfiguration is required" },
        { "no target value", r => r.TargetTrackingScalingPolicyConfiguration!.TargetValue = null, "1 validation error detected: Value null at 'targetTrackingScalingPolicyConfiguration.targetValue'" },
        { "both metrics", r => r.TargetTrackingScalingPolicyConfiguration!.CustomizedMetricSpecification = new CustomizedMetricSpecification { MetricName = "m", Namespace = "n", Statistic = "Average" }, "Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification" },
        { "another service's metric", r => r.TargetTrackingScalingPolicyConfiguration!.PredefinedMetricSpecification!.PredefinedMetricType = "DynamoDBReadCapacityUtilization", "Unsupported metric type DynamoDBReadCapacityUtilization" },
        { "ALB without label", r => r.TargetTrackingScalingPolicyConfiguration!.PredefinedMetricSpecification!.PredefinedMetricType = "ALBRequestCountPerTarget", "ResourceLabel is not valid" },
        { "negative cooldown", r => r.TargetTrackingScalingPolicyConfiguration!.ScaleInCooldown = -1, "1 validation error detected: Value '-1' at 'targetTrackingScalingPolicyConfiguration.scaleInCooldown'" },
        { "step without steps", r => { r.PolicyType = "StepScaling"; r.TargetTrackingScalingPolicyConfiguration = null; r.StepScalingPolicyConfiguration = new StepScalingPolicyConfiguration { AdjustmentType = "ChangeInCapacity", StepAdjustments = [] }; }, "StepAdjustments must contain at least one step adjustment." },
        { "overlapping steps", r => { r.PolicyType = "StepScaling"; r.TargetTrackingScalingPolicyConfiguration = null; r.StepScalingPolicyConfiguration = new StepScalingPolicyConfiguration { AdjustmentType = "ChangeInCapacity", StepAdjustments = [new StepAdjustment { MetricIntervalLowerBound = 0, MetricIntervalUpperBound = 10, ScalingAdjustment = 1 }, new StepAdjustment { MetricIntervalLowerBound = 5, ScalingAdjustment = 2 }] }; }, "Step adjustments cannot overlap." },
        { "gap between steps", r => { r.PolicyType = "StepScaling"; r.TargetTrackingScalingPolicyConfiguration = null; r.StepScalingPolicyConfiguration = new StepScalingPolicyConfiguration { AdjustmentType = "ChangeInCapacity", StepAdjustments = [new StepAdjustment { MetricIntervalLowerBound = 0, MetricIntervalUpperBound = 10, ScalingAdjustment = 1 }, new StepAdjustment { MetricIntervalLowerBound = 20, ScalingAdjustment = 2 }] }; }, "There cannot be gaps between the step adjustments" },
        { "magnitude without percent", r => { r.PolicyType = "StepScaling"; r.TargetTrackingScalingPolicyConfiguration = null; r.StepScalingPolicyConfiguration = new StepScalingPolicyConfiguration { AdjustmentType = "ChangeInCapacity", MinAdjustmentMagnitude = 2, StepAdjustments = [new StepAdjustment { MetricIntervalLowerBound = 0, ScalingAdjustment = 1 }] }; }, "MinAdjustmentMagnitude may only be specified when AdjustmentType is PercentChangeInCapacity" },
        { "predictive", r => r.PolicyType = "PredictiveScaling", "Unsupported policy type PredictiveScaling" },
    };

    [Theory]
    [MemberData(nameof(BadPolicies))]
    public void PutScalingPolicy_refuses_bad_input(string why, Action<PutScalingPolicyRequest> spoil, string message)
    {
        var request = Cpu();
        spoil(request);
        var e = Refused(() => ScalingDecisions.PutPolicy(Registered(), Scope, Id, Now, request));
        Assert.True(e.ErrorType == "ValidationException" && e.Message.StartsWith(message, StringComparison.Ordinal), $"{why}: {e.ErrorType} {e.Message}");
    }

    [Fact]
    public void Policies_are_limited_per_target()
    {
        var state = Registered();
        for (var i = 0; i < ScalingDecisions.MaxPoliciesPerTarget; i++)
        {
            var r = Cpu();
            r.PolicyName = "p" + i;
            state = ScalingDecisions.PutPolicy(state, Scope, Id, Now, r).State;
        }

        var extra = Cpu();
        extra.PolicyName = "one-more";
        Assert.Equal("LimitExceededException", Refused(() => ScalingDecisions.PutPolicy(state, Scope, Id, Now, extra)).ErrorType);
    }

    [Fact]
    public void Scheduled_actions_check_their_schedule_zone_and_range()
    {
        var state = Registered();
        PutScheduledActionRequest Action(string schedule, string? zone = null, int? min = 2, int? max = 3) => new()
        {
            ServiceNamespace = "ecs",
            ResourceId = "service/default/web",
            ScalableDimension = "ecs:service:DesiredCount",
            ScheduledActionName = "night",
            Schedule = schedule,
            Timezone = zone,
            ScalableTargetAction = new ScalableTargetAction { MinCapacity = min, MaxCapacity = max },
        };
        Assert.Equal("cron(0 22 * * ? *)", ScalingDecisions.PutScheduledAction(state, Scope, Id, Now, Action("cron(0 22 * * ? *)", "Europe/Paris")).Result.Schedule);
        Assert.StartsWith("Schedule expression is not valid", Refused(() => ScalingDecisions.PutScheduledAction(state, Scope, Id, Now, Action("every day"))).Message, StringComparison.Ordinal);
        Assert.StartsWith("Time zone is not valid", Refused(() => ScalingDecisions.PutScheduledAction(state, Scope, Id, Now, Action("rate(1 hour)", "Mars/Olympus"))).Message, StringComparison.Ordinal);
        Assert.Equal("Minimum capacity cannot be greater than maximum capacity", Refused(() => ScalingDecisions.PutScheduledAction(state, Scope, Id, Now, Action("rate(1 hour)", null, 5, 1))).Message);
        Assert.Equal("ObjectNotFoundException", Refused(() => ScalingDecisions.PutScheduledAction(AutoScalingState.Empty, Scope, Id, Now, Action("rate(1 hour)"))).ErrorType);
    }

    [Fact]
    public void Everything_survives_a_reload_from_its_documents()
    {
        var state = Registered();
        var documents = new Dictionary<(string, string), byte[]>();
        void Keep(IEnumerable<Mutation> mutations)
        {
            foreach (var m in mutations)
            {
                if (m.Body is null)
                {
                    documents.Remove((m.Kind, m.Id));
                }
                else
                {
                    documents[(m.Kind, m.Id)] = m.Body;
                }
            }
        }

        Keep([AutoScalingCodec.Put(state.Targets.Values.Single())]);
        var policy = ScalingDecisions.PutPolicy(state, Scope, Id, Now, Cpu());
        Keep(policy.Mutations);
        var scaled = ScalingRecords.Scaled(policy.State, state.Targets.Keys.Single(), new ScalingChange(1, 3, ScalingDirection.Out, "because", ["cpu"]), "a1", Now);
        Keep(scaled.Mutations);
        var loaded = AutoScalingCodec.Load(documents.Select(d => new StoredDocument(d.Key.Item1, d.Key.Item2, d.Value)));
        // Collections compare by reference in records: the same content is compared apart.
        var (target, loadedTarget) = (scaled.State.Targets.Values.Single(), loaded.Targets.Values.Single());
        Assert.Equal(target, loadedTarget with { Tags = target.Tags });
        Assert.Equal(target.Tags, loadedTarget.Tags);
        Assert.Equal(scaled.State.Activities.Values.Single(), loaded.Activities.Values.Single());
        Assert.Equal(Now, loadedTarget.ScaledOutAt);
        var (tracking, loadedTracking) = (scaled.State.Policies.Values.Single().TargetTracking!, loaded.Policies.Values.Single().TargetTracking!);
        Assert.Equal(tracking, loadedTracking with { Metric = tracking.Metric });
        Assert.Equal(tracking.Metric.Dimensions.Select(d => $"{d.Key}={d.Value}"), loadedTracking.Metric.Dimensions.Select(d => $"{d.Key}={d.Value}"));
    }
}
