using Berth.Ecs.Arns;
using Berth.Ecs.Capacity;
using Berth.Ecs.Model;
using Berth.Ecs.Paging;
using Berth.Ecs.State;
using Berth.Protocol.Errors;

namespace Berth.Ecs.Clusters;

/// <summary>The read-only cluster operations over one state snapshot.</summary>
public static class ClusterQueries
{
    /// <summary>DescribeClusters: found clusters (ACTIVE or INACTIVE) and a MISSING failure for each other name.</summary>
    public static DescribeClustersResponse Describe(EcsState state, Scope scope, DescribeClustersRequest request)
    {
        var names = request.Clusters is { Count: > 0 } given ? given : [ClusterRules.DefaultName];
        if (names.Count > 100)
        {
            throw AwsException.InvalidParameter("Clusters can have at most 100 items.");
        }

        foreach (var include in request.Include ?? [])
        {
            if (Array.IndexOf(WireEnums.ClusterField, include) < 0)
            {
                throw AwsException.InvalidParameter($"Invalid value for include: {include}.");
            }
        }

        var response = new DescribeClustersResponse { Clusters = new List<Cluster>(names.Count), Failures = [] };
        foreach (var name in names)
        {
            string arn;
            try
            {
                arn = ClusterRules.ArnOf(scope, name);
            }
            catch (AwsException)
            {
                response.Failures.Add(new Failure { Arn = name, Reason = "MISSING" });
                continue;
            }

            if (state.Clusters.TryGetValue(arn, out var cluster))
            {
                response.Clusters.Add(ClusterViews.Render(state, cluster, request.Include));
            }
            else
            {
                response.Failures.Add(new Failure { Arn = arn, Reason = "MISSING" });
            }
        }

        return response;
    }

    /// <summary>ListClusters: ACTIVE clusters of the region, by ARN.</summary>
    public static ListClustersResponse List(EcsState state, Scope scope, ListClustersRequest request)
    {
        var size = Page.Size(request.MaxResults, 100);
        var prefix = scope.EcsPrefix + "cluster/";
        var ordered = state.Clusters
            .Where(c => c.Key.StartsWith(prefix, StringComparison.Ordinal) && c.Value.Status == ClusterStatus.Active && !FargateCapacity.IsCapacity(c.Value))
            .Select(c => (c.Key, c.Key));
        var (arns, next) = Page.Take(ordered, size, request.NextToken, "ListClusters");
        return new ListClustersResponse { ClusterArns = arns, NextToken = next };
    }
}
