using Berth.Agent.Client;
using Berth.Agent.Metadata;
using Berth.Docker;
using Berth.Ecs.Model.Agent;
using Microsoft.Extensions.Logging;
using TaskStatus = Berth.Agent.Engine.TaskStatus;

namespace Berth.Agent.Metrics;

/// <summary>
/// Once per metric period: Docker's one-shot stats of every running container of the agent's RUNNING tasks, one sample
/// per task (<see cref="TaskSampling"/>), sent to the server in one signed call. A period whose call fails is dropped
/// (CloudWatch's data is per period; the next one is sent on time instead of late ones piling up).
/// </summary>
internal sealed partial class TaskMetricsSampler(Func<IEnumerable<TaskSnapshot>> tasks, Func<string?> instanceArn, IDockerEngine docker, EcsClient ecs, TimeProvider time, TimeSpan period, ILogger logger)
{
    private Dictionary<string, CpuReading> _readings = new(StringComparer.Ordinal);

    /// <summary>Samples and sends until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await SampleOnceAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogSampleFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One period: sample every running task and send what was measured.</summary>
    internal async Task SampleOnceAsync(CancellationToken cancellationToken)
    {
        var arn = instanceArn();
        var readings = new Dictionary<string, CpuReading>(StringComparer.Ordinal);
        var samples = new List<AgentTaskSample>();
        foreach (var task in tasks())
        {
            if (task.Known != TaskStatus.Running)
            {
                continue;
            }

            var current = new List<(string, ContainerStats, DateTimeOffset)>();
            foreach (var container in task.Containers)
            {
                if (container is not { DockerId: { } id, Status: Engine.ContainerStatus.Running })
                {
                    continue;
                }

                try
                {
                    var stats = await docker.ContainerStatsAsync(id, cancellationToken);
                    var at = stats.Read is { } read && read.Year > 2000 ? read : time.GetUtcNow();
                    current.Add((id, stats, at));
                    readings[id] = new CpuReading(stats.CpuTotalUsage, at);
                }
                catch (Exception ex) when (ex is DockerException or HttpRequestException or IOException or TimeoutException)
                {
                    // A container that just stopped has no stats: the task's other containers still count.
                    LogStatsFailed(logger, id, ex.Message);
                }
            }

            if (current.Count == 0)
            {
                continue;
            }

            var (cpu, memory) = TaskSampling.Usage(_readings, current);
            samples.Add(new AgentTaskSample { TaskArn = task.TaskArn, At = time.GetUtcNow(), CpuUnitsUsed = cpu, MemoryMiBUsed = memory });
        }

        // Containers gone since the last period are forgotten with it.
        _readings = readings;
        if (samples.Count == 0 || arn is null)
        {
            return;
        }

        await ecs.CallTargetAsync(
            AgentTaskMetrics.Target,
            new AgentTaskMetrics { ContainerInstanceArn = arn, Samples = samples },
            AgentJsonContext.Default.AgentTaskMetrics,
            AgentJsonContext.Default.AgentTaskMetricsResult,
            cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task metrics not sent: {Reason}")]
    private static partial void LogSampleFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No stats for container {ContainerId}: {Reason}")]
    private static partial void LogStatsFailed(ILogger logger, string containerId, string reason);
}
