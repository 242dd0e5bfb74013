using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Berth.Ecs.Arns;
using Berth.Ecs.Capacity;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Protocol.Errors;
using Berth.Scheduling;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.Ecs.Tasks;

/// <summary>RunTask, StartTask and StopTask, as pure functions of (state, request, now, ids, rng).</summary>
public static class TaskDecisions
{
    /// <summary>
    /// RunTask decided in one step on <paramref name="state"/> (the plan and its commit together): what the
    /// writer falls back to when optimistic plans keep conflicting, and what tests call.
    /// </summary>
    public static Decision<EcsState, RunTaskResponse> Run(EcsState state, Scope scope, IdSource ids, Random rng, DateTimeOffset now, RunTaskRequest request)
    {
        var decision = CommitRun(state, scope, ids, now, request, PlanRun(state, scope, rng, request));
        return new Decision<EcsState, RunTaskResponse>(decision.State, decision.Mutations, decision.Result!);
    }

    /// <summary>
    /// RunTask's first half, on a snapshot and outside the single writer: checks the request as ECS does and
    /// places its tasks (EC2 and EXTERNAL on the cluster's instances, FARGATE on Berth's capacity).
    /// Throws ECS's errors; tasks that fit nowhere become failures when committed.
    /// </summary>
    public static RunPlan PlanRun(EcsState state, Scope scope, Random rng, RunTaskRequest request) => PlanRun(state, scope, rng, request, null);

    /// <summary>
    /// Plans several RunTasks on one snapshot, as one placement session per cluster: each request sees the room the
    /// ones before it took, so their plans hold together (see <c>CommitRuns</c>). A request ECS refuses gets
    /// its error in place of a plan.
    /// </summary>
    public static IReadOnlyList<(RunPlan? Plan, AwsException? Error)> PlanRuns(EcsState state, Scope scope, Random rng, IReadOnlyList<RunTaskRequest> requests)
    {
        var plans = new (RunPlan?, AwsException?)[requests.Count];
        new RunPlanner(state, scope, rng).Plan(requests, 0, requests.Count, plans);
        return plans;
    }

    /// <summary>
    /// <see cref="PlanRuns"/> a range at a time: the ranges, planned in order, give the plans <see cref="PlanRuns"/>
    /// gives, so a caller can commit the first range while it plans the next.
    /// </summary>
    public sealed class RunPlanner(EcsState state, Scope scope, Random rng)
    {
        private readonly PlacementSessions _sessions = new(rng);

        /// <summary>Plans <paramref name="requests"/>[from..from+count) into the same positions of <paramref name="plans"/>.</summary>
        public void Plan(IReadOnlyList<RunTaskRequest> requests, int from, int count, (RunPlan? Plan, AwsException? Error)[] plans)
        {
            var prepared = new PreparedRun?[count];
            Parallel.For(0, count, i =>
            {
                try
                {
                    prepared[i] = Prepare(state, scope, requests[from + i]);
                }
                catch (AwsException e)
                {
                    plans[from + i] = (null, e);
                }
            });

            // Placement is one session, so in order.
            for (var i = 0; i < count; i++)
            {
                if (prepared[i] is not { } run)
                {
                    continue;
                }

                try
                {
                    plans[from + i] = (Place(state, scope, rng, run, _sessions), null);
                }
                catch (AwsException e)
                {
                    plans[from + i] = (null, e);
                }
            }
        }
    }

    private static RunPlan PlanRun(EcsState state, Scope scope, Random rng, RunTaskRequest request, PlacementSessions? sessions) =>
        Place(state, scope, rng, Prepare(state, scope, request), sessions);

    /// <summary>What RunTask checks and works out before placement; <see cref="Replay"/> set when the token already ran.</summary>
    private sealed record PreparedRun(
        ClusterRecord Cluster, int Count, string? TokenKey, string? Fingerprint, RunPlan? Replay,
        string LaunchType, List<CapacityProviderStrategyItem>? Strategy, TaskBuilder.Launch Launch, PlacementRequest Demand);

