using System.Text;
using Berth.Ecs.Services;
using CsCheck;
using Xunit.Abstractions;

namespace Berth.Ecs.Tests.Services;

/// <summary>
/// Property tests of <see cref="ServiceReconciler.Plan"/>, in the manner of Nomad's reconcile_cluster_prop_test.go:
/// random service, deployment and task states, and a small pure world that applies plans, for safety (from any
/// state, one plan keeps within maximumPercent and minimumHealthyPercent) and liveness (after the changes stop, the
/// service converges on its primary deployment within a bounded number of passes).
/// </summary>
/// <remarks>
/// The bounds, from AWS's documentation of DeploymentConfiguration: at most maximumPercent of the desired count
/// RUNNING or PENDING, rounded down; at least minimumHealthyPercent of it healthy, rounded up. What the
/// documentation allows past them, and so what these properties allow:
/// <list type="bullet">
/// <item>Only healthy tasks count towards the minimum: PENDING tasks, tasks whose health checks have not passed yet
/// and UNHEALTHY tasks may be stopped whatever the minimum (ECS replaces unhealthy tasks, one by one when
/// maximumPercent leaves no room, "using the minimumHealthyPercent as a constraint", which stopping a task that does
/// not count never breaks).</item>
/// <item>The bounds are of the current desired count: lowering it lowers both (a scale-in stops the surplus, and a
/// desired count of 0, which a DRAINING service has, stops every task at once).</item>
/// <item>Neither bound makes the plan stop healthy tasks: a service below the minimum (after crashes) stops none;
/// one above the maximum (after a scale-in) gets back under it no faster than the minimum allows, and starts
/// nothing that would keep it above.</item>
/// <item>Tasks on a DRAINING instance are replaced "according to minimumHealthyPercent and maximumPercent": no
/// exception (the PENDING ones go at once, being not healthy).</item>
/// <item>When the rounded bounds leave no room (floor(desired × max) = desired = ceil(desired × min)), ECS can
/// neither start nor stop a task and reports "unable to stop or start tasks during a deployment because of the
/// service deployment configuration": such a rollout stalls with every task healthy, and liveness allows exactly
/// that stall.</item>
/// </list>
/// A daemon has no desired count of its own: its properties are one task of the primary on each eligible instance
/// (ACTIVE, meeting the constraints) and none elsewhere. Berth replaces a daemon task on its instance in one pass,
/// stop then start, which is ECS's behaviour at a daemon's default minimumHealthyPercent of 0; it does not honour a
/// higher one, so these properties do not ask it to.
/// Failures print CsCheck's seed; set it in <c>CsCheck_Seed</c> (or pass it as <c>seed:</c>) to replay the case.
/// </remarks>
public sealed class ReconcilerPropertyTests(ITestOutputHelper output)
{
    private const int SafetyIterations = 10_000;
    private const int LivenessIterations = 2_000;

    /// <summary>A task's state as the generators pick it; <see cref="Sim"/> turns it into what the reconciler sees.</summary>
    private enum Kind
    {
        /// <summary>Desired RUNNING, last status PENDING.</summary>
        Pending,

        /// <summary>RUNNING, its container health checks not passed yet (or UNHEALTHY within the grace period).</summary>
        Activating,

        /// <summary>RUNNING and healthy.</summary>
        Healthy,

        /// <summary>RUNNING and UNHEALTHY past the grace period.</summary>
        Unhealthy,

        /// <summary>Asked to stop, still RUNNING.</summary>
        Stopping,

        /// <summary>STOPPED.</summary>
        Stopped,

        /// <summary>STOPPED as a failure the circuit breaker counts.</summary>
        Failed,
    }

    private sealed record InstanceSpec(bool Active, bool Eligible);

    private sealed record TaskSpec(int Deployment, int Instance, Kind Kind);

    private sealed record StateSpec(bool Daemon, int Desired, int Max, int Min, int Deployments, bool PrimaryCanStart, InstanceSpec[] Instances, TaskSpec[] Tasks);

    /// <summary>
    /// Something that happens to the service between passes: a new desired count, a new deployment (perhaps with a
    /// new deployment configuration), a task that crashes, one that turns UNHEALTHY, an instance drained or put
    /// back (or for a daemon one leaving or joining its constraints, or a new one), placements that fail; then
    /// <paramref name="Passes"/> passes of the scheduler.
    /// </summary>
    private sealed record Change(int? Desired, bool NewDeployment, (int Max, int Min)? Config, int? Crash, int? Sicken, int? Toggle, int Shortfall, int Passes);

