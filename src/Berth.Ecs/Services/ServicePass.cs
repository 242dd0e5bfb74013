using System.Collections.Immutable;
using Berth.Ecs.Arns;
using Berth.Ecs.Capacity;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using Berth.Scheduling;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.Ecs.Services;

/// <summary>What a controller pass did, and when the next one is due at the latest.</summary>
/// <param name="Started">Tasks started.</param>
/// <param name="Stopped">Tasks asked to stop.</param>
/// <param name="WakeAt">The earliest placement retry that is still ahead, if any.</param>
public sealed record PassResult(int Started, int Stopped, DateTimeOffset? WakeAt)
{
    /// <summary>Services whose change was not applied because what it read had changed (planned again next pass).</summary>
    public int Skipped { get; init; }
}

/// <summary>
/// One pass of the service scheduler over every service, planned on a snapshot (<see cref="Plan"/>): for each service
/// it builds what <see cref="ServiceReconciler"/> reads, applies the reconciler's plan (stops, placements through the
/// placement engine, one session per cluster so services of one pass never over-commit an instance), moves
/// deployments along (completed, circuit breaker, rollback), keeps counts and events, and records only what changed,
/// per service; the writer applies those changes with <see cref="Apply(EcsState, ServicePassPlan, IEnumerable{EncodedChange})"/>.
/// </summary>
public static partial class ServicePass
{
    /// <summary>Longest wait between placement retries of a service that cannot place.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Shortest time between two "unable to place" events of one service.</summary>
    public static readonly TimeSpan UnableEventEvery = TimeSpan.FromMinutes(1);

    /// <summary>A pass planned and applied on the same state in one step (what tests call).</summary>
    public static Decision<EcsState, PassResult> Run(EcsState state, DateTimeOffset now, IdSource ids, Random rng)
    {
        var plan = Plan(state, now, ids, rng);
        var applied = Apply(state, plan, plan.Changes);
        return new Decision<EcsState, PassResult>(applied.State, applied.Mutations, plan.Result);
    }

    /// <summary>
    /// Plans a pass over every ACTIVE or DRAINING service on <paramref name="state"/>, outside the single writer:
    /// what each service changes (its tasks stopped and started, the service itself), with what the plan read so
    /// <see cref="Apply(EcsState, ServicePassPlan, IEnumerable{EncodedChange})"/> can tell whether it still holds.
    /// Documents are encoded later, piece by piece (<see cref="Encode"/>), outside the writer too: encoded just before
    /// their commit, they die young instead of being carried (and copied by the GC) through the whole pass.
    /// </summary>
    public static ServicePassPlan Plan(EcsState state, DateTimeOffset now, IdSource ids, Random rng)
    {
        var changes = new List<ServiceChange>();
        var sessions = new Dictionary<string, PlacementSession>(StringComparer.Ordinal);
        var started = 0;
        var stopped = 0;
        DateTimeOffset? wake = null;
        foreach (var stored in state.Services.Values)
        {
            if (stored.Status == ServiceStatus.Inactive)
            {
                continue;
            }

            var tasks = state.TasksOfGroup(stored.ClusterArn, ServiceModel.Group(stored)).ToList();
            var recorder = new ChangeRecorder(state);
            var (s, p, next) = Reconcile(recorder, stored, tasks, sessions, now, ids, rng);
            if (recorder.Any)
            {
                changes.Add(recorder.Done(stored, tasks));
            }

            started += s;
            stopped += p;
            if (next is { } at && at > now && (wake is null || at < wake))
            {
                wake = at;
            }
        }

        var placed = new Dictionary<string, TaskRecord>(StringComparer.Ordinal);
        foreach (var change in changes.Where(c => c.Starts is not null))
        {
            foreach (var task in change.Tasks)
            {
                placed[task.TaskArn!] = task;
            }
        }

        return new ServicePassPlan(state, changes, new PassResult(started, stopped, wake)) { Placed = placed };
    }

    /// <summary>Encodes the documents of <paramref name="change"/>, outside the writer.</summary>
    public static EncodedChange Encode(ServiceChange change)
        => new(change, [.. change.Tasks.Select(StateCodec.Document)], change.Next is { } next ? StateCodec.Document(next) : null);

    /// <summary>Applies <paramref name="changes"/>, encoding their documents on the way (tests, and a pass run whole).</summary>
    public static Decision<EcsState, int> Apply(EcsState state, ServicePassPlan plan, IEnumerable<ServiceChange> changes)
        => Apply(state, plan, changes.Select(Encode));

