using Berth.AutoScaling.Api;
using Berth.AutoScaling.Model;
using Berth.AutoScaling.Scaling;
using Berth.AutoScaling.State;
using Berth.CloudWatch.Alarms;
using Berth.CloudWatch.Elb;
using Berth.CloudWatch.Store;
using Microsoft.Extensions.Time.Testing;

namespace Berth.AutoScaling.Tests;

/// <summary>A target-tracking policy on ALBRequestCountPerTarget: its alarms read the load balancer's per-target requests and it scales on them.</summary>
public sealed class AlbRequestCountPolicyTests
{
    private const string Lb = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188";
    private const string Tg = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/73e2d6bc24d8a067";
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000); // a period start
    private static readonly AasScope Scope = new("us-east-1", "000000000000");

    private static (ScalableTargetRecord Target, ScalingPolicyRecord Policy) Policy()
    {
        var ids = 0;
        Guid Id() => new(++ids, 0, 0, new byte[8]);
        var state = ScalingDecisions.Register(AutoScalingState.Empty, Scope, Id, Start, new RegisterScalableTargetRequest
        {
            ServiceNamespace = "ecs",
            ResourceId = "service/default/web",
            ScalableDimension = "ecs:service:DesiredCount",
            MinCapacity = 1,
            MaxCapacity = 20,
        }, true).State;
        var put = ScalingDecisions.PutPolicy(state, Scope, Id, Start, new PutScalingPolicyRequest
        {
            PolicyName = "requests",
            ServiceNamespace = "ecs",
            ResourceId = "service/default/web",
            ScalableDimension = "ecs:service:DesiredCount",
            PolicyType = "TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration = new TargetTrackingScalingPolicyConfiguration
            {
                TargetValue = 100,
                PredefinedMetricSpecification = new PredefinedMetricSpecification
                {
                    PredefinedMetricType = "ALBRequestCountPerTarget",
                    ResourceLabel = "app/web/50dc6c495c0c9188/targetgroup/web-tg/73e2d6bc24d8a067",
                },
            },
        });
        return (put.State.Targets.Values.Single(), put.Result);
    }

    [Fact]
    public void Three_periods_above_the_target_per_target_put_the_high_alarm_in_ALARM_and_scale_out_proportionally()
    {
        var (target, policy) = Policy();
        var time = new FakeTimeProvider(Start);
        var period = TimeSpan.FromMinutes(1);
        var store = new MetricStore(period);
        var alarms = new AlarmBook(store, time);
        foreach (var input in PolicyAlarms.For(policy))
        {
            alarms.PutOwned(input, "us-east-1", "000000000000", period);
        }

        // 4 healthy targets get 1,000 requests a period: 250 per target against a target of 100.
        for (var i = 0; i < 3; i++)
        {
            var points = AlbMetrics.Aggregate([new(Lb, null, 1_000), new(Lb, Tg, 1_000)], [new TargetGroupTargets(Tg, 4, 4)], Start + (period * i));
            foreach (var point in points)
            {
                store.Put(point.Key, point.PeriodStart, point.Values, AlbMetrics.Unit, time.GetUtcNow());
            }

            time.Advance(period);
            alarms.EvaluateAll();
            var expected = i < 2 ? AlarmState.Ok : AlarmState.Alarm;
            Assert.Equal(expected, alarms.Read(PolicyAlarms.HighName(policy))!.State);
        }

        var high = alarms.Read(PolicyAlarms.HighName(policy))!;
        Assert.Equal(250, high.Latest);
        var low = alarms.Read(PolicyAlarms.LowName(policy))!;
        var signal = new PolicySignal(policy, new AlarmSignal(high.Name, high.State, high.Latest, high.Threshold), new AlarmSignal(low.Name, low.State, low.Latest, low.Threshold), []);

        var change = ScalingPlanner.Decide(new TargetSnapshot(target, 4, [signal]), time.GetUtcNow());

        Assert.Equal((4, 10), (change!.From, change.To));
    }

    [Fact]
    public void The_alarms_watch_the_target_group_s_RequestCountPerTarget_Sum()
    {
        var (_, policy) = Policy();

        var high = PolicyAlarms.For(policy)[0];

        Assert.Equal(("AWS/ApplicationELB", "RequestCountPerTarget", "Sum", 100.0), (high.Namespace, high.MetricName, high.Statistic, high.Threshold));
        Assert.Equal(["TargetGroup=targetgroup/web-tg/73e2d6bc24d8a067"], high.Dimensions!.Select(d => $"{d.Name}={d.Value}"));
    }
}