    // Placement aside, everything RunTask decides depends only on the state and the request: PlanRuns does this part
    // for many requests side by side.
    private static PreparedRun Prepare(EcsState state, Scope scope, RunTaskRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var count = request.Count ?? 1;
        if (count > 10)
        {
            throw AwsException.InvalidParameter("Task count can not be greater than 10.");
        }

        if (count < 1)
        {
            throw AwsException.InvalidParameter("Task count must be greater than 0.");
        }

        string? tokenKey = null;
        string? fingerprint = null;
        if (request.ClientToken is { } token)
        {
            if (token.Length is 0 or > 64 || token.Any(c => c is < (char)33 or > (char)126))
            {
                throw AwsException.InvalidParameter("clientToken must be 1 to 64 characters in the range 33-126.");
            }

            tokenKey = scope.Region + "|" + token;
            fingerprint = Fingerprint(request);
            if (Replay(state, tokenKey, fingerprint) is not null)
            {
                return new PreparedRun(cluster, count, tokenKey, fingerprint, new RunPlan(state, cluster, null, null, [], tokenKey, fingerprint, null), "", null, null!, null!);
            }
        }

        var (launchType, strategy) = StrategyRules.Resolve(state, scope, cluster, request.LaunchType, request.CapacityProviderStrategy);
        var launch = TaskBuilder.Check(state, scope, cluster, new TaskBuilder.Parameters(
            request.TaskDefinition, request.Overrides, request.StartedBy, 128, request.Group, request.Tags, request.PropagateTags,
            request.EnableECSManagedTags, request.EnableExecuteCommand, request.NetworkConfiguration, launchType));
        var constraints = Constraints(launch.Definition, request.PlacementConstraints, launchType);
        var strategies = Strategies(request.PlacementStrategy);
        try
        {
            PlacementRules.Validate(constraints, strategies, launchType);
        }
        catch (PlacementSpecException e)
        {
            throw AwsException.InvalidParameter(e.Message);
        }

        PlatformVersion(request.PlatformVersion, launchType);
        var demand = TaskBuilder.Demand(launch, count) with { Constraints = constraints, Strategies = strategies };

        // Overrides may resize the task: the size Fargate runs must still be one of its pairs.
        if (launchType == "FARGATE" && !TaskSize.IsFargatePair(launch.Cpu, launch.Memory))
        {
            throw AwsException.InvalidParameter($"No Fargate configuration exists for given values: {launch.Cpu} CPU, {launch.Memory} memory. See the Amazon ECS documentation for the valid values.");
        }

        return new PreparedRun(cluster, count, tokenKey, fingerprint, null, launchType, strategy, launch, demand);
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_fingerprintBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_fingerprintWriter;

    /// <summary>
    /// What a client token is stored with: the SHA-256, in lower-case hex, of the request as the wire writes it. Written
    /// into a buffer each thread keeps, since a burst of scheduled RunTasks makes thousands of them.
    /// </summary>
    internal static string Fingerprint(RunTaskRequest request)
    {
        var buffer = t_fingerprintBuffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_fingerprintWriter ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, request, WireWriting.Default.RunTaskRequest);
        writer.Flush();
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer.WrittenSpan, hash);
        return Convert.ToHexStringLower(hash);
    }

    private static RunPlan Place(EcsState state, Scope scope, Random rng, PreparedRun run, PlacementSessions? sessions)
    {
        if (run.Replay is { } replay)
        {
            return replay;
        }

        var (cluster, count, tokenKey, fingerprint, launch, demand, strategy) = (run.Cluster, run.Count, run.TokenKey, run.Fingerprint, run.Launch, run.Demand, run.Strategy);
        if (run.LaunchType == "FARGATE")
        {
            // Fargate spreads its tasks over its hosts; users choose neither constraints nor strategies there.
            var capacity = FargateCapacity.Find(state, scope);
            var hosts = capacity is null ? new ClusterSnapshot([]) : PlacementSnapshot.Of(state, capacity);
            var fargateDemand = demand with { Strategies = [new StrategySpec("spread", "instanceId")] };
            // A strategy splits RunTask's own tasks (ECS counts nothing else for a RunTask); spot and on-demand
            // tasks take the same room, so the split is by position and placement is one.
            var providers = strategy is null ? null : StrategyRules.Assign(strategy, new Dictionary<string, int>(), count);
            var placements = sessions is null || capacity is null ? Placement.Place(hosts, fargateDemand, rng) : sessions.Place(capacity.ClusterArn, hosts, fargateDemand);

            // On-demand tasks that found no room take it from FARGATE_SPOT tasks: those are interrupted (the
            // on-demand tasks fail now, as ECS says "try again later", and find the room once the spot tasks stop).
            var unplaced = placements.Select((p, i) => (p, i)).Count(x => !x.p.Placed && (providers is null || (x.i < providers.Count && providers[x.i] == CapacityProviderRules.Fargate)));
            var interrupt = capacity is null || unplaced == 0 ? [] : SpotInterruptions.ForPressure(state, capacity, [.. Enumerable.Repeat((launch.Cpu, launch.Memory), unplaced)]);
            return new RunPlan(state, cluster, capacity, launch, placements, tokenKey, fingerprint, fargateDemand) { Providers = providers, Interrupt = interrupt };
        }

        var snapshot = PlacementSnapshot.Of(state, cluster);
        var groups = strategy is null ? null : GroupCapacity.Groups(state, scope, strategy);
        if (groups is not null)
        {
            // Auto Scaling group providers: only their groups' instances; each task shows its instance's provider.
            demand = demand with { Constraints = [.. demand.Constraints, GroupCapacity.Constraint(groups)] };
        }

        // A provider with managed scaling can bring room: tasks that fit nowhere yet wait for it in PROVISIONING.
        var waitFor = TaskProvisioning.WaitingProvider(state, scope, groups);
        if (waitFor is null && !snapshot.Instances.Any(i => i.Status == "ACTIVE"))
        {
            throw AwsException.InvalidParameter("No Container Instances were found in your cluster.");
        }

        if (groups is { Count: > 1 })
        {
            // Several group providers: each provider's share (base, then weight, of RunTask's own tasks) on its group.
            var shared = sessions?.For(cluster.ClusterArn, snapshot) ?? new PlacementSession(snapshot, rng);
            return PlanSplit(state, scope, cluster, launch, demand, groups, StrategyRules.Assign(strategy!, new Dictionary<string, int>(), count), shared, tokenKey, fingerprint);
        }

        var placed = sessions is null ? Placement.Place(snapshot, demand, rng) : sessions.Place(cluster.ClusterArn, snapshot, demand);
        var byInstance = groups is null ? null : placed.Select(p => p.Instance is { } i ? GroupCapacity.ProviderOf(groups, i) : waitFor).ToList();
        var waiting = waitFor is null ? [] : placed.Select((p, i) => (p, i)).Where(x => !x.p.Placed).Select(x => x.i).ToHashSet();
        return new RunPlan(state, cluster, cluster, launch, placed, tokenKey, fingerprint, demand) { Providers = byInstance, Waiting = waiting };
    }

    private static RunPlan PlanSplit(
        EcsState state, Scope scope, ClusterRecord cluster, TaskBuilder.Launch launch, PlacementRequest demand, Dictionary<string, string> groups,
        IReadOnlyList<string> assigned, PlacementSession session, string? tokenKey, string? fingerprint)
    {
        var placements = new List<TaskPlacement>();
        var providers = new List<string?>();
        var waiting = new HashSet<int>();
        var baseConstraints = demand.Constraints.Take(demand.Constraints.Count - 1).ToList();
        foreach (var share in assigned.GroupBy(p => p, StringComparer.Ordinal).Where(g => groups.ContainsKey(g.Key)))
        {
            var own = new Dictionary<string, string>(StringComparer.Ordinal) { [share.Key] = groups[share.Key] };
            var waits = TaskProvisioning.WaitingProvider(state, scope, own) is not null;
            foreach (var placement in session.Place(demand with { Count = share.Count(), Constraints = [.. baseConstraints, GroupCapacity.Constraint(own)] }))
            {
                if (!placement.Placed && waits)
                {
                    waiting.Add(placements.Count);
                }

                placements.Add(placement);
                providers.Add(placement.Placed || waits ? share.Key : null);
            }
        }

        return new RunPlan(state, cluster, cluster, launch, placements, tokenKey, fingerprint, demand) { Providers = providers, Waiting = waiting };
    }

    /// <summary>
    /// RunTask's second half, in the single writer: records the planned tasks. If the state moved since the plan,
    /// each planned instance is checked again against what it holds now; a plan that no longer fits is refused
    /// (the result is null) and the caller plans again, so concurrent RunTasks never over-commit an instance.
    /// A repeated <c>clientToken</c> returns the tasks of its first request and starts nothing.
    /// </summary>
    /// <param name="state">The state as it is now, in the writer.</param>
    /// <param name="scope">The caller's region and account.</param>
    /// <param name="ids">Where new IDs come from.</param>
    /// <param name="now">The time of the commit.</param>
    /// <param name="request">The request planned.</param>
    /// <param name="plan">Its plan.</param>
    /// <param name="planHolds">True when the caller knows the plan still fits (the state moved only by commits of plans made in the same placement session); skips the re-check.</param>
    public static Decision<EcsState, RunTaskResponse?> CommitRun(EcsState state, Scope scope, IdSource ids, DateTimeOffset now, RunTaskRequest request, RunPlan plan, bool planHolds = false)
    {
        var edit = new StateEdit(state);
        if (plan.TokenKey is not null && Replay(state, plan.TokenKey, plan.Fingerprint!) is { } replay)
        {
            return edit.Done<RunTaskResponse?>(replay);
        }

        if (plan.Launch is null || plan.Demand is null)
        {
            // Planned as a replay, but the token is gone from the state: plan again.
            return edit.Done<RunTaskResponse?>(null);
        }

        if (!planHolds && !ReferenceEquals(state, plan.PlannedOn) && !StillFits(state, plan))
        {
            return edit.Done<RunTaskResponse?>(null);
        }

        var response = new RunTaskResponse { Tasks = [], Failures = [] };
        for (var i = 0; i < plan.Placements.Count; i++)
        {
            var launch = plan.Providers is { } providers && i < providers.Count ? plan.Launch with { CapacityProvider = providers[i] } : plan.Launch;
            Record(plan.Placements[i], launch, scope, plan.Cluster, ids, now, edit, response, plan.Waiting.Contains(i));
        }

        SpotInterruptions.Interrupt(edit, plan.Interrupt, now);
        if (plan.TokenKey is not null)
        {
            edit.Put(plan.TokenKey, new StoredClientToken(request.ClientToken!, plan.Fingerprint!, [.. response.Tasks.Select(t => t.TaskArn!)], response.Failures, now));
        }

        return edit.Done<RunTaskResponse?>(response);
    }

    /// <summary>
    /// Commits RunTasks planned together by <see cref="PlanRuns"/>, in order, on the state as it is now. When
    /// <paramref name="plansHold"/> (the state is the one they were planned on, moved only by earlier commits of the
    /// same plans), nothing is checked again: the shared placement session already counted every plan's room. Else
    /// each plan is checked against what its instances hold now. Each entry is the response, ECS's error (a client
    /// token reused with another request), or null when the plan no longer fits and must be made again.
    /// </summary>
    public static Decision<EcsState, IReadOnlyList<(RunTaskResponse? Response, AwsException? Error)>> CommitRuns(
        EcsState state, Scope scope, IdSource ids, DateTimeOffset now, IReadOnlyList<(RunTaskRequest Request, RunPlan Plan)> runs, bool plansHold) =>
        CommitRuns(state, scope, ids, now, [.. runs.Select(r => (r.Request, r.Plan, (BuiltRun?)null))], plansHold);

    /// <summary>
    /// <see cref="CommitRuns(EcsState, Scope, IdSource, DateTimeOffset, IReadOnlyList{ValueTuple{RunTaskRequest, RunPlan}}, bool)"/>
    /// with what <see cref="Build"/> made ahead for each plan: while the plans hold, a built run's tasks and token are
    /// only put, all of them in one pass; a run whose token is already in the state (or twice in the batch) goes
    /// through <see cref="CommitRun"/>, which replays it.
    /// </summary>
    public static Decision<EcsState, IReadOnlyList<(RunTaskResponse? Response, AwsException? Error)>> CommitRuns(
        EcsState state, Scope scope, IdSource ids, DateTimeOffset now, IReadOnlyList<(RunTaskRequest Request, RunPlan Plan, BuiltRun? Built)> runs, bool plansHold)
    {
        var mutations = new List<Mutation>();
        var results = new (RunTaskResponse?, AwsException?)[runs.Count];
        var tasks = new List<(TaskRecord, Mutation)>();
        var tokens = new List<(string, StoredClientToken, Mutation)>();
        var tokensPut = new HashSet<string>(StringComparer.Ordinal);
        void Flush()
        {
            if (tasks.Count == 0 && tokens.Count == 0)
            {
                return;
            }

            var edit = new StateEdit(state);
            edit.PutAll(tasks);
            edit.PutNew(tokens);
            state = edit.State;
            mutations.AddRange(edit.Mutations);
            tasks.Clear();
            tokens.Clear();
        }

        for (var i = 0; i < runs.Count; i++)
        {
            var (request, plan, built) = runs[i];
            if (plansHold && built is not null && (built.Token is not { } t || (!state.ClientTokens.ContainsKey(t.Key) && tokensPut.Add(t.Key))))
            {
                tasks.AddRange(built.Tasks);
                if (built.Token is { } token)
                {
                    tokens.Add(token);
                }

                results[i] = (built.Response, null);
                continue;
            }

            Flush();
            try
            {
                var decision = CommitRun(state, scope, ids, now, request, plan, plansHold);
                results[i] = (decision.Result, null);
                state = decision.State;
                mutations.AddRange(decision.Mutations);
            }
            catch (AwsException e)
            {
                // CommitRun throws before it edits anything: the state of the runs before stays as it is.
                results[i] = (null, e);
            }
        }

        Flush();
        return new(state, mutations, results);
    }

    /// <summary>
    /// StartTask: one task on each named instance (up to 10), if it fits there. Unknown, INACTIVE and full
    /// instances come back as failures.
    /// </summary>
    public static Decision<EcsState, StartTaskResponse> Start(EcsState state, Scope scope, IdSource ids, DateTimeOffset now, StartTaskRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var targets = request.ContainerInstances ?? [];
        if (targets.Count == 0)
        {
            throw AwsException.InvalidParameter("Container instances cannot be empty.");
        }

        if (targets.Count > 10)
        {
            throw AwsException.InvalidParameter("Container instances can have at most 10 items.");
        }

        var launch = TaskBuilder.Check(state, scope, cluster, new TaskBuilder.Parameters(
            request.TaskDefinition, request.Overrides, request.StartedBy, 36, request.Group, request.Tags, request.PropagateTags,
            request.EnableECSManagedTags, request.EnableExecuteCommand, request.NetworkConfiguration, "EC2"));
        var pinned = targets.Select(t => ContainerInstanceRules.ArnOf(scope, cluster, t)).ToList();
        var constraints = Constraints(launch.Definition, null, "EC2");
        var demand = TaskBuilder.Demand(launch, pinned.Count) with { PinnedInstances = pinned, Constraints = constraints };

        var edit = new StateEdit(state);
        var run = new RunTaskResponse { Tasks = [], Failures = [] };
        foreach (var placement in Placement.Place(PlacementSnapshot.Of(state, cluster), demand, new Random(0)))
        {
            Record(placement, launch, scope, cluster, ids, now, edit, run);
        }

        return edit.Done(new StartTaskResponse { Tasks = run.Tasks, Failures = run.Failures });
    }

    /// <summary>
    /// StopTask: desiredStatus STOPPED (the agent then stops it and reports STOPPED), stop code UserInitiated.
    /// A RUNNING task of a service with load balancers is DEACTIVATING first, its targets drained before the agent
    /// stops it (<see cref="TaskLifecycle.DrainFirst"/>). A task already asked to stop is returned unchanged.
    /// </summary>
    public static Decision<EcsState, TaskRecord> Stop(EcsState state, Scope scope, DateTimeOffset now, StopTaskRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var task = TaskQueries.Find(state, scope, cluster, request.Task) ?? throw AwsException.InvalidParameter("The referenced task was not found.");
        if (request.Reason is { Length: > 255 })
        {
            throw AwsException.InvalidParameter("reason can have at most 255 characters.");
        }

        var edit = new StateEdit(state);
        var reason = string.IsNullOrEmpty(request.Reason) ? TaskLifecycle.StoppedByUser : request.Reason;
        if (TaskLifecycle.RequestStop(task, now, StopCode.UserInitiated, reason) is not { } stopping)
        {
            return edit.Done(task);
        }

        stopping = TaskLifecycle.DrainFirst(task, stopping, BehindLoadBalancers(state, scope, cluster.ClusterName, task));
        edit.Put(stopping);
        return edit.Done(stopping);
    }

    // The task's service (its group names it, in the task's cluster) registers it in target groups (its task set's, for EXTERNAL).
    private static bool BehindLoadBalancers(EcsState state, Scope scope, string clusterName, TaskRecord task)
    {
        const string prefix = "service:";
        return task.Group is { } group && group.StartsWith(prefix, StringComparison.Ordinal)
            && state.Services.TryGetValue($"{scope.EcsPrefix}service/{clusterName}/{group[prefix.Length..]}", out var service)
            && service.Status != Services.ServiceStatus.Inactive && Services.ServiceModel.LoadBalancersOf(service, task).Length > 0;
    }

    private static RunTaskResponse? Replay(EcsState state, string tokenKey, string fingerprint)
    {
        if (!state.ClientTokens.TryGetValue(tokenKey, out var seen))
        {
            return null;
        }

        if (seen.Fingerprint != fingerprint)
        {
            throw new AwsException("ConflictException", "The specified client token is already in use with a different RunTask request. Existing tasks: " + string.Join(", ", seen.TaskArns));
        }

        return new RunTaskResponse
        {
            Tasks = [.. seen.TaskArns.Where(state.Tasks.ContainsKey).Select(a => TaskViews.ToWire(state.Tasks[a]))],
            Failures = seen.Failures,
        };
    }

    /// <summary>Whether every planned task still fits its instance, checked on the state as it is now.</summary>
    private static bool StillFits(EcsState state, RunPlan plan)
    {
        var chosen = plan.Placements.Where(p => p.Placed).Select(p => p.Instance!.Arn).ToList();
        if (chosen.Count == 0)
        {
            return true;
        }

        return plan.PlacementCluster is not null
            && state.Clusters.TryGetValue(plan.Cluster.ClusterArn!, out var target) && target.Status == ClusterStatus.Active
            && StillFits(state, plan.PlacementCluster.ClusterArn!, plan.Demand!, chosen);
    }

    /// <summary>
    /// Whether tasks of <paramref name="demand"/> still fit on <paramref name="chosen"/> (one entry per task) as the
    /// state is now: the cluster ACTIVE, each instance ACTIVE in it, with room. Reads only those instances.
    /// </summary>
    internal static bool StillFits(EcsState state, string placementClusterArn, PlacementRequest demand, IReadOnlyList<string> chosen)
    {
        if (!state.Clusters.TryGetValue(placementClusterArn, out var cluster) || cluster.Status != ClusterStatus.Active)
        {
            return false;
        }

        var instances = new List<InstanceRecord>();
        foreach (var arn in chosen.Distinct(StringComparer.Ordinal))
        {
            if (!state.ContainerInstances.TryGetValue(arn, out var instance) || instance.Status != InstanceStatus.Active || !arn.Contains($"/{cluster.ClusterName}/", StringComparison.Ordinal))
            {
                return false;
            }

            instances.Add(instance);
        }

        return Placement.Place(PlacementSnapshot.Of(state, instances), demand with { PinnedInstances = chosen }, 0).All(p => p.Placed);
    }

    private static void Record(TaskPlacement placement, TaskBuilder.Launch launch, Scope scope, ClusterRecord cluster, IdSource ids, DateTimeOffset now, StateEdit edit, RunTaskResponse response, bool waits = false)
    {
        if (BuildPlaced(placement, launch, scope, cluster, edit.State, ids, now, response, waits) is { } task)
        {
            edit.Put(task);
        }
    }

    // One placement's task, added to the response; null when it fits nowhere (its failures go to the response).
    private static TaskRecord? BuildPlaced(TaskPlacement placement, TaskBuilder.Launch launch, Scope scope, ClusterRecord cluster, EcsState state, IdSource ids, DateTimeOffset now, RunTaskResponse response, bool waits, bool arnsOnly = false)
    {
        if (placement.Instance is not null || waits)
        {
            var task = TaskBuilder.Build(launch, scope, cluster, placement.Instance is { } at ? state.ContainerInstances[at.Arn] : null, ids, now);
            response.Tasks!.Add(arnsOnly ? new EcsTask { TaskArn = task.TaskArn } : TaskViews.ToWire(task));
            return task;
        }

        if (launch.LaunchType == "FARGATE")
        {
            if (!response.Failures!.Any(f => f.Reason == FargateCapacity.Unavailable))
            {
                response.Failures!.Add(new Failure { Reason = FargateCapacity.Unavailable });
            }

            return null;
        }

        // ECS reports each refusing instance once per request, however many tasks it refused.
        foreach (var failure in placement.Failures)
        {
            if (!response.Failures!.Any(f => f.Arn == failure.Arn && f.Reason == failure.Reason))
            {
                response.Failures!.Add(new Failure { Arn = failure.Arn, Reason = failure.Reason });
            }
        }

        return null;
    }

    /// <summary>
    /// What committing <paramref name="plan"/> records, made ahead, outside the writer: its tasks with their encoded
    /// documents, the answer, and its client token. <see cref="CommitRuns(EcsState, Scope, IdSource, DateTimeOffset, IReadOnlyList{ValueTuple{RunTaskRequest, RunPlan, BuiltRun}}, bool)"/>
    /// only puts them, while the plans hold. Null for a plan that is a replay or interrupts spot tasks: those commit
    /// through <see cref="CommitRun"/>. With <paramref name="arnsOnly"/> the answer's tasks carry only their ARNs
    /// (all a scheduler's invocation reports), not ECS's whole view of each task.
    /// </summary>
    public static BuiltRun? Build(RunPlan plan, RunTaskRequest request, Scope scope, IdSource ids, DateTimeOffset now, bool arnsOnly = false)
    {
        if (plan.Launch is null || plan.Demand is null || plan.Interrupt.Count > 0)
        {
            return null;
        }

        var response = new RunTaskResponse { Tasks = [], Failures = [] };
        var tasks = new List<(TaskRecord, Mutation)>(plan.Placements.Count);
        for (var i = 0; i < plan.Placements.Count; i++)
        {
            var launch = plan.Providers is { } providers && i < providers.Count ? plan.Launch with { CapacityProvider = providers[i] } : plan.Launch;
            if (BuildPlaced(plan.Placements[i], launch, scope, plan.Cluster, plan.PlannedOn, ids, now, response, plan.Waiting.Contains(i), arnsOnly) is { } task)
            {
                tasks.Add((task, StateCodec.Document(task)));
            }
        }

        (string, StoredClientToken, Mutation)? token = null;
        if (plan.TokenKey is { } key)
        {
            var stored = new StoredClientToken(request.ClientToken!, plan.Fingerprint!, [.. response.Tasks.Select(t => t.TaskArn!)], response.Failures, now);
            token = (key, stored, StateEdit.Document(key, stored));
        }

        return new BuiltRun(tasks, response, token);
    }

    internal static void PlatformVersion(string? version, string launchType)
    {
        if (version is null)
        {
            return;
        }

        if (launchType != "FARGATE")
        {
            throw AwsException.InvalidParameter("The platform version must be null when specifying an EC2 launch type.");
        }

        if (version is not ("LATEST" or FargateCapacity.PlatformVersion))
        {
            throw new AwsException("PlatformUnknownException", $"The specified platform version ({version}) does not exist.");
        }
    }

    internal static List<ConstraintSpec> Constraints(TaskDefinition definition, List<PlacementConstraint>? given, string launchType)
    {
        var constraints = (given ?? []).Select(c => new ConstraintSpec(c.Type ?? string.Empty, c.Expression)).ToList();

        // A task definition's constraints bind only where there are instances to choose between.
        if (launchType != "FARGATE")
        {
            constraints.AddRange((definition.PlacementConstraints ?? []).Select(c => new ConstraintSpec(c.Type ?? "memberOf", c.Expression)));
        }

        return constraints;
    }

    internal static List<StrategySpec> Strategies(List<PlacementStrategy>? given) =>
        [.. (given ?? []).Select(s => new StrategySpec(s.Type ?? string.Empty, s.Field))];
}

