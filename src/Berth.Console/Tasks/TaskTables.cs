using Berth.Ecs.Model;
using Berth.Ecs.Tasks;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.Tasks;

/// <summary>The task list a cluster and a service page share.</summary>
public static class TaskTables
{
    /// <summary>The query key of the task list's text filter (task ID, group, task definition).</summary>
    public const string FilterKey = "tasks";

    /// <summary>The query key of the task list's desired-status filter (RUNNING or STOPPED; absent is any).</summary>
    public const string StatusKey = "status";

    /// <summary>The query key of the task list's page.</summary>
    public const string PageKey = "tasks-page";

    /// <summary>
    /// The task list of a cluster or service page: <paramref name="tasks"/> filtered by the query's text and desired
    /// status, newest first, one page of them (only that page is turned into the wire's shape), with its filter form
    /// and page links.
    /// </summary>
    public static Markup Section(string cluster, IEnumerable<TaskRecord> tasks, string path, IReadOnlyDictionary<string, string> query)
    {
        var filter = Paging.Filter(query, FilterKey);
        EcsTaskStatus? desired = Paging.Filter(query, StatusKey) switch
        {
            "RUNNING" => EcsTaskStatus.Running,
            "STOPPED" => EcsTaskStatus.Stopped,
            _ => null,
        };
        var matching = filter is null && desired is null
            ? tasks
            : tasks.Where(t => (desired is null || t.DesiredStatus == desired) && (filter is null || Matches(t, filter)));
        // Newest first, as the ECS console lists them; the ARN orders tasks created in the same tick.
        var page = Paging.Largest(matching, t => t.CreatedAt.UtcTicks, (a, b) => string.CompareOrdinal(a.TaskArn, b.TaskArn), Paging.Number(query, PageKey));
        var statuses = Markup.Join(new (string Value, string Text)[] { (string.Empty, "Any"), ("RUNNING", "RUNNING"), ("STOPPED", "STOPPED") }.Select(o =>
            Markup.Of($"<option value=\"{o.Value}\"{Markup.Raw(o.Value == (Paging.Filter(query, StatusKey) ?? string.Empty) ? " selected" : string.Empty)}>{o.Text}</option>")));
        var form = Paging.FilterForm("tasks", path, query, FilterKey, PageKey, Markup.Of($"""
            <label for="filter-status">Desired status</label><select id="filter-status" name="{StatusKey}">{statuses}</select>
            """), StatusKey);
        var shown = page.Total == 0 && (filter is not null || desired is not null) ? Markup.Raw("<p>No tasks match.</p>") : Render(cluster, page.Items.Select(t => TaskViews.ToWire(t, withTags: false)).ToList());
        return Markup.Of($"{form}{shown}{Paging.Nav(page, "Tasks", path, query, PageKey)}");
    }

    private static bool Matches(TaskRecord task, string filter)
        => Paging.Matches(filter, Format.IdOf(task.TaskArn)) || Paging.Matches(filter, task.Group)
            || Paging.Matches(filter, task.TaskDefinitionArn[(task.TaskDefinitionArn.LastIndexOf('/') + 1)..]);

    /// <summary>A table of <paramref name="tasks"/> of <paramref name="cluster"/>.</summary>
    public static Markup Render(string cluster, IReadOnlyCollection<EcsTask> tasks)
    {
        if (tasks.Count == 0)
        {
            return Markup.Raw("<p>No tasks.</p>");
        }

        var rows = tasks.Select(t => Markup.Of($"""
            <tr><td><a href="{Links.Task(cluster, Format.IdOf(t.TaskArn))}"><code>{Format.IdOf(t.TaskArn)}</code></a></td>
            <td>{Badges.Of(t.LastStatus)}</td><td>{Format.Or(t.DesiredStatus)}</td><td>{Badges.Of(t.HealthStatus)}</td>
            <td>{DefinitionLink(t.TaskDefinitionArn)}</td><td>{Format.Or(t.Group)}</td><td>{Format.Or(t.LaunchType ?? t.CapacityProviderName)}</td>
            <td>{Format.Time(t.StartedAt)}</td><td>{Format.Or(t.StoppedReason)}</td></tr>
            """));
        return Markup.Of($"""
            <div class="scroll"><table aria-label="Tasks">
            <thead><tr><th>Task</th><th>Last status</th><th>Desired</th><th>Health</th><th>Task definition</th><th>Group</th><th>Launch type</th><th>Started</th><th>Stopped reason</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    /// <summary>A task definition ARN as <c>family:revision</c>, linked to its page.</summary>
    public static Markup DefinitionLink(string? arn)
    {
        var name = arn is null ? Format.None : arn[(arn.LastIndexOf('/') + 1)..];
        return Links.TaskDefinitionArn(arn) is { } href ? Markup.Of($"<a href=\"{href}\">{name}</a>") : Markup.Of($"{name}");
    }
}
