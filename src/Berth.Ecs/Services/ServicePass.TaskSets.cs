using Berth.Ecs.Arns;
using Berth.Ecs.Capacity;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Scheduling;

namespace Berth.Ecs.Services;

/// <summary>The pass over an EXTERNAL service: each task set keeps its computed desired count of tasks running.</summary>
public static partial class ServicePass
{
    /// <summary>
    /// Reconciles an EXTERNAL service's task sets: each is planned by <see cref="ServiceReconciler"/> as a service of
    /// its own (its computed desired count, its tasks — those it started —, the service's deployment configuration and
    /// health), so failed and unhealthy tasks are replaced, surplus ones stopped, and a DRAINING task set's tasks all
    /// stopped (targets deregistered first). Tasks of no task set stop. A DRAINING task set with nothing left is
    /// removed. One task set places per pass (its placements are what the writer checks again), so a pass that started
    /// tasks for one is followed by another for the next. Counts and stability are recorded per task set.
    /// </summary>
    private static (int Started, int Stopped, DateTimeOffset? WakeAt) ReconcileTaskSets(
        ChangeRecorder edit, ServiceRecord original, List<TaskRecord> tasks, Dictionary<string, PlacementSession> sessions, DateTimeOffset now, IdSource ids, Random rng)
    {
        var service = original;
        if (!EcsArn.TryParse(service.ServiceArn, out var arn) || !edit.State.Clusters.TryGetValue(service.ClusterArn, out var cluster))
        {
            return (0, 0, null);
        }

        var scope = new Scope(arn.Region, arn.AccountId);
        var grace = TimeSpan.FromSeconds(service.HealthCheckGracePeriodSeconds);
        var active = service.Status == ServiceStatus.Active;
        var plans = new Dictionary<string, ServicePlan>(StringComparer.Ordinal);
        var stops = new List<(ServiceStop Stop, bool Balanced)>();
        foreach (var taskSet in service.TaskSets)
        {
            var plan = PlanTaskSet(service, taskSet, tasks, edit.State, grace, now);
            plans[taskSet.Id] = plan;
            stops.AddRange(plan.Stops.Select(s => (s, taskSet.LoadBalancers.Length > 0)));
        }

        // Tasks no task set claims (a task set removed under them) stop too.
        var known = service.TaskSets.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in tasks.Where(t => t.DesiredStatus == EcsTaskStatus.Running && (t.StartedBy is null || !known.Contains(t.StartedBy))))
        {
            stops.Add((new ServiceStop(orphan.TaskArn, ServiceReconciler.ScalingReason(orphan.StartedBy ?? string.Empty)), false));
        }

        var stoppedIds = new List<string>();
        var draining = 0;
        foreach (var (stop, balanced) in stops)
        {
            if (edit.TryGetTask(stop.TaskArn, out var task) && TaskLifecycle.RequestStop(task, now, StopCode.ServiceSchedulerInitiated, stop.Reason) is { } stopping)
            {
                stopping = TaskLifecycle.DrainFirst(task, stopping, balanced);
                draining += stopping.LastStatus == EcsTaskStatus.Deactivating ? 1 : 0;
                edit.Put(stopping);
                stoppedIds.Add(IdOf(stop.TaskArn));
            }
        }

        if (stoppedIds.Count > 0)
        {
            if (draining > 0)
            {
                service = ServiceModel.AddEvent(service, ids, now, $"has begun draining connections on {draining} tasks.");
            }

            service = ServiceModel.AddEvent(service, ids, now, $"has stopped {stoppedIds.Count} running tasks: {string.Join(" ", stoppedIds.Select(id => $"(task {id})"))}.");
        }

        var startedTasks = new List<TaskRecord>();
        var controller = service.Controller;
        var placing = service.TaskSets.FirstOrDefault(t => plans[t.Id].Starts > 0);
        if (placing is not null && (controller.RetryPlacementAt is null || now >= controller.RetryPlacementAt))
        {
            var deployment = AsDeployment(placing);
            var fargate = deployment.LaunchType is LaunchType.Fargate
                || (deployment.LaunchType is null && StrategyRules.Terms(deployment.CapacityProviderStrategy).All(s => CapacityProviderRules.IsFargate(s.CapacityProvider)));
            var placementCluster = fargate ? FargateCapacity.Find(edit.State, scope) : cluster;
            var session = placementCluster is null ? null : Session(edit.State, placementCluster, sessions, rng);
            var (placed, failure) = Start(edit, service, deployment, plans[placing.Id], cluster, placementCluster, session, fargate, scope, ids, now);
            startedTasks.AddRange(placed);
            if (placed.Count > 0)
            {
                service = ServiceModel.AddEvent(service, ids, now, $"has started {placed.Count} tasks: {string.Join(" ", placed.Select(t => $"(task {IdOf(t.TaskArn)})"))}.");
            }

            (service, controller) = AfterPlacement(service, controller, failure, ids, now);
        }

