using System.Text;
using System.Text.Json;
using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Logs.Storage;
using Berth.WebConsole.Clusters;
using Berth.WebConsole.Hosting;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.Tasks;

/// <summary>One task: its containers, its log lines, and the Stop button.</summary>
public static class TaskPage
{
    /// <summary>The reason a stop from the console gives (what DescribeTasks then shows as stoppedReason).</summary>
    public const string StopReason = "Stopped from the Berth console";

    /// <summary>The page; 404 for an unknown cluster or task.</summary>
    public static Page Render(EcsState state, Scope scope, string clusterName, string taskId, LogStore? logs, string csrf)
    {
        if (ClusterPage.Find(state, scope, clusterName) is not { } cluster)
        {
            return Page.NotFound($"There is no cluster named {clusterName}.");
        }

        if (taskId.Contains('/', StringComparison.Ordinal) || TaskQueries.Find(state, scope, cluster, taskId) is not { } record)
        {
            return Page.NotFound($"There is no task {taskId} in cluster {clusterName}.");
        }

        var task = TaskViews.ToWire(record, withTags: true);
        var definition = TaskDefinitionLookup(state, scope, task.TaskDefinitionArn);
        var containerLogs = definition is null ? [] : TaskLogLines.Read(logs, scope.Region, task, definition);
        var service = task.Group is { } g && g.StartsWith("service:", StringComparison.Ordinal) ? g["service:".Length..] : null;
        var serviceLink = service is null ? Markup.Of($"{Format.Or(task.Group)}") : Markup.Of($"<a href=\"{Links.Service(clusterName, service)}\">{service}</a>");
        var stop = task.DesiredStatus == "STOPPED"
            ? Markup.Empty
            : Markup.Of($"""
                <form method="post" action="{Links.StopTask(clusterName, taskId)}" class="inline">
                <input type="hidden" name="_csrf" value="{csrf}">
                <button type="submit" class="danger">Stop</button></form>
                """);
        var body = Markup.Of($"""
            <nav aria-label="Breadcrumb" class="crumbs"><a href="{Links.Clusters}">Clusters</a> / <a href="{Links.Cluster(clusterName)}">{clusterName}</a> / task</nav>
            <h1>Task <code>{taskId}</code> {stop}</h1>
            <dl class="facts">
            <dt>Last status</dt><dd>{Badges.Of(task.LastStatus, "task-last-status")}</dd>
            <dt>Desired status</dt><dd id="task-desired-status">{task.DesiredStatus}</dd>
            <dt>Health</dt><dd>{Badges.Of(task.HealthStatus)}</dd>
            <dt>Task definition</dt><dd>{TaskTables.DefinitionLink(task.TaskDefinitionArn)}</dd>
            <dt>Service / group</dt><dd>{serviceLink}</dd>
            <dt>Launch type</dt><dd>{Format.Or(task.LaunchType)}{(task.CapacityProviderName is { } cp ? Markup.Of($" ({cp})") : Markup.Empty)}</dd>
            <dt>CPU / memory</dt><dd>{Format.Or(task.Cpu)} / {Format.Or(task.Memory)}</dd>
            <dt>Container instance</dt><dd>{(task.ContainerInstanceArn is { } ci ? Markup.Of($"<code>{Format.IdOf(ci)}</code>") : Markup.Of($"{Format.None}"))}</dd>
            <dt>Started by</dt><dd>{Format.Or(task.StartedBy)}</dd>
            <dt>Created</dt><dd>{Format.Time(task.CreatedAt)}</dd>
            <dt>Started</dt><dd>{Format.Time(task.StartedAt)}</dd>
            <dt>Stopping</dt><dd>{Format.Time(task.StoppingAt)}</dd>
            <dt>Stopped</dt><dd>{Format.Time(task.StoppedAt)}</dd>
            <dt>Stop code</dt><dd>{Format.Or(task.StopCode)}</dd>
            <dt>Stopped reason</dt><dd id="task-stopped-reason">{Format.Or(task.StoppedReason)}</dd>
            <dt>ARN</dt><dd><code>{task.TaskArn}</code></dd>
            </dl>
            <h2>Containers</h2>
            {Containers(task)}
            <h2>Logs</h2>
            {Logs(containerLogs)}
            """);
        return new Page(200, $"Task {taskId}", body) { Live = true, Follow = task.LastStatus != "STOPPED" && containerLogs.Count > 0 };
    }

