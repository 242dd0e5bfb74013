using Berth.CloudWatch.Ecs;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Model.Agent;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Server.Metrics;

namespace Berth.Server.Tests.Metrics;

/// <summary>Agents' samples placed by the ECS state: cluster name, service, reservation; unknown or foreign tasks not counted.</summary>
public sealed class TaskMetricsIngestTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private const string Instance = "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/1";

    private static EcsState State()
    {
        var state = ClusterDecisions.Create(EcsState.Empty, new Scope("us-east-1", "000000000000"), new CreateClusterRequest { ClusterName = "prod" }).State;
        var cluster = state.Clusters.Keys.Single();
        TaskRecord Task(string arn, string? group, string instance, int cpu, int memory) => new()
        {
            TaskArn = arn,
            ClusterArn = cluster,
            TaskDefinitionArn = "d",
            LastStatus = EcsTaskStatus.Running,
            Group = group,
            ContainerInstanceArn = instance,
            Cpu = cpu,
            Memory = memory,
        };

        return state
            .WithTask(Task("t-web", "service:web", Instance, 256, 512))
            .WithTask(Task("t-alone", "family:batch", Instance, 1024, 0))
            .WithTask(Task("t-elsewhere", "service:web", Instance.Replace("/1", "/2", StringComparison.Ordinal), 256, 512));
    }

    [Fact]
    public void Samples_are_placed_by_the_state()
    {
        var samples = new List<AgentTaskSample>
        {
            new() { TaskArn = "t-web", At = Now.AddSeconds(-5), CpuUnitsUsed = 128, MemoryMiBUsed = 128 },
            new() { TaskArn = "t-alone", At = Now.AddMinutes(5), CpuUnitsUsed = null, MemoryMiBUsed = 10 },
            new() { TaskArn = "t-elsewhere", At = Now, CpuUnitsUsed = 1, MemoryMiBUsed = 1 },
            new() { TaskArn = "t-unknown", At = Now, CpuUnitsUsed = 1, MemoryMiBUsed = 1 },
            new() { TaskArn = null },
        };
        var usages = TaskMetricsIngest.Usages(State(), Instance, samples, Now);
        Assert.Equal(
            [
                new TaskUsage(Now.AddSeconds(-5), "prod", "web", 128, 256, 128, 512),
                new TaskUsage(Now, "prod", null, null, 1024, 10, 0), // a clock ahead of the server's is counted now
            ],
            usages);

        var points = EcsMetrics.Aggregate(usages, TimeSpan.FromMinutes(1));
        var service = Assert.Single(points, p => p.Key.MetricName == "CPUUtilization" && p.Key.Dimensions.Length == 2);
        Assert.Equal(50, service.Values.Average);
    }
}
