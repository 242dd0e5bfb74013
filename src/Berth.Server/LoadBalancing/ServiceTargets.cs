using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Elb.Health;
using Berth.Elb.State;

namespace Berth.Server.LoadBalancing;

/// <summary>A target of a service's task in one of its target groups.</summary>
/// <param name="TargetGroupArn">The target group.</param>
/// <param name="Id">An IP address (awsvpc) or an EC2 instance id (bridge, host).</param>
/// <param name="Port">The container port (awsvpc, host) or the host port bound to it (bridge).</param>
public sealed record TaskTarget(string TargetGroupArn, string Id, int Port)
{
    /// <summary>Its key in its target group.</summary>
    public string Key => TargetRecord.TargetKey(Id, Port);
}

/// <summary>One task's change: its targets' health, or DEACTIVATING done (its targets have drained).</summary>
/// <param name="Read">The task as the plan read it (the change applies only while it is still the stored one).</param>
/// <param name="Next">The task after the change.</param>
public sealed record TaskTargetChange(TaskRecord Read, TaskRecord Next);

/// <summary>What a pass of <see cref="ServiceTargets"/> does.</summary>
/// <param name="Register">Targets to register, in the load balancing state.</param>
/// <param name="Deregister">Targets to deregister (they drain for their group's delay).</param>
/// <param name="Tasks">Task changes, in the ECS state.</param>
/// <param name="Events">Service events (service ARN, message without the service prefix), in the ECS state.</param>
/// <param name="WakeAt">When a draining target is gone, at the earliest: the next pass is due then.</param>
public sealed record TargetPlan(
    IReadOnlyList<TaskTarget> Register,
    IReadOnlyList<TaskTarget> Deregister,
    IReadOnlyList<TaskTargetChange> Tasks,
    IReadOnlyList<(string ServiceArn, string Message)> Events,
    DateTimeOffset? WakeAt)
{
    /// <summary>Whether the pass does nothing.</summary>
    public bool Empty => Register.Count == 0 && Deregister.Count == 0 && Tasks.Count == 0 && Events.Count == 0;
}

/// <summary>
/// How ECS keeps a service's tasks in its target groups, as a pure function of both states and the health checks:
/// <list type="bullet">
/// <item>a task RUNNING (and desired RUNNING) is registered: its IP and container port for awsvpc, its instance's
/// EC2 id and the host port bound to the container port for bridge and host;</item>
/// <item>its targets' health is written on the task (the service counts it healthy only when every target is, and
/// replaces it when one is unhealthy past the grace period);</item>
/// <item>a task the service or StopTask stops is DEACTIVATING: its targets are deregistered, and once they have drained for
/// their group's deregistration delay it moves on to STOPPING, when the agent is told to stop it;</item>
/// <item>a task that stopped another way has its targets deregistered.</item>
/// </list>
/// </summary>
public static class ServiceTargets
{
    /// <summary>Plans a pass over every live service with load balancers.</summary>
    public static TargetPlan Plan(EcsState ecs, ElbState elb, ITargetHealthSource health, DateTimeOffset now)
    {
        var register = new List<TaskTarget>();
        var deregister = new List<TaskTarget>();
        var changes = new List<TaskTargetChange>();
        var events = new List<(string, string)>();
        DateTimeOffset? wake = null;
        foreach (var service in ecs.Services.Values)
        {
            if (!ServiceModel.HasLoadBalancers(service) || service.Status == ServiceStatus.Inactive)
            {
                continue;
            }

            var tasks = ecs.TasksOfGroup(service.ClusterArn, ServiceModel.Group(service)).ToList();
            var wanted = new HashSet<(string, string)>();
            var registered = new Dictionary<string, int>(StringComparer.Ordinal);
            var deregistered = new Dictionary<string, int>(StringComparer.Ordinal);
            var leaving = new List<(TaskRecord Task, List<TaskTarget> Targets)>();
            foreach (var task in tasks)
            {
                // A task of an EXTERNAL service's task set without load balancers has no targets to keep.
                if (ServiceModel.LoadBalancersOf(service, task).IsEmpty)
                {
                    continue;
                }

                var targets = TargetsOf(ecs, service, task);
                if (task.LastStatus == EcsTaskStatus.Running && task.DesiredStatus == EcsTaskStatus.Running)
                {
                    var reports = new List<(TaskTarget Target, TargetHealthReport? Report)>();
                    foreach (var target in targets)
                    {
                        wanted.Add((target.TargetGroupArn, target.Key));
                        if (!elb.TargetGroups.TryGetValue(target.TargetGroupArn, out var group))
                        {
                            continue;
                        }

                        if (!group.Targets.TryGetValue(target.Key, out var stored) || stored.DrainingUntil is not null)
                        {
                            register.Add(target);
                            registered[target.TargetGroupArn] = registered.GetValueOrDefault(target.TargetGroupArn) + 1;
                            reports.Add((target, null));
                        }
                        else
                        {
                            reports.Add((target, health.Report(target.TargetGroupArn, target.Id, target.Port)));
                        }
                    }

                    var seen = Aggregate(reports, targets.Count == ServiceModel.LoadBalancersOf(service, task).Length);
                    if (seen != task.LoadBalancerHealth)
                    {
                        changes.Add(new TaskTargetChange(task, task with { LoadBalancerHealth = seen }));
                        if (seen.State == TargetCheckState.Unhealthy && task.LoadBalancerHealth?.State != TargetCheckState.Unhealthy)
                        {
                            events.Add((service.ServiceArn, $"(port {seen.Port}) is unhealthy in (target-group {seen.TargetGroupArn}) due to (reason {seen.Description})."));
                        }
                    }
                }
                else if (task.LastStatus != EcsTaskStatus.Stopped || task.DesiredStatus != EcsTaskStatus.Stopped || targets.Count > 0)
                {
                    leaving.Add((task, targets));
                }
            }

            foreach (var (task, targets) in leaving)
            {
                var drained = true;
                foreach (var target in targets)
                {
                    if (!elb.TargetGroups.TryGetValue(target.TargetGroupArn, out var group) || !group.Targets.TryGetValue(target.Key, out var stored) || stored.IsGone(now))
                    {
                        continue;
                    }

                    // A newer task that took the same address and port keeps the target.
                    if (wanted.Contains((target.TargetGroupArn, target.Key)))
                    {
                        continue;
                    }

                    if (stored.DrainingUntil is not { } until)
                    {
                        deregister.Add(target);
                        deregistered[target.TargetGroupArn] = deregistered.GetValueOrDefault(target.TargetGroupArn) + 1;
                        drained &= DelayOf(group) == 0;
                        continue;
                    }

                    drained = false;
                    wake = wake is null || until < wake ? until : wake;
                }

                if (task.LastStatus == EcsTaskStatus.Deactivating && drained)
                {
                    changes.Add(new TaskTargetChange(task, task with { LastStatus = EcsTaskStatus.Stopping, Version = task.Version + 1 }));
                }
            }

            foreach (var (group, count) in registered)
            {
                events.Add((service.ServiceArn, $"registered {count} targets in (target-group {group})"));
            }

            foreach (var (group, count) in deregistered)
            {
                events.Add((service.ServiceArn, $"deregistered {count} targets in (target-group {group})"));
            }
        }

        return new TargetPlan(register, deregister, changes, events, wake);
    }

