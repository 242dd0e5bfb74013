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
    public static string Group(Service service) => "service:" + service.ServiceName;

    /// <summary>A deployment ID as ECS writes it: <c>ecs-svc/</c> and 19 digits.</summary>
    public static string NewDeploymentId(IdSource ids) =>
        "ecs-svc/" + (ulong.Parse(ids.Hex32()[17..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) % 10_000_000_000_000_000_000UL).ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>The service's tasks (any status), found by their group and cluster.</summary>
    public static IEnumerable<TaskRecord> TasksOf(EcsState state, Service service)
    {
        return state.TasksOfGroup(service.ClusterArn!, Group(service));
    }

    /// <summary>A deep copy of a stored service, to change without touching the state's.</summary>
    public static StoredService Copy(StoredService stored) => StateCodec.Clone(stored, StoredJsonContext.Default.StoredService);

    /// <summary>Adds an event, newest first, keeping the last <see cref="MaxEvents"/>.</summary>
    public static void AddEvent(Service service, IdSource ids, DateTimeOffset now, string message)
    {
        service.Events ??= [];
        service.Events.Insert(0, new ServiceEvent { Id = ids.Uuid(), CreatedAt = now, Message = $"(service {service.ServiceName}) {message}" });
        if (service.Events.Count > MaxEvents)
        {
            service.Events.RemoveRange(MaxEvents, service.Events.Count - MaxEvents);
        }
    }

    /// <summary>
    /// Starts a deployment of the service's current configuration (task definition, launch type or capacity
    /// providers, network): it becomes PRIMARY and IN_PROGRESS; the deployments before it turn ACTIVE and are
    /// drained by the controller. Records the revision and the service deployment the newer APIs list.
    /// </summary>
    public static StoredService StartDeployment(StoredService stored, Scope scope, IdSource ids, DateTimeOffset now, ServiceDeploymentRollback? rollback = null)
        => StartDeployment(stored, scope, ids, now, rollback, out _);

    /// <summary>As <see cref="StartDeployment(StoredService, Scope, IdSource, DateTimeOffset, ServiceDeploymentRollback?)"/>, saying which revision it made.</summary>
    public static StoredService StartDeployment(StoredService stored, Scope scope, IdSource ids, DateTimeOffset now, ServiceDeploymentRollback? rollback, out string revisionArn)
    {
        var service = stored.Service;
        var id = NewDeploymentId(ids);
        var number = id["ecs-svc/".Length..];
        var cluster = Arn.ClusterName(service.ClusterArn!);
        revisionArn = $"{scope.EcsPrefix}service-revision/{cluster}/{service.ServiceName}/{number}";
        var deploymentArn = $"{scope.EcsPrefix}service-deployment/{cluster}/{service.ServiceName}/{ids.Hex32()[10..]}";
        var sources = new List<ServiceRevisionSummary>();
        foreach (var old in service.Deployments ?? [])
        {
            if (old.Status == "PRIMARY")
            {
                old.Status = "ACTIVE";
                old.UpdatedAt = now;
            }

            if (stored.Revisions.FirstOrDefault(r => r.ServiceRevisionArn!.EndsWith("/" + old.Id!["ecs-svc/".Length..], StringComparison.Ordinal)) is { } revision)
            {
                sources.Add(new ServiceRevisionSummary { Arn = revision.ServiceRevisionArn, RequestedTaskCount = old.DesiredCount, RunningTaskCount = old.RunningCount, PendingTaskCount = old.PendingCount });
            }
        }

        // Earlier service deployments still going on are superseded by this one (a rollback continues its own).
        foreach (var earlier in stored.History.Where(h => rollback is null && h.Status is "PENDING" or "IN_PROGRESS" or "ROLLBACK_IN_PROGRESS"))
        {
            earlier.Status = "STOPPED";
            earlier.StatusReason = "Superseded by a newer service deployment.";
            earlier.StoppedAt = now;
            earlier.UpdatedAt = now;
        }

        var deployment = new Deployment
        {
            Id = id,
            Status = "PRIMARY",
            TaskDefinition = service.TaskDefinition,
            DesiredCount = service.DesiredCount,
            PendingCount = 0,
            RunningCount = 0,
            FailedTasks = 0,
            CreatedAt = now,
            UpdatedAt = now,
            LaunchType = service.LaunchType,
            CapacityProviderStrategy = service.CapacityProviderStrategy,
            PlatformVersion = service.PlatformVersion,
            PlatformFamily = service.PlatformFamily,
            NetworkConfiguration = service.NetworkConfiguration,
            RolloutState = "IN_PROGRESS",
            RolloutStateReason = $"ECS deployment {id} in progress.",
        };
        service.Deployments = [deployment, .. service.Deployments ?? []];
        stored.Revisions.Add(new ServiceRevision
        {
            ServiceRevisionArn = revisionArn,
            ServiceArn = service.ServiceArn,
            ClusterArn = service.ClusterArn,
            TaskDefinition = service.TaskDefinition,
            CapacityProviderStrategy = service.CapacityProviderStrategy,
            LaunchType = service.LaunchType,
            PlatformVersion = service.PlatformVersion,
            PlatformFamily = service.PlatformFamily,
            LoadBalancers = service.LoadBalancers,
            ServiceRegistries = service.ServiceRegistries,
            NetworkConfiguration = service.NetworkConfiguration,
            CreatedAt = now,
        });
        if (rollback is null)
        {
            stored.History.Add(new ServiceDeployment
            {
                ServiceDeploymentArn = deploymentArn,
                ServiceArn = service.ServiceArn,
                ClusterArn = service.ClusterArn,
                CreatedAt = now,
                StartedAt = now,
                UpdatedAt = now,
                SourceServiceRevisions = sources,
                TargetServiceRevision = new ServiceRevisionSummary { Arn = revisionArn, RequestedTaskCount = service.DesiredCount, RunningTaskCount = 0, PendingTaskCount = 0 },
                Status = "IN_PROGRESS",
                DeploymentConfiguration = service.DeploymentConfiguration,
                DeploymentCircuitBreaker = new ServiceDeploymentCircuitBreaker
                {
                    Status = service.DeploymentConfiguration?.DeploymentCircuitBreaker?.Enable == true ? "MONITORING" : "DISABLED",
                    FailureCount = 0,
                    Threshold = CircuitBreakerThreshold(service.DesiredCount ?? 0),
                },
            });
            service.CurrentServiceDeployment = deploymentArn;
        }

        service.CurrentServiceRevisions = [new ServiceCurrentRevisionSummary { Arn = revisionArn, RequestedTaskCount = service.DesiredCount, RunningTaskCount = 0, PendingTaskCount = 0 }];
        return stored with { Controller = stored.Controller with { SteadyReported = false, RetryPlacementAt = null, PlacementFailures = 0 } };
    }

    /// <summary>
    /// Rolls back to <paramref name="target"/> (a deployment that completed): its configuration becomes the
    /// service's again and a new deployment of it starts. The failed deployment's record shows the rollback.
    /// </summary>
    public static StoredService RollBack(StoredService stored, Deployment target, ServiceDeployment? record, string reason, Scope scope, IdSource ids, DateTimeOffset now)
    {
        var service = stored.Service;
        service.TaskDefinition = target.TaskDefinition;
        service.LaunchType = target.LaunchType;
        service.CapacityProviderStrategy = target.CapacityProviderStrategy;
        service.PlatformVersion = target.PlatformVersion;
        service.NetworkConfiguration = target.NetworkConfiguration;
        AddEvent(service, ids, now, $"rolling back to deployment {target.Id}.");
        stored = StartDeployment(stored, scope, ids, now, new ServiceDeploymentRollback(reason), out var revisionArn);
        if (record is not null)
        {
            record.Status = "ROLLBACK_IN_PROGRESS";
            record.StatusReason = reason;
            record.Rollback = new Rollback { Reason = reason, StartedAt = now, ServiceRevisionArn = revisionArn };
            record.UpdatedAt = now;
        }

        return stored;
    }

    /// <summary>ECS's circuit breaker threshold: half the desired count, at least 3, at most 200 failed tasks.</summary>
    public static int CircuitBreakerThreshold(int desiredCount) => Math.Clamp((int)Math.Ceiling(0.5 * desiredCount), 3, 200);

    /// <summary>The service deployment record of a deployment (found by its revision's number).</summary>
    public static ServiceDeployment? HistoryOf(StoredService stored, Deployment deployment)
    {
        var number = "/" + deployment.Id!["ecs-svc/".Length..];
        return stored.History.LastOrDefault(h => h.TargetServiceRevision?.Arn?.EndsWith(number, StringComparison.Ordinal) == true
            || h.Rollback?.ServiceRevisionArn?.EndsWith(number, StringComparison.Ordinal) == true);
    }
}

/// <summary>Why a deployment rolls back, for its service deployment record.</summary>
/// <param name="Reason">ECS's wording of the cause.</param>
public sealed record ServiceDeploymentRollback(string Reason);
