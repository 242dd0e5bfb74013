using Berth.Elb.LoadBalancers;
using Berth.Elb.Model;
using Berth.Elb.State;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.LoadBalancers;

/// <summary>The region's load balancers and one load balancer, as DescribeLoadBalancers, DescribeListeners and DescribeRules show them.</summary>
public static class LoadBalancersPage
{
    /// <summary>Every load balancer of <paramref name="region"/>.</summary>
    public static Page List(LoadBalancingView view, string region, IReadOnlyDictionary<string, string>? query = null)
    {
        query ??= new Dictionary<string, string>();
        var state = view.State;
        var filter = Paging.Filter(query, "q");
        var page = Paging.Of(view.LoadBalancers(region).Where(lb => Paging.Matches(filter, lb.Name)).ToList(), Paging.Number(query, "page"));
        var rows = page.Items.Select(record => (Record: record, Wire: LoadBalancerDecisions.ToWire(record))).Select(lb => Markup.Of($"""
            <tr><td><a href="{Links.LoadBalancer(lb.Record.Name)}">{lb.Record.Name}</a></td><td><code>{lb.Wire.DNSName}</code></td>
            <td>{Badges.Of(lb.Wire.State?.Code)}</td><td>{lb.Wire.Scheme}</td><td>{lb.Wire.Type}</td><td>{Format.Time(lb.Wire.CreatedTime)}</td>
            <td class="num">{state.ListenersOf(lb.Record.Arn).Count()}</td></tr>
            """)).ToList();
        var table = rows.Count == 0
            ? Paging.None(filter, "load balancers", "<p>No load balancers yet: <code>aws elbv2 create-load-balancer --name NAME</code>.</p>")
            : Markup.Of($"""
                <div class="scroll"><table aria-label="Load balancers">
                <thead><tr><th>Load balancer</th><th>DNS name</th><th>State</th><th>Scheme</th><th>Type</th><th>Created</th><th>Listeners</th></tr></thead>
                <tbody>{Markup.Join(rows)}</tbody></table></div>
                """);
        return new Page(200, "Load balancers", Paging.Listing(Markup.Of($"<h1>Load balancers <small>{region}</small></h1>"), "load balancers", Links.LoadBalancers, query, page, table)) { Live = true };
    }

    /// <summary>One load balancer: its facts and attributes, its listeners with their rules, its target groups and tags; 404 when there is none of that name.</summary>
    public static Page LoadBalancer(LoadBalancingView view, string region, string name)
    {
        if (view.FindLoadBalancer(region, name) is not { } record)
        {
            return Page.NotFound($"There is no load balancer named {name}.");
        }

        var state = view.State;
        var wire = LoadBalancerDecisions.ToWire(record);
        var attributes = LoadBalancerDecisions.DescribeAttributes(state, new DescribeLoadBalancerAttributesInput { LoadBalancerArn = record.Arn }).Attributes ?? [];
        string Attribute(string key) => attributes.FirstOrDefault(a => a.Key == key)?.Value ?? Format.None;
        var zones = (wire.AvailabilityZones ?? []).Select(z => $"{z.ZoneName} ({z.SubnetId})").ToList();
        var listeners = state.ListenersOf(record.Arn).ToList();
        var groups = view.TargetGroups(region).Where(tg => state.LoadBalancersUsing(tg.Arn).Contains(record.Arn)).ToList();
        var body = Markup.Of($"""
            <nav aria-label="Breadcrumb" class="crumbs"><a href="{Links.LoadBalancers}">Load balancers</a> / {name}</nav>
            <h1>Load balancer {name} {Badges.Of(wire.State?.Code)}</h1>
            <dl class="facts">
            <dt>DNS name</dt><dd><code id="lb-dns-name">{wire.DNSName}</code> (the address clients use)</dd>
            <dt>Scheme</dt><dd>{wire.Scheme}</dd>
            <dt>Type</dt><dd>{wire.Type}</dd>
            <dt>IP address type</dt><dd>{wire.IpAddressType}</dd>
            <dt>Idle timeout</dt><dd>{Attribute(LoadBalancerAttributes.IdleTimeout)} s</dd>
            <dt>Deletion protection</dt><dd>{Attribute(LoadBalancerAttributes.DeletionProtection)}</dd>
            <dt>VPC</dt><dd><code>{wire.VpcId}</code></dd>
            <dt>Availability zones</dt><dd>{Format.Or(string.Join(", ", zones))}</dd>
            <dt>Security groups</dt><dd>{Format.Or(string.Join(", ", wire.SecurityGroups ?? []))}</dd>
            <dt>Created</dt><dd>{Format.Time(wire.CreatedTime)}</dd>
            <dt>ARN</dt><dd><code>{record.Arn}</code></dd>
            </dl>
            <h2>Listeners</h2>
            {Listeners(state, record, listeners)}
            <h2>Target groups</h2>
            {TargetGroupsPage.Table(view, groups)}
            <h2>Attributes</h2>
            <div class="scroll"><table aria-label="Attributes">
            <thead><tr><th>Key</th><th>Value</th></tr></thead>
            <tbody>{Markup.Join(attributes.Select(a => Markup.Of($"<tr><td><code>{a.Key}</code></td><td>{Format.Or(a.Value)}</td></tr>")))}</tbody></table></div>
            <h2>Tags</h2>
            {Tags(record.Tags)}
            """);
        return new Page(200, $"Load balancer {name}", body) { Live = true };
    }

    /// <summary>Resource tags as a table (keys and values are the user's: text).</summary>
    public static Markup Tags(IEnumerable<ElbTag> tags)
    {
        var rows = tags.Select(t => Markup.Of($"<tr><td>{t.Key}</td><td>{Format.Or(t.Value)}</td></tr>")).ToList();
        return rows.Count == 0 ? Markup.Raw("<p>No tags.</p>") : Markup.Of($"""
            <div class="scroll"><table aria-label="Tags">
            <thead><tr><th>Key</th><th>Value</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    private static Markup Listeners(ElbState state, LoadBalancerRecord record, List<ListenerRecord> listeners)
    {
        if (listeners.Count == 0)
        {
            return Markup.Raw("<p>No listeners: <code>aws elbv2 create-listener --load-balancer-arn ARN --port 80 --default-actions Type=forward,TargetGroupArn=ARN</code>.</p>");
        }

        return Markup.Join(listeners.Select(listener =>
        {
            var label = $"{listener.Protocol}:{listener.Port}";
            var rules = state.RulesOf(listener.Arn).Select(rule => Markup.Of($"""
                <tr><td class="num">{rule.Priority}</td><td>{Routing.Conditions(rule.Conditions, Format.None)}</td><td>{Routing.Actions(state, rule.Actions)}</td></tr>
                """)).Append(Markup.Of($"""
                <tr><td>default</td><td>{Routing.Conditions([], "no other rule matches")}</td><td>{Routing.Actions(state, listener.DefaultActions)}</td></tr>
                """));
            return Markup.Of($"""
                <h3>Listener {label}</h3>
                <dl class="facts">
                <dt>Address</dt><dd><code>{listener.Protocol.ToLowerInvariant()}://{record.DnsName}:{listener.Port}/</code></dd>
                <dt>Default action</dt><dd>{Routing.Actions(state, listener.DefaultActions)}</dd>
                <dt>ARN</dt><dd><code>{listener.Arn}</code></dd>
                </dl>
                <div class="scroll"><table aria-label="Rules of listener {label}">
                <thead><tr><th>Priority</th><th>Conditions</th><th>Actions</th></tr></thead>
                <tbody>{Markup.Join(rules)}</tbody></table></div>
                """);
        }));
    }
}