    private sealed record Scenario(StateSpec Start, Change[] Changes);

    // ECS's valid replica configurations with maximumPercent up to 200: minimumHealthyPercent 0..100,
    // maximumPercent 100..200, maximum above minimum; the usual ones and the tight ones (batch of one, no room) often.
    private static readonly Gen<(int Max, int Min)> GenConfig = Gen.Frequency(
        (1, Gen.OneOf((200, 100), (100, 0), (100, 50), (150, 50), (200, 0), (125, 75), (101, 99), (110, 100), (105, 95))),
        (2, Gen.Int[100, 200].SelectMany(max => Gen.Int[0, Math.Min(100, max - 1)].Select(min => (max, min)))));

    private static readonly Gen<Kind> GenKind = Gen.Frequency(
        (4, Kind.Healthy), (1, Kind.Pending), (1, Kind.Activating), (1, Kind.Unhealthy), (1, Kind.Stopping), (1, Kind.Stopped), (1, Kind.Failed));

    private static readonly Gen<InstanceSpec> GenInstance = Gen.Select(Gen.Frequency((4, true), (1, false)), Gen.Frequency((4, true), (1, false)), (a, e) => new InstanceSpec(a, e));

    // Deployment index 0 is the primary (the newest), so shrinking goes towards "every task of the primary".
    private static readonly Gen<TaskSpec> GenTask = Gen.Select(Gen.Frequency((2, Gen.Const(0)), (1, Gen.Int[1, 3])), Gen.Int[0, 7], GenKind, (d, i, k) => new TaskSpec(d, i, k));

    private static Gen<StateSpec> GenState(bool daemon) =>
        Gen.Select(GenConfig, Gen.Int[0, 20], Gen.Int[1, 4], Gen.Frequency((9, true), (1, false)), GenInstance.Array[1, 8])
            .SelectMany((config, desired, deployments, canStart, instances) =>
                GenTask.Array[0, daemon ? 2 * instances.Length + 4 : 2 * desired + 6]
                    .Select(tasks => new StateSpec(daemon, desired, config.Max, config.Min, deployments, canStart, instances, tasks)));

    private static readonly Gen<int?> GenIndex = Gen.Frequency((2, Gen.Const((int?)null)), (1, Gen.Int[0, 40].Select(i => (int?)i)));

    private static readonly Gen<Change> GenChange = Gen.Select(
        Gen.Frequency((1, Gen.Const((int?)null)), (1, Gen.Int[0, 20].Select(i => (int?)i))),
        Gen.Frequency((1, true), (2, false)),
        Gen.Frequency((3, Gen.Const(((int, int)?)null)), (1, GenConfig.Select(c => ((int, int)?)c))),
        GenIndex,
        GenIndex,
        GenIndex,
        Gen.Frequency((3, Gen.Const(0)), (1, Gen.Int[1, 3])),
        Gen.Int[1, 4],
        (desired, deploy, config, crash, sicken, toggle, shortfall, passes) => new Change(desired, deploy, config, crash, sicken, toggle, shortfall, passes));

    // At least one new deployment among the changes; the quiet passes start right after the last change.
    private static Gen<Scenario> GenScenario(bool daemon) =>
        Gen.Select(GenState(daemon), GenChange.Array[1, 6], Gen.Int[0, 5], (start, changes, deployAt) =>
            new Scenario(start, [.. changes.Select((c, i) => c with
            {
                NewDeployment = c.NewDeployment || i == deployAt % changes.Length,
                Passes = i == changes.Length - 1 ? 0 : c.Passes,
            })]));

    private static long _maxReplicaPasses;
    private static long _maxDaemonPasses;
    private static long _replicaPasses;
    private static long _stalled;

    [Fact]
    public void AReplicaPlanFromAnyStateKeepsWithinMaximumPercentAndMinimumHealthyPercent()
    {
        GenState(daemon: false).Sample(spec =>
        {
            var sim = Sim.From(spec);
            var (service, tasks) = sim.Snapshot();
            CheckReplica(service, tasks, ServiceReconciler.Plan(service, tasks));
        }, writeLine: output.WriteLine, iter: SafetyIterations, print: Describe);
    }

