using System.Globalization;
using Berth.AutoScaling.Api;
using Berth.AutoScaling.Model;
using Berth.AutoScaling.Scaling;
using Berth.AutoScaling.State;
using Berth.CloudWatch.Alarms;
using Berth.CloudWatch.Ecs;
using Berth.CloudWatch.Store;
using Berth.WebConsole.Hosting;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.Services;

/// <summary>What a service's page shows beside the ECS state: its Application Auto Scaling and its utilization.</summary>
/// <param name="Scaling">Application Auto Scaling's state, when the server has it.</param>
/// <param name="Alarms">The CloudWatch alarms (the policies' alarm states), when the server has them.</param>
/// <param name="Metrics">The metric store (CPU and memory utilization), when the server has one.</param>
/// <param name="Now">The time of the request.</param>
public sealed record ServiceExtras(AutoScalingState? Scaling, AlarmBook? Alarms, MetricStore? Metrics, DateTimeOffset Now)
{
    /// <summary>The extras of <paramref name="sources"/>, read now.</summary>
    public static ServiceExtras Of(ConsoleSources sources) =>
        new(sources.AutoScaling?.Current, sources.Alarms, sources.Metrics, sources.Time.GetUtcNow());
}

/// <summary>
/// A service's scalable target (<c>ecs</c> / <c>service/CLUSTER/SERVICE</c> / <c>ecs:service:DesiredCount</c>) as
/// Application Auto Scaling's Describe operations answer: capacity range, suspension, policies with their alarms,
/// scheduled actions and the newest activities; and its CPU and memory utilization chart.
/// </summary>
public static class ServiceScaling
{
    /// <summary>How many of the target's activities the page shows, newest first.</summary>
    public const int ActivityLimit = 50;

    /// <summary>How many storage periods the utilization chart covers at most (and never more than an hour).</summary>
    public const int ChartPeriods = 60;

    /// <summary>The scaling section: the target, or a line saying the service is not a scalable target.</summary>
    public static Markup Render(AutoScalingState state, AlarmBook? alarms, string region, string accountId, string cluster, string service)
    {
        var resourceId = $"service/{cluster}/{service}";
        var scope = new AasScope(region, accountId);
        var described = ScalingDecisions.DescribeTargets(state, scope, new DescribeScalableTargetsRequest
        {
            ServiceNamespace = ScalingDecisions.Namespace,
            ResourceIds = [resourceId],
            ScalableDimension = ScalingDecisions.Dimension,
        });
        if (described.ScalableTargets is not [var target])
        {
            return Markup.Of($"<p id=\"service-scaling\">Not a scalable target: Application Auto Scaling does not manage this service's desired count.</p>");
        }

        // DescribeScalingPolicies answers 10 at a time; a target has at most 50.
        var policies = new List<ScalingPolicyRecord>();
        string? next = null;
        do
        {
            (var page, next) = ScalingDecisions.DescribePolicies(state, scope, new DescribeScalingPoliciesRequest
            {
                ServiceNamespace = ScalingDecisions.Namespace,
                ResourceId = resourceId,
                ScalableDimension = ScalingDecisions.Dimension,
                NextToken = next,
            });
            policies.AddRange(page);
        }
        while (next is not null);

        var activities = ScalingDecisions.DescribeActivities(state, scope, new DescribeScalingActivitiesRequest
        {
            ServiceNamespace = ScalingDecisions.Namespace,
            ResourceId = resourceId,
            ScalableDimension = ScalingDecisions.Dimension,
            MaxResults = ActivityLimit,
        }).ScalingActivities ?? [];
        var scheduled = ScalingDecisions.DescribeScheduledActions(state, scope, new DescribeScheduledActionsRequest
        {
            ServiceNamespace = ScalingDecisions.Namespace,
            ResourceId = resourceId,
            ScalableDimension = ScalingDecisions.Dimension,
            MaxResults = 50,
        }).ScheduledActions ?? [];
        var suspended = target.SuspendedState;
        var suspendedText = string.Join(", ", new[]
        {
            suspended?.DynamicScalingInSuspended == true ? "dynamic scale-in" : null,
            suspended?.DynamicScalingOutSuspended == true ? "dynamic scale-out" : null,
            suspended?.ScheduledScalingSuspended == true ? "scheduled scaling" : null,
        }.OfType<string>());
        return Markup.Of($"""
            <dl class="facts" id="service-scaling">
            <dt>Minimum capacity</dt><dd id="scaling-min">{target.MinCapacity}</dd>
            <dt>Maximum capacity</dt><dd id="scaling-max">{target.MaxCapacity}</dd>
            <dt>Suspended</dt><dd id="scaling-suspended">{(suspendedText.Length == 0 ? "nothing" : suspendedText)}</dd>
            <dt>Registered</dt><dd>{Format.Time(target.CreationTime)}</dd>
            <dt>Role</dt><dd><code>{Format.Or(target.RoleARN)}</code></dd>
            </dl>
            <h3>Scaling policies</h3>
            {Policies(policies, alarms)}
            <h3>Scheduled actions</h3>
            {ScheduledActions(scheduled)}
            <h3>Scaling activities</h3>
            {Activities(activities)}
            """);
    }

