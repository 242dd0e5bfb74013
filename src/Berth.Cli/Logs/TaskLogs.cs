using Berth.Agent.Client;
using Berth.Agent.Logs;
using Berth.Cli.Settings;
using Berth.Ecs.Model;
using Berth.Logs.Model;
using EcsJson = Berth.Ecs.Model.WireJsonContext;
using LogsJson = Berth.Logs.Model.WireJsonContext;

namespace Berth.Cli.Logs;

/// <summary>
/// <c>berth logs</c>: finds the task's awslogs streams from its definition (ECS's names: prefix/container/task-id, or
/// the container id) and prints their events interleaved by time, through FilterLogEvents; with <c>--follow</c> it
/// polls for new events (de-duplicated by eventId, as <c>aws logs tail</c> does) until the task has stopped and a
/// last read found nothing new.
/// </summary>
internal static class TaskLogs
{
    /// <summary>Runs the command; 1 when the task is not found.</summary>
    public static async Task<int> RunAsync(LogsSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var ecs = new EcsClient(http, settings.Endpoint, settings.Region, settings.Credential, TimeProvider.System);
        var task = await DescribeAsync(ecs, settings, cancellationToken);
        if (task is null)
        {
            await error.WriteLineAsync($"berth logs: task {settings.Task} not found in cluster {settings.Cluster}.");
            return 1;
        }

        var definition = (await ecs.CallAsync("DescribeTaskDefinition", new DescribeTaskDefinitionRequest { TaskDefinition = task.TaskDefinitionArn }, EcsJson.Default.DescribeTaskDefinitionRequest, EcsJson.Default.DescribeTaskDefinitionResponse, cancellationToken)).TaskDefinition!;
        var taskArn = task.TaskArn!;
        var taskId = taskArn[(taskArn.LastIndexOf('/') + 1)..];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var after = new Dictionary<string, long>(StringComparer.Ordinal);
        var prefixed = (definition.ContainerDefinitions ?? []).Count(c => AwsLogsConfig.Of(c) is not null) > 1;
        while (true)
        {
            var stopped = task.LastStatus == "STOPPED";
            var printed = 0;
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
                var logs = new LogsClient(http, settings.Endpoint, config.Region ?? settings.Region, settings.Credential, TimeProvider.System);
                printed += await PrintAsync(logs, config.Group, stream, prefixed ? container.Name + " | " : string.Empty, seen, after, output, cancellationToken);
            }

            if (!settings.Follow || (stopped && printed == 0))
            {
                return 0;
            }

            await Task.Delay(settings.PollInterval, cancellationToken);
            task = await DescribeAsync(ecs, settings, cancellationToken) ?? task;
        }
    }

    private static async Task<EcsTask?> DescribeAsync(EcsClient ecs, LogsSettings settings, CancellationToken cancellationToken)
    {
        var answer = await ecs.CallAsync("DescribeTasks", new DescribeTasksRequest { Cluster = settings.Cluster, Tasks = [settings.Task] }, EcsJson.Default.DescribeTasksRequest, EcsJson.Default.DescribeTasksResponse, cancellationToken);
        return answer.Tasks?.FirstOrDefault();
    }

    // Prints the stream's events not printed yet; how many it printed.
    private static async Task<int> PrintAsync(LogsClient logs, string group, string stream, string prefix, HashSet<string> seen, Dictionary<string, long> after, TextWriter output, CancellationToken cancellationToken)
    {
        var printed = 0;
        string? token = null;
        do
        {
            FilterLogEventsResponse page;
            try
            {
                page = await logs.CallAsync("FilterLogEvents", new FilterLogEventsRequest
                {
                    LogGroupName = group,
                    LogStreamNames = [stream],
                    StartTime = after.TryGetValue(stream, out var from) ? from : null,
                    NextToken = token,
                }, LogsJson.Default.FilterLogEventsRequest, LogsJson.Default.FilterLogEventsResponse, cancellationToken);
            }
            catch (LogsClientException ex) when (ex.ErrorType == "ResourceNotFoundException")
            {
                return printed; // the group is not there yet
            }

            foreach (var e in page.Events ?? [])
            {
                if (e.EventId is { } id && seen.Add(id))
                {
                    await output.WriteLineAsync(prefix + e.Message);
                    printed++;
                    after[stream] = Math.Max(after.GetValueOrDefault(stream), e.Timestamp ?? 0);
                }
            }

            token = page.NextToken;
        }
        while (token is not null);
        return printed;
    }
}