        // Counts and stability, from the tasks as this pass leaves them.
        var after = tasks.Select(t => edit.TryGetTask(t.TaskArn, out var latest) ? latest : t).Concat(startedTasks).ToList();
        var changedTasks = startedTasks.Count > 0 || stoppedIds.Count > 0;
        service = Counted(service, after, plans, now);

        if (changedTasks)
        {
            controller = controller with { SteadyReported = false };
        }
        else if (!controller.SteadyReported && active && service.TaskSets.All(t => t.StabilityStatus == StabilityStatus.SteadyState && t.Status != TaskSetStatus.Draining))
        {
            service = ServiceModel.AddEvent(service, ids, now, "has reached a steady state.");
            controller = controller with { SteadyReported = true };
        }

        if (service.Status == ServiceStatus.Draining && service.TaskSets.IsEmpty && after.All(t => t.LastStatus == EcsTaskStatus.Stopped))
        {
            service = service with { Status = ServiceStatus.Inactive, InactiveAt = now };
        }

        service = service.Controller == controller ? service : service with { Controller = controller };
        if (service != original)
        {
            edit.Put(service);
        }

        return (startedTasks.Count, stoppedIds.Count, controller.RetryPlacementAt);
    }

    /// <summary>What one task set's tasks need this pass, as <see cref="ServiceReconciler"/> plans a service.</summary>
    internal static ServicePlan PlanTaskSet(ServiceRecord service, TaskSetRecord taskSet, IEnumerable<TaskRecord> tasks, EcsState state, TimeSpan grace, DateTimeOffset now)
    {
        var balanced = taskSet.LoadBalancers.Length > 0;
        var mine = tasks.Where(t => t.StartedBy == taskSet.Id).Select(t => View(t, state, grace, balanced, now)).ToList();
        var desired = service.Status == ServiceStatus.Active && taskSet.Status != TaskSetStatus.Draining ? taskSet.ComputedDesiredCount : 0;
        var view = new ServiceView(desired, service.DeploymentConfiguration.MaximumPercent, service.DeploymentConfiguration.MinimumHealthyPercent, taskSet.Id, desired > 0, false, []);
        return ServiceReconciler.Plan(view, mine);
    }

    // The launch configuration of a task set in the shape Start places a deployment's tasks from.
    private static DeploymentRecord AsDeployment(TaskSetRecord taskSet) => new()
    {
        Id = taskSet.Id,
        Status = DeploymentStatus.Primary,
        TaskDefinition = taskSet.TaskDefinition,
        DesiredCount = taskSet.ComputedDesiredCount,
        LaunchType = taskSet.LaunchType,
        CapacityProviderStrategy = taskSet.CapacityProviderStrategy,
        PlatformVersion = taskSet.PlatformVersion,
        PlatformFamily = taskSet.PlatformFamily,
        NetworkConfiguration = taskSet.NetworkConfiguration,
    };

    // Each task set's running and pending counts and stability (changed only when a value does: a pass that changes
    // nothing keeps the service as it was), the service's totals, and DRAINING task sets with nothing left removed.
    private static ServiceRecord Counted(ServiceRecord service, List<TaskRecord> after, Dictionary<string, ServicePlan> plans, DateTimeOffset now)
    {
        var live = after.Where(t => t.DesiredStatus == EcsTaskStatus.Running).ToList();
        var running = live.Count(t => t.LastStatus == EcsTaskStatus.Running);
        if (service.RunningCount != running || service.PendingCount != live.Count - running)
        {
            service = service with { RunningCount = running, PendingCount = live.Count - running };
        }

        var changed = false;
        var kept = new List<TaskSetRecord>();
        foreach (var taskSet in service.TaskSets)
        {
            if (taskSet.Status == TaskSetStatus.Draining && after.All(t => t.StartedBy != taskSet.Id || t.LastStatus == EcsTaskStatus.Stopped))
            {
                changed = true;
                continue;
            }

            var mine = live.Where(t => t.StartedBy == taskSet.Id).ToList();
            var mineRunning = mine.Count(t => t.LastStatus == EcsTaskStatus.Running);
            var pending = mine.Count - mineRunning;
            var steady = plans[taskSet.Id].PrimaryComplete && mineRunning == taskSet.ComputedDesiredCount && pending == 0
                ? StabilityStatus.SteadyState : StabilityStatus.Stabilizing;
            var next = taskSet;
            if (next.RunningCount != mineRunning || next.PendingCount != pending)
            {
                next = next with { RunningCount = mineRunning, PendingCount = pending };
            }

            if (next.StabilityStatus != steady)
            {
                next = next with { StabilityStatus = steady, StabilityStatusAt = now };
            }

            changed |= !ReferenceEquals(next, taskSet);
            kept.Add(next);
        }

        return changed ? service with { TaskSets = [.. kept] } : service;
    }
}
