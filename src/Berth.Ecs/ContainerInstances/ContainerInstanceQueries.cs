using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Paging;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.Scheduling.Expressions;

namespace Berth.Ecs.ContainerInstances;

/// <summary>The read-only container instance operations over one state snapshot.</summary>
public static class ContainerInstanceQueries
{
    /// <summary>DescribeContainerInstances: up to 100, by ID or ARN; a MISSING failure for each unknown one.</summary>
    public static DescribeContainerInstancesResponse Describe(EcsState state, Scope scope, DescribeContainerInstancesRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var references = request.ContainerInstances ?? [];
        if (references.Count == 0)
        {
            throw AwsException.InvalidParameter("instanceIds can not be empty.");
        }

        if (references.Count > 100)
        {
            throw AwsException.InvalidParameter("instanceIds can have at most 100 items.");
        }

        foreach (var include in request.Include ?? [])
        {
            if (Array.IndexOf(WireEnums.ContainerInstanceField, include) < 0)
            {
                throw AwsException.InvalidParameter($"Invalid value for include: {include}.");
            }
        }

        var response = new DescribeContainerInstancesResponse { ContainerInstances = [], Failures = [] };
        foreach (var reference in references)
        {
            var arn = ContainerInstanceRules.ArnOf(scope, cluster, reference);
            var instance = ContainerInstanceRules.Find(state, scope, cluster, reference);
            if (instance is null)
            {
                response.Failures.Add(new Failure { Arn = arn, Reason = "MISSING" });
            }
            else
            {
                response.ContainerInstances.Add(ContainerInstanceViews.Render(state, instance, request.Include));
            }
        }

        return response;
    }

    /// <summary>
    /// ListContainerInstances: every status but INACTIVE unless <c>status</c> asks for one, narrowed by
    /// <c>filter</c>, a cluster query language expression (see <see cref="ClusterQuery"/>); a blank filter is none.
    /// </summary>
    public static ListContainerInstancesResponse List(EcsState state, Scope scope, ListContainerInstancesRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        if (request.Status is not null && request.Status != "INACTIVE" && Array.IndexOf(WireEnums.ContainerInstanceStatus, request.Status) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for status: {request.Status}. Valid values are {string.Join(", ", WireEnums.ContainerInstanceStatus)}.");
        }

        ClusterQuery? filter = null;
        if (!string.IsNullOrWhiteSpace(request.Filter))
        {
            try
            {
                filter = ClusterQuery.Parse(request.Filter);
            }
            catch (ClusterQueryException e)
            {
                throw AwsException.InvalidParameter(e.Message);
            }
        }

        var size = Page.Size(request.MaxResults, 100);
        var candidates = ContainerInstanceRules.Of(state, cluster)
            .Where(i => request.Status is null ? i.Status != InstanceStatus.Inactive : WireText.Of(i.Status) == request.Status)
            .ToList();
        IEnumerable<InstanceRecord> listed = candidates;
        if (filter is not null)
        {
            var targets = InstanceQueryTarget.Of(state, candidates);
            listed = candidates.Where(i => filter.Matches(targets[i.ContainerInstanceArn]));
        }

        var ordered = listed.Select(i => (i.ContainerInstanceArn, i.ContainerInstanceArn));
        var (arns, next) = Page.Take(ordered, size, request.NextToken, "ListContainerInstances");
        return new ListContainerInstancesResponse { ContainerInstanceArns = arns, NextToken = next };
    }

    /// <summary>
    /// DiscoverPollEndpoint: where the agent opens its channels. Berth serves them all from one address,
    /// <paramref name="endpoint"/> (the server's own base URL, e.g. <c>http://127.0.0.1:4580</c>).
    /// </summary>
    public static DiscoverPollEndpointResponse DiscoverPollEndpoint(EcsState state, Scope scope, DiscoverPollEndpointRequest request, string endpoint)
    {
        if (!string.IsNullOrEmpty(request.Cluster))
        {
            ClusterRules.RequireActive(state, scope, request.Cluster);
        }

        return new DiscoverPollEndpointResponse { Endpoint = endpoint, TelemetryEndpoint = endpoint, ServiceConnectEndpoint = endpoint };
    }
}
