using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Paging;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.Services;

/// <summary>
/// The newer deployment APIs over what every deployment records: ListServiceDeployments,
/// DescribeServiceDeployments, DescribeServiceRevisions and StopServiceDeployment.
/// </summary>
public static class ServiceDeploymentQueries
{
    /// <summary>ListServiceDeployments: newest first, by status and creation time, 20 a page unless asked (at most 100).</summary>
    public static ListServiceDeploymentsResponse List(EcsState state, Scope scope, ListServiceDeploymentsRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var stored = ServiceDecisions.Find(state, scope, cluster, request.Service) ?? throw new AwsException("ServiceNotFoundException", "Service not found.");
        foreach (var status in request.Status ?? [])
        {
            if (Array.IndexOf(WireEnums.ServiceDeploymentStatus, status) < 0)
            {
                throw AwsException.InvalidParameter($"Invalid value for status: {status}. Valid values are {string.Join(", ", WireEnums.ServiceDeploymentStatus)}.");
            }
        }

        var size = request.MaxResults is null ? 20 : Page.Size(request.MaxResults, 100);
        var ordered = stored.History
            .Select((d, i) => (Deployment: d, Index: i))
            .Where(x => request.Status is not { Count: > 0 } statuses || statuses.Contains(WireText.Of(x.Deployment.Status)))
            .Where(x => request.CreatedAt?.After is not { } after || x.Deployment.CreatedAt > after)
            .Where(x => request.CreatedAt?.Before is not { } before || x.Deployment.CreatedAt < before)
            .OrderByDescending(x => x.Index)
            .Select(x => ((int.MaxValue - x.Index).ToString("D10", System.Globalization.CultureInfo.InvariantCulture), ServiceViews.Brief(stored, x.Deployment)));
        var (items, next) = Page.Take(ordered, size, request.NextToken, "ListServiceDeployments");
        return new ListServiceDeploymentsResponse { ServiceDeployments = items, NextToken = next };
    }

    /// <summary>DescribeServiceDeployments: up to 20 by ARN; MISSING failures.</summary>
    public static DescribeServiceDeploymentsResponse Describe(EcsState state, Scope scope, DescribeServiceDeploymentsRequest request)
    {
        var arns = request.ServiceDeploymentArns ?? [];
        if (arns.Count is 0 or > 20)
        {
            throw AwsException.InvalidParameter("serviceDeploymentArns must contain between 1 and 20 items.");
        }

        var response = new DescribeServiceDeploymentsResponse { ServiceDeployments = [], Failures = [] };
        foreach (var arn in arns)
        {
            if (FindDeployment(state, arn) is { } found)
            {
                response.ServiceDeployments.Add(ServiceViews.ToWire(found.Service, found.Deployment));
            }
            else
            {
                response.Failures.Add(new Failure { Arn = arn, Reason = "MISSING" });
            }
        }

        return response;
    }

    /// <summary>DescribeServiceRevisions: up to 20 by ARN; MISSING failures.</summary>
    public static DescribeServiceRevisionsResponse Revisions(EcsState state, Scope scope, DescribeServiceRevisionsRequest request)
    {
        var arns = request.ServiceRevisionArns ?? [];
        if (arns.Count is 0 or > 20)
        {
            throw AwsException.InvalidParameter("serviceRevisionArns must contain between 1 and 20 items.");
        }

        var response = new DescribeServiceRevisionsResponse { ServiceRevisions = [], Failures = [] };
        foreach (var arn in arns)
        {
            var revision = ServiceOf(state, arn, "service-revision")?.Revisions.FirstOrDefault(r => r.Arn == arn);
            if (revision is not null)
            {
                response.ServiceRevisions.Add(revision.Body.Thaw(WireJsonContext.Default.ServiceRevision));
            }
            else
            {
                response.Failures.Add(new Failure { Arn = arn, Reason = "MISSING" });
            }
        }

        return response;
    }

    /// <summary>
    /// StopServiceDeployment: a deployment in progress stops where it is (ROLLBACK, the default, returns the service
    /// to the deployment before it; ABORT leaves the tasks as they are). Anything else is a ConflictException.
    /// </summary>
    public static Decision<EcsState, string> Stop(EcsState state, Scope scope, Tasks.IdSource ids, DateTimeOffset now, StopServiceDeploymentRequest request)
    {
        var stopType = request.StopType ?? "ROLLBACK";
        if (stopType is not ("ROLLBACK" or "ABORT"))
        {
            throw AwsException.InvalidParameter($"Invalid value for stopType: {stopType}. Valid values are ABORT, ROLLBACK.");
        }

        var found = FindDeployment(state, request.ServiceDeploymentArn ?? string.Empty)
            ?? throw new AwsException("ServiceDeploymentNotFoundException", "The service deployment does not exist.");
        if (found.Deployment.Status is not (ServiceDeploymentStatus.InProgress or ServiceDeploymentStatus.Pending))
        {
            throw new AwsException("ConflictException", $"The service deployment is {WireText.Of(found.Deployment.Status)} and cannot be stopped.");
        }

        const string reason = "Service deployment stopped by user.";
        var service = found.Service;
        var recordArn = found.Deployment.ServiceDeploymentArn;
        var previous = service.Deployments.FirstOrDefault(d => d.Status == DeploymentStatus.Active && d.RolloutState == RolloutState.Completed);
        service = ServiceModel.WithDeployment(service, service.Primary.Id, d => d with { RolloutState = RolloutState.Failed, RolloutStateReason = reason, UpdatedAt = now });
        service = ServiceModel.WithHistory(service, recordArn, h => h with { UpdatedAt = now });
        if (stopType == "ROLLBACK" && previous is not null)
        {
            service = ServiceModel.RollBack(service, previous, recordArn, reason, scope, ids, now);
        }
        else
        {
            service = ServiceModel.WithHistory(service, recordArn, h => h with { Status = ServiceDeploymentStatus.Stopped, StatusReason = reason, StoppedAt = now });
        }

        var edit = new StateEdit(state);
        edit.Put(service);
        return edit.Done(request.ServiceDeploymentArn!);
    }

    private static (ServiceRecord Service, ServiceDeploymentRecord Deployment)? FindDeployment(EcsState state, string arn)
    {
        var service = ServiceOf(state, arn, "service-deployment");
        var deployment = service?.History.FirstOrDefault(h => h.ServiceDeploymentArn == arn);
        return service is null || deployment is null ? null : (service, deployment);
    }

    // arn:aws:ecs:REGION:ACCOUNT:service-deployment/CLUSTER/SERVICE/ID → the service's ARN.
    private static ServiceRecord? ServiceOf(EcsState state, string arn, string kind)
    {
        var marker = ":" + kind + "/";
        var at = arn.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var path = arn[(at + marker.Length)..].Split('/');
        return path.Length == 3 && state.Services.TryGetValue($"{arn[..at]}:service/{path[0]}/{path[1]}", out var stored) ? stored : null;
    }
}