    [Fact]
    public void ADaemonPlanFromAnyStateLeavesAtMostOneTaskOnEachEligibleInstance()
    {
        GenState(daemon: true).Sample(spec =>
        {
            var sim = Sim.From(spec);
            var (service, tasks) = sim.Snapshot();
            CheckDaemon(service, tasks, ServiceReconciler.Plan(service, tasks));
        }, writeLine: output.WriteLine, iter: SafetyIterations, print: Describe);
    }

    [Fact]
    public void AReplicaServiceConvergesOnItsPrimaryDeploymentOnceChangesStop()
    {
        GenScenario(daemon: false).Sample(scenario =>
        {
            var sim = Sim.From(scenario.Start with { PrimaryCanStart = true });
            Disturb(sim, scenario.Changes);

            var desired = sim.Desired;
            var maxLive = desired * sim.Max / 100;
            var minHealthy = (desired * sim.Min + 99) / 100;
            var jammed = desired > 0 && maxLive == desired && minHealthy == desired;

            // A rollout moves at least one task every two passes (started, then healthy and an old one stopped).
            var bound = 2 * (sim.Tasks.Count(t => t.Live) + desired) + 4;
            var (passes, service, tasks, plan) = Settle(sim, bound);
            InterlockedMax(ref _maxReplicaPasses, passes);
            Interlocked.Add(ref _replicaPasses, passes);

            var live = tasks.Where(t => t.Live).ToList();
            Assert.True(live.All(t => t.Healthy), "quiescent: every live task healthy");
            if (plan.PrimaryComplete)
            {
                Assert.Equal(desired, live.Count);
                Assert.All(live, t => Assert.True(t.DeploymentId == service.PrimaryId && !t.Evicted && !t.Unhealthy, $"{t.Arn} left at convergence"));
            }
            else
            {
                // Only ECS's documented stall: no room above, none below, and something still to replace.
                Assert.True(jammed, $"stalled after {passes} passes without a jammed configuration: {DescribeNow(sim)}");
                Assert.Equal(desired, live.Count);
                Assert.Contains(live, t => t.DeploymentId != service.PrimaryId || t.Evicted);
                Interlocked.Increment(ref _stalled);
            }
        }, writeLine: output.WriteLine, iter: LivenessIterations, print: Describe);
        output.WriteLine($"passes to settle after the last change: at most {Interlocked.Read(ref _maxReplicaPasses)}, {Interlocked.Read(ref _replicaPasses)} in all; {Interlocked.Read(ref _stalled)} settled in ECS's documented stall");
    }

    [Fact]
    public void ADaemonConvergesOnOnePrimaryTaskPerEligibleInstanceOnceChangesStop()
    {
        GenScenario(daemon: true).Sample(scenario =>
        {
            var sim = Sim.From(scenario.Start with { PrimaryCanStart = true });
            Disturb(sim, scenario.Changes);

            // Stop and start in one pass, the new task PENDING in the next, RUNNING and healthy in the third.
            var (passes, service, tasks, plan) = Settle(sim, 3);
            InterlockedMax(ref _maxDaemonPasses, passes);

            Assert.True(plan.PrimaryComplete, DescribeNow(sim));
            var live = tasks.Where(t => t.Live).ToList();
            Assert.Equal(service.DaemonInstances.Order(StringComparer.Ordinal), live.Select(t => t.InstanceArn!).Order(StringComparer.Ordinal));
            Assert.All(live, t => Assert.True(t.DeploymentId == service.PrimaryId && t.Healthy, $"{t.Arn} left at convergence"));
        }, writeLine: output.WriteLine, iter: LivenessIterations, print: Describe);
        output.WriteLine($"most passes to converge after the last change: {Interlocked.Read(ref _maxDaemonPasses)}");
    }