/// <summary>One placement session per cluster for RunTasks planned together on one snapshot.</summary>
internal sealed class PlacementSessions(Random rng)
{
    private readonly Dictionary<string, PlacementSession> _byCluster = new(StringComparer.Ordinal);

    public IReadOnlyList<TaskPlacement> Place(string clusterArn, ClusterSnapshot snapshot, PlacementRequest demand) =>
        For(clusterArn, snapshot).Place(demand);

    public PlacementSession For(string clusterArn, ClusterSnapshot snapshot)
    {
        if (!_byCluster.TryGetValue(clusterArn, out var session))
        {
            session = new PlacementSession(snapshot, new Random(rng.Next()));
            _byCluster.Add(clusterArn, session);
        }

        return session;
    }
}

/// <summary>What committing a planned RunTask puts, made ahead outside the writer by <see cref="TaskDecisions.Build"/>.</summary>
/// <param name="Tasks">The new tasks with their encoded documents.</param>
/// <param name="Response">RunTask's answer.</param>
/// <param name="Token">The client token under its key, with its document, when the request had one.</param>
public sealed record BuiltRun(
    IReadOnlyList<(TaskRecord Task, Mutation Document)> Tasks,
    RunTaskResponse Response,
    (string Key, StoredClientToken Token, Mutation Document)? Token);

