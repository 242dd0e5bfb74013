using Berth.CloudWatch.Ecs;
using Berth.CloudWatch.Store;

namespace Berth.CloudWatch.Elb;

/// <summary>Requests a load balancer served in a period, in all (no target group) or forwarded to one target group.</summary>
/// <param name="LoadBalancerArn">The load balancer (<c>...:loadbalancer/app/NAME/ID</c>).</param>
/// <param name="TargetGroupArn">The target group (<c>...:targetgroup/NAME/ID</c>); null for all of the load balancer's requests.</param>
/// <param name="Requests">How many.</param>
public sealed record LoadBalancerRequests(string LoadBalancerArn, string? TargetGroupArn, long Requests);

/// <summary>A target group a listener forwards to, with its targets at the end of the period.</summary>
/// <param name="TargetGroupArn">The target group.</param>
/// <param name="Healthy">Its healthy targets.</param>
/// <param name="Registered">Its registered targets (draining ones excluded).</param>
public sealed record TargetGroupTargets(string TargetGroupArn, int Healthy, int Registered);

/// <summary>
/// The Application Load Balancer's request metrics (namespace <c>AWS/ApplicationELB</c>, unit Count) of one period, as
/// ELB documents them: <c>RequestCount</c> per <c>LoadBalancer</c> (every request served) and per
/// <c>LoadBalancer</c> + <c>TargetGroup</c> (the requests forwarded to the group), reported when non-zero; and
/// <c>RequestCountPerTarget</c> per <c>TargetGroup</c> (and per <c>LoadBalancer</c> + <c>TargetGroup</c>): the group's
/// requests divided by its healthy targets, or by its registered targets when none is healthy, reported for every
/// target group in use (zero included, so a target-tracking policy on it can scale in when the traffic stops); its
/// only meaningful statistic is Sum, which is that average. Dimension values are the ARN's resource part:
/// <c>app/NAME/ID</c> and <c>targetgroup/NAME/ID</c>.
/// </summary>
public static class AlbMetrics
{
    /// <summary>The namespace.</summary>
    public const string Namespace = "AWS/ApplicationELB";

    /// <summary>Requests served.</summary>
    public const string RequestCount = "RequestCount";

    /// <summary>Requests per target of a target group.</summary>
    public const string RequestCountPerTarget = "RequestCountPerTarget";

    /// <summary>The unit of both.</summary>
    public const string Unit = "Count";

    /// <summary>The statistic sets of one period starting at <paramref name="periodStart"/>, ordered by metric.</summary>
    public static IReadOnlyList<MetricPoint> Aggregate(IEnumerable<LoadBalancerRequests> requests, IEnumerable<TargetGroupTargets> groups, DateTimeOffset periodStart)
    {
        var points = new List<MetricPoint>();
        var targets = groups.ToDictionary(g => g.TargetGroupArn, StringComparer.Ordinal);
        var perGroup = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in requests.Where(r => r.Requests > 0))
        {
            if (r.TargetGroupArn is not { } group)
            {
                points.Add(Point(RequestCount, [new("LoadBalancer", LoadBalancerDimension(r.LoadBalancerArn))], r.Requests));
                continue;
            }

            points.Add(Point(RequestCount, [new("LoadBalancer", LoadBalancerDimension(r.LoadBalancerArn)), new("TargetGroup", TargetGroupDimension(group))], r.Requests));
            perGroup[group] = perGroup.GetValueOrDefault(group) + r.Requests;
            if (Divisor(targets.GetValueOrDefault(group)) is { } divisor)
            {
                points.Add(Point(RequestCountPerTarget, [new("LoadBalancer", LoadBalancerDimension(r.LoadBalancerArn)), new("TargetGroup", TargetGroupDimension(group))], r.Requests / (double)divisor));
            }
        }

        foreach (var group in targets.Keys.Union(perGroup.Keys, StringComparer.Ordinal))
        {
            if (Divisor(targets.GetValueOrDefault(group)) is { } divisor)
            {
                points.Add(Point(RequestCountPerTarget, [new("TargetGroup", TargetGroupDimension(group))], perGroup.GetValueOrDefault(group) / (double)divisor));
            }
        }

        return [.. points.OrderBy(p => p.Key.Text, StringComparer.Ordinal)];

        MetricPoint Point(string metric, KeyValuePair<string, string>[] dimensions, double value) =>
            new(new MetricKey(Namespace, metric, dimensions), periodStart, Statistics.Of(value));
    }

    /// <summary><c>app/NAME/ID</c> of a load balancer's ARN.</summary>
    public static string LoadBalancerDimension(string arn)
    {
        var at = arn.IndexOf(":loadbalancer/", StringComparison.Ordinal);
        return at < 0 ? arn : arn[(at + ":loadbalancer/".Length)..];
    }

    /// <summary><c>targetgroup/NAME/ID</c> of a target group's ARN.</summary>
    public static string TargetGroupDimension(string arn)
    {
        var at = arn.IndexOf(":targetgroup/", StringComparison.Ordinal);
        return at < 0 ? arn : arn[(at + 1)..];
    }

    // Healthy targets, else registered ones; none at all: a per-target figure is undefined.
    private static int? Divisor(TargetGroupTargets? targets) => targets switch
    {
        { Healthy: > 0 } => targets.Healthy,
        { Registered: > 0 } => targets.Registered,
        _ => null,
    };
}