    /// <summary>Safety of one replica plan. Throws (an xUnit assertion) on the first property it breaks.</summary>
    private static void CheckReplica(ServiceView service, IReadOnlyList<ServiceTaskView> tasks, ServicePlan plan)
    {
        var desired = Math.Max(0, service.DesiredCount);
        var maxLive = desired * service.MaximumPercent / 100;
        var minHealthy = (desired * service.MinimumHealthyPercent + 99) / 100;
        var live = tasks.Where(t => t.Live).ToList();
        var stopped = CheckStops(live, plan);
        var after = live.Where(t => !stopped.Contains(t.Arn)).ToList();
        bool Serves(ServiceTaskView t) => t.DeploymentId == service.PrimaryId && !t.Unhealthy && !t.Evicted;

        Assert.Empty(plan.DaemonTargets);
        Assert.InRange(plan.Starts, 0, int.MaxValue);
        if (!service.PrimaryCanStart)
        {
            Assert.Equal(0, plan.Starts);
        }

        // maximumPercent: a start never takes the live count past it.
        if (plan.Starts > 0)
        {
            Assert.True(after.Count + plan.Starts <= maxLive, $"{after.Count} live + {plan.Starts} starts > {maxLive} (maximumPercent {service.MaximumPercent} of {desired})");
        }

        // minimumHealthyPercent: stopping healthy tasks never takes the healthy count below it (or below what it was).
        var healthyBefore = live.Count(t => t.Healthy);
        var healthyAfter = after.Count(t => t.Healthy);
        Assert.True(healthyAfter >= Math.Min(minHealthy, healthyBefore), $"{healthyBefore} healthy -> {healthyAfter} < {minHealthy} (minimumHealthyPercent {service.MinimumHealthyPercent} of {desired})");

        // Unhealthy tasks are replaced; nothing else is stopped as unhealthy.
        foreach (var task in live)
        {
            Assert.Equal(task.Unhealthy, stopped.Contains(task.Arn) && Reason(plan, task.Arn) == ServiceReconciler.UnhealthyReason);
        }

        Assert.All(plan.Stops, s => Assert.Contains(s.Reason, new[] { ServiceReconciler.UnhealthyReason, ServiceReconciler.DrainingReason, ServiceReconciler.ScalingReason(service.PrimaryId) }));

        // A desired count of 0 (scaled to nothing, or the service DRAINING after a delete) stops every task at once.
        if (desired == 0)
        {
            Assert.Empty(after);
        }

        // The primary's serving tasks are stopped only in a scale-in, and only the surplus; starts fill the gap and no more.
        var keepBefore = live.Count(Serves);
        var keepAfter = after.Count(Serves);
        Assert.Equal(Math.Min(keepBefore, desired), keepAfter);
        Assert.True(plan.Starts <= desired - keepAfter, $"{plan.Starts} starts with {keepAfter} of {desired} kept");

        // A failed primary starts nothing, and the older deployments' tasks keep serving.
        if (!service.PrimaryCanStart && desired > 0)
        {
            Assert.DoesNotContain(live, t => stopped.Contains(t.Arn) && t.DeploymentId != service.PrimaryId && !t.Unhealthy && !t.Evicted);
        }

        // Complete exactly when the primary has its desired count, all healthy, and nothing else is left.
        var converged = live.Count == desired && live.All(t => Serves(t) && t.Healthy);
        Assert.Equal(converged, plan.PrimaryComplete);
        if (converged)
        {
            Assert.Equal(0, plan.Starts);
            Assert.Empty(plan.Stops);
        }

        // No stall: with nothing in flight, a plan that does nothing has completed, or is in ECS's documented stall.
        if (service.PrimaryCanStart && !converged && live.All(t => t.Healthy) && plan.Starts == 0 && plan.Stops.Count == 0)
        {
            Assert.True(live.Count >= maxLive && live.Count <= minHealthy, $"idle with {live.Count} healthy tasks, maximum {maxLive}, minimum {minHealthy}");
        }
    }