    /// <summary>
    /// The task's targets, one per load balancer of the service (of its task set, for an EXTERNAL service) that can be told yet: an awsvpc task needs its
    /// address, a bridge task the host port of its container port (known once the agent reports its bindings).
    /// </summary>
    public static List<TaskTarget> TargetsOf(EcsState ecs, ServiceRecord service, TaskRecord task)
    {
        var targets = new List<TaskTarget>();
        var definition = TaskResources.DefinitionOf(ecs, task);
        var networkMode = definition?.NetworkMode ?? "bridge";
        foreach (var lb in ServiceModel.LoadBalancersOf(service, task))
        {
            if (lb.TargetGroupArn is not { } group || lb.ContainerPort is not { } port)
            {
                continue;
            }

            var container = task.Containers.FirstOrDefault(c => c.Name == lb.ContainerName);
            if (networkMode == "awsvpc")
            {
                var address = container?.NetworkInterfaces.Select(i => i.PrivateIpv4Address).FirstOrDefault(a => !string.IsNullOrEmpty(a))
                    ?? task.Attachments.SelectMany(a => a.Details).FirstOrDefault(d => d.Name == "privateIPv4Address")?.Value;
                if (!string.IsNullOrEmpty(address))
                {
                    targets.Add(new TaskTarget(group, address, port));
                }

                continue;
            }

            var instanceId = task.ContainerInstanceArn is { } arn && ecs.ContainerInstances.TryGetValue(arn, out var instance) ? instance.Ec2InstanceId : null;
            var hostPort = container?.NetworkBindings.FirstOrDefault(b => b.ContainerPort == port && b.Protocol == PortProtocol.Tcp)?.HostPort
                ?? (networkMode == "host" ? port : null);
            if (!string.IsNullOrEmpty(instanceId) && hostPort is { } bound)
            {
                targets.Add(new TaskTarget(group, instanceId, bound));
            }
        }

        return targets;
    }

    // Unhealthy as soon as one target is; healthy once every load balancer has a healthy target; initial otherwise.
    private static LoadBalancerHealth Aggregate(List<(TaskTarget Target, TargetHealthReport? Report)> reports, bool allKnown)
    {
        foreach (var (target, report) in reports)
        {
            if (report?.State == "unhealthy")
            {
                return new LoadBalancerHealth(TargetCheckState.Unhealthy, target.TargetGroupArn, target.Port, report.Description ?? report.Reason);
            }
        }

        return allKnown && reports.Count > 0 && reports.All(r => r.Report?.State == "healthy")
            ? new LoadBalancerHealth(TargetCheckState.Healthy)
            : new LoadBalancerHealth(TargetCheckState.Initial);
    }

    private static int DelayOf(TargetGroupRecord group)
        => int.Parse(group.Attribute(Berth.Elb.TargetGroups.TargetGroupAttributes.DeregistrationDelay), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary><paramref name="targets"/> grouped per target group.</summary>
    public static IEnumerable<(string TargetGroupArn, IReadOnlyList<TaskTarget> Targets)> ByGroup(IReadOnlyList<TaskTarget> targets)
        => targets.GroupBy(t => t.TargetGroupArn, StringComparer.Ordinal).Select(g => (g.Key, (IReadOnlyList<TaskTarget>)[.. g]));
}