    /// <summary>
    /// Applies <paramref name="changes"/> (some or all of <paramref name="plan"/>'s) in the single writer, on its
    /// newest <paramref name="state"/>. When the state moved since the plan, a change is applied only if what it
    /// read still holds — the service and its tasks are the very objects it read, and each instance it starts tasks
    /// on still takes them — and is skipped otherwise (the next pass plans it again). Only these checks and the
    /// puts of already encoded documents run here. The result is how many changes were skipped.
    /// </summary>
    public static Decision<EcsState, int> Apply(EcsState state, ServicePassPlan plan, IEnumerable<EncodedChange> changes)
    {
        var edit = new StateEdit(state);
        var moved = !ReferenceEquals(state, plan.PlannedOn);
        var skipped = 0;

        // The tasks go in together at the end, through the indexes' builders. Until then a re-check sees the state
        // without them, which is what it needs: they are other services' tasks (a service's own are put first), and
        // tasks the plan placed count as planned on their instances; only a fit computed again must see them.
        var tasks = new List<(TaskRecord, Mutation)>();
        var services = new HashSet<string>(StringComparer.Ordinal);
        EcsState Settled()
        {
            edit.PutAll(tasks);
            tasks.Clear();
            services.Clear();
            return edit.State;
        }

        foreach (var (change, taskDocuments, serviceDocument) in changes)
        {
            if (moved && services.Contains(change.ServiceArn))
            {
                Settled();
            }

            if (moved && !StillHolds(edit.State, plan, change, Settled))
            {
                skipped++;
                continue;
            }

            for (var i = 0; i < change.Tasks.Count; i++)
            {
                tasks.Add((change.Tasks[i], taskDocuments[i]));
            }

            services.Add(change.ServiceArn);
            if (change.Next is { } next)
            {
                edit.Put(next, serviceDocument!);
            }
        }

        Settled();
        return edit.Done(skipped);
    }

