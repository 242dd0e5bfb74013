using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.WebConsole.Clusters;
using Berth.WebConsole.Hosting;
using Berth.WebConsole.Html;
using Berth.WebConsole.LoadBalancers;
using Berth.WebConsole.Tasks;

namespace Berth.WebConsole.Services;

/// <summary>One service as DescribeServices shows it: counts, deployments, load balancers, events and its tasks.</summary>
public static class ServicePage
{
    /// <summary>How many of the service's events the page shows (ECS keeps the newest 100).</summary>
    public const int EventLimit = 100;

    /// <summary>
    /// The page; 404 for an unknown cluster or service. <paramref name="extras"/> adds its scaling and utilization; with
    /// <paramref name="loadBalancing"/>, each load balancer's target group links to its page with the health of the
    /// service's targets in it.
    /// </summary>
    public static Page Render(EcsState state, Scope scope, string clusterName, string serviceName, string csrf, string? error = null, ServiceExtras? extras = null, LoadBalancingView? loadBalancing = null, IReadOnlyDictionary<string, string>? query = null)
    {
        if (ClusterPage.Find(state, scope, clusterName) is not { } cluster)
        {
            return Page.NotFound($"There is no cluster named {clusterName}.");
        }

        var described = ServiceQueries.Describe(state, scope, new DescribeServicesRequest { Cluster = cluster.ClusterArn, Services = [serviceName] });
        if (described.Services is not [var service])
        {
            return Page.NotFound($"There is no service named {serviceName} in cluster {clusterName}.");
        }

        var tasks = TaskTables.Section(clusterName, state.TasksOfGroup(cluster.ClusterArn, "service:" + service.ServiceName), Links.Service(clusterName, serviceName), query ?? new Dictionary<string, string>());
        var configuration = service.DeploymentConfiguration;
        var breaker = configuration?.DeploymentCircuitBreaker is { Enable: true } b
            ? (b.Rollback == true ? "on, with rollback" : "on, without rollback")
            : "off";
        var body = Markup.Of($"""
            <nav aria-label="Breadcrumb" class="crumbs"><a href="{Links.Clusters}">Clusters</a> / <a href="{Links.Cluster(clusterName)}">{clusterName}</a> / service</nav>
            <h1>Service {service.ServiceName} {Badges.Of(service.Status)}</h1>
            {(error is null ? Markup.Empty : Markup.Of($"<p class=\"error\" role=\"alert\" id=\"service-error\">{error}</p>"))}
            {(service.Status == "ACTIVE" ? Actions(clusterName, service, csrf) : Markup.Empty)}
            <dl class="facts">
            <dt>Desired</dt><dd id="service-desired">{service.DesiredCount}</dd>
            <dt>Running</dt><dd id="service-running">{service.RunningCount}</dd>
            <dt>Pending</dt><dd id="service-pending">{service.PendingCount}</dd>
            <dt>Task definition</dt><dd>{TaskTables.DefinitionLink(service.TaskDefinition)}</dd>
            <dt>Launch type</dt><dd>{Format.Or(service.LaunchType ?? "capacity provider strategy")}</dd>
            <dt>Scheduling</dt><dd>{Format.Or(service.SchedulingStrategy)}</dd>
            <dt>Minimum healthy / maximum</dt><dd>{Format.Or(configuration?.MinimumHealthyPercent)} % / {Format.Or(configuration?.MaximumPercent)} %</dd>
            <dt>Circuit breaker</dt><dd>{breaker}</dd>
            <dt>Created</dt><dd>{Format.Time(service.CreatedAt)}</dd>
            <dt>ARN</dt><dd><code>{service.ServiceArn}</code></dd>
            </dl>
            <h2>Deployments</h2>
            {Deployments(service)}
            <h2>Load balancers</h2>
            {LoadBalancers(state, service, loadBalancing)}
            <h2>Tasks</h2>
            {tasks}
            {(extras is null ? Markup.Empty : Extras(extras, scope, cluster.ClusterName!, service.ServiceName!))}
            <h2>Events</h2>
            {Events(service)}
            """);
        return new Page(200, $"Service {service.ServiceName}", body) { Live = true };
    }

