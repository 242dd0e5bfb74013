using System.Globalization;
using Berth.CloudWatch.Store;
using Berth.Events.Firing;
using Berth.Events.State;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.EventBridge;

/// <summary>EventBridge Scheduler schedules of every group of the console's region, and one schedule with its target.</summary>
public static class SchedulesPage
{
    /// <summary>The schedules of the region, by group then name.</summary>
    public static Page List(EventsState state, string region, TimeSpan rateMinute, IReadOnlyDictionary<string, string>? query = null)
    {
        query ??= new Dictionary<string, string>();
        var filter = Paging.Filter(query, "q");
        var schedules = state.Schedules.Values.Where(s => s.Region == region && (Paging.Matches(filter, s.Name) || Paging.Matches(filter, s.Group)))
            .OrderBy(s => s.Group == EventsState.DefaultGroup ? 0 : 1).ThenBy(s => s.Group, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
        var page = Paging.Of(schedules, Paging.Number(query, "page"));
        var rows = page.Items.Select(s => Markup.Of($"""
            <tr><td>{s.Group}</td><td><a href="{Links.Schedule(s.Group, s.Name)}">{s.Name}</a></td><td>{Badges.Of(RulesPage.StateName(s.State))}</td>
            <td><code>{s.Expression}</code> {s.Timezone}</td><td>{Target(s)}</td><td>{Format.Time(NextFiring(state, s, rateMinute))}</td></tr>
            """)).ToList();
        var table = rows.Count == 0
            ? Paging.None(filter, "schedules", "<p>No schedules yet: <code>aws scheduler create-schedule --name NAME --schedule-expression 'rate(5 minutes)' --flexible-time-window Mode=OFF --target ...</code>.</p>")
            : Markup.Of($"""
                <div class="scroll"><table aria-label="Schedules">
                <thead><tr><th>Group</th><th>Schedule</th><th>State</th><th>Expression</th><th>Target</th><th>Next firing</th></tr></thead>
                <tbody>{Markup.Join(rows)}</tbody></table></div>
                """);
        return new Page(200, "Schedules", Paging.Listing(Markup.Raw("<h1>Schedules</h1>"), "schedules", Links.Schedules, query, page, table)) { Live = true };
    }

    /// <summary>One schedule; 404 when there is none.</summary>
    public static Page Schedule(EventsState state, string region, string group, string name, MetricStore? metrics, DateTimeOffset now, TimeSpan rateMinute)
    {
        if (!state.Schedules.TryGetValue(EventsState.ScheduleKey(region, group, name), out var schedule))
        {
            return Page.NotFound($"There is no schedule named {name} in group {group}.");
        }

        DateTimeOffset? lastFired = state.ScheduleLastFired.TryGetValue(EventsState.KeyOf(schedule), out var last) ? last : null;
        var window = schedule.FlexibleWindowMinutes is { } minutes ? $"flexible, up to {minutes} min" : "off";
        var ecs = schedule.Ecs;
        var body = Markup.Of($"""
            <nav aria-label="Breadcrumb" class="crumbs"><a href="{Links.Schedules}">Schedules</a> / {schedule.Group} / schedule</nav>
            <h1>Schedule {schedule.Name} {Badges.Of(RulesPage.StateName(schedule.State), "schedule-state")}</h1>
            <dl class="facts">
            <dt>Group</dt><dd>{schedule.Group}</dd>
            <dt>Expression</dt><dd><code id="schedule-expression">{schedule.Expression}</code></dd>
            <dt>Time zone</dt><dd id="schedule-timezone">{schedule.Timezone}</dd>
            <dt>Next firing</dt><dd id="schedule-next">{Format.Time(NextFiring(state, schedule, rateMinute))}</dd>
            <dt>Last firing</dt><dd>{Format.Time(lastFired)}</dd>
            <dt>Time window</dt><dd>{window}</dd>
            <dt>Start / end</dt><dd>{Format.Time(schedule.StartDate)} / {Format.Time(schedule.EndDate)}</dd>
            <dt>After completion</dt><dd>{Format.Or(schedule.ActionAfterCompletion)}</dd>
            <dt>Description</dt><dd id="schedule-description">{Format.Or(schedule.Description)}</dd>
            <dt>Created</dt><dd>{Format.Time(schedule.CreatedAt)}</dd>
            <dt>Modified</dt><dd>{Format.Time(schedule.ModifiedAt)}</dd>
            <dt>ARN</dt><dd><code>{schedule.Arn}</code></dd>
            </dl>
            <h2>Target</h2>
            <dl class="facts" id="schedule-target">
            <dt>ARN</dt><dd><code>{schedule.TargetArn}</code></dd>
            <dt>Task definition</dt><dd>{RulesPage.Definition(ecs?.TaskDefinitionArn)}</dd>
            <dt>Task count</dt><dd>{(ecs is null ? Format.None : ecs.TaskCount.ToString(CultureInfo.InvariantCulture))}</dd>
            <dt>Launch type</dt><dd>{Format.Or(ecs?.LaunchType)}</dd>
            <dt>Oldest firing delivered</dt><dd>{schedule.MaximumEventAgeInSeconds} s late</dd>
            </dl>
            {(schedule.Input is { } input ? Markup.Of($"<h3>Input</h3><pre class=\"pattern\">{RulesPage.Pretty(input)}</pre>") : Markup.Empty)}
            <h3>Target as given</h3>
            <pre class="pattern">{RulesPage.Pretty(schedule.TargetJson)}</pre>
            <h2>Invocations of the group in the last hour</h2>
            {(metrics is null ? Markup.Raw("<p>No metrics on this server.</p>") : Counts(metrics, schedule.Group, now))}
            """);
        return new Page(200, $"Schedule {schedule.Name}", body) { Live = true };
    }

    private static DateTimeOffset? NextFiring(EventsState state, ScheduleRecord schedule, TimeSpan rateMinute) =>
        FiringPlan.FirstDue(schedule, state.ScheduleLastFired.TryGetValue(EventsState.KeyOf(schedule), out var last) ? last : null, rateMinute);

    private static Markup Target(ScheduleRecord schedule) => schedule.Ecs is { } ecs
        ? Markup.Of($"<code>{schedule.TargetArn}</code> ({RulesPage.Definition(ecs.TaskDefinitionArn)} × {ecs.TaskCount})")
        : Markup.Of($"<code>{schedule.TargetArn}</code>");

    // Scheduler's metrics are per group, not per schedule (as in AWS).
    private static Markup Counts(MetricStore metrics, string group, DateTimeOffset now)
    {
        KeyValuePair<string, string>[] dimensions = [new("ScheduleGroup", group)];
        double Of(string metric) => RulesPage.Sum(metrics, new MetricKey(InvocationMetrics.SchedulerNamespace, metric, dimensions), now);
        return Markup.Of($"""
            <dl class="facts" id="schedule-invocations">
            <dt>Invocation attempts</dt><dd>{Of("InvocationAttemptCount")}</dd>
            <dt>Target errors</dt><dd>{Of("TargetErrorCount")}</dd>
            <dt>Dropped</dt><dd>{Of("InvocationDroppedCount")}</dd>
            </dl>
            """);
    }
}
