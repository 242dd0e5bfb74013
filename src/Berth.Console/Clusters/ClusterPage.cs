using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.WebConsole.Html;
using Berth.WebConsole.Tasks;

namespace Berth.WebConsole.Clusters;

/// <summary>One cluster: its services, its tasks and its container instances.</summary>
public static class ClusterPage
{
    /// <summary>The query key of the services list's name filter.</summary>
    public const string ServiceFilterKey = "services";

    /// <summary>The query key of the services list's page.</summary>
    public const string ServicePageKey = "services-page";

    /// <summary>The query key of the container instances list's page.</summary>
    public const string InstancePageKey = "instances-page";

    private static readonly IReadOnlyDictionary<string, string> NoQuery = new Dictionary<string, string>();

    /// <summary>
    /// The cluster of that name in the console's region (ACTIVE or INACTIVE), or null. A name no cluster could have is
    /// the API's InvalidParameterException (a 400 page), as DescribeClusters would refuse it.
    /// </summary>
    public static ClusterRecord? Find(EcsState state, Scope scope, string name)
    {
        ClusterRules.ValidateName(name);
        return state.Clusters.TryGetValue(EcsArnOf(scope, name), out var cluster) ? cluster : null;
    }

    /// <summary>The page; 404 for a cluster that does not exist.</summary>
    public static Page Render(EcsState state, Scope scope, string name, IReadOnlyDictionary<string, string>? query = null)
    {
        query ??= NoQuery;
        if (Find(state, scope, name) is not { } record)
        {
            return Page.NotFound($"There is no cluster named {name}.");
        }

        var cluster = ClusterViews.Render(state, record, ["STATISTICS"]);
        var path = Links.Cluster(name);

        // The lists need a few fields of each item: services are read from the records with the wire's words (WireText),
        // not through ServiceViews.ToWire, which copies every service's deployments and events; only the page shown is
        // turned into markup.
        var serviceFilter = Paging.Filter(query, ServiceFilterKey);
        var services = Paging.Of(
            state.Services.Values
                .Where(s => s.ClusterArn == record.ClusterArn && Paging.Matches(serviceFilter, s.ServiceName))
                .OrderBy(s => s.ServiceName, StringComparer.Ordinal)
                .ToList(),
            Paging.Number(query, ServicePageKey));
        var serviceRows = services.Items.Select(s => Markup.Of($"""
            <tr><td><a href="{Links.Service(name, s.ServiceName)}">{s.ServiceName}</a></td><td>{Badges.Of(WireText.Of(s.Status))}</td>
            <td class="num">{s.DesiredCount}</td><td class="num">{s.RunningCount}</td><td class="num">{s.PendingCount}</td>
            <td>{TaskTables.DefinitionLink(s.TaskDefinition)}</td><td>{Format.Or(WireText.Of(s.LaunchType) ?? "strategy")}</td></tr>
            """)).ToList();
        var instancePrefix = Arn.ContainerInstance(scope, name, string.Empty);
        var instances = Paging.Of(
            state.ContainerInstances.Values.Where(i => i.ContainerInstanceArn.StartsWith(instancePrefix, StringComparison.Ordinal)).ToList(),
            Paging.Number(query, InstancePageKey));
        var servicesTable = serviceRows.Count == 0
            ? Paging.None(serviceFilter, "services", "<p>No services.</p>")
            : Markup.Of($"""
                <div class="scroll"><table aria-label="Services">
                <thead><tr><th>Service</th><th>Status</th><th>Desired</th><th>Running</th><th>Pending</th><th>Task definition</th><th>Launch type</th></tr></thead>
                <tbody>{Markup.Join(serviceRows)}</tbody></table></div>
                """);
        var body = Markup.Of($"""
            <nav aria-label="Breadcrumb" class="crumbs"><a href="{Links.Clusters}">Clusters</a> / {name}</nav>
            <h1>Cluster {name} {Badges.Of(cluster.Status)}</h1>
            <dl class="facts">
            <dt>Services</dt><dd id="cluster-services">{cluster.ActiveServicesCount}</dd>
            <dt>Running tasks</dt><dd id="cluster-running">{cluster.RunningTasksCount}</dd>
            <dt>Pending tasks</dt><dd id="cluster-pending">{cluster.PendingTasksCount}</dd>
            <dt>Container instances</dt><dd>{cluster.RegisteredContainerInstancesCount}</dd>
            <dt>Capacity providers</dt><dd>{Format.Or(string.Join(", ", cluster.CapacityProviders ?? []))}</dd>
            <dt>ARN</dt><dd><code>{cluster.ClusterArn}</code></dd>
            </dl>
            <h2>Services</h2>
            {Paging.FilterForm("services", path, query, ServiceFilterKey, ServicePageKey)}
            {servicesTable}
            {Paging.Nav(services, "Services", path, query, ServicePageKey)}
            <h2>Tasks</h2>
            {TaskTables.Section(name, state.TasksIn(record.ClusterArn), path, query)}
            <h2>Container instances</h2>
            {Instances(instances.Items.Select(i => ContainerInstanceViews.Render(state, i, null)).ToList())}
            {Paging.Nav(instances, "Container instances", path, query, InstancePageKey)}
            """);
        return new Page(200, $"Cluster {name}", body) { Live = true };
    }

    private static Markup Instances(List<ContainerInstance> instances)
    {
        if (instances.Count == 0)
        {
            return Markup.Raw("<p>No container instances. FARGATE tasks run on Berth's capacity hosts; <code>./berth agent --cluster NAME</code> adds a host.</p>");
        }

        var rows = instances.Select(i => Markup.Of($"""
            <tr><td><code>{Format.IdOf(i.ContainerInstanceArn)}</code></td><td>{i.Ec2InstanceId}</td><td>{Badges.Of(i.Status)}</td>
            <td>{Badges.Of(i.AgentConnected == true ? "true" : "false")}</td>
            <td class="num">{Format.Resource(i.RegisteredResources, "CPU")} / {Format.Resource(i.RemainingResources, "CPU")}</td>
            <td class="num">{Format.Resource(i.RegisteredResources, "MEMORY")} / {Format.Resource(i.RemainingResources, "MEMORY")}</td>
            <td class="num">{i.RunningTasksCount}</td><td class="num">{i.PendingTasksCount}</td>
            <td>{Format.Or(i.CapacityProviderName)}</td>
            <td><details><summary>{i.Attributes?.Count ?? 0} attributes</summary><ul class="plain">{Markup.Join((i.Attributes ?? []).Select(a => Markup.Of($"<li><code>{a.Name}</code>{(a.Value is null ? Markup.Empty : Markup.Of($" = {a.Value}"))}</li>")))}</ul></details></td></tr>
            """));
        return Markup.Of($"""
            <div class="scroll"><table aria-label="Container instances">
            <thead><tr><th>Instance</th><th>EC2 instance</th><th>Status</th><th>Agent connected</th><th>CPU registered / remaining</th><th>Memory (MiB) registered / remaining</th><th>Running</th><th>Pending</th><th>Capacity provider</th><th>Attributes</th></tr></thead>
            <tbody>{Markup.Join(rows)}</tbody></table></div>
            """);
    }

    private static string EcsArnOf(Scope scope, string name) => Arn.Cluster(scope, name);
}