    /// <summary>
    /// Changes the desired count or forces a new deployment through the API's UpdateService (its checks, decision and
    /// errors); an error shows on the service's page with 400.
    /// </summary>
    public static async Task<Page> UpdateAsync(ConsoleSources sources, ConsoleRequest request, string clusterName, string serviceName, string csrf)
    {
        var input = new JsonObject { ["cluster"] = clusterName, ["service"] = serviceName };
        if (request.Form.GetValueOrDefault("action") == "force")
        {
            input["forceNewDeployment"] = true;
        }
        else if (int.TryParse(request.Form.GetValueOrDefault("desiredCount"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var desired))
        {
            input["desiredCount"] = desired;
        }
        else
        {
            return Render(sources.Ecs.Current, sources.Scope, clusterName, serviceName, csrf, "The desired count must be a whole number.", ServiceExtras.Of(sources), LoadBalancingView.Of(sources)) with { Status = 400 };
        }

        try
        {
            await sources.CallEcsAsync("UpdateService", System.Text.Encoding.UTF8.GetBytes(input.ToJsonString()), request.Session, request.Cancellation);
        }
        catch (AwsException ex) when (ex.StatusCode < 500)
        {
            return Render(sources.Ecs.Current, sources.Scope, clusterName, serviceName, csrf, $"{ex.ErrorType}: {ex.Message}", ServiceExtras.Of(sources), LoadBalancingView.Of(sources)) with { Status = 400 };
        }

        return Page.Redirect(Links.Service(clusterName, serviceName));
    }

    private static Markup Actions(string clusterName, Service service, string csrf) => Markup.Of($"""
        <div class="actions">
        <form method="post" action="{Links.UpdateService(clusterName, service.ServiceName!)}" class="row">
        <input type="hidden" name="_csrf" value="{csrf}"><input type="hidden" name="action" value="desired">
        <label for="desired-count">Desired tasks</label>
        <input id="desired-count" name="desiredCount" type="number" min="0" step="1" value="{service.DesiredCount}" required>
        <button type="submit">Update desired count</button>
        </form>
        <form method="post" action="{Links.UpdateService(clusterName, service.ServiceName!)}" class="row">
        <input type="hidden" name="_csrf" value="{csrf}"><input type="hidden" name="action" value="force">
        <button type="submit">Force new deployment</button>
        </form>
        </div>
        """);

    private static Markup Extras(ServiceExtras extras, Scope scope, string cluster, string service) => Markup.Of($"""
        <h2>Utilization</h2>
        {ServiceScaling.Utilization(extras.Metrics, cluster, service, extras.Now)}
        <h2>Auto Scaling</h2>
        {(extras.Scaling is { } scaling ? ServiceScaling.Render(scaling, extras.Alarms, scope.Region, scope.AccountId, cluster, service) : Markup.Raw("<p id=\"service-scaling\">Application Auto Scaling is not available on this server.</p>"))}
        """);

    private static Markup Deployments(Service service)
    {
        var rows = (service.Deployments ?? []).Select(d => Markup.Of($"""
            <tr><td><code>{d.Id}</code></td><td>{Badges.Of(d.Status)}</td><td>{TaskTables.DefinitionLink(d.TaskDefinition)}</td>
            <td class="num">{d.DesiredCount}</td><td class="num">{d.PendingCount}</td><td class="num">{d.RunningCount}</td><td class="num">{d.FailedTasks}</td>
            <td>{Badges.Of(d.RolloutState)}</td><td>{Format.Or(d.RolloutStateReason)}</td><td>{Format.Time(d.CreatedAt)}</td><td>{Format.Time(d.UpdatedAt)}</td></tr>
            """)).ToList();
        return rows.Count == 0 ? Markup.Raw("<p>No deployments.</p>") : Markup.Of($"""
            <div class="scroll"><table aria-label="Deployments">
            <thead><tr><th>Deployment</th><th>Status</th><th>Task definition</th><th>Desired</th><th>Pending</th><th>Running</th><th>Failed tasks</th><th>Rollout</th><th>Rollout reason</th><th>Created</th><th>Updated</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    private static Markup LoadBalancers(EcsState state, Service service, LoadBalancingView? loadBalancing)
    {
        var record = service.ServiceArn is { } arn ? state.Services.GetValueOrDefault(arn) : null;
        var rows = (service.LoadBalancers ?? []).Select(l =>
        {
            var health = loadBalancing is not null && record is not null && l.TargetGroupArn is { } group ? loadBalancing.HealthOf(state, record, group) : null;
            var targetGroup = loadBalancing is not null && l.TargetGroupArn is { } arn ? Routing.TargetGroupLink(loadBalancing.State, arn) : Markup.Of($"<code>{Format.Or(l.TargetGroupArn)}</code>");

            // An Application Load Balancer is named by its target group: the load balancers forwarding to it.
            var balancers = l.LoadBalancerName is null && loadBalancing is not null && l.TargetGroupArn is { } tg && loadBalancing.State.TargetGroups.TryGetValue(tg, out var found)
                ? TargetGroupsPage.LoadBalancerLinks(loadBalancing.State, found)
                : Markup.Of($"{Format.Or(l.LoadBalancerName)}");
            return Markup.Of($"""
                <tr><td>{targetGroup}</td><td>{balancers}</td><td>{Format.Or(l.ContainerName)}</td><td class="num">{Format.Or(l.ContainerPort)}</td>
                <td class="target-health">{(health is null ? Format.None : LoadBalancingView.Counts(health))}</td></tr>
                """);
        }).ToList();
        return rows.Count == 0 ? Markup.Raw("<p>None.</p>") : Markup.Of($"""
            <div class="scroll"><table aria-label="Load balancers">
            <thead><tr><th>Target group</th><th>Load balancer</th><th>Container</th><th>Port</th><th>Targets' health</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    private static Markup Events(Service service)
    {
        var events = (service.Events ?? []).OrderByDescending(e => e.CreatedAt).Take(EventLimit)
            .Select(e => Markup.Of($"<li><time>{Format.Time(e.CreatedAt)}</time> {e.Message}</li>")).ToList();
        return events.Count == 0 ? Markup.Raw("<p>No events yet.</p>") : Markup.Of($"<ul class=\"events\">{Markup.Join(events)}</ul>");
    }
}
