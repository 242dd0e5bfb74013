using Berth.CloudWatch.Elb;

namespace Berth.CloudWatch.Tests.Metrics;

/// <summary>ALB's request metrics of a period: dimensions as ELB names them, per-target counts by healthy targets.</summary>
public sealed class AlbMetricsTests
{
    private const string Lb = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188";
    private const string Tg = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/73e2d6bc24d8a067";
    private const string Idle = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/idle/0123456789abcdef";
    private static readonly DateTimeOffset Period = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static Dictionary<string, double> Sums(IEnumerable<LoadBalancerRequests> requests, params TargetGroupTargets[] groups) =>
        AlbMetrics.Aggregate(requests, groups, Period).ToDictionary(
            p => p.Key.MetricName + " " + string.Join(",", p.Key.Dimensions.Select(d => $"{d.Key}={d.Value}")),
            p =>
            {
                Assert.Equal(("AWS/ApplicationELB", Period, 1.0), (p.Key.Namespace, p.PeriodStart, p.Values.SampleCount));
                return p.Values.Sum;
            });

    [Fact]
    public void Requests_per_load_balancer_and_group_and_per_healthy_target()
    {
        var sums = Sums([new(Lb, null, 1_050), new(Lb, Tg, 1_000)], new TargetGroupTargets(Tg, Healthy: 4, Registered: 5));

        Assert.Equal(new Dictionary<string, double>
        {
            ["RequestCount LoadBalancer=app/web/50dc6c495c0c9188"] = 1_050,
            ["RequestCount LoadBalancer=app/web/50dc6c495c0c9188,TargetGroup=targetgroup/web-tg/73e2d6bc24d8a067"] = 1_000,
            ["RequestCountPerTarget LoadBalancer=app/web/50dc6c495c0c9188,TargetGroup=targetgroup/web-tg/73e2d6bc24d8a067"] = 250,
            ["RequestCountPerTarget TargetGroup=targetgroup/web-tg/73e2d6bc24d8a067"] = 250,
        }, sums);
    }

    [Fact]
    public void Without_a_healthy_target_the_registered_ones_count_and_an_idle_group_reports_zero()
    {
        var sums = Sums([new(Lb, Tg, 90)], new TargetGroupTargets(Tg, Healthy: 0, Registered: 3), new TargetGroupTargets(Idle, Healthy: 2, Registered: 2));

        Assert.Equal(30, sums["RequestCountPerTarget TargetGroup=targetgroup/web-tg/73e2d6bc24d8a067"]);
        Assert.Equal(0, sums["RequestCountPerTarget TargetGroup=targetgroup/idle/0123456789abcdef"]);
        Assert.DoesNotContain(sums.Keys, k => k.StartsWith("RequestCount LoadBalancer=app/web/50dc6c495c0c9188,TargetGroup=targetgroup/idle", StringComparison.Ordinal));
    }

    [Fact]
    public void A_group_without_targets_has_no_per_target_figure_and_zero_counts_are_not_reported()
    {
        var sums = Sums([new(Lb, Tg, 7), new(Lb, null, 0)], new TargetGroupTargets(Tg, 0, 0));

        Assert.Equal(["RequestCount LoadBalancer=app/web/50dc6c495c0c9188,TargetGroup=targetgroup/web-tg/73e2d6bc24d8a067"], sums.Keys);
    }

    [Fact]
    public void Dimensions_are_the_ARNs_resource_parts()
    {
        Assert.Equal("app/web/50dc6c495c0c9188", AlbMetrics.LoadBalancerDimension(Lb));
        Assert.Equal("targetgroup/web-tg/73e2d6bc24d8a067", AlbMetrics.TargetGroupDimension(Tg));
    }
}
