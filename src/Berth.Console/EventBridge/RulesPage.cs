using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.CloudWatch.Store;
using Berth.Events.Firing;
using Berth.Events.State;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.EventBridge;

/// <summary>EventBridge rules of every bus of the console's region, and one rule with its targets and recent invocations.</summary>
public static class RulesPage
{
    // The page encodes the text itself: the JSON keeps < and > as they are.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>How far back a rule's invocation counts go.</summary>
    public static readonly TimeSpan CountWindow = TimeSpan.FromHours(1);

    /// <summary>The rules of the region, by bus then name.</summary>
    public static Page List(EventsState state, string region, TimeSpan rateMinute, IReadOnlyDictionary<string, string>? query = null)
    {
        query ??= new Dictionary<string, string>();
        var filter = Paging.Filter(query, "q");
        var rules = state.Rules.Values.Where(r => r.Region == region && Paging.Matches(filter, r.Name))
            .OrderBy(r => r.Bus == EventsState.DefaultBus ? 0 : 1).ThenBy(r => r.Bus, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        var page = Paging.Of(rules, Paging.Number(query, "page"));
        var rows = page.Items.Select(r => Markup.Of($"""
            <tr><td><a href="{Links.Rule(r.Bus, r.Name)}">{r.Name}</a></td><td>{r.Bus}</td><td>{Badges.Of(StateName(r.State))}</td>
            <td>{WhenText(r)}</td><td class="num">{r.Targets.Count}</td><td>{Format.Time(NextFiring(state, r, rateMinute))}</td></tr>
            """)).ToList();
        var table = rows.Count == 0
            ? Paging.None(filter, "rules", "<p>No rules yet: <code>aws events put-rule --name NAME --schedule-expression 'rate(5 minutes)'</code>.</p>")
            : Markup.Of($"""
                <div class="scroll"><table aria-label="Rules">
                <thead><tr><th>Rule</th><th>Bus</th><th>State</th><th>Schedule or event pattern</th><th>Targets</th><th>Next firing</th></tr></thead>
                <tbody>{Markup.Join(rows)}</tbody></table></div>
                """);
        return new Page(200, "Rules", Paging.Listing(Markup.Raw("<h1>Rules</h1>"), "rules", Links.Rules, query, page, table)) { Live = true };
    }

    /// <summary>One rule of <paramref name="bus"/>; 404 when there is none.</summary>
    public static Page Rule(EventsState state, string region, string bus, string name, MetricStore? metrics, DateTimeOffset now, TimeSpan rateMinute)
    {
        if (!state.Rules.TryGetValue(EventsState.RuleKey(region, bus, name), out var rule))
        {
            return Page.NotFound(bus == EventsState.DefaultBus ? $"There is no rule named {name}." : $"There is no rule named {name} on event bus {bus}.");
        }

        DateTimeOffset? lastFired = state.LastFired.TryGetValue(EventsState.KeyOf(rule), out var last) ? last : null;
        var dimensions = rule.Bus == EventsState.DefaultBus
            ? new KeyValuePair<string, string>[] { new("RuleName", rule.Name) }
            : [new("EventBusName", rule.Bus), new("RuleName", rule.Name)];
        var body = Markup.Of($"""
            <nav aria-label="Breadcrumb" class="crumbs"><a href="{Links.Rules}">Rules</a> / {rule.Bus} / rule</nav>
            <h1>Rule {rule.Name} {Badges.Of(StateName(rule.State), "rule-state")}</h1>
            <dl class="facts">
            <dt>Event bus</dt><dd>{rule.Bus}</dd>
            <dt>Schedule</dt><dd>{(rule.Schedule is null ? Markup.Raw(Format.None) : Markup.Of($"<code id=\"rule-schedule\">{rule.Schedule}</code>"))}</dd>
            <dt>Next firing</dt><dd>{Format.Time(NextFiring(state, rule, rateMinute))}</dd>
            <dt>Last firing</dt><dd>{Format.Time(lastFired)}</dd>
            <dt>Description</dt><dd id="rule-description">{Format.Or(rule.Description)}</dd>
            <dt>Role</dt><dd><code>{Format.Or(rule.RoleArn)}</code></dd>
            <dt>Created</dt><dd>{Format.Time(rule.CreatedAt)}</dd>
            <dt>ARN</dt><dd><code>{rule.Arn}</code></dd>
            </dl>
            {(rule.Pattern is null ? Markup.Empty : Markup.Of($"<h2>Event pattern</h2><pre class=\"pattern\" id=\"rule-pattern\">{Pretty(rule.Pattern)}</pre>"))}
            <h2>Targets</h2>
            {Targets(rule)}
            <h2>Invocations in the last hour</h2>
            {(metrics is null ? Markup.Raw("<p>No metrics on this server.</p>") : Counts(metrics, dimensions, now))}
            """);
        return new Page(200, $"Rule {rule.Name}", body) { Live = true };
    }

    /// <summary>ENABLED or DISABLED, as the API says it.</summary>
    public static string StateName(RuleState state) => state == RuleState.Enabled ? "ENABLED" : "DISABLED";

    /// <summary>JSON indented for reading (an event pattern, a target's input); the text as it is when it is not JSON.</summary>
    public static string Pretty(string json)
    {
        try
        {
            return JsonNode.Parse(json)?.ToJsonString(Indented) ?? json;
        }
        catch (JsonException)
        {
            return json;
        }
    }

    /// <summary>The sum of a Count metric over the last <see cref="CountWindow"/> (0 when nothing was counted).</summary>
    public static double Sum(MetricStore metrics, MetricKey key, DateTimeOffset now) =>
        metrics.Read(key, now - CountWindow, now + metrics.Period).Sum(p => p.Values.Sum);

    private static DateTimeOffset? NextFiring(EventsState state, RuleRecord rule, TimeSpan rateMinute) =>
        FiringPlan.FirstDue(rule, state.LastFired.TryGetValue(EventsState.KeyOf(rule), out var last) ? last : null, rateMinute);

    private static Markup WhenText(RuleRecord rule)
    {
        var pattern = rule.Pattern is { } p ? (p.Length > 120 ? p[..120] + "…" : p) : null;
        return (rule.Schedule, pattern) switch
        {
            ({ } s, null) => Markup.Of($"<code>{s}</code>"),
            (null, { } e) => Markup.Of($"<code>{e}</code>"),
            ({ } s, { } e) => Markup.Of($"<code>{s}</code> and <code>{e}</code>"),
            _ => Markup.Raw(Format.None),
        };
    }

    private static Markup Targets(RuleRecord rule)
    {
        var rows = rule.Targets.Select(t => Markup.Of($"""
            <tr><td>{t.Id}</td><td><code>{t.Arn}</code></td><td>{Definition(t.Ecs?.TaskDefinitionArn)}</td>
            <td class="num">{(t.Ecs is { } e ? e.TaskCount.ToString(System.Globalization.CultureInfo.InvariantCulture) : Format.None)}</td>
            <td>{Format.Or(t.Ecs?.LaunchType)}</td><td>{(t.Input is { } input ? Markup.Of($"<code>{input}</code>") : Markup.Raw(Format.None))}</td></tr>
            """)).ToList();
        return rows.Count == 0 ? Markup.Raw("<p>No targets.</p>") : Markup.Of($"""
            <div class="scroll"><table aria-label="Targets">
            <thead><tr><th>Id</th><th>ARN</th><th>Task definition</th><th>Count</th><th>Launch type</th><th>Input</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    /// <summary>A task definition as a link to its page when it names a revision, else as code.</summary>
    internal static Markup Definition(string? taskDefinition) => taskDefinition switch
    {
        null => Markup.Raw(Format.None),
        _ when Links.TaskDefinitionArn(taskDefinition) is { } link => Markup.Of($"<a href=\"{link}\"><code>{taskDefinition}</code></a>"),
        _ => Markup.Of($"<code>{taskDefinition}</code>"),
    };

    private static Markup Counts(MetricStore metrics, KeyValuePair<string, string>[] dimensions, DateTimeOffset now)
    {
        double Of(string metric) => Sum(metrics, new MetricKey(InvocationMetrics.EventsNamespace, metric, dimensions), now);
        return Markup.Of($"""
            <dl class="facts" id="rule-invocations">
            <dt>Triggered</dt><dd id="rule-triggered">{Of("TriggeredRules")}</dd>
            <dt>Invocations</dt><dd id="rule-invoked">{Of("Invocations")}</dd>
            <dt>Failed invocations</dt><dd id="rule-failed">{Of("FailedInvocations")}</dd>
            </dl>
            """);
    }
}
