using Berth.Agent.Metrics;
using Berth.Docker;

namespace Berth.Agent.Tests.Metrics;

/// <summary>A task's use from its containers' one-shot stats, as a table.</summary>
public sealed class TaskSamplingTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private const long MiB = 1024 * 1024;

    private static (string, ContainerStats, DateTimeOffset) Reading(string id, long cpuNanos, long memory, long cache, double atSeconds)
        => (id, new ContainerStats { CpuTotalUsage = cpuNanos, MemoryUsage = memory, MemoryCache = cache }, T0.AddSeconds(atSeconds));

    public static TheoryData<string, Dictionary<string, CpuReading>, (string, ContainerStats, DateTimeOffset)[], double?, double> Table => new()
    {
        { "a first reading has memory but no interval", [], [Reading("a", 5_000_000_000, 64 * MiB, 0, 60)], null, 64 },
        // One core for 60 s: 60e9 ns of CPU time over 60 s of wall time = 1,024 units.
        { "one busy core", new() { ["a"] = new(0, T0) }, [Reading("a", 60_000_000_000, 0, 0, 60)], 1024, 0 },
        { "a quarter core", new() { ["a"] = new(10_000_000_000, T0) }, [Reading("a", 25_000_000_000, 0, 0, 60)], 256, 0 },
        { "page cache is not counted", [], [Reading("a", 0, 100 * MiB, 40 * MiB, 1)], null, 60 },
        {
            "containers add up; one without a previous reading adds memory only",
            new() { ["a"] = new(0, T0) },
            [Reading("a", 30_000_000_000, 10 * MiB, 0, 60), Reading("b", 99_000_000_000, 20 * MiB, 0, 60)],
            512, 30
        },
        { "a restarted counter (lower than before) has no interval", new() { ["a"] = new(50_000_000_000, T0) }, [Reading("a", 1_000_000_000, 0, 0, 60)], null, 0 },
        { "an idle container uses nothing", new() { ["a"] = new(7, T0) }, [Reading("a", 7, 0, 0, 5)], 0, 0 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Usage_is_ECSs_units_and_MiB(string because, Dictionary<string, CpuReading> previous, (string, ContainerStats, DateTimeOffset)[] current, double? cpu, double memory)
    {
        var (gotCpu, gotMemory) = TaskSampling.Usage(previous, current);
        Assert.True(cpu is null ? gotCpu is null : gotCpu is { } c && Math.Abs(c - cpu.Value) < 1e-6, $"{because}: CPU {gotCpu}");
        Assert.True(Math.Abs(gotMemory - memory) < 1e-6, $"{because}: memory {gotMemory}");
    }
}