/// <summary>
/// A RunTask planned on a snapshot: where each task goes (or why it cannot), to be committed by
/// <see cref="TaskDecisions.CommitRun"/>.
/// </summary>
public sealed class RunPlan
{
    internal RunPlan(EcsState plannedOn, ClusterRecord cluster, ClusterRecord? placementCluster, TaskBuilder.Launch? launch, IReadOnlyList<TaskPlacement> placements, string? tokenKey, string? fingerprint, PlacementRequest? demand)
    {
        PlannedOn = plannedOn;
        Cluster = cluster;
        PlacementCluster = placementCluster;
        Launch = launch;
        Placements = placements;
        TokenKey = tokenKey;
        Fingerprint = fingerprint;
        Demand = demand;
    }

    /// <summary>The state the plan was made on.</summary>
    public EcsState PlannedOn { get; }

    /// <summary>Where each task goes, in order.</summary>
    public IReadOnlyList<TaskPlacement> Placements { get; }

    internal ClusterRecord Cluster { get; }

    internal ClusterRecord? PlacementCluster { get; }

    internal TaskBuilder.Launch? Launch { get; }

    internal string? TokenKey { get; }

    internal string? Fingerprint { get; }

    internal PlacementRequest? Demand { get; }

    /// <summary>The capacity provider of each task, in order, when a strategy chose them.</summary>
    internal IReadOnlyList<string?>? Providers { get; init; }

    /// <summary>The positions of tasks that fit nowhere and wait in PROVISIONING for a managed scale-out instead of failing.</summary>
    internal IReadOnlySet<int> Waiting { get; init; } = new HashSet<int>();

    /// <summary>The FARGATE_SPOT tasks interrupted to make room for on-demand tasks that found none.</summary>
    internal IReadOnlyList<TaskRecord> Interrupt { get; init; } = [];
}