    /// <summary>
    /// The service's CPU and memory utilization (<c>AWS/ECS</c>, <c>ClusterName</c> + <c>ServiceName</c>, the average
    /// per storage period) over the last <see cref="ChartPeriods"/> periods or hour, whichever is shorter.
    /// </summary>
    public static Markup Utilization(MetricStore? metrics, string cluster, string service, DateTimeOffset now)
    {
        if (metrics is null)
        {
            return Markup.Of($"<div id=\"service-utilization\"><p class=\"chart-empty\">{LineChart.NoData}</p></div>");
        }

        var window = TimeSpan.FromTicks(Math.Min(TimeSpan.FromHours(1).Ticks, metrics.Period.Ticks * ChartPeriods));
        var to = metrics.PeriodStart(now) + metrics.Period;
        var from = to - window;
        var cpu = Averages(metrics, EcsMetrics.Key(EcsMetrics.CpuUtilization, cluster, service), from, to);
        var memory = Averages(metrics, EcsMetrics.Key(EcsMetrics.MemoryUtilization, cluster, service), from, to);
        var chart = LineChart.Percent($"CPU and memory utilization of service {service}", from, to, [new("CPU", "cpu", cpu), new("Memory", "memory", memory)]);
        return Markup.Of($"<div id=\"service-utilization\">{chart}</div>");
    }

    /// <summary>The average of each stored period of <paramref name="key"/> in [<paramref name="from"/>, <paramref name="to"/>), in percent, oldest first.</summary>
    public static IReadOnlyList<ChartPoint> Averages(MetricStore metrics, MetricKey key, DateTimeOffset from, DateTimeOffset to) =>
        [.. PeriodQuery.Group(metrics.Read(key, from, to), metrics.Period, EcsMetrics.Unit).Select(p => new ChartPoint(p.Start, p.Values.Average))];