    /// <summary>
    /// Stops the task through the API's StopTask (the same decision, checks and errors), then shows the task again.
    /// An unknown task is the API's own refusal, shown as a 400 page with its message.
    /// </summary>
    public static async Task<Page> StopAsync(ConsoleSources sources, ConsoleRequest request, string clusterName, string taskId)
    {
        if (ClusterPage.Find(sources.Ecs.Current, sources.Scope, clusterName) is null)
        {
            return Page.NotFound($"There is no cluster named {clusterName}.");
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new StopTaskRequest { Cluster = clusterName, Task = taskId, Reason = StopReason }, WireJsonContext.Default.StopTaskRequest);
        await sources.CallEcsAsync("StopTask", body, request.Session, request.Cancellation);
        return Page.Redirect(Links.Task(clusterName, taskId));
    }

    private static TaskDefinition? TaskDefinitionLookup(EcsState state, Scope scope, string? arn)
    {
        if (arn is null)
        {
            return null;
        }

        try
        {
            return TaskDefinitionQueries.Describe(state, scope, new DescribeTaskDefinitionRequest { TaskDefinition = arn }).TaskDefinition;
        }
        catch (Berth.Protocol.Errors.AwsException)
        {
            // Deleted since: the task still shows, without its log lines.
            return null;
        }
    }

    private static Markup Containers(EcsTask task)
    {
        var rows = (task.Containers ?? []).Select(c => Markup.Of($"""
            <tr><td>{c.Name}</td><td><code>{c.Image}</code></td><td>{Badges.Of(c.LastStatus)}</td>
            <td class="num">{(c.ExitCode is { } code ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : Format.None)}</td>
            <td>{Format.Or(c.Reason)}</td><td>{Badges.Of(c.HealthStatus)}</td><td>{Ports(c)}</td>
            <td><code>{(c.RuntimeId is { Length: > 12 } id ? id[..12] : Format.Or(c.RuntimeId))}</code></td></tr>
            """));
        return Markup.Of($"""
            <div class="scroll"><table aria-label="Containers">
            <thead><tr><th>Container</th><th>Image</th><th>Last status</th><th>Exit code</th><th>Reason</th><th>Health</th><th>Ports</th><th>Runtime ID</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    private static string Ports(Container container)
    {
        var text = new StringBuilder();
        foreach (var b in container.NetworkBindings ?? [])
        {
            text.Append(text.Length == 0 ? string.Empty : ", ").Append($"{b.BindIP}:{b.HostPort} → {b.ContainerPort}/{b.Protocol ?? "tcp"}");
        }

        foreach (var i in container.NetworkInterfaces ?? [])
        {
            text.Append(text.Length == 0 ? string.Empty : ", ").Append(i.PrivateIpv4Address);
        }

        return text.Length == 0 ? Format.None : text.ToString();
    }

    private static Markup Logs(List<ContainerLog> logs)
    {
        if (logs.Count == 0)
        {
            return Markup.Raw("<p>No container of this task logs with <code>awslogs</code>; <code>docker logs</code> on its host shows its output.</p>");
        }

        return Markup.Join(logs.Select(log => Markup.Of($"""
            <section class="log" aria-label="Log of {log.Container}">
            <h3>{log.Container} <small><code>{log.Group}</code> / <code>{log.Stream}</code></small></h3>
            {(log.Lines.Count == 0
                ? Markup.Raw("<p>No lines yet.</p>")
                : Markup.Of($"<pre class=\"log-lines\">{Markup.Join(log.Lines.Select(l => Markup.Of($"<span class=\"ts\">{Format.Millis(l.Timestamp)}</span> {l.Message}\n")))}</pre>"))}
            </section>
            """)));
    }
}
