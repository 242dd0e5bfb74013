using Berth.Elb.Model;
using Berth.Elb.State;
using Berth.Elb.TargetGroups;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.LoadBalancers;

/// <summary>The region's target groups and one target group with its targets' health, as DescribeTargetGroups and DescribeTargetHealth show them.</summary>
public static class TargetGroupsPage
{
    /// <summary>Every target group of <paramref name="region"/>.</summary>
    public static Page List(LoadBalancingView view, string region, IReadOnlyDictionary<string, string>? query = null)
    {
        query ??= new Dictionary<string, string>();
        var filter = Paging.Filter(query, "q");
        var page = Paging.Of(view.TargetGroups(region).Where(g => Paging.Matches(filter, g.Name)).ToList(), Paging.Number(query, "page"));
        var table = page.Total == 0
            ? Paging.None(filter, "target groups", "<p>No target groups yet: <code>aws elbv2 create-target-group --name NAME --protocol HTTP --port 80 --target-type ip</code>.</p>")
            : Table(view, page.Items);
        return new Page(200, "Target groups", Paging.Listing(Markup.Of($"<h1>Target groups <small>{region}</small></h1>"), "target groups", Links.TargetGroups, query, page, table)) { Live = true };
    }

    /// <summary>Target groups as a table: protocol and port, target type, the load balancers using each and its targets' health.</summary>
    public static Markup Table(LoadBalancingView view, IReadOnlyList<TargetGroupRecord> groups)
    {
        if (groups.Count == 0)
        {
            return Markup.Raw("<p>None.</p>");
        }

        var rows = groups.Select(g => Markup.Of($"""
            <tr><td><a href="{Links.TargetGroup(g.Name)}">{g.Name}</a></td><td>{g.Protocol}:{g.Port}</td><td>{g.TargetType}</td>
            <td>{LoadBalancerLinks(view.State, g)}</td><td>{LoadBalancingView.Counts(view.HealthOf(g))}</td></tr>
            """));
        return Markup.Of($"""
            <div class="scroll"><table aria-label="Target groups">
            <thead><tr><th>Target group</th><th>Protocol:port</th><th>Target type</th><th>Load balancers</th><th>Targets</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    /// <summary>
    /// One target group: its settings, health checks and attributes, the load balancers using it and its targets with
    /// their health exactly as DescribeTargetHealth reports them; 404 when there is none of that name.
    /// </summary>
    public static Page TargetGroup(LoadBalancingView view, string region, string name)
    {
        if (view.FindTargetGroup(region, name) is not { } group)
        {
            return Page.NotFound($"There is no target group named {name}.");
        }

        var check = group.HealthCheck;
        var targets = view.HealthOf(group);
        var stickiness = group.Attribute(TargetGroupAttributes.StickinessEnabled) == "true"
            ? $"on ({group.Attribute(TargetGroupAttributes.StickinessType)}, {group.Attribute(TargetGroupAttributes.CookieDuration)} s)"
            : "off";
        var slowStart = group.Attribute(TargetGroupAttributes.SlowStart);
        var body = Markup.Of($"""
            <nav aria-label="Breadcrumb" class="crumbs"><a href="{Links.TargetGroups}">Target groups</a> / {name}</nav>
            <h1>Target group {name}</h1>
            <dl class="facts">
            <dt>Protocol</dt><dd>{group.Protocol} ({group.ProtocolVersion})</dd>
            <dt>Port</dt><dd>{group.Port}</dd>
            <dt>Target type</dt><dd>{group.TargetType}</dd>
            <dt>IP address type</dt><dd>{group.IpAddressType}</dd>
            <dt>Load balancers</dt><dd>{LoadBalancerLinks(view.State, group)}</dd>
            <dt>VPC</dt><dd><code>{group.VpcId}</code></dd>
            <dt>ARN</dt><dd><code>{group.Arn}</code></dd>
            </dl>
            <h2>Targets</h2>
            <p id="target-counts">{LoadBalancingView.Counts(targets)}</p>
            {Targets(targets)}
            <h2>Health checks</h2>
            <dl class="facts">
            <dt>Enabled</dt><dd>{(check.Enabled ? "yes" : "no")}</dd>
            <dt>Path</dt><dd><code>{check.Path}</code> over {check.Protocol} on port {check.Port}</dd>
            <dt>Interval / timeout</dt><dd>{check.IntervalSeconds} s / {check.TimeoutSeconds} s</dd>
            <dt>Healthy / unhealthy threshold</dt><dd>{check.HealthyThreshold} / {check.UnhealthyThreshold} checks in a row</dd>
            <dt>Success codes</dt><dd>{check.Matcher}</dd>
            </dl>
            <h2>Attributes</h2>
            <dl class="facts">
            <dt>Deregistration delay</dt><dd>{group.Attribute(TargetGroupAttributes.DeregistrationDelay)} s</dd>
            <dt>Algorithm</dt><dd>{group.Attribute(TargetGroupAttributes.Algorithm)}</dd>
            <dt>Slow start</dt><dd>{(slowStart == "0" ? "off" : slowStart + " s")}</dd>
            <dt>Stickiness</dt><dd>{stickiness}</dd>
            <dt>Cross-zone</dt><dd>{group.Attribute("load_balancing.cross_zone.enabled")}</dd>
            </dl>
            <h2>Tags</h2>
            {LoadBalancersPage.Tags(group.Tags)}
            """);
        return new Page(200, $"Target group {name}", body) { Live = true };
    }

    private static Markup Targets(List<TargetHealthDescription> targets)
    {
        if (targets.Count == 0)
        {
            return Markup.Raw("<p>No targets registered: <code>aws elbv2 register-targets --target-group-arn ARN --targets Id=ID,Port=PORT</code>, or a service's <code>loadBalancers</code>.</p>");
        }

        var rows = targets.Select(t => Markup.Of($"""
            <tr><td><code>{t.Target?.Id}</code></td><td class="num">{Format.Or(t.Target?.Port)}</td><td>{Format.Or(t.Target?.AvailabilityZone)}</td>
            <td>{Badges.Of(t.TargetHealth?.State)}</td><td>{Format.Or(t.TargetHealth?.Reason)}</td><td>{Format.Or(t.TargetHealth?.Description)}</td>
            <td class="num">{Format.Or(t.HealthCheckPort)}</td></tr>
            """));
        return Markup.Of($"""
            <div class="scroll"><table aria-label="Targets">
            <thead><tr><th>Target</th><th>Port</th><th>Availability zone</th><th>Health</th><th>Reason</th><th>Description</th><th>Health check port</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    /// <summary>Links to the load balancers whose listeners or rules forward to <paramref name="group"/>.</summary>
    public static Markup LoadBalancerLinks(ElbState state, TargetGroupRecord group)
    {
        var links = state.LoadBalancersUsing(group.Arn)
            .Select(arn => state.LoadBalancers.TryGetValue(arn, out var lb) ? Markup.Of($"<a href=\"{Links.LoadBalancer(lb.Name)}\">{lb.Name}</a>") : Markup.Of($"<code>{arn}</code>"))
            .ToList();
        return links.Count == 0 ? Markup.Raw("none (its targets are <code>unused</code>)") : Markup.Join(links.Select((l, i) => i == 0 ? l : Markup.Of($", {l}")));
    }
}
