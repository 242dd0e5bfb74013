using Berth.Ecs.Arns;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Clusters;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using Berth.Scheduling.Capacity;
using Berth.Storage.Commit;

namespace Berth.Ecs.Capacity;

/// <summary>
/// FARGATE_SPOT interruptions: which spot tasks to interrupt (pure plans on a snapshot, off the writer) and the
/// interruption itself, applied by the writer: desiredStatus STOPPED with stopCode <c>SpotInterruption</c> and
/// ECS's reason. The agent then stops the task as any other — SIGTERM, the container's stopTimeout (at most 120 s
/// on Fargate), SIGKILL — which is ECS's two-minute warning; a service replaces the task through its strategy.
/// </summary>
public static class SpotInterruptions
{
    /// <summary>ECS's stoppedReason of an interrupted spot task.</summary>
    public const string Reason = "Your Spot Task was interrupted.";

    /// <summary>Whether a task runs on FARGATE_SPOT.</summary>
    public static bool IsSpot(TaskRecord task) => task.CapacityProviderName == CapacityProviderRules.FargateSpot;

    /// <summary>The spot tasks an operator interrupts: the one named (it must be a live spot task), else the youngest <paramref name="count"/>.</summary>
    public static IReadOnlyList<TaskRecord> ForOperator(EcsState state, string accountId, string? taskArn, int? count)
    {
        if (taskArn is not null && count is not null)
        {
            throw AwsException.InvalidParameter("Give either a task or a count, not both.");
        }

        if (taskArn is not null)
        {
            if (!state.Tasks.TryGetValue(taskArn, out var task) || !taskArn.Contains(":" + accountId + ":", StringComparison.Ordinal))
            {
                throw AwsException.InvalidParameter("The referenced task was not found.");
            }

            if (!IsSpot(task))
            {
                throw AwsException.InvalidParameter($"The task {taskArn} does not run on FARGATE_SPOT.");
            }

            return task.DesiredStatus == EcsTaskStatus.Running ? [task] : [];
        }

        var n = count ?? 1;
        if (n is < 1 or > 1000)
        {
            throw AwsException.InvalidParameter("count must be between 1 and 1000.");
        }

        return [.. Interruptible(state).Where(t => t.TaskArn.Contains(":" + accountId + ":", StringComparison.Ordinal))
            .OrderByDescending(t => t.CreatedAt).ThenBy(t => t.TaskArn, StringComparer.Ordinal).Take(n)];
    }

    /// <summary>
    /// The spot tasks to interrupt so the on-demand tasks of <paramref name="needs"/> (CPU units, MiB each) fit on the
    /// Fargate capacity of <paramref name="capacity"/>: <see cref="SpotPreemption.Choose(IReadOnlyList{SpotHost}, IReadOnlyList{SpotTask}, IReadOnlyList{ValueTuple{int, int}})"/> over its hosts.
    /// </summary>
    public static IReadOnlyList<TaskRecord> ForPressure(EcsState state, ClusterRecord capacity, IReadOnlyList<(int Cpu, int Memory)> needs)
    {
        if (needs.Count == 0)
        {
            return [];
        }

        var hosts = new List<SpotHost>();
        var spot = new List<SpotTask>();
        foreach (var instance in PlacementSnapshot.Of(state, capacity).Instances)
        {
            hosts.Add(new SpotHost(instance.Arn, instance.Registered.Cpu - instance.Used.Cpu, instance.Registered.Memory - instance.Used.Memory, instance.Status == "ACTIVE" && instance.AgentConnected));
            foreach (var task in state.LiveTasksOn(instance.Arn).Where(IsSpot))
            {
                spot.Add(new SpotTask(task.TaskArn, instance.Arn, task.Cpu, task.Memory, task.DesiredStatus == EcsTaskStatus.Stopped, task.CreatedAt));
            }
        }

        var chosen = SpotPreemption.Choose(hosts, spot, needs);
        return [.. chosen.Select(arn => state.Tasks[arn])];
    }

