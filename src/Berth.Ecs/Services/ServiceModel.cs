using System.Collections.Immutable;
using System.Globalization;
using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;

namespace Berth.Ecs.Services;

/// <summary>
/// The pieces every service decision shares: IDs and ARNs, starting a deployment (with its revision and service
/// deployment), events, and which tasks belong to a service.
/// </summary>
public static class ServiceModel
{
    /// <summary>ECS keeps this many events per service, newest first.</summary>
    public const int MaxEvents = 100;

    /// <summary>The task group of a service's tasks.</summary>
    public static string Group(ServiceRecord service) => "service:" + service.ServiceName;

    /// <summary>A deployment ID as ECS writes it: <c>ecs-svc/</c> and 19 digits.</summary>
    public static string NewDeploymentId(IdSource ids) =>
        "ecs-svc/" + (ulong.Parse(ids.Hex32()[17..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) % 10_000_000_000_000_000_000UL).ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>The service's tasks (any status), found by their group and cluster.</summary>
    public static IEnumerable<TaskRecord> TasksOf(EcsState state, ServiceRecord service) => state.TasksOfGroup(service.ClusterArn, Group(service));

    /// <summary>
    /// The load balancers a task of <paramref name="service"/> is registered in: the service's, or for an EXTERNAL
    /// service those of the task set that started it (none for a task of no task set).
    /// </summary>
    public static ImmutableArray<ServiceLoadBalancer> LoadBalancersOf(ServiceRecord service, TaskRecord task)
    {
        if (!service.External)
        {
            return service.LoadBalancers;
        }

        foreach (var taskSet in service.TaskSets)
        {
            if (taskSet.Id == task.StartedBy)
            {
                return taskSet.LoadBalancers;
            }
        }

        return [];
    }

    /// <summary>Whether any task of <paramref name="service"/> is registered in target groups (its own, or a task set's).</summary>
    public static bool HasLoadBalancers(ServiceRecord service)
        => service.LoadBalancers.Length > 0 || service.TaskSets.Any(t => t.LoadBalancers.Length > 0);

    /// <summary>The service with an event added, newest first, keeping the last <see cref="MaxEvents"/>.</summary>
    public static ServiceRecord AddEvent(ServiceRecord service, IdSource ids, DateTimeOffset now, string message)
    {
        var added = new ServiceEventRecord(ids.Uuid(), now, $"(service {service.ServiceName}) {message}");
        var events = service.Events.Length >= MaxEvents ? service.Events.RemoveRange(MaxEvents - 1, service.Events.Length - MaxEvents + 1) : service.Events;
        return service with { Events = events.Insert(0, added) };
    }

    /// <summary>The service with the deployment <paramref name="id"/> changed by <paramref name="change"/>.</summary>
    public static ServiceRecord WithDeployment(ServiceRecord service, string id, Func<DeploymentRecord, DeploymentRecord> change)
        => service with { Deployments = [.. service.Deployments.Select(d => d.Id == id ? change(d) : d)] };

    /// <summary>The service with the service deployment <paramref name="arn"/> changed by <paramref name="change"/>.</summary>
    public static ServiceRecord WithHistory(ServiceRecord service, string arn, Func<ServiceDeploymentRecord, ServiceDeploymentRecord> change)
        => service with { History = [.. service.History.Select(h => h.ServiceDeploymentArn == arn ? change(h) : h)] };

    /// <summary>
    /// Starts a deployment of the service's current configuration (task definition, launch type or capacity
    /// providers, network): it becomes PRIMARY and IN_PROGRESS; the deployments before it turn ACTIVE and are
    /// drained by the controller. Records the revision and the service deployment the newer APIs list.
    /// </summary>
    public static ServiceRecord StartDeployment(ServiceRecord service, Scope scope, IdSource ids, DateTimeOffset now, ServiceDeploymentRollback? rollback = null)
        => StartDeployment(service, scope, ids, now, rollback, out _);

    /// <summary>As <see cref="StartDeployment(ServiceRecord, Scope, IdSource, DateTimeOffset, ServiceDeploymentRollback?)"/>, saying which revision it made.</summary>
    public static ServiceRecord StartDeployment(ServiceRecord service, Scope scope, IdSource ids, DateTimeOffset now, ServiceDeploymentRollback? rollback, out string revisionArn)
    {
        var id = NewDeploymentId(ids);
        var number = id["ecs-svc/".Length..];
        var cluster = Arn.ClusterName(service.ClusterArn);
        revisionArn = $"{scope.EcsPrefix}service-revision/{cluster}/{service.ServiceName}/{number}";
        var deploymentArn = $"{scope.EcsPrefix}service-deployment/{cluster}/{service.ServiceName}/{ids.Hex32()[10..]}";
        var sources = ImmutableArray.CreateBuilder<RevisionCount>();
        foreach (var old in service.Deployments)
        {
            if (service.Revisions.FirstOrDefault(r => r.Arn.EndsWith("/" + old.Id["ecs-svc/".Length..], StringComparison.Ordinal)) is { } revision)
            {
                sources.Add(new RevisionCount(revision.Arn, old.DesiredCount, old.RunningCount, old.PendingCount));
            }
        }

        var deployments = service.Deployments.Select(d => d.Status == DeploymentStatus.Primary ? d with { Status = DeploymentStatus.Active, UpdatedAt = now } : d);

        // Earlier service deployments still going on are superseded by this one (a rollback continues its own).
        var history = service.History.Select(h => rollback is null && h.Status is ServiceDeploymentStatus.Pending or ServiceDeploymentStatus.InProgress or ServiceDeploymentStatus.RollbackInProgress
            ? h with { Status = ServiceDeploymentStatus.Stopped, StatusReason = "Superseded by a newer service deployment.", StoppedAt = now, UpdatedAt = now }
            : h);

        var deployment = new DeploymentRecord
        {
            Id = id,
            Status = DeploymentStatus.Primary,
            TaskDefinition = service.TaskDefinition,
            DesiredCount = service.DesiredCount,
            CreatedAt = now,
            UpdatedAt = now,
            LaunchType = service.LaunchType,
            CapacityProviderStrategy = service.CapacityProviderStrategy,
            PlatformVersion = service.PlatformVersion,
            PlatformFamily = service.PlatformFamily,
            NetworkConfiguration = service.NetworkConfiguration,
            RolloutState = RolloutState.InProgress,
            RolloutStateReason = $"ECS deployment {id} in progress.",
        };
        var revisionBody = new ServiceRevision
        {
            ServiceRevisionArn = revisionArn,
            ServiceArn = service.ServiceArn,
            ClusterArn = service.ClusterArn,
            TaskDefinition = service.TaskDefinition,
            CapacityProviderStrategy = service.CapacityProviderStrategy?.Thaw(WireJsonContext.Default.ListCapacityProviderStrategyItem),
            LaunchType = WireText.Of(service.LaunchType),
            PlatformVersion = service.PlatformVersion,
            PlatformFamily = service.PlatformFamily,
            LoadBalancers = ServiceLoadBalancer.ToWire(service.LoadBalancers),
            ServiceRegistries = service.ServiceRegistries?.Thaw(WireJsonContext.Default.ListServiceRegistry) ?? [],
            NetworkConfiguration = service.NetworkConfiguration?.Thaw(WireJsonContext.Default.NetworkConfiguration),
            CreatedAt = now,
        };
        service = service with
        {
            Deployments = [deployment, .. deployments],
            Revisions = service.Revisions.Add(new RevisionRecord(revisionArn, FrozenJson.Of(revisionBody, WireJsonContext.Default.ServiceRevision))),
            History = [.. history],
            CurrentServiceRevisions = [new RevisionCount(revisionArn, service.DesiredCount, 0, 0)],
            Controller = service.Controller with { SteadyReported = false, RetryPlacementAt = null, PlacementFailures = 0 },
        };
        if (rollback is null)
        {
            service = service with
            {
                History = service.History.Add(new ServiceDeploymentRecord
                {
                    ServiceDeploymentArn = deploymentArn,
                    CreatedAt = now,
                    StartedAt = now,
                    UpdatedAt = now,
                    SourceServiceRevisions = sources.ToImmutable(),
                    TargetServiceRevision = new RevisionCount(revisionArn, service.DesiredCount, 0, 0),
                    Status = ServiceDeploymentStatus.InProgress,
                    DeploymentConfiguration = service.DeploymentConfiguration,
                    CircuitBreakerStatus = service.DeploymentConfiguration.CircuitBreakerEnabled ? "MONITORING" : "DISABLED",
                    CircuitBreakerThreshold = CircuitBreakerThreshold(service.DesiredCount),
                }),
                CurrentServiceDeployment = deploymentArn,
            };
        }

        return service;
    }

    /// <summary>
    /// Rolls back to <paramref name="target"/> (a deployment that completed): its configuration becomes the
    /// service's again and a new deployment of it starts. The failed deployment's record (<paramref name="recordArn"/>)
    /// shows the rollback.
    /// </summary>
    public static ServiceRecord RollBack(ServiceRecord service, DeploymentRecord target, string? recordArn, string reason, Scope scope, IdSource ids, DateTimeOffset now)
    {
        service = service with
        {
            TaskDefinition = target.TaskDefinition,
            LaunchType = target.LaunchType,
            CapacityProviderStrategy = target.CapacityProviderStrategy,
            PlatformVersion = target.PlatformVersion,
            NetworkConfiguration = target.NetworkConfiguration,
        };
        service = AddEvent(service, ids, now, $"rolling back to deployment {target.Id}.");
        service = StartDeployment(service, scope, ids, now, new ServiceDeploymentRollback(reason), out var revisionArn);
        if (recordArn is not null)
        {
            service = WithHistory(service, recordArn, h => h with
            {
                Status = ServiceDeploymentStatus.RollbackInProgress,
                StatusReason = reason,
                Rollback = new DeploymentRollback(reason, now, revisionArn),
                UpdatedAt = now,
            });
        }

        return service;
    }

    /// <summary>ECS's circuit breaker threshold: half the desired count, at least 3, at most 200 failed tasks.</summary>
    public static int CircuitBreakerThreshold(int desiredCount) => Math.Clamp((int)Math.Ceiling(0.5 * desiredCount), 3, 200);

    /// <summary>The service deployment record of a deployment (found by its revision's number).</summary>
    public static ServiceDeploymentRecord? HistoryOf(ServiceRecord service, DeploymentRecord deployment)
    {
        var number = "/" + deployment.Id["ecs-svc/".Length..];
        return service.History.LastOrDefault(h => h.TargetServiceRevision.Arn.EndsWith(number, StringComparison.Ordinal)
            || h.Rollback?.ServiceRevisionArn.EndsWith(number, StringComparison.Ordinal) == true);
    }
}

/// <summary>Why a deployment rolls back, for its service deployment record.</summary>
/// <param name="Reason">ECS's wording of the cause.</param>
public sealed record ServiceDeploymentRollback(string Reason);