    // Placing fell short: back off (doubling, up to MaxBackoff) and say so at most every UnableEventEvery. Placing
    // everything ends the backoff.
    private static (ServiceRecord Service, ControllerMemory Controller) AfterPlacement(ServiceRecord service, ControllerMemory controller, string? failure, IdSource ids, DateTimeOffset now)
    {
        if (failure is null)
        {
            return (service, controller with { PlacementFailures = 0, RetryPlacementAt = null });
        }

        var failures = controller.PlacementFailures + 1;
        var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, failures - 1)));
        var sayIt = controller.LastUnableEventAt is null || now - controller.LastUnableEventAt >= UnableEventEvery;
        return (sayIt ? ServiceModel.AddEvent(service, ids, now, failure) : service,
            controller with { PlacementFailures = failures, RetryPlacementAt = now + backoff, LastUnableEventAt = sayIt ? now : controller.LastUnableEventAt });
    }

    // settled: the state with every task put so far, for a fit computed again.
    private static bool StillHolds(EcsState state, ServicePassPlan plan, ServiceChange change, Func<EcsState> settled)
    {
        if (!state.Services.TryGetValue(change.ServiceArn, out var service) || !ReferenceEquals(service, change.Read))
        {
            return false;
        }

        var i = 0;
        foreach (var task in state.TasksOfGroup(change.Read.ClusterArn, ServiceModel.Group(change.Read)))
        {
            if (i >= change.TasksRead.Count || !ReferenceEquals(task, change.TasksRead[i++]))
            {
                return false;
            }
        }

        return i == change.TasksRead.Count && (change.Starts is not { } starts || Unchanged(state, plan, starts) || TaskDecisions.StillFits(settled(), starts.PlacementClusterArn, starts.Demand, starts.Instances));
    }

    /// <summary>
    /// Whether each instance the change starts tasks on is as the plan saw it, but for tasks the plan itself placed
    /// (which its placement session already counted): then the tasks fit as planned, without placing them again.
    /// </summary>
    private static bool Unchanged(EcsState state, ServicePassPlan plan, PlannedStarts starts)
    {
        if (!state.Clusters.TryGetValue(starts.PlacementClusterArn, out var cluster) || !ReferenceEquals(cluster, plan.PlannedOn.Clusters.GetValueOrDefault(starts.PlacementClusterArn)))
        {
            return false;
        }

        foreach (var arn in starts.Instances)
        {
            if (!state.ContainerInstances.TryGetValue(arn, out var instance) || !plan.PlannedOn.ContainerInstances.TryGetValue(arn, out var seen) || !ReferenceEquals(instance, seen))
            {
                return false;
            }

            state.LiveTasksByInstance.TryGetValue(arn, out var live);
            plan.PlannedOn.LiveTasksByInstance.TryGetValue(arn, out var before);
            if (ReferenceEquals(live, before))
            {
                continue;
            }

            var kept = 0;
            foreach (var (taskArn, task) in live ?? ImmutableSortedDictionary<string, TaskRecord>.Empty)
            {
                if (before is not null && before.TryGetValue(taskArn, out var was) && ReferenceEquals(was, task))
                {
                    kept++;
                }
                else if (!plan.Placed.TryGetValue(taskArn, out var mine) || !ReferenceEquals(mine, task))
                {
                    return false;
                }
            }

            if (kept != (before?.Count ?? 0))
            {
                return false;
            }
        }

        return true;
    }

    private static (int Started, int Stopped, DateTimeOffset? WakeAt) Reconcile(
        ChangeRecorder edit, ServiceRecord original, List<TaskRecord> tasks, Dictionary<string, PlacementSession> sessions, DateTimeOffset now, IdSource ids, Random rng)
    {
        if (original.External)
        {
            return ReconcileTaskSets(edit, original, tasks, sessions, now, ids, rng);
        }

        if (Settled(original, tasks, edit.State, now))
        {
            return (0, 0, null);
        }

        var service = original;
        if (!EcsArn.TryParse(service.ServiceArn, out var arn) || !edit.State.Clusters.TryGetValue(service.ClusterArn, out var cluster))
        {
            return (0, 0, null);
        }

        var scope = new Scope(arn.Region, arn.AccountId);
        var primary = service.Primary;
        // No launch type means a capacity provider strategy; Berth runs strategies of FARGATE and FARGATE_SPOT.
        var fargate = primary.LaunchType is LaunchType.Fargate
            || (primary.LaunchType is null && StrategyRules.Terms(primary.CapacityProviderStrategy).All(s => CapacityProviderRules.IsFargate(s.CapacityProvider)));
        var placementCluster = fargate ? FargateCapacity.Find(edit.State, scope) : cluster;
        var session = placementCluster is null ? null : Session(edit.State, placementCluster, sessions, rng);
        var daemon = service.SchedulingStrategy == SchedulingStrategy.Daemon;
        var grace = TimeSpan.FromSeconds(service.HealthCheckGracePeriodSeconds);

        // The circuit breaker counts the primary's failed tasks; the count never goes down.
        var failedNow = tasks.Count(t => t.StartedBy == primary.Id && Failed(t));
        var failed = Math.Max(primary.FailedTasks, failedNow);
        if (failed != primary.FailedTasks)
        {
            service = ServiceModel.WithDeployment(service, primary.Id, d => d with { FailedTasks = failed, UpdatedAt = now });
        }

        var settings = service.DeploymentConfiguration;
        if (settings.CircuitBreakerEnabled && service.Primary.RolloutState == RolloutState.InProgress && failed >= ServiceModel.CircuitBreakerThreshold(service.DesiredCount))
        {
            service = TripBreaker(service, settings.CircuitBreakerRollback, scope, ids, now);
        }

        var eligible = new List<string>();
        if (daemon && session is not null)
        {
            var memberOf = service.PlacementConstraints.Where(c => c.Type == "memberOf" && c.Value is not null).Select(c => PlacementRules.Parse(c.Value!)).ToList();
            eligible.AddRange(session.Candidates
                .Where(c => c.Instance.Status == "ACTIVE" && c.AgentConnected && memberOf.All(q => q.Matches(c)))
                .Select(c => c.Instance.Arn));
            if (service.DesiredCount != eligible.Count || service.Primary.DesiredCount != eligible.Count)
            {
                service = ServiceModel.WithDeployment(service with { DesiredCount = eligible.Count }, service.Primary.Id, d => d with { DesiredCount = eligible.Count });
            }
        }

        primary = service.Primary;
        var balanced = service.LoadBalancers.Length > 0;
        var views = tasks.Select(t => View(t, edit.State, grace, balanced, now)).ToList();
        var view = new ServiceView(
            service.Status == ServiceStatus.Draining ? 0 : service.DesiredCount,
            service.DeploymentConfiguration.MaximumPercent,
            service.DeploymentConfiguration.MinimumHealthyPercent,
            primary.Id,
            primary.RolloutState != RolloutState.Failed && service.Status == ServiceStatus.Active,
            daemon,
            service.Status == ServiceStatus.Active ? eligible : []);
        var plan = ServiceReconciler.Plan(view, views);

        // Stops first: what they free is not counted before the agent reports them stopped, but the order keeps
        // the events in the order things happened.
        var stoppedIds = new List<string>();
        var draining = 0;
        foreach (var stop in plan.Stops)
        {
            if (edit.TryGetTask(stop.TaskArn, out var task) && TaskLifecycle.RequestStop(task, now, StopCode.ServiceSchedulerInitiated, stop.Reason) is { } stopping)
            {
                // A running task behind a load balancer is DEACTIVATING first: its targets are deregistered and drain,
                // and only then is the agent told to stop it (the load balancing controller moves it on).
                stopping = TaskLifecycle.DrainFirst(task, stopping, service.LoadBalancers.Length > 0);
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

        var startedIds = new List<string>();
        var startedTasks = new List<TaskRecord>();
        var controller = service.Controller;
        if (plan.Starts > 0 && (controller.RetryPlacementAt is null || now >= controller.RetryPlacementAt))
        {
            var (placed, failure) = Start(edit, service, primary, plan, cluster, placementCluster, session, fargate, scope, ids, now);
            startedTasks.AddRange(placed);
            startedIds.AddRange(placed.Select(t => IdOf(t.TaskArn)));
            if (placed.Count > 0)
            {
                service = ServiceModel.AddEvent(service, ids, now, $"has started {placed.Count} tasks: {string.Join(" ", startedIds.Select(id => $"(task {id})"))}.");
            }

            (service, controller) = AfterPlacement(service, controller, failure, ids, now);
        }

        // Counts, per deployment and for the service, from the tasks as they are after this pass: the service's
        // tasks found at the start of the pass (as this pass left them) and those it started. Not a scan of every
        // task in the state per service, which made a pass over many services quadratic.
        var after = tasks.Select(t => edit.TryGetTask(t.TaskArn, out var latest) ? latest : t).Concat(startedTasks).ToList();
        var current = after.Where(t => t.DesiredStatus == EcsTaskStatus.Running).ToList();
        service = SetCounts(service, current, now);

        var changedTasks = startedIds.Count > 0 || stoppedIds.Count > 0;
        if (plan.PrimaryComplete && !changedTasks && service.Primary.RolloutState == RolloutState.InProgress)
        {
            service = Complete(service, ids, now);
        }

        // Deployments with nothing left are dropped once the primary has completed, as ECS does.
        if (service.Primary.RolloutState == RolloutState.Completed && service.Deployments.Any(d => d.Status != DeploymentStatus.Primary && !current.Any(t => t.StartedBy == d.Id)))
        {
            service = service with { Deployments = [.. service.Deployments.Where(d => d.Status == DeploymentStatus.Primary || current.Any(t => t.StartedBy == d.Id))] };
        }

        if (changedTasks)
        {
            controller = controller with { SteadyReported = false };
        }
        else if (!controller.SteadyReported && service.Status == ServiceStatus.Active && service.Primary.RolloutState == RolloutState.Completed && service.Deployments.Length == 1
            && service.RunningCount == service.DesiredCount && service.PendingCount == 0)
        {
            service = ServiceModel.AddEvent(service, ids, now, "has reached a steady state.");
            controller = controller with { SteadyReported = true };
        }

        if (service.Status == ServiceStatus.Draining && after.All(t => t.LastStatus == EcsTaskStatus.Stopped))
        {
            service = service with { Status = ServiceStatus.Inactive, InactiveAt = now };
        }

        service = service.Controller == controller ? service : service with { Controller = controller };
        if (service != original)
        {
            edit.Put(service);
        }

        return (startedIds.Count, stoppedIds.Count, controller.RetryPlacementAt);
    }

    private static (List<TaskRecord> Placed, string? Failure) Start(
        ChangeRecorder edit, ServiceRecord service, DeploymentRecord primary, ServicePlan plan, ClusterRecord cluster, ClusterRecord? placementCluster, PlacementSession? session, bool fargate, Scope scope, IdSource ids, DateTimeOffset now)
    {
        var launchType = fargate ? "FARGATE" : WireText.Of(primary.LaunchType) ?? "EC2";
        TaskBuilder.Launch launch;
        try
        {
            launch = TaskBuilder.Check(edit.State, scope, cluster, new TaskBuilder.Parameters(
                primary.TaskDefinition, null, primary.Id, 128, ServiceModel.Group(service), Tags(service),
                service.PropagateTags == "TASK_DEFINITION" ? "TASK_DEFINITION" : null, service.EnableEcsManagedTags, service.EnableExecuteCommand,
                primary.NetworkConfiguration?.Thaw(WireJsonContext.Default.NetworkConfiguration), launchType, AllowInactive: true));
        }
        catch (AwsException e)
        {
            return ([], $"was unable to start a task: {e.Message}");
        }

        // The strategy splits the new tasks counting what the service's tasks already run on (ECS's base and weight).
        IReadOnlyList<string>? providers = null;
        if (primary.CapacityProviderStrategy is not null && (fargate || primary.LaunchType is null))
        {
            // As this pass left them: a task it stopped a moment ago no longer counts.
            var existing = edit.State.TasksOfGroup(service.ClusterArn, ServiceModel.Group(service))
                .Select(t => edit.TryGetTask(t.TaskArn, out var latest) ? latest : t)
                .Where(t => t.DesiredStatus == EcsTaskStatus.Running && t.CapacityProviderName is not null)
                .GroupBy(t => t.CapacityProviderName!)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            providers = StrategyRules.Assign(StrategyRules.Terms(primary.CapacityProviderStrategy), existing, plan.Starts);
        }

        if (session is null || placementCluster is null)
        {
            return ([], fargate ? $"was unable to place a task. Reason: {FargateCapacity.Unavailable}." : "was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.");
        }

        List<StrategySpec> strategies = fargate ? [new StrategySpec("spread", "instanceId")]
            : service.PlacementStrategy.Length > 0 ? [.. service.PlacementStrategy.Select(r => new StrategySpec(r.Type, r.Value))]
            : service.SchedulingStrategy == SchedulingStrategy.Daemon ? []
            : [new StrategySpec("spread", "attribute:ecs.availability-zone"), new StrategySpec("spread", "instanceId")];
        var constraints = service.PlacementConstraints.Select(c => new PlacementConstraint { Type = c.Type, Expression = c.Value }).ToList();
        // Auto Scaling group providers: only their groups' instances; each task shows its instance's provider.
        var groups = !fargate && primary.LaunchType is null && primary.CapacityProviderStrategy is not null
            ? GroupCapacity.Groups(edit.State, scope, StrategyRules.Terms(primary.CapacityProviderStrategy))
            : null;
        var demand = TaskBuilder.Demand(launch, plan.Starts) with
        {
            Constraints = fargate ? []
                : groups is not null ? [.. TaskDecisions.Constraints(launch.Definition, constraints, launchType), GroupCapacity.Constraint(groups)]
                : TaskDecisions.Constraints(launch.Definition, constraints, launchType),
            Strategies = strategies,
            PinnedInstances = service.SchedulingStrategy == SchedulingStrategy.Daemon ? plan.DaemonTargets : null,
        };
        // Several group providers: each provider's share of the new tasks (base, then weight) on its own group's
        // instances. One provider (or none): the strategy's groups together.
        List<(PlacementRequest Demand, IReadOnlyDictionary<string, string>? Groups)> parts = [(demand, groups)];
        if (groups is { Count: > 1 } && providers is not null)
        {
            var baseConstraints = TaskDecisions.Constraints(launch.Definition, constraints, launchType);
            parts = [.. providers.GroupBy(p => p, StringComparer.Ordinal).Where(g => groups.ContainsKey(g.Key)).Select(g =>
            {
                IReadOnlyDictionary<string, string> own = new Dictionary<string, string>(StringComparer.Ordinal) { [g.Key] = groups[g.Key] };
                return (demand with { Count = g.Count(), Constraints = [.. baseConstraints, GroupCapacity.Constraint(own)] }, (IReadOnlyDictionary<string, string>?)own);
            })];
        }

        var placed = new List<TaskRecord>();
        var chosen = new List<string>();
        PlacementFailure? first = null;
        foreach (var (partDemand, partGroups) in parts)
        {
            // A provider with managed scaling can bring room: tasks that fit nowhere yet wait for it in PROVISIONING.
            var waitFor = TaskProvisioning.WaitingProvider(edit.State, scope, partGroups);
            foreach (var placement in session.Place(partDemand))
            {
                if (placement.Instance is null && waitFor is not null)
                {
                    var waiting = TaskBuilder.Build(launch with { CapacityProvider = waitFor }, scope, cluster, null, ids, now);
                    edit.Put(waiting);
                    placed.Add(waiting);
                    continue;
                }

                PlaceOne(placement, partGroups);
            }
        }

        void PlaceOne(TaskPlacement placement, IReadOnlyDictionary<string, string>? on)
        {
            if (placement.Instance is { } instance)
            {
                var provided = on is not null ? launch with { CapacityProvider = GroupCapacity.ProviderOf(on, instance) }
                    : providers is { } p && placed.Count < p.Count ? launch with { CapacityProvider = p[placed.Count] } : launch;
                var task = TaskBuilder.Build(provided, scope, cluster, edit.State.ContainerInstances[instance.Arn], ids, now);
                edit.Put(task);
                placed.Add(task);
                chosen.Add(instance.Arn);
            }
            else
            {
                first ??= placement.Failures.FirstOrDefault() ?? new PlacementFailure(string.Empty, string.Empty);
            }
        }

        if (chosen.Count > 0)
        {
            edit.Starts = new PlannedStarts(placementCluster.ClusterArn!, demand with { Count = chosen.Count, PinnedInstances = null }, chosen);
        }

        if (first is null)
        {
            return (placed, null);
        }

        if (fargate)
        {
            return (placed, $"was unable to place a task. Reason: {FargateCapacity.Unavailable}.");
        }

        if (first.Arn.Length == 0)
        {
            return (placed, "was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.");
        }

        return (placed, $"was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance {IdOf(first.Arn)}) {Closest(first.Reason)}. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.");
    }

    private static string Closest(string reason) => reason switch
    {
        "RESOURCE:MEMORY" => "has insufficient memory available",
        "RESOURCE:CPU" => "has insufficient CPU units available",
        "RESOURCE:PORTS" or "RESOURCE:PORTS_UDP" => "is already using a port required by your task",
        "AGENT" => "is missing an agent that is connected",
        _ => "did not satisfy the placement constraints: " + reason,
    };

    private static ServiceRecord TripBreaker(ServiceRecord service, bool rollback, Scope scope, IdSource ids, DateTimeOffset now)
    {
        const string failedReason = "ECS deployment circuit breaker: tasks failed to start.";
        var primary = service.Primary;
        service = ServiceModel.WithDeployment(service, primary.Id, d => d with { RolloutState = RolloutState.Failed, RolloutStateReason = failedReason, UpdatedAt = now });
        service = ServiceModel.AddEvent(service, ids, now, $"(deployment {primary.Id}) deployment failed: tasks failed to start.");
        var record = ServiceModel.HistoryOf(service, primary);
        if (record is not null)
        {
            service = ServiceModel.WithHistory(service, record.ServiceDeploymentArn, h => h with { CircuitBreakerStatus = "TRIGGERED", CircuitBreakerFailureCount = primary.FailedTasks });
        }

        var target = rollback ? service.Deployments.FirstOrDefault(d => d.Status == DeploymentStatus.Active && d.RolloutState == RolloutState.Completed) : null;
        if (target is null)
        {
            return record is null
                ? service
                : ServiceModel.WithHistory(service, record.ServiceDeploymentArn, h => h with { Status = ServiceDeploymentStatus.Stopped, StatusReason = failedReason, StoppedAt = now, UpdatedAt = now });
        }

        var reason = $"ECS deployment circuit breaker: rolling back to deploymentId {target.Id}.";
        return ServiceModel.RollBack(service, target, record?.ServiceDeploymentArn, reason, scope, ids, now);
    }

    private static ServiceRecord Complete(ServiceRecord service, IdSource ids, DateTimeOffset now)
    {
        var primary = service.Primary with { RolloutState = RolloutState.Completed, RolloutStateReason = $"ECS deployment {service.Primary.Id} completed.", UpdatedAt = now };
        service = ServiceModel.WithDeployment(service, primary.Id, _ => primary);
        service = ServiceModel.AddEvent(service, ids, now, $"(deployment {primary.Id}) deployment completed.");
        if (ServiceModel.HistoryOf(service, primary) is { } record)
        {
            service = ServiceModel.WithHistory(service, record.ServiceDeploymentArn, h => h with
            {
                Status = h.Status == ServiceDeploymentStatus.RollbackInProgress ? ServiceDeploymentStatus.RollbackSuccessful : ServiceDeploymentStatus.Successful,
                FinishedAt = now,
                UpdatedAt = now,
                TargetServiceRevision = h.TargetServiceRevision with { Running = primary.RunningCount, Pending = primary.PendingCount },
            });
        }

        return service;
    }

    // Counts change only when a number does: a pass that changes nothing keeps every array the state holds.
    private static ServiceRecord SetCounts(ServiceRecord service, List<TaskRecord> live, DateTimeOffset now)
    {
        var running = live.Count(t => t.LastStatus == EcsTaskStatus.Running);
        if (service.RunningCount != running || service.PendingCount != live.Count - running)
        {
            service = service with { RunningCount = running, PendingCount = live.Count - running };
        }

        var changed = false;
        var deployments = service.Deployments.Select(deployment =>
        {
            var mine = live.Where(t => t.StartedBy == deployment.Id).ToList();
            var mineRunning = mine.Count(t => t.LastStatus == EcsTaskStatus.Running);
            var pending = mine.Count - mineRunning;
            var desired = deployment.Status == DeploymentStatus.Primary ? service.DesiredCount : 0;
            if (deployment.RunningCount == mineRunning && deployment.PendingCount == pending && deployment.DesiredCount == desired)
            {
                return deployment;
            }

            changed = true;
            return deployment with { RunningCount = mineRunning, PendingCount = pending, DesiredCount = desired, UpdatedAt = now };
        }).ToImmutableArray();
        if (changed)
        {
            service = service with { Deployments = deployments };
        }

        if (service.CurrentServiceRevisions is [var revision, ..])
        {
            var counted = revision with { Requested = service.DesiredCount, Running = service.Primary.RunningCount, Pending = service.Primary.PendingCount };
            if (counted != revision)
            {
                service = service with { CurrentServiceRevisions = service.CurrentServiceRevisions.SetItem(0, counted) };
            }
        }

        return service;
    }

    /// <summary>
    /// The common case, checked without copying anything: a replica service that reported its steady state and
    /// whose tasks are exactly the primary's desired count, all running and healthy where they may stay, with the
    /// counts already recorded. A pass has nothing to do for it.
    /// </summary>
    private static bool Settled(ServiceRecord service, List<TaskRecord> tasks, EcsState state, DateTimeOffset now)
    {
        if (service.Status != ServiceStatus.Active || service.SchedulingStrategy == SchedulingStrategy.Daemon || !service.Controller.SteadyReported
            || service.Deployments is not [{ Status: DeploymentStatus.Primary, RolloutState: RolloutState.Completed } primary])
        {
            return false;
        }

        var desired = service.DesiredCount;
        if (service.RunningCount != desired || service.PendingCount != 0 || primary.RunningCount != desired || primary.PendingCount != 0 || primary.DesiredCount != desired)
        {
            return false;
        }

        var grace = TimeSpan.FromSeconds(service.HealthCheckGracePeriodSeconds);
        var live = 0;
        var failed = 0;
        foreach (var task in tasks)
        {
            if (task.DesiredStatus == EcsTaskStatus.Running)
            {
                var view = View(task, state, grace, service.LoadBalancers.Length > 0, now);
                if (view.DeploymentId != primary.Id || !view.Healthy || view.Unhealthy || view.Evicted)
                {
                    return false;
                }

                live++;
            }
            else if (task.StartedBy == primary.Id && Failed(task))
            {
                failed++;
            }
        }

        return live == desired && failed <= primary.FailedTasks;
    }

    private static ServiceTaskView View(TaskRecord task, EcsState state, TimeSpan grace, bool balanced, DateTimeOffset now)
    {
        var running = task.LastStatus == EcsTaskStatus.Running;
        // Only a task whose definition has container health checks waits to be HEALTHY before it counts; behind a
        // load balancer, its targets must be healthy too.
        var checksHealth = TaskResources.DefinitionOf(state, task)?.ContainerDefinitions?.Any(c => c.HealthCheck is not null) == true;
        var targetsHealthy = !balanced || task.LoadBalancerHealth?.State == TargetCheckState.Healthy;
        var healthy = running && (!checksHealth || task.HealthStatus == HealthStatus.Healthy) && targetsHealthy;
        var pastGrace = task.StartedAt is null || now - task.StartedAt >= grace;
        var failsChecks = task.HealthStatus == HealthStatus.Unhealthy;
        var failsTargets = balanced && running && task.LoadBalancerHealth is { State: TargetCheckState.Unhealthy };
        var unhealthy = (failsChecks || failsTargets) && pastGrace;
        var evicted = task.ContainerInstanceArn is null ? !TaskProvisioning.Waits(task)
            : !state.ContainerInstances.TryGetValue(task.ContainerInstanceArn, out var instance)
            || instance.Status != ContainerInstances.InstanceStatus.Active;
        var reason = !failsChecks && failsTargets ? ServiceReconciler.ElbUnhealthyReason(task.LoadBalancerHealth!.TargetGroupArn ?? string.Empty) : null;
        return new ServiceTaskView(task.TaskArn, task.StartedBy ?? string.Empty, task.ContainerInstanceArn, task.DesiredStatus == EcsTaskStatus.Running, running, healthy, unhealthy, evicted, Failed(task))
        {
            UnhealthyReason = reason,
            Protected = TaskProtection.IsProtected(task, now),
        };
    }

    private static bool Failed(TaskRecord task) =>
        task.LastStatus == EcsTaskStatus.Stopped
        && (task.StopCode is StopCode.TaskFailedToStart or StopCode.EssentialContainerExited
            || task.StoppedReason == ServiceReconciler.UnhealthyReason
            || task.StoppedReason?.StartsWith(ServiceReconciler.ElbUnhealthyPrefix, StringComparison.Ordinal) == true);

    private static List<Tag> Tags(ServiceRecord service)
    {
        var tags = new List<Tag>();
        if (service.PropagateTags == "SERVICE")
        {
            tags.AddRange(ResourceTag.ToWire(service.Tags));
        }

        if (service.EnableEcsManagedTags)
        {
            tags.Add(new Tag { Key = "aws:ecs:serviceName", Value = service.ServiceName });
        }

        return tags;
    }

    private static PlacementSession Session(EcsState state, ClusterRecord cluster, Dictionary<string, PlacementSession> sessions, Random rng)
    {
        if (!sessions.TryGetValue(cluster.ClusterArn!, out var session))
        {
            session = new PlacementSession(PlacementSnapshot.Of(state, cluster), new Random(rng.Next()));
            sessions[cluster.ClusterArn!] = session;
        }

        return session;
    }

    private static string IdOf(string arn) => arn[(arn.LastIndexOf('/') + 1)..];

    /// <summary>
    /// Collects what one service's reconcile puts, as typed objects (their documents are encoded later, a piece at a
    /// time: <see cref="Encode"/>). The plan reads the snapshot it started from: a service's reconcile reads only its
    /// own tasks (seen here as it left them) and the clusters, instances and definitions no pass changes, so the whole
    /// state is not rebuilt per put (that is the writer's job, once, in
    /// <see cref="Apply(EcsState, ServicePassPlan, IEnumerable{EncodedChange})"/>).
    /// </summary>
    private sealed class ChangeRecorder(EcsState state)
    {
        private readonly List<TaskRecord> _tasks = [];
        private readonly Dictionary<string, TaskRecord> _put = new(StringComparer.Ordinal);
        private ServiceRecord? _next;

        public EcsState State => state;

        public PlannedStarts? Starts { get; set; }

        public bool Any => _tasks.Count > 0 || _next is not null;

        public bool TryGetTask(string arn, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TaskRecord task)
            => _put.TryGetValue(arn, out task) || state.Tasks.TryGetValue(arn, out task);

        public void Put(TaskRecord task)
        {
            _put[task.TaskArn] = task;
            _tasks.Add(task);
        }

        public void Put(ServiceRecord service) => _next = service;

        public ServiceChange Done(ServiceRecord read, List<TaskRecord> tasksRead)
            => new(read.ServiceArn, read, tasksRead, _tasks, _next, Starts);
    }
}

/// <summary>A service pass planned on a snapshot, applied by <see cref="ServicePass.Apply(EcsState, ServicePassPlan, IEnumerable{EncodedChange})"/> in one or more commits.</summary>
/// <param name="PlannedOn">The state the plan read.</param>
/// <param name="Changes">What each service changes, in the order the plan made them.</param>
/// <param name="Result">What the pass does if every change applies.</param>
public sealed record ServicePassPlan(EcsState PlannedOn, IReadOnlyList<ServiceChange> Changes, PassResult Result)
{
    /// <summary>Every task the plan places, by ARN (an instance holding only these besides what the plan saw still takes its tasks).</summary>
    public IReadOnlyDictionary<string, TaskRecord> Placed { get; init; } = new Dictionary<string, TaskRecord>();
}

/// <summary>What one service's reconcile changes, and what it read to decide it.</summary>
/// <param name="ServiceArn">The service.</param>
/// <param name="Read">The stored service as the plan read it.</param>
/// <param name="TasksRead">The service's tasks as the plan read them, by ARN.</param>
/// <param name="Tasks">Tasks to put (stopped or started).</param>
/// <param name="Next">The service to put, if it changed.</param>
/// <param name="Starts">Where the new tasks go, to check again when the state moved.</param>
public sealed record ServiceChange(
    string ServiceArn,
    ServiceRecord Read,
    IReadOnlyList<TaskRecord> TasksRead,
    IReadOnlyList<TaskRecord> Tasks,
    ServiceRecord? Next,
    PlannedStarts? Starts)
{
    /// <summary>How many documents the change writes.</summary>
    public int Size => Tasks.Count + (Next is null ? 0 : 1);
}

/// <summary>A <see cref="ServiceChange"/> with its documents encoded, ready for <see cref="ServicePass.Apply(EcsState, ServicePassPlan, IEnumerable{EncodedChange})"/>.</summary>
/// <param name="Change">The change.</param>
/// <param name="TaskDocuments">The document of each of the change's tasks, in order.</param>
/// <param name="ServiceDocument">The service's document when the change puts the service.</param>
public sealed record EncodedChange(ServiceChange Change, IReadOnlyList<Mutation> TaskDocuments, Mutation? ServiceDocument);

/// <summary>The instances a change starts tasks on (one entry per task) and the demand each task makes.</summary>
/// <param name="PlacementClusterArn">The cluster of the instances (Berth's capacity cluster for FARGATE).</param>
/// <param name="Demand">One task's demand with the service's constraints.</param>
/// <param name="Instances">The instance of each new task.</param>
public sealed record PlannedStarts(string PlacementClusterArn, PlacementRequest Demand, IReadOnlyList<string> Instances);
