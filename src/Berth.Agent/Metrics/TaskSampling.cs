using Berth.Docker;

namespace Berth.Agent.Metrics;

/// <summary>A container's cumulative CPU time at one moment, kept to measure the next interval against.</summary>
/// <param name="CpuNanos">Cumulative CPU time in nanoseconds.</param>
/// <param name="At">When Docker read it.</param>
public readonly record struct CpuReading(long CpuNanos, DateTimeOffset At);

/// <summary>
/// A task's use from its containers' one-shot stats (pure): CPU units over the interval since each container's previous
/// reading (1,024 units per core, as ECS counts them), memory in use without the page cache (as ECS and
/// <c>docker stats</c> count it). The first reading of a container has no interval: the task has a CPU figure only once
/// one of its containers has two readings.
/// </summary>
public static class TaskSampling
{
    /// <summary>CPU units per core.</summary>
    public const double UnitsPerCore = 1024;

    /// <summary>The task's CPU units used (null without an interval) and its memory in MiB.</summary>
    public static (double? CpuUnits, double MemoryMiB) Usage(IReadOnlyDictionary<string, CpuReading> previous, IReadOnlyList<(string DockerId, ContainerStats Stats, DateTimeOffset At)> current)
    {
        double? cpu = null;
        double memory = 0;
        foreach (var (id, stats, at) in current)
        {
            memory += Math.Max(0, stats.MemoryUsage - stats.MemoryCache) / (1024.0 * 1024.0);
            if (previous.TryGetValue(id, out var before) && at > before.At && stats.CpuTotalUsage >= before.CpuNanos)
            {
                var cores = (stats.CpuTotalUsage - before.CpuNanos) / ((at - before.At).TotalMilliseconds * 1_000_000.0);
                cpu = (cpu ?? 0) + cores * UnitsPerCore;
            }
        }

        return (cpu, memory);
    }
}
