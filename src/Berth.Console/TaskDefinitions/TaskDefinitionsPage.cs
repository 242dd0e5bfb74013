using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.WebConsole.Hosting;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.TaskDefinitions;

/// <summary>Task definition families, their revisions, one revision's JSON, and registering a new revision from edited JSON.</summary>
public static class TaskDefinitionsPage
{
    // What DescribeTaskDefinition shows but RegisterTaskDefinition does not take: the edited JSON starts without them.
    private static readonly string[] ReadOnlyMembers =
        ["taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt"];

    /// <summary>The families of the console's region whose names contain the query's <c>q</c>, a page of them (<c>page</c>).</summary>
    public static Page Families(EcsState state, Scope scope, IReadOnlyDictionary<string, string>? query = null)
    {
        query ??= new Dictionary<string, string>();
        var filter = Paging.Filter(query, "q");
        var page = Paging.Of(FamiliesOf(state, scope).Where(f => Paging.Matches(filter, f.Family)).ToList(), Paging.Number(query, "page"));
        var rows = page.Items.Select(f => Markup.Of($"""
            <tr><td><a href="{Links.Family(f.Family)}">{f.Family}</a></td><td class="num">{f.Revisions.Count}</td>
            <td>{(f.LatestActive is { } latest ? Markup.Of($"<a href=\"{Links.Revision(f.Family, latest.Definition.Revision ?? 0)}\">{latest.Definition.Revision}</a>") : Markup.Of($"{Format.None}"))}</td></tr>
            """)).ToList();
        var table = rows.Count == 0
            ? Paging.None(filter, "families", "<p>No task definitions yet: <code>aws ecs register-task-definition --cli-input-json file://taskdef.json</code>.</p>")
            : Markup.Of($"""
                <div class="scroll"><table aria-label="Task definition families">
                <thead><tr><th>Family</th><th>Revisions</th><th>Latest active</th></tr></thead>
                <tbody>{Markup.Join(rows)}</tbody></table></div>
                """);
        return new Page(200, "Task definitions", Paging.Listing(Markup.Raw("<h1>Task definitions</h1>"), "families", Links.TaskDefinitions, query, page, table));
    }

    /// <summary>A family's revisions, newest first, a page of them (the query's <c>page</c>).</summary>
    public static Page Revisions(EcsState state, Scope scope, string family, IReadOnlyDictionary<string, string>? query = null)
    {
        query ??= new Dictionary<string, string>();
        if (!state.Families.TryGetValue(Arn.TaskDefinitionFamily(scope, family), out var found))
        {
            return Page.NotFound($"There is no task definition family named {family}.");
        }

        var page = Paging.Of(found.Revisions.Reverse().ToList(), Paging.Number(query, "page"));
        var rows = page.Items.Select(r => r.Wire()).Select(d => Markup.Of($"""
            <tr><td><a href="{Links.Revision(family, d.Revision ?? 0)}">{family}:{d.Revision}</a></td><td>{Badges.Of(d.Status)}</td>
            <td>{Format.Time(d.RegisteredAt)}</td><td>{Format.Or(d.Cpu)} / {Format.Or(d.Memory)}</td>
            <td>{string.Join(", ", (d.ContainerDefinitions ?? []).Select(c => $"{c.Name} ({c.Image})"))}</td></tr>
            """));
        return new Page(200, $"Task definition {family}", Markup.Of($"""
            <nav aria-label="Breadcrumb" class="crumbs"><a href="{Links.TaskDefinitions}">Task definitions</a> / {family}</nav>
            <h1>Task definition {family}</h1>
            <div class="scroll"><table aria-label="Revisions">
            <thead><tr><th>Revision</th><th>Status</th><th>Registered</th><th>CPU / memory</th><th>Containers</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            {Paging.Nav(page, "Revisions", Links.Family(family), query, "page")}
            """));
    }

    /// <summary>One revision: its containers, its JSON, and the form that registers a new revision from it.</summary>
    public static Page Revision(EcsState state, Scope scope, string family, string revision, string csrf)
        => Find(state, scope, family, revision) is { } definition
            ? RevisionPage(definition, csrf, RegisterJson(definition), null)
            : Page.NotFound($"There is no task definition {family}:{revision}.");

    /// <summary>
    /// Registers the posted JSON through the API's RegisterTaskDefinition (its parsing, validation and errors) and goes
    /// to the new revision; on an error the same page answers 400 with the API's message and the JSON as it was sent.
    /// </summary>
    public static async Task<Page> RegisterAsync(ConsoleSources sources, ConsoleRequest request, string family, string revision, string csrf)
    {
        if (Find(sources.Ecs.Current, sources.Scope, family, revision) is not { } definition)
        {
            return Page.NotFound($"There is no task definition {family}:{revision}.");
        }

        var json = request.Form.GetValueOrDefault("json") ?? string.Empty;
        try
        {
            var answer = await sources.CallEcsAsync("RegisterTaskDefinition", Encoding.UTF8.GetBytes(json), request.Session, request.Cancellation);
            var registered = answer?["taskDefinition"];
            return Page.Redirect(Links.Revision((string)registered!["family"]!, (int)registered["revision"]!));
        }
        catch (AwsException ex) when (ex.StatusCode < 500)
        {
            return RevisionPage(definition, csrf, json, $"{ex.ErrorType}: {ex.Message}") with { Status = 400 };
        }
    }