    /// <summary>The spot tasks to interrupt for the on-demand tasks services wait for (<see cref="ServiceNeeds"/>), on the first ACTIVE capacity cluster.</summary>
    public static IReadOnlyList<TaskRecord> PlanPressure(EcsState state)
    {
        var needs = ServiceNeeds(state);
        var capacity = needs.Count == 0 ? null : state.Clusters.Values.FirstOrDefault(c => FargateCapacity.IsCapacity(c) && c.Status == ClusterStatus.Active);
        return capacity is null ? [] : ForPressure(state, capacity, needs);
    }

    /// <summary>
    /// The on-demand Fargate tasks services wait for: each ACTIVE Fargate service whose last placement failed, for
    /// the tasks it misses that its launch type or strategy puts on FARGATE (on-demand).
    /// </summary>
    public static IReadOnlyList<(int Cpu, int Memory)> ServiceNeeds(EcsState state)
    {
        var needs = new List<(int, int)>();
        foreach (var service in state.Services.Values)
        {
            if (service.Status != ServiceStatus.Active || service.Controller.PlacementFailures == 0 || service.Deployments.IsEmpty || service.Primary.LaunchType is not (null or LaunchType.Fargate)
                || !EcsArn.TryParse(service.ServiceArn, out var arn))
            {
                continue;
            }

            var live = state.TasksOfGroup(service.ClusterArn, ServiceModel.Group(service)).Where(t => t.DesiredStatus == EcsTaskStatus.Running).ToList();
            var missing = service.DesiredCount - live.Count;
            if (missing <= 0)
            {
                continue;
            }

            var onDemand = missing;
            if (service.Primary.CapacityProviderStrategy is { } frozen)
            {
                var existing = live.Where(t => t.CapacityProviderName is not null).GroupBy(t => t.CapacityProviderName!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
                onDemand = StrategyRules.Assign(StrategyRules.Terms(frozen), existing, missing).Count(p => p == CapacityProviderRules.Fargate);
            }

            var definition = TaskDefinitionLookup.Find(state, TaskDefinitionLookup.Parse(new Scope(arn.Region, arn.AccountId), service.Primary.TaskDefinition))?.Definition;
            if (onDemand == 0 || definition is null || !int.TryParse(definition.Cpu, out var cpu) || !int.TryParse(definition.Memory, out var memory))
            {
                continue;
            }

            needs.AddRange(Enumerable.Repeat((cpu, memory), onDemand));
        }

        return needs;
    }

    /// <summary>
    /// The interruptions applied in the writer: each task still asked to run gets desiredStatus STOPPED, stopCode
    /// SpotInterruption and ECS's reason; a task stopped meanwhile is skipped. The result is the ARNs interrupted.
    /// </summary>
    public static Decision<EcsState, IReadOnlyList<string>> Apply(EcsState state, IReadOnlyList<TaskRecord> planned, DateTimeOffset now)
    {
        var edit = new StateEdit(state);
        return edit.Done(Interrupt(edit, planned, now));
    }

    /// <summary>The interruptions of <see cref="Apply"/>, made in an edit already under way (RunTask's commit).</summary>
    public static IReadOnlyList<string> Interrupt(StateEdit edit, IReadOnlyList<TaskRecord> planned, DateTimeOffset now)
    {
        var done = new List<string>();
        foreach (var read in planned)
        {
            if (!edit.State.Tasks.TryGetValue(read.TaskArn, out var task) || !task.Holds || task.ContainerInstanceArn != read.ContainerInstanceArn
                || TaskLifecycle.RequestStop(task, now, StopCode.SpotInterruption, Reason) is not { } stopping)
            {
                continue;
            }

            edit.Put(stopping);
            done.Add(task.TaskArn);
        }

        return done;
    }

    private static IEnumerable<TaskRecord> Interruptible(EcsState state)
        => state.Clusters.Values.Where(FargateCapacity.IsCapacity)
            .SelectMany(c => PlacementSnapshot.Of(state, c).Instances)
            .SelectMany(i => state.LiveTasksOn(i.Arn))
            .Where(t => IsSpot(t) && t.DesiredStatus == EcsTaskStatus.Running);
}
