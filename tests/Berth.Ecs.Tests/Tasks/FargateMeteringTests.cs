using Berth.Ecs.Capacity;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;

namespace Berth.Ecs.Tests.Tasks;

public class FargateMeteringTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static TaskRecord Task(int cpu, int memory, DateTimeOffset? pull, DateTimeOffset? started, DateTimeOffset? stopped, EcsTaskStatus status, LaunchType launchType = LaunchType.Fargate) => new()
    {
        TaskArn = "arn:aws:ecs:us-east-1:000000000000:task/web/" + Guid.NewGuid().ToString("N"),
        ClusterArn = "arn:aws:ecs:us-east-1:000000000000:cluster/web",
        LaunchType = launchType,
        Cpu = cpu,
        Memory = memory,
        PullStartedAt = pull,
        StartedAt = started,
        ExecutionStoppedAt = stopped,
        StoppedAt = stopped,
        LastStatus = status,
        TaskDefinitionArn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
    };

    public static TheoryData<string, TaskRecord, long, double, double> Cases() => new()
    {
        // 0.25 vCPU, 0.5 GB for 10 min from the pull: 600 s.
        { "stopped after ten minutes", Task(256, 512, T0, T0.AddSeconds(5), T0.AddMinutes(10), EcsTaskStatus.Stopped), 600, 150, 300 },
        { "rounded up to the second", Task(1024, 2048, T0, T0, T0.AddSeconds(90.2), EcsTaskStatus.Stopped), 91, 91, 182 },
        { "one minute at least", Task(1024, 2048, T0, T0, T0.AddSeconds(3), EcsTaskStatus.Stopped), 60, 60, 120 },
        { "still running: metered to now", Task(2048, 4096, T0, T0, null, EcsTaskStatus.Running), 3600, 7200, 14400 },
        { "never pulled: nothing billed", Task(256, 512, null, null, T0, EcsTaskStatus.Stopped), 0, 0, 0 },
        { "no pull stamp: from the start", Task(512, 1024, null, T0.AddMinutes(30), null, EcsTaskStatus.Running), 1800, 900, 1800 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MetersAsFargateBills(string name, TaskRecord task, long seconds, double vcpuSeconds, double gbSeconds)
    {
        var metered = FargateMetering.Meter(task, T0.AddHours(1));
        Assert.True((seconds, vcpuSeconds, gbSeconds) == (metered.BilledSeconds, metered.VcpuSeconds, metered.GbSeconds), $"{name}: {metered.BilledSeconds} {metered.VcpuSeconds} {metered.GbSeconds}");
    }

    [Fact]
    public void TheReportCountsFargateTasksOnlyAndSumsThem()
    {
        var world = new World();
        var state = world.State;
        foreach (var task in new[]
        {
            Task(256, 512, T0, T0, T0.AddMinutes(10), EcsTaskStatus.Stopped),
            Task(1024, 2048, T0, T0, T0.AddSeconds(3), EcsTaskStatus.Stopped),
            Task(1024, 2048, T0, T0, null, EcsTaskStatus.Running, launchType: LaunchType.Ec2),
        })
        {
            state = state.WithTask(task);
        }

        var report = FargateMetering.Report(state, "000000000000", null, T0.AddHours(1));
        Assert.Equal(2, report.Tasks.Count);
        Assert.Equal((210.0, 420.0), (report.VcpuSeconds, report.GbSeconds));
        Assert.Empty(FargateMetering.Report(state, "111111111111", null, T0.AddHours(1)).Tasks);
    }
}
