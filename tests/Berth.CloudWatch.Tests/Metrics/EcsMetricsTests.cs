using Berth.CloudWatch.Ecs;

namespace Berth.CloudWatch.Tests.Metrics;

/// <summary>Task samples to AWS/ECS datapoints, as tables: ECS's documented formula per period and dimension set.</summary>
public sealed class EcsMetricsTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000); // a multiple of 60

    private static TaskUsage Sample(int second, string? service, double? cpu, int cpuReserved, double memory, int memoryReserved, string cluster = "prod")
        => new(T0.AddSeconds(second), cluster, service, cpu, cpuReserved, memory, memoryReserved);

    public static TheoryData<string, TaskUsage[], int, string[]> Tables => new()
    {
        {
            "one task at a quarter of its CPU and half its memory",
            [Sample(5, "web", 256, 1024, 256, 512)],
            60,
            [
                "CPUUtilization|ClusterName=prod|0|n=1 sum=25 min=25 max=25",
                "CPUUtilization|ClusterName=prod,ServiceName=web|0|n=1 sum=25 min=25 max=25",
                "MemoryUtilization|ClusterName=prod|0|n=1 sum=50 min=50 max=50",
                "MemoryUtilization|ClusterName=prod,ServiceName=web|0|n=1 sum=50 min=50 max=50",
            ]
        },
        {
            // (256 + 768) × 100 / (1024 × 2) = 50: the average is ECS's formula; min and max the least and most loaded task.
            "two tasks of a service in one period",
            [Sample(1, "web", 256, 1024, 0, 0), Sample(2, "web", 768, 1024, 0, 0)],
            60,
            [
                "CPUUtilization|ClusterName=prod|0|n=2 sum=100 min=25 max=75",
                "CPUUtilization|ClusterName=prod,ServiceName=web|0|n=2 sum=100 min=25 max=75",
            ]
        },
        {
            "samples in two periods stay apart",
            [Sample(10, "web", 512, 1024, 0, 0), Sample(70, "web", 1024, 1024, 0, 0)],
            60,
            [
                "CPUUtilization|ClusterName=prod|0|n=1 sum=50 min=50 max=50",
                "CPUUtilization|ClusterName=prod|60|n=1 sum=100 min=100 max=100",
                "CPUUtilization|ClusterName=prod,ServiceName=web|0|n=1 sum=50 min=50 max=50",
                "CPUUtilization|ClusterName=prod,ServiceName=web|60|n=1 sum=100 min=100 max=100",
            ]
        },
        {
            "a short period splits what a minute would join",
            [Sample(1, null, 512, 1024, 0, 0), Sample(6, null, 1024, 1024, 0, 0)],
            5,
            [
                "CPUUtilization|ClusterName=prod|0|n=1 sum=50 min=50 max=50",
                "CPUUtilization|ClusterName=prod|5|n=1 sum=100 min=100 max=100",
            ]
        },
        {
            "a standalone task counts for its cluster only; the cluster joins every service",
            [Sample(1, null, 1024, 1024, 0, 0), Sample(2, "api", 0, 1024, 0, 0)],
            60,
            [
                "CPUUtilization|ClusterName=prod|0|n=2 sum=100 min=0 max=100",
                "CPUUtilization|ClusterName=prod,ServiceName=api|0|n=1 sum=0 min=0 max=0",
            ]
        },
        {
            "a first sample without an interval has memory but no CPU",
            [Sample(1, "web", null, 1024, 64, 128)],
            60,
            [
                "MemoryUtilization|ClusterName=prod|0|n=1 sum=50 min=50 max=50",
                "MemoryUtilization|ClusterName=prod,ServiceName=web|0|n=1 sum=50 min=50 max=50",
            ]
        },
        {
            "a task without reservations has no utilization",
            [Sample(1, "web", 100, 0, 10, 0)],
            60,
            []
        },
        {
            "a task beyond its reservation (CPU shares on EC2) is above 100",
            [Sample(1, "web", 2048, 1024, 0, 0)],
            60,
            [
                "CPUUtilization|ClusterName=prod|0|n=1 sum=200 min=200 max=200",
                "CPUUtilization|ClusterName=prod,ServiceName=web|0|n=1 sum=200 min=200 max=200",
            ]
        },
        {
            "services of the same name in two clusters are two metrics",
            [Sample(1, "web", 512, 1024, 0, 0, "a"), Sample(1, "web", 1024, 1024, 0, 0, "b")],
            60,
            [
                "CPUUtilization|ClusterName=a|0|n=1 sum=50 min=50 max=50",
                "CPUUtilization|ClusterName=a,ServiceName=web|0|n=1 sum=50 min=50 max=50",
                "CPUUtilization|ClusterName=b|0|n=1 sum=100 min=100 max=100",
                "CPUUtilization|ClusterName=b,ServiceName=web|0|n=1 sum=100 min=100 max=100",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    public void Samples_become_ECSs_datapoints(string because, TaskUsage[] samples, int periodSeconds, string[] expected)
    {
        var points = EcsMetrics.Aggregate(samples, TimeSpan.FromSeconds(periodSeconds));
        Assert.True(expected.SequenceEqual(points.Select(Describe)), $"{because}: got\n{string.Join("\n", points.Select(Describe))}");
        Assert.All(points, p => Assert.Equal(EcsMetrics.Namespace, p.Key.Namespace));
    }

    private static string Describe(MetricPoint point)
        => $"{point.Key.MetricName}|{string.Join(",", point.Key.Dimensions.Select(d => d.Key + "=" + d.Value))}|{(point.PeriodStart - T0).TotalSeconds}|n={point.Values.SampleCount} sum={point.Values.Sum:0.###} min={point.Values.Minimum:0.###} max={point.Values.Maximum:0.###}";
}
