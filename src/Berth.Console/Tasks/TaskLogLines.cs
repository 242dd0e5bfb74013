using Berth.Agent.Logs;
using Berth.Ecs.Model;
using Berth.Logs.Paging;
using Berth.Logs.Storage;

namespace Berth.WebConsole.Tasks;

/// <summary>A container's awslogs stream and its newest lines.</summary>
/// <param name="Container">The container's name.</param>
/// <param name="Group">The log group.</param>
/// <param name="Stream">The stream name ECS gives it.</param>
/// <param name="Lines">The newest lines, oldest first (timestamp in ms, message); empty while nothing arrived.</param>
public sealed record ContainerLog(string Container, string Group, string Stream, IReadOnlyList<(long Timestamp, string Message)> Lines);

/// <summary>
/// Finds a task's awslogs streams as <c>berth logs</c> does (the definition's options and ECS's stream names, through
/// the agent's own <see cref="AwsLogsConfig"/>) and reads their newest lines from the log store.
/// </summary>
public static class TaskLogLines
{
    /// <summary>How many lines of each container a task page shows.</summary>
    public const int Limit = 200;

    /// <summary>The streams of <paramref name="task"/>'s awslogs containers with their newest lines.</summary>
    public static List<ContainerLog> Read(LogStore? store, string region, EcsTask task, TaskDefinition definition)
    {
        var logs = new List<ContainerLog>();
        var taskArn = task.TaskArn ?? string.Empty;
        var taskId = taskArn[(taskArn.LastIndexOf('/') + 1)..];
        foreach (var container in definition.ContainerDefinitions ?? [])
        {
            if (AwsLogsConfig.Of(container) is not { } config)
            {
                continue;
            }

            var runtimeId = task.Containers?.FirstOrDefault(c => c.Name == container.Name)?.RuntimeId;
            if (config.StreamPrefix is null && runtimeId is null)
            {
                continue;
            }

            var stream = config.StreamName(container.Name!, taskId, runtimeId ?? string.Empty);
            var lines = new List<(long, string)>();
            if (store?.FindGroup(config.Region ?? region, config.Group) is { } group && store.FindStream(group.Id, stream) is { } found)
            {
                lines.AddRange(store.ReadStream(found.Id, long.MinValue, long.MaxValue, EventPosition.Start, EventPosition.End, Limit, forward: false)
                    .Select(e => (e.Timestamp, e.Message)));
            }

            logs.Add(new ContainerLog(container.Name!, config.Group, stream, lines));
        }

        return logs;
    }
}