    private static Markup Policies(IReadOnlyList<ScalingPolicyRecord> policies, AlarmBook? alarms)
    {
        var rows = policies.Select(p => Markup.Of($"""
            <tr><td>{p.Name}</td><td>{p.PolicyType}</td><td>{Configuration(p)}</td><td>{Cooldowns(p)}</td><td>{Alarms(p, alarms)}</td><td>{Format.Time(p.LastScaledAt)}</td></tr>
            """)).ToList();
        return rows.Count == 0 ? Markup.Raw("<p>No scaling policies.</p>") : Markup.Of($"""
            <div class="scroll"><table aria-label="Scaling policies">
            <thead><tr><th>Policy</th><th>Type</th><th>Configuration</th><th>Cooldowns</th><th>Alarms</th><th>Last scaled</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    private static Markup Configuration(ScalingPolicyRecord p)
    {
        if (p.TargetTracking is { } t)
        {
            var metric = t.PredefinedMetricType ?? $"{t.Metric.Namespace} {t.Metric.MetricName} ({t.Metric.Statistic})";
            return Markup.Of($"Target {Number(t.TargetValue)} of {metric}{(t.ResourceLabel is null ? string.Empty : " " + t.ResourceLabel)}{(t.DisableScaleIn ? "; scale-in disabled" : string.Empty)}");
        }

        if (p.Step is { } s)
        {
            var steps = s.Steps.Select(x => Markup.Of($"<li>[{(x.Lower is { } l ? Number(l) : "−∞")}, {(x.Upper is { } u ? Number(u) : "+∞")}): {(x.Adjustment > 0 ? "+" : string.Empty)}{x.Adjustment}</li>"));
            return Markup.Of($"{s.AdjustmentType}{(s.MetricAggregationType is { } a ? ", " + a : string.Empty)}{(s.MinAdjustmentMagnitude is { } m ? $", at least {m}" : string.Empty)}<ul class=\"plain\">{Markup.Join(steps)}</ul>");
        }

        return Markup.Raw(Format.None);
    }

    private static string Cooldowns(ScalingPolicyRecord p) => p switch
    {
        { TargetTracking: { } t } => $"out {Seconds(t.ScaleOutCooldown)}, in {Seconds(t.ScaleInCooldown)}",
        { Step: { } s } => Seconds(s.Cooldown),
        _ => Format.None,
    };

    private static Markup Alarms(ScalingPolicyRecord p, AlarmBook? alarms)
    {
        // A target-tracking policy's own alarms by name; a step policy's are whichever alarms name it as their action.
        IEnumerable<(string Name, string? State)> found = p.TargetTracking is not null
            ? PolicyAlarms.For(p).Select(a => (a.AlarmName!, alarms?.Read(a.AlarmName!) is { } r ? AlarmEvaluation.Wire(r.State) : null))
            : (alarms?.WithAction(p.Arn) ?? []).Select(r => (r.Name, (string?)AlarmEvaluation.Wire(r.State)));
        var items = found.Select(a => Markup.Of($"<li><code>{a.Name}</code> {(a.State is null ? Markup.Empty : Badges.Of(a.State))}</li>")).ToList();
        return items.Count == 0 ? Markup.Raw(Format.None) : Markup.Of($"<ul class=\"plain\">{Markup.Join(items)}</ul>");
    }

    private static Markup ScheduledActions(List<ScheduledAction> actions)
    {
        var rows = actions.Select(a => Markup.Of($"""
            <tr><td>{a.ScheduledActionName}</td><td><code>{a.Schedule}</code></td><td>{Format.Or(a.Timezone ?? "UTC")}</td>
            <td class="num">{Format.Or(a.ScalableTargetAction?.MinCapacity)}</td><td class="num">{Format.Or(a.ScalableTargetAction?.MaxCapacity)}</td>
            <td>{Format.Time(a.StartTime)}</td><td>{Format.Time(a.EndTime)}</td></tr>
            """)).ToList();
        return rows.Count == 0 ? Markup.Raw("<p>No scheduled actions.</p>") : Markup.Of($"""
            <div class="scroll"><table aria-label="Scheduled actions">
            <thead><tr><th>Action</th><th>Schedule</th><th>Time zone</th><th>Min</th><th>Max</th><th>Start</th><th>End</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    private static Markup Activities(List<ScalingActivity> activities)
    {
        var rows = activities.Select(a => Markup.Of($"""
            <tr><td>{Badges.Of(a.StatusCode)}</td><td>{a.Description}</td><td>{a.Cause}</td><td>{Format.Or(a.StatusMessage)}</td><td>{Format.Time(a.StartTime)}</td><td>{Format.Time(a.EndTime)}</td></tr>
            """)).ToList();
        return rows.Count == 0 ? Markup.Raw("<p>No scaling activities yet.</p>") : Markup.Of($"""
            <div class="scroll"><table aria-label="Scaling activities">
            <thead><tr><th>Status</th><th>Description</th><th>Cause</th><th>Message</th><th>Started</th><th>Ended</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    private static string Seconds(int? seconds) => seconds is { } s ? s.ToString(CultureInfo.InvariantCulture) + " s" : "default";

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