    /// <summary>Safety of one daemon plan.</summary>
    private static void CheckDaemon(ServiceView service, IReadOnlyList<ServiceTaskView> tasks, ServicePlan plan)
    {
        var eligible = service.DaemonInstances.ToHashSet(StringComparer.Ordinal);
        var live = tasks.Where(t => t.Live).ToList();
        var stopped = CheckStops(live, plan);
        var after = live.Where(t => !stopped.Contains(t.Arn)).ToList();

        Assert.Equal(plan.DaemonTargets.Count, plan.Starts);
        Assert.Equal(plan.DaemonTargets.Count, plan.DaemonTargets.Distinct(StringComparer.Ordinal).Count());
        Assert.All(plan.DaemonTargets, i => Assert.Contains(i, eligible));
        if (!service.PrimaryCanStart)
        {
            Assert.Empty(plan.DaemonTargets);
        }

        // What may not stay goes: unhealthy tasks, tasks on instances that are not ACTIVE or no longer meet the constraints.
        foreach (var task in live.Where(t => t.Unhealthy || t.Evicted || t.InstanceArn is null || !eligible.Contains(t.InstanceArn)))
        {
            Assert.Contains(task.Arn, stopped);
            Assert.Equal(task.Unhealthy, Reason(plan, task.Arn) == ServiceReconciler.UnhealthyReason);
        }

        foreach (var instance in eligible)
        {
            var here = after.Where(t => t.InstanceArn == instance).ToList();
            var target = plan.DaemonTargets.Contains(instance) ? 1 : 0;
            Assert.True(here.Count + target <= 1, $"{instance}: {here.Count} kept + {target} started");
            if (service.PrimaryCanStart)
            {
                // Exactly one task of the primary, and a serving one is kept rather than replaced.
                Assert.Equal(1, here.Count(t => t.DeploymentId == service.PrimaryId) + target);
                if (live.Any(t => t.InstanceArn == instance && t.DeploymentId == service.PrimaryId && !t.Unhealthy))
                {
                    Assert.Equal(0, target);
                }
            }
        }

        var converged = after.Count == live.Count && plan.Starts == 0 && live.All(t => t.DeploymentId == service.PrimaryId && t.Healthy);
        if (service.PrimaryCanStart)
        {
            Assert.Equal(converged && eligible.All(i => live.Count(t => t.InstanceArn == i) == 1), plan.PrimaryComplete);
        }
        else if (plan.PrimaryComplete)
        {
            Assert.True(converged);
        }
    }

    private static HashSet<string> CheckStops(List<ServiceTaskView> live, ServicePlan plan)
    {
        var stopped = plan.Stops.Select(s => s.TaskArn).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(plan.Stops.Count, stopped.Count);
        Assert.All(stopped, arn => Assert.Contains(live, t => t.Arn == arn));
        return stopped;
    }

    private static string Reason(ServicePlan plan, string arn) => plan.Stops.First(s => s.TaskArn == arn).Reason;

    /// <summary>The changes, each followed by its passes; every pass checked for safety.</summary>
    private static void Disturb(Sim sim, Change[] changes)
    {
        foreach (var change in changes)
        {
            sim.Apply(change);
            for (var i = 0; i < change.Passes; i++)
            {
                sim.Pass(change.Shortfall);
            }
        }
    }

    /// <summary>
    /// Passes with nothing else happening until the plan does nothing while every live task is healthy (nothing
    /// in flight), at most <paramref name="bound"/> of them.
    /// </summary>
    private static (int Passes, ServiceView Service, IReadOnlyList<ServiceTaskView> Tasks, ServicePlan Plan) Settle(Sim sim, int bound)
    {
        for (var passes = 0; ; passes++)
        {
            var (service, tasks) = sim.Snapshot();
            var plan = ServiceReconciler.Plan(service, tasks);
            if (plan.Starts == 0 && plan.Stops.Count == 0 && tasks.Where(t => t.Live).All(t => t.Healthy))
            {
                Check(service, tasks, plan);
                return (passes, service, tasks, plan);
            }

            Assert.True(passes < bound, $"not settled after {bound} passes: {DescribeNow(sim)}");
            sim.Pass(0);
        }
    }

