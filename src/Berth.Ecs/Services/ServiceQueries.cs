using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Paging;
using Berth.Ecs.State;
using Berth.Protocol.Errors;

namespace Berth.Ecs.Services;

/// <summary>The read-only service operations over one state snapshot.</summary>
public static class ServiceQueries
{
    /// <summary>
    /// DescribeServices: up to 10 by name or ARN; tags only with <c>include: ["TAGS"]</c>; MISSING failures, an unknown
    /// name's ARN in the form ECS gives it (<c>service/NAME</c>, without the cluster).
    /// </summary>
    public static DescribeServicesResponse Describe(EcsState state, Scope scope, DescribeServicesRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var references = request.Services ?? [];
        if (references.Count == 0)
        {
            throw AwsException.InvalidParameter("Services cannot be empty.");
        }

        if (references.Count > 10)
        {
            throw AwsException.InvalidParameter("services can have at most 10 items.");
        }

        var withTags = request.Include?.Contains("TAGS") == true;
        var response = new DescribeServicesResponse { Services = [], Failures = [] };
        foreach (var reference in references)
        {
            if (ServiceDecisions.Find(state, scope, cluster, reference) is { } stored)
            {
                response.Services.Add(ServiceViews.ToWire(stored, withTags));
            }
            else
            {
                var arn = reference.StartsWith("arn:", StringComparison.Ordinal) ? reference : $"{scope.EcsPrefix}service/{reference}";
                response.Failures.Add(new Failure { Arn = arn, Reason = "MISSING" });
            }
        }

        return response;
    }

    /// <summary>ListServices: the cluster's ACTIVE and DRAINING services, by launch type and scheduling strategy, paged (default 10, at most 100).</summary>
    public static ListServicesResponse List(EcsState state, Scope scope, ListServicesRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        if (request.LaunchType is { } launchType && Array.IndexOf(WireEnums.LaunchType, launchType) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for launchType: {launchType}. Valid values are {string.Join(", ", WireEnums.LaunchType)}.");
        }

        if (request.SchedulingStrategy is { } scheduling && Array.IndexOf(WireEnums.SchedulingStrategy, scheduling) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for schedulingStrategy: {scheduling}. Valid values are {string.Join(", ", WireEnums.SchedulingStrategy)}.");
        }

        var size = Page.Size(request.MaxResults, 100);
        var ordered = state.Services.Values
            .Where(s => s.ClusterArn == cluster.ClusterArn && s.Status != ServiceStatus.Inactive)
            .Where(s => request.LaunchType is null || LaunchTypeOf(s) == request.LaunchType)
            .Where(s => request.SchedulingStrategy is null || WireText.Of(s.SchedulingStrategy) == request.SchedulingStrategy)
            .Select(s => (s.ServiceArn, s.ServiceArn));
        var (arns, next) = Page.Take(ordered, request.MaxResults is null ? 10 : size, request.NextToken, "ListServices");
        return new ListServicesResponse { ServiceArns = arns, NextToken = next };
    }

    // The launch type ListServices filters by: the service's (an EXTERNAL service's is its primary task set's).
    private static string? LaunchTypeOf(ServiceRecord service)
    {
        var (launchType, strategy) = service.External
            ? (service.PrimaryTaskSet?.LaunchType, service.PrimaryTaskSet?.CapacityProviderStrategy)
            : (service.LaunchType, service.CapacityProviderStrategy);
        return WireText.Of(launchType) ?? (strategy is not null ? "FARGATE" : null);
    }
}