    /// <summary>Deregisters the revision through the API's DeregisterTaskDefinition and shows it again (INACTIVE).</summary>
    public static async Task<Page> DeregisterAsync(ConsoleSources sources, ConsoleRequest request, string family, string revision)
    {
        if (Find(sources.Ecs.Current, sources.Scope, family, revision) is not { } definition)
        {
            return Page.NotFound($"There is no task definition {family}:{revision}.");
        }

        var input = new JsonObject { ["taskDefinition"] = definition.TaskDefinitionArn };
        await sources.CallEcsAsync("DeregisterTaskDefinition", Encoding.UTF8.GetBytes(input.ToJsonString()), request.Session, request.Cancellation);
        return Page.Redirect(Links.Revision(family, definition.Revision ?? 0));
    }

    /// <summary>The JSON a new revision starts from: the revision as DescribeTaskDefinition shows it, without what only the server sets.</summary>
    public static string RegisterJson(TaskDefinition definition)
    {
        var node = JsonSerializer.SerializeToNode(definition, WireJsonContext.Default.TaskDefinition)!.AsObject();
        foreach (var member in ReadOnlyMembers)
        {
            node.Remove(member);
        }

        return Indented(node);
    }

    private static IEnumerable<TaskDefinitionFamily> FamiliesOf(EcsState state, Scope scope)
    {
        var prefix = Arn.TaskDefinitionFamily(scope, string.Empty);
        return state.Families.Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(f => f.Value);
    }

    private static TaskDefinition? Find(EcsState state, Scope scope, string family, string revision)
    {
        if (!int.TryParse(revision, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1
            || !state.Families.TryGetValue(Arn.TaskDefinitionFamily(scope, family), out var found) || number > found.Revisions.Count)
        {
            return null;
        }

        return found.Revisions[number - 1].Wire();
    }

    private static Page RevisionPage(TaskDefinition definition, string csrf, string editedJson, string? error)
    {
        var family = definition.Family!;
        var revision = definition.Revision ?? 0;
        var alert = error is null ? Markup.Empty : Markup.Of($"<p class=\"error\" role=\"alert\" id=\"register-error\">{error}</p>");
        var containers = (definition.ContainerDefinitions ?? []).Select(c => Markup.Of($"""
            <tr><td>{c.Name}</td><td><code>{c.Image}</code></td><td class="num">{c.Cpu}</td><td class="num">{Format.Or(c.Memory)}</td><td>{(c.Essential ?? true ? "yes" : "no")}</td>
            <td>{string.Join(", ", (c.PortMappings ?? []).Select(p => $"{p.ContainerPort}/{p.Protocol ?? "tcp"}"))}</td>
            <td><code>{string.Join(" ", c.Command ?? [])}</code></td>
            <td><ul class="plain">{Markup.Join((c.Environment ?? []).Select(e => Markup.Of($"<li><code>{e.Name}</code> = <code>{e.Value}</code></li>")))}</ul></td></tr>
            """));
        return new Page(200, $"Task definition {family}:{revision}", Markup.Of($"""
            <nav aria-label="Breadcrumb" class="crumbs"><a href="{Links.TaskDefinitions}">Task definitions</a> / <a href="{Links.Family(family)}">{family}</a> / {revision}</nav>
            <h1>Task definition {family}:{revision} {Badges.Of(definition.Status, "definition-status")} {Deregister(definition, csrf)}</h1>
            <dl class="facts"><dt>Network mode</dt><dd>{Format.Or(definition.NetworkMode)}</dd><dt>CPU / memory</dt><dd>{Format.Or(definition.Cpu)} / {Format.Or(definition.Memory)}</dd>
            <dt>Registered</dt><dd>{Format.Time(definition.RegisteredAt)}</dd><dt>ARN</dt><dd><code>{definition.TaskDefinitionArn}</code></dd></dl>
            <h2>Containers</h2>
            <div class="scroll"><table aria-label="Container definitions">
            <thead><tr><th>Name</th><th>Image</th><th>CPU</th><th>Memory</th><th>Essential</th><th>Ports</th><th>Command</th><th>Environment</th></tr></thead>
            <tbody>{Markup.Join(containers)}</tbody></table></div>
            <h2>Register a new revision</h2>
            <p>Edit the JSON (RegisterTaskDefinition's input) and register it; the API checks it as it checks any client's.</p>
            {alert}
            <form method="post" action="{Links.RegisterRevision(family, revision)}">
            <input type="hidden" name="_csrf" value="{csrf}">
            <label for="definition-json">Task definition JSON</label>
            <textarea id="definition-json" name="json" rows="24" spellcheck="false">{editedJson}</textarea>
            <button type="submit">Register new revision</button>
            </form>
            <h2>JSON</h2>
            <pre class="json" aria-label="Registered JSON">{Indented(JsonSerializer.SerializeToNode(definition, WireJsonContext.Default.TaskDefinition)!)}</pre>
            """));
    }

    private static Markup Deregister(TaskDefinition definition, string csrf) => definition.Status != "ACTIVE" ? Markup.Empty : Markup.Of($"""
        <form method="post" action="{Links.DeregisterRevision(definition.Family!, definition.Revision ?? 0)}" class="inline">
        <input type="hidden" name="_csrf" value="{csrf}"><button type="submit" class="danger">Deregister</button></form>
        """);

    private static string Indented(JsonNode node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            node.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
