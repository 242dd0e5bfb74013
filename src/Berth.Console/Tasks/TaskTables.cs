using Berth.Ecs.Model;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.Tasks;

/// <summary>The task list a cluster and a service page share.</summary>
public static class TaskTables
{
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
