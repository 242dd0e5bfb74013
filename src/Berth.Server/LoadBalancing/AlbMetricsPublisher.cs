using Berth.CloudWatch.Elb;
using Berth.CloudWatch.Store;
using Berth.LoadBalancing;
using Berth.LoadBalancing.Health;

namespace Berth.Server.LoadBalancing;

/// <summary>
/// Once per metric period, just after it ends (before the alarms are evaluated): the data plane's request counts
/// since the last time and its target groups' targets become the period's <c>AWS/ApplicationELB</c> metrics
/// (<see cref="AlbMetrics"/>) in the metric store, as ELB sends its metrics every 60 s. The counts are those of the
/// period that just ended (plus the few requests of the ticker's settle, counted one period early).
/// </summary>
public sealed class AlbMetricsPublisher(LoadBalancerDataPlane plane, MetricStore store, TimeProvider time)
{
    /// <summary>Puts the period's metrics; returns how many statistic sets were put.</summary>
    public int Publish()
    {
        var now = time.GetUtcNow();
        var periodStart = store.PeriodStart(now) - store.Period;
        var requests = plane.TakeRequestCounts().Select(c => new LoadBalancerRequests(c.LoadBalancerId, c.TargetGroupId, c.Requests)).ToList();
        var health = plane.Health;
        var groups = plane.TargetGroupsInUse.Select(id =>
        {
            var targets = health.For(id);
            return new TargetGroupTargets(
                id,
                targets.Count(t => t.State == TargetHealthState.Healthy),
                targets.Count(t => t.State is not (TargetHealthState.Draining or TargetHealthState.Unused)));
        }).ToList();
        var points = AlbMetrics.Aggregate(requests, groups, periodStart);
        foreach (var point in points)
        {
            store.Put(point.Key, point.PeriodStart, point.Values, AlbMetrics.Unit, now);
        }

        return points.Count;
    }
}