    private static void Check(ServiceView service, IReadOnlyList<ServiceTaskView> tasks, ServicePlan plan)
    {
        if (service.Daemon)
        {
            CheckDaemon(service, tasks, plan);
        }
        else
        {
            CheckReplica(service, tasks, plan);
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    private sealed class Node(string arn, bool active, bool eligible)
    {
        public string Arn { get; } = arn;

        public bool Active { get; set; } = active;

        public bool Eligible { get; set; } = eligible;
    }

    private sealed class SimTask(string arn, int deployment, Node node)
    {
        public string Arn { get; } = arn;

        public int Deployment { get; } = deployment;

        public Node Node { get; } = node;

        public bool Live { get; set; }

        public bool Running { get; set; }

        public bool Healthy { get; set; }

        public bool Unhealthy { get; set; }

        public bool Failed { get; set; }
    }

    /// <summary>
    /// The world the reconciler runs in, as small as it can be: a pass plans, stops what the plan stops (desired
    /// STOPPED), starts what it starts (PENDING, on ACTIVE instances, or on the daemon's targets), then the tasks
    /// that were there before the pass move on: PENDING ones are RUNNING and healthy, RUNNING ones pass their
    /// health checks, stopping ones are STOPPED. Every pass checks the plan's safety and the world's: the live count
    /// never grows past the maximum, the healthy count never falls below the minimum (or below what it was).
    /// </summary>
    private sealed class Sim
    {
        private int _next;

        public bool Daemon { get; private init; }

        public int Desired { get; private set; }

        public int Max { get; private set; }

        public int Min { get; private set; }

        public int Deployment { get; private set; }

        public bool PrimaryCanStart { get; private init; }

        public List<Node> Nodes { get; } = [];

        public List<SimTask> Tasks { get; } = [];

        public static Sim From(StateSpec spec)
        {
            var sim = new Sim
            {
                Daemon = spec.Daemon,
                Desired = spec.Desired,
                Max = spec.Max,
                Min = spec.Min,
                Deployment = spec.Deployments,
                PrimaryCanStart = spec.PrimaryCanStart,
            };
            sim.Nodes.AddRange(spec.Instances.Select((n, i) => new Node($"i{i}", n.Active, n.Eligible)));
            foreach (var task in spec.Tasks)
            {
                var added = sim.Add(spec.Deployments - task.Deployment % spec.Deployments, sim.Nodes[task.Instance % sim.Nodes.Count]);
                added.Live = task.Kind is Kind.Pending or Kind.Activating or Kind.Healthy or Kind.Unhealthy;
                added.Running = task.Kind is Kind.Activating or Kind.Healthy or Kind.Unhealthy or Kind.Stopping;
                added.Healthy = task.Kind is Kind.Healthy or Kind.Stopping;
                added.Unhealthy = task.Kind is Kind.Unhealthy;
                added.Failed = task.Kind is Kind.Failed;
            }

            return sim;
        }

        public string Primary => $"ecs-svc/{Deployment}";

        public (ServiceView Service, IReadOnlyList<ServiceTaskView> Tasks) Snapshot()
        {
            var eligible = Nodes.Where(n => n.Active && n.Eligible).Select(n => n.Arn).ToList();
            var service = new ServiceView(Daemon ? eligible.Count : Desired, Max, Min, Primary, PrimaryCanStart, Daemon, Daemon ? eligible : []);
            var tasks = Tasks.Select(t => new ServiceTaskView(t.Arn, $"ecs-svc/{t.Deployment}", t.Node.Arn, t.Live, t.Running, t.Healthy, t.Unhealthy, !t.Node.Active, t.Failed)).ToList();
            return (service, tasks);
        }

        /// <summary>One pass: plan, check, apply, and the world moves on.</summary>
        public void Pass(int shortfall)
        {
            var (service, views) = Snapshot();
            var plan = ServiceReconciler.Plan(service, views);
            Check(service, views, plan);

            var desired = service.DesiredCount;
            var liveBefore = Tasks.Count(t => t.Live);
            var healthyBefore = Tasks.Count(t => t.Live && t.Healthy);
            var before = Tasks.ToList();
            var stops = plan.Stops.Select(s => s.TaskArn).ToHashSet(StringComparer.Ordinal);
            foreach (var task in Tasks.Where(t => stops.Contains(t.Arn)))
            {
                task.Live = false;
            }

            if (Daemon)
            {
                foreach (var target in plan.DaemonTargets.Skip(shortfall))
                {
                    Add(Deployment, Nodes.Single(n => n.Arn == target)).Live = true;
                }
            }
            else
            {
                var active = Nodes.Where(n => n.Active).ToList();
                for (var i = 0; i < plan.Starts - shortfall; i++)
                {
                    Add(Deployment, active[_next++ % active.Count]).Live = true;
                }
            }

            foreach (var task in before)
            {
                if (!task.Live)
                {
                    task.Running = task.Healthy = false;
                }
                else if (!task.Unhealthy)
                {
                    task.Running = task.Healthy = true;
                }
            }

            // What stopped is gone from the reconciler's point of view; keep the list short.
            Tasks.RemoveAll(t => !t.Live && !t.Running);

            var liveAfter = Tasks.Count(t => t.Live);
            var healthyAfter = Tasks.Count(t => t.Live && t.Healthy);
            if (Daemon)
            {
                var eligible = service.DaemonInstances.ToHashSet(StringComparer.Ordinal);
                Assert.All(Tasks.Where(t => t.Live), t => Assert.Contains(t.Node.Arn, eligible));
                Assert.All(eligible, i => Assert.True(Tasks.Count(t => t.Live && t.Node.Arn == i) <= 1, $"{i} runs two daemon tasks"));
            }
            else
            {
                Assert.True(liveAfter <= Math.Max(desired * Max / 100, liveBefore), $"live {liveBefore} -> {liveAfter}");
                Assert.True(healthyAfter >= Math.Min((desired * Min + 99) / 100, healthyBefore), $"healthy {healthyBefore} -> {healthyAfter}");
            }
        }

        public void Apply(Change change)
        {
            if (change.Desired is { } desired)
            {
                Desired = desired;
            }

            if (change.NewDeployment)
            {
                Deployment++;
            }

            if (change.Config is { } config)
            {
                (Max, Min) = config;
            }

            var live = Tasks.Where(t => t.Live).ToList();
            if (change.Crash is { } crash && live.Count > 0)
            {
                var task = live[crash % live.Count];
                task.Live = task.Running = task.Healthy = task.Unhealthy = false;
                task.Failed = true;
            }

            var running = Tasks.Where(t => t.Live && t.Running).ToList();
            if (change.Sicken is { } sicken && running.Count > 0)
            {
                var task = running[sicken % running.Count];
                task.Healthy = false;
                task.Unhealthy = true;
            }

            if (change.Toggle is { } toggle)
            {
                var index = toggle % (Nodes.Count + 1);
                if (index == Nodes.Count)
                {
                    Nodes.Add(new Node($"i{Nodes.Count}", true, true));
                }
                else if (Daemon && toggle / (Nodes.Count + 1) % 2 == 1)
                {
                    Nodes[index].Eligible = !Nodes[index].Eligible;
                }
                else if (!Nodes[index].Active || Daemon || Nodes.Count(n => n.Active) > 1)
                {
                    // A replica service keeps one ACTIVE instance, or it could never place anything.
                    Nodes[index].Active = !Nodes[index].Active;
                }
            }

            if (!Daemon && !Nodes.Any(n => n.Active))
            {
                Nodes[0].Active = true;
            }
        }

        private SimTask Add(int deployment, Node node)
        {
            var task = new SimTask($"t{_next++}", deployment, node);
            Tasks.Add(task);
            return task;
        }
    }

    private static string Describe(StateSpec spec) => DescribeNow(Sim.From(spec));

    private static string Describe(Scenario scenario)
    {
        var text = new StringBuilder(Describe(scenario.Start));
        foreach (var change in scenario.Changes)
        {
            text.Append($"\n  then {change}");
        }

        return text.ToString();
    }

    private static string DescribeNow(Sim sim)
    {
        var (service, tasks) = sim.Snapshot();
        var text = new StringBuilder();
        text.Append(service.Daemon ? "DAEMON" : "REPLICA")
            .Append($" desired={service.DesiredCount} max={service.MaximumPercent}% min={service.MinimumHealthyPercent}% primary={service.PrimaryId} canStart={service.PrimaryCanStart}");
        text.Append(" instances=[").AppendJoin(' ', sim.Nodes.Select(n => $"{n.Arn}:{(n.Active ? "ACTIVE" : "DRAINING")}{(sim.Daemon && !n.Eligible ? "/ineligible" : string.Empty)}")).Append(']');
        text.Append(" tasks=[").AppendJoin(' ', tasks.Select(t =>
            $"{t.Arn}:{t.DeploymentId["ecs-svc/".Length..]}@{t.InstanceArn}:{(t.Live ? "live" : t.Running ? "stopping" : "stopped")}{(t.Running ? ",running" : string.Empty)}{(t.Healthy ? ",healthy" : string.Empty)}{(t.Unhealthy ? ",UNHEALTHY" : string.Empty)}{(t.Evicted ? ",evicted" : string.Empty)}{(t.Failed ? ",failed" : string.Empty)}"))
            .Append(']');
        return text.ToString();
    }
}
