using Berth.CloudWatch.Store;

namespace Berth.CloudWatch.Ecs;

/// <summary>
/// One task's use of its reservation over a sampling interval, as an agent measured it and the control plane placed it.
/// </summary>
/// <param name="At">When the sample was taken.</param>
/// <param name="ClusterName">The task's cluster.</param>
/// <param name="ServiceName">The service the task belongs to; null for a task run on its own.</param>
/// <param name="CpuUsedUnits">CPU units used over the interval (1,024 per core); null when the interval is unknown (the first sample of a container).</param>
/// <param name="CpuReservedUnits">CPU units the task holds (task-level cpu when set, else its containers' cpu).</param>
/// <param name="MemoryUsedMiB">Memory in use, page cache excluded, in MiB.</param>
/// <param name="MemoryReservedMiB">MiB the task holds (task-level memory when set, else its containers').</param>
public sealed record TaskUsage(DateTimeOffset At, string ClusterName, string? ServiceName, double? CpuUsedUnits, int CpuReservedUnits, double MemoryUsedMiB, int MemoryReservedMiB);

/// <summary>A statistic set of one metric in one period.</summary>
/// <param name="Key">The metric.</param>
/// <param name="PeriodStart">The period's start.</param>
/// <param name="Values">The statistics of its values.</param>
public sealed record MetricPoint(MetricKey Key, DateTimeOffset PeriodStart, Statistics Values);

/// <summary>
/// ECS's service utilization metrics (namespace <c>AWS/ECS</c>, unit Percent) from task samples, as ECS documents
/// them: each task sample is one value, the task's use as a percentage of what it reserved; per period, Average is
/// (units used by the tasks × 100) / (units reserved per task × tasks), Minimum and Maximum the least and most
/// loaded task, SampleCount the samples and Sum their total. Each value counts for its service
/// (<c>ClusterName</c> + <c>ServiceName</c>) and for its cluster (<c>ClusterName</c>; standalone tasks only there).
/// A task without a CPU (memory) reservation has no CPU (memory) utilization, as a percentage of nothing is undefined.
/// </summary>
public static class EcsMetrics
{
    /// <summary>The namespace.</summary>
    public const string Namespace = "AWS/ECS";

    /// <summary>CPU utilization.</summary>
    public const string CpuUtilization = "CPUUtilization";

    /// <summary>Memory utilization.</summary>
    public const string MemoryUtilization = "MemoryUtilization";

    /// <summary>The unit of both.</summary>
    public const string Unit = "Percent";

    /// <summary>The statistic sets per metric and period of <paramref name="samples"/>, periods of <paramref name="period"/> aligned to the epoch; ordered by metric, then period.</summary>
    public static IReadOnlyList<MetricPoint> Aggregate(IEnumerable<TaskUsage> samples, TimeSpan period)
    {
        var seconds = Math.Max(1, (long)period.TotalSeconds);
        var sets = new Dictionary<(MetricKey Key, long Start), Statistics>();
        foreach (var sample in samples)
        {
            var start = sample.At.ToUnixTimeSeconds() / seconds * seconds;
            if (sample.CpuUsedUnits is { } cpu && sample.CpuReservedUnits > 0)
            {
                Add(sets, CpuUtilization, sample, start, cpu * 100.0 / sample.CpuReservedUnits);
            }

            if (sample.MemoryReservedMiB > 0)
            {
                Add(sets, MemoryUtilization, sample, start, sample.MemoryUsedMiB * 100.0 / sample.MemoryReservedMiB);
            }
        }

        return [.. sets
            .OrderBy(s => s.Key.Key.Text, StringComparer.Ordinal)
            .ThenBy(s => s.Key.Start)
            .Select(s => new MetricPoint(s.Key.Key, DateTimeOffset.FromUnixTimeSeconds(s.Key.Start), s.Value))];
    }

    /// <summary>The metric of a cluster (<c>ClusterName</c>) or, with a service, of the service (<c>ClusterName</c> + <c>ServiceName</c>).</summary>
    public static MetricKey Key(string metric, string cluster, string? service) => service is null
        ? new MetricKey(Namespace, metric, [new("ClusterName", cluster)])
        : new MetricKey(Namespace, metric, [new("ClusterName", cluster), new("ServiceName", service)]);

    private static void Add(Dictionary<(MetricKey Key, long Start), Statistics> sets, string metric, TaskUsage sample, long start, double value)
    {
        Merge(sets, (Key(metric, sample.ClusterName, null), start), value);
        if (sample.ServiceName is { } service)
        {
            Merge(sets, (Key(metric, sample.ClusterName, service), start), value);
        }
    }

    private static void Merge(Dictionary<(MetricKey Key, long Start), Statistics> sets, (MetricKey Key, long Start) at, double value)
        => sets[at] = sets.TryGetValue(at, out var had) ? had.Merge(Statistics.Of(value)) : Statistics.Of(value);
}
