using Berth.Ecs.Arns;
using Berth.Ecs.Capacity;
using Berth.Ecs.Clusters;
using Berth.Ecs.State;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.Clusters;

/// <summary>The clusters of the console's region, with the counts DescribeClusters gives.</summary>
public static class ClustersPage
{
    /// <summary>The ACTIVE clusters ListClusters would list (not Berth's FARGATE capacity cluster), by name.</summary>
    public static IEnumerable<ClusterRecord> Listed(EcsState state, Scope scope)
    {
        var prefix = scope.EcsPrefix + "cluster/";
        return state.Clusters.Values
            .Where(c => c.ClusterArn.StartsWith(prefix, StringComparison.Ordinal) && c.Status == ClusterStatus.Active && !FargateCapacity.IsCapacity(c))
            .OrderBy(c => c.ClusterName, StringComparer.Ordinal);
    }

    /// <summary>The page: the clusters whose names contain the query's <c>q</c>, a page of them (<c>page</c>).</summary>
    public static Page Render(EcsState state, Scope scope, IReadOnlyDictionary<string, string>? query = null)
    {
        query ??= new Dictionary<string, string>();
        var filter = Paging.Filter(query, "q");
        var page = Paging.Of(Listed(state, scope).Where(c => Paging.Matches(filter, c.ClusterName)).ToList(), Paging.Number(query, "page"));

        // Only the page's clusters are counted (each count walks the cluster's tasks).
        var rows = page.Items.Select(record => ClusterViews.Render(state, record, null)).Select(c => Markup.Of($"""
            <tr><td><a href="{Links.Cluster(c.ClusterName!)}">{c.ClusterName}</a></td><td>{Badges.Of(c.Status)}</td>
            <td class="num">{c.ActiveServicesCount}</td><td class="num">{c.RunningTasksCount}</td><td class="num">{c.PendingTasksCount}</td>
            <td class="num">{c.RegisteredContainerInstancesCount}</td><td>{Format.Or(string.Join(", ", c.CapacityProviders ?? []))}</td></tr>
            """)).ToList();
        var table = rows.Count == 0
            ? Paging.None(filter, "clusters", "<p>No clusters yet: <code>aws ecs create-cluster --cluster-name NAME</code>.</p>")
            : Markup.Of($"""
                <div class="scroll"><table aria-label="Clusters">
                <thead><tr><th>Cluster</th><th>Status</th><th>Services</th><th>Running tasks</th><th>Pending tasks</th><th>Container instances</th><th>Capacity providers</th></tr></thead>
                <tbody>{Markup.Join(rows)}</tbody></table></div>
                """);
        return new Page(200, "Clusters", Paging.Listing(Markup.Of($"<h1>Clusters <small>{scope.Region}</small></h1>"), "clusters", Links.Clusters, query, page, table)) { Live = true };
    }
}
