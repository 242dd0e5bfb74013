namespace Berth.Ecs.Services;

/// <summary>One task of a service as the reconciler sees it.</summary>
/// <param name="Arn">The task.</param>
/// <param name="DeploymentId">The deployment that started it (its <c>startedBy</c>).</param>
/// <param name="InstanceArn">Where it runs.</param>
/// <param name="Live">Desired RUNNING (a task asked to stop no longer counts).</param>
/// <param name="Running">Last status RUNNING.</param>
/// <param name="Healthy">Counts as healthy: RUNNING and, when it has container health checks, HEALTHY.</param>
/// <param name="Unhealthy">UNHEALTHY past the service's grace period: to be replaced.</param>
/// <param name="Evicted">On an instance that takes no service tasks any more (DRAINING, gone) or, for a daemon, on one it no longer fits.</param>
/// <param name="Failed">Stopped as a failure the circuit breaker counts (failed to start, essential container exited, failed health checks).</param>
public sealed record ServiceTaskView(string Arn, string DeploymentId, string? InstanceArn, bool Live, bool Running, bool Healthy, bool Unhealthy, bool Evicted, bool Failed)
{
    /// <summary>The stoppedReason when <see cref="Unhealthy"/> stops it, if not <see cref="ServiceReconciler.UnhealthyReason"/> (its load balancer's checks failed).</summary>
    public string? UnhealthyReason { get; init; }

    /// <summary>Scale-in protected (UpdateTaskProtection): a scale-in does not choose it.</summary>
    public bool Protected { get; init; }
}

/// <summary>What the reconciler is told about one service.</summary>
/// <param name="DesiredCount">How many tasks the service wants (0 while DRAINING).</param>
/// <param name="MaximumPercent">deploymentConfiguration.maximumPercent.</param>
/// <param name="MinimumHealthyPercent">deploymentConfiguration.minimumHealthyPercent.</param>
/// <param name="PrimaryId">The PRIMARY deployment.</param>
/// <param name="PrimaryCanStart">False once the primary deployment FAILED: ECS starts no more of its tasks.</param>
/// <param name="Daemon">A DAEMON service: one task on each of <see cref="DaemonInstances"/>.</param>
/// <param name="DaemonInstances">For a daemon: the ACTIVE instances that meet its constraints.</param>
public sealed record ServiceView(int DesiredCount, int MaximumPercent, int MinimumHealthyPercent, string PrimaryId, bool PrimaryCanStart, bool Daemon, IReadOnlyList<string> DaemonInstances);

/// <summary>A task the reconciler stops, and why (its stoppedReason).</summary>
public sealed record ServiceStop(string TaskArn, string Reason);

/// <summary>
/// What one pass should do: how many primary tasks to start (and for a daemon, on which instances), which tasks
/// to stop, and whether the primary deployment has everything it wants with nothing else left.
/// </summary>
public sealed record ServicePlan(int Starts, IReadOnlyList<string> DaemonTargets, IReadOnlyList<ServiceStop> Stops, bool PrimaryComplete);

/// <summary>
/// The service scheduler's decision as a pure function of (service, its tasks): replace what failed or is
/// unhealthy, move tasks off draining instances, roll the old deployments' tasks over to the primary's — never
/// more than maximumPercent of the desired count live, never fewer than minimumHealthyPercent healthy — and
/// scale in and out. Something else places the starts and applies the stops.
/// </summary>
public static class ServiceReconciler
{
    /// <summary>The stoppedReason of a task stopped because it failed its container health checks.</summary>
    public const string UnhealthyReason = "Task failed container health checks";

    /// <summary>How the stoppedReason of a task its load balancer's health checks failed begins.</summary>
    public const string ElbUnhealthyPrefix = "Task failed ELB health checks in ";

    /// <summary>The stoppedReason of a task whose target failed the health checks of <paramref name="targetGroupArn"/>.</summary>
    public static string ElbUnhealthyReason(string targetGroupArn) => $"{ElbUnhealthyPrefix}(target-group {targetGroupArn})";

    /// <summary>The stoppedReason of a task moved off a draining instance.</summary>
    public const string DrainingReason = "Service is draining: container instance is being drained";

    /// <summary>The stoppedReason of a task stopped by a deployment or a scale-in.</summary>
    public static string ScalingReason(string deploymentId) => $"Scaling activity initiated by (deployment {deploymentId})";

    /// <summary>The plan for one pass.</summary>
    public static ServicePlan Plan(ServiceView service, IReadOnlyList<ServiceTaskView> tasks)
    {
        return service.Daemon ? PlanDaemon(service, tasks) : PlanReplica(service, tasks);
    }

    private static ServicePlan PlanReplica(ServiceView service, IReadOnlyList<ServiceTaskView> tasks)
    {
        var desired = Math.Max(0, service.DesiredCount);
        var maxLive = desired * service.MaximumPercent / 100;
        var minHealthy = (int)Math.Ceiling(desired * service.MinimumHealthyPercent / 100.0);
        var live = tasks.Where(t => t.Live).ToList();
        var stops = new List<ServiceStop>();
        var stopped = new HashSet<string>(StringComparer.Ordinal);
        void Stop(ServiceTaskView task, string reason)
        {
            if (stopped.Add(task.Arn))
            {
                stops.Add(new ServiceStop(task.Arn, reason));
            }
        }

        var scaling = ScalingReason(service.PrimaryId);

        // Unhealthy tasks never count as healthy: stopping them costs nothing, and the primary replaces them.
        foreach (var task in live.Where(t => t.Unhealthy))
        {
            Stop(task, task.UnhealthyReason ?? UnhealthyReason);
        }

        var keep = live.Where(t => t.DeploymentId == service.PrimaryId && !t.Unhealthy && !t.Evicted).ToList();
        // Once the primary can start nothing (its deployment failed), older deployments' tasks keep serving.
        // A scale-in to 0 is a scale-in: the primary's protected tasks stay until their protection ends, as in ECS.
        var replace = live.Where(t => !stopped.Contains(t.Arn) && ((t.DeploymentId != service.PrimaryId && service.PrimaryCanStart) || t.Evicted
            || (service.DesiredCount == 0 && !(t.Protected && t.DeploymentId == service.PrimaryId)))).ToList();

        // Scale in: surplus primary tasks go first, those not yet running before those that serve (and those still
        // waiting for capacity, on no instance, first of all); protected tasks are never chosen (with too few
        // unprotected ones the count waits for protection to end, as in ECS).
        if (keep.Count > desired)
        {
            foreach (var task in keep.Where(t => !t.Protected).OrderBy(t => t.Healthy).ThenBy(t => t.Running).ThenBy(t => t.InstanceArn is not null).Take(keep.Count - desired).ToList())
            {
                Stop(task, scaling);
                keep.Remove(task);
            }
        }

        // Tasks to replace that do not serve yet can go at once; serving ones only while enough stay healthy.
        var healthy = live.Count(t => t.Healthy && !stopped.Contains(t.Arn));
        foreach (var task in replace.OrderBy(t => t.Healthy).ThenBy(t => t.Evicted))
        {
            // A scale-in to 0 already stopped the primary's tasks, and counted them out of the healthy ones.
            if (stopped.Contains(task.Arn))
            {
                continue;
            }

            if (task.Healthy)
            {
                if (healthy - 1 < minHealthy)
                {
                    continue;
                }

                healthy--;
            }

            Stop(task, task.Evicted && task.DeploymentId == service.PrimaryId ? DrainingReason : scaling);
        }

        var liveAfter = live.Count(t => !stopped.Contains(t.Arn));
        var starts = service.PrimaryCanStart ? Math.Max(0, Math.Min(desired - keep.Count, maxLive - liveAfter)) : 0;

        // With maximumPercent 100 and minimumHealthyPercent 100 a rollout cannot move, as in ECS.
        var complete = keep.Count == desired && keep.All(t => t.Healthy) && liveAfter == keep.Count && stops.Count == 0;
        return new ServicePlan(starts, [], stops, complete);
    }

    private static ServicePlan PlanDaemon(ServiceView service, IReadOnlyList<ServiceTaskView> tasks)
    {
        var eligible = new HashSet<string>(service.DaemonInstances, StringComparer.Ordinal);
        var live = tasks.Where(t => t.Live).ToList();
        var stops = new List<ServiceStop>();
        var targets = new List<string>();
        var scaling = ScalingReason(service.PrimaryId);
        foreach (var task in live.Where(t => t.Unhealthy))
        {
            stops.Add(new ServiceStop(task.Arn, task.UnhealthyReason ?? UnhealthyReason));
        }

        foreach (var task in live.Where(t => !t.Unhealthy && (t.InstanceArn is null || !eligible.Contains(t.InstanceArn) || t.Evicted)))
        {
            stops.Add(new ServiceStop(task.Arn, task.Evicted ? DrainingReason : scaling));
        }

        foreach (var instance in service.DaemonInstances)
        {
            var here = live.Where(t => t.InstanceArn == instance && !t.Unhealthy).ToList();
            var primary = here.Where(t => t.DeploymentId == service.PrimaryId).ToList();

            // One daemon task per instance: the primary's if there is one, older deployments' go.
            foreach (var extra in primary.Skip(1).Concat(here.Where(t => t.DeploymentId != service.PrimaryId)))
            {
                stops.Add(new ServiceStop(extra.Arn, scaling));
            }

            if (primary.Count == 0 && service.PrimaryCanStart)
            {
                targets.Add(instance);
            }
        }

        stops = [.. stops.DistinctBy(s => s.TaskArn)];
        var stoppedArns = stops.Select(s => s.TaskArn).ToHashSet(StringComparer.Ordinal);
        var complete = targets.Count == 0 && stops.Count == 0
            && live.Where(t => !stoppedArns.Contains(t.Arn)).All(t => t.DeploymentId == service.PrimaryId && t.Healthy);
        return new ServicePlan(targets.Count, targets, stops, complete);
    }
}
