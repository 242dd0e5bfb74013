using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Berth.Ecs;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Events.Firing;
using Berth.Events.Scheduler;
using Berth.Events.State;
using Berth.Server.Events;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using S = Berth.Scheduler.Model;

// EventBridge Scheduler firing ECS RunTask, in process: the real RuleScheduler over events.db, the real ECS RunTask
// (EcsApi through its dispatch table, as the server wires it) over state.db, simulated container instances (no
// Docker). DUE at() schedules come due at the same second among IDLE ones due a year later; then a lone one. Each
// firing's delay is from its due time to its RunTask's answer, which ECS gives only after the commit. The reference,
// in the same run: the same RunTasks made directly at a due time, with no scheduler in between. Before all of it, a
// warm-up of --warmup rounds of 20 RunTasks (default 10).
var options = Environment.GetCommandLineArgs().Skip(1).ToArray();
int Option(string name, int fallback)
{
    var i = Array.IndexOf(options, name);
    return i >= 0 && i + 1 < options.Length ? int.Parse(options[i + 1], CultureInfo.InvariantCulture) : fallback;
}

var due = Option("--due", 10_000);
var idle = Option("--idle", 100_000);
var instances = Option("--instances", 100);
var idleSeconds = Option("--idle-seconds", 10);
var settledSeconds = Option("--settled-seconds", 20);
var warmup = Option("--warmup", 10);
const string Region = "us-east-1";
const string Account = "000000000000";
const string Cluster = "bench";
var clusterArn = $"arn:aws:ecs:{Region}:{Account}:cluster/{Cluster}";
var scope = new Scope(Region, Account);
var time = TimeProvider.System;
Console.WriteLine($"Schedules benchmark: {due:N0} at() schedules due at the same second among {idle:N0} idle ones, then a lone one; RunTask on {instances} simulated instances.");
Console.WriteLine($"Host: {Environment.ProcessorCount} core(s) visible, .NET {Environment.Version}. Real RuleScheduler, real ECS RunTask, SQLite for both stores, no Docker.");

// ECS: a cluster of connected simulated instances and a task definition.
var start = time.GetUtcNow();
var ecsState = ClusterDecisions.Create(EcsState.Empty, scope, new CreateClusterRequest { ClusterName = Cluster }).State;
for (var i = 0; i < instances; i++)
{
    var registered = ContainerInstanceDecisions.Register(ecsState, scope, IdSource.Random, start, new RegisterContainerInstanceRequest
    {
        Cluster = Cluster,
        TotalResources =
        [
            new Resource { Name = "CPU", Type = "INTEGER", IntegerValue = 65536 },
            new Resource { Name = "MEMORY", Type = "INTEGER", IntegerValue = 1 << 20 },
        ],
    });
    ecsState = ContainerInstanceDecisions.SetAgentConnected(registered.State, registered.Result.ContainerInstanceArn!, true, start).State;
}

ecsState = TaskDefinitionDecisions.Register(ecsState, scope, $"arn:aws:iam::{Account}:root", start, new RegisterTaskDefinitionRequest
{
    Family = "job",
    ContainerDefinitions = [new ContainerDefinition { Name = "app", Image = "busybox", Memory = 16, Essential = true }],
}).State;

var dir = Directory.CreateTempSubdirectory("berth-bench-schedules-");
try
{
    await using var ecsStore = await SqliteDocumentStore.OpenAsync(Path.Combine(dir.FullName, "state.db"));
    await using var ecs = new CommitPipeline<EcsState>(ecsStore, ecsState);
    var target = new TimedTarget(new EcsRunTaskTarget(new EcsApi(ecs, time), Account), time);

    // A server that has been running: RunTask's path already compiled (tiered JIT) and its JSON contracts built.
    // --warmup 0 measures a server whose first work is the burst.
    for (var round = 0; round < warmup; round++)
    {
        await target.RunTasksAsync(
            [.. Enumerable.Range(0, 20).Select(i => new RunTaskCall(Region, clusterArn, new EcsTargetRecord { TaskDefinitionArn = "job", TaskCount = 1, LaunchType = "EC2" }, null, "warmup")
            {
                ClientToken = FiringPlan.Token("warmup", "target", start.AddTicks((round * 20) + i)),
            })],
            CancellationToken.None);
    }

    if (warmup > 0)
    {
        // Time for the tiered JIT's background compiles.
        await Task.Delay(TimeSpan.FromSeconds(2));
    }

    // EventBridge: the idle schedules (due a year from now), then the burst and the lone one.
    var setup = Stopwatch.StartNew();
    var events = EventsState.Empty;
    var yearAhead = At(start.AddDays(365));
    for (var i = 0; i < idle; i++)
    {
        events = ScheduleDecisions.Create(events, Region, Account, start, Schedule("idle-" + i.ToString("D6", CultureInfo.InvariantCulture), yearAhead)).State;
    }

    // Room for the set-up and the scheduler's first look at every schedule before the burst is due.
    var burstAt = Second(time.GetUtcNow().AddSeconds(12));
    var loneAt = burstAt.AddSeconds(30);
    for (var i = 0; i < due; i++)
    {
        events = ScheduleDecisions.Create(events, Region, Account, start, Schedule("due-" + i.ToString("D6", CultureInfo.InvariantCulture), At(burstAt))).State;
    }

    events = ScheduleDecisions.Create(events, Region, Account, start, Schedule("lone", At(loneAt))).State;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Set-up: {events.Schedules.Count:N0} schedules through the decisions in {setup.Elapsed.TotalSeconds:F1} s; the burst is due at {burstAt:HH:mm:ss}, the lone one at {loneAt:HH:mm:ss}."));

    await using var eventsStore = await SqliteDocumentStore.OpenAsync(Path.Combine(dir.FullName, "events.db"));
    await using var pipeline = new CommitPipeline<EventsState>(eventsStore, events);
    await using var scheduler = new RuleScheduler(pipeline, target, time, new RuleSchedulerOptions(), NullLogger.Instance);
    scheduler.Start();
    if (time.GetUtcNow() >= burstAt)
    {
        Console.WriteLine("warning: the set-up ran past the burst's due time; its delays include the set-up.");
    }

    // The collections from the due time until every firing answered (the server's GC setting: a small gen0 budget).
    var untilDue = burstAt - time.GetUtcNow();
    await Task.Delay(untilDue > TimeSpan.Zero ? untilDue : TimeSpan.Zero);
    var gcBefore = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2), Pause: GC.GetTotalPauseDuration(), Allocated: GC.GetTotalAllocatedBytes());
    await target.WaitAsync("chronos-schedule/due-", due, TimeSpan.FromMinutes(5));
    var burst = target.Delays("chronos-schedule/due-", burstAt);
    var burstGc = string.Create(CultureInfo.InvariantCulture,
        $"{GC.CollectionCount(0) - gcBefore.Gen0} gen0 / {GC.CollectionCount(1) - gcBefore.Gen1} gen1 / {GC.CollectionCount(2) - gcBefore.Gen2} gen2 collections, {(GC.GetTotalPauseDuration() - gcBefore.Pause).TotalMilliseconds:F0} ms paused, {(GC.GetTotalAllocatedBytes() - gcBefore.Allocated) / 1048576.0:F0} MiB allocated");
    if (time.GetUtcNow() >= loneAt)
    {
        Console.WriteLine("warning: the burst ran past the lone schedule's due time.");
    }

    await target.WaitAsync("chronos-schedule/lone", 1, TimeSpan.FromMinutes(2));
    var lone = target.Delays("chronos-schedule/lone", loneAt);

    // Idle: nothing due for a year among all of them. Two windows: the first right after the lone firing (its
    // record's commit and the runtime's after-work land in it), then the steady state that follows.
    using var process = Process.GetCurrentProcess();
    async Task<double> CpuOver(int seconds)
    {
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        process.Refresh();
        return (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / wall.Elapsed.TotalMilliseconds * 100;
    }

    var idleCpu = await CpuOver(idleSeconds);
    var settledCpu = settledSeconds > 0 ? await CpuOver(settledSeconds) : double.NaN;

    // Reference: the same RunTasks, made directly (all at once) at a due time.
    var referenceAt = Second(time.GetUtcNow().AddSeconds(2));
    await Task.Delay(referenceAt - time.GetUtcNow());
    var calls = Enumerable.Range(0, due).Select(i => target.RunTaskAsync(
        new RunTaskCall(Region, clusterArn, new EcsTargetRecord { TaskDefinitionArn = "job", TaskCount = 1, LaunchType = "EC2" }, null, "reference")
        {
            ClientToken = FiringPlan.Token("reference", "target", referenceAt.AddTicks(i)),
        },
        CancellationToken.None)).ToList();
    await Task.WhenAll(calls);
    var reference = target.Delays("reference", referenceAt);

    Console.WriteLine();
    Console.WriteLine($"{"",-44} {"firings",8} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"failed",7}");
    Print($"scheduler: {due:N0} due at the same second", burst);
    Print($"reference: {due:N0} RunTasks made at a due time", reference);
    Print("scheduler: a lone schedule", lone);
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"burst p99: {burst.P99:F0} ms"));
    Console.WriteLine($"burst GC (from the due time until every firing answered): {burstGc}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lone firing: {lone.Max:F0} ms"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle CPU: {idleCpu:F2} % of a core over {idleSeconds} s with {pipeline.Current.Schedules.Count:N0} schedules ({scheduler.TasksStarted:N0} tasks started by firings)"));
    if (settledSeconds > 0)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle CPU, settled: {settledCpu:F2} % of a core over the {settledSeconds} s after that"));
    }
}
finally
{
    dir.Delete(recursive: true);
}

static void Print(string label, Summary s) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-44} {s.Count,8:N0} {s.P50,8:F0} {s.P99,8:F0} {s.Max,8:F0} {s.Failed,7}"));

static DateTimeOffset Second(DateTimeOffset t) => new DateTimeOffset(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(1);

static string At(DateTimeOffset t) => "at(" + t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + ")";

static S.CreateScheduleInput Schedule(string name, string expression) => new()
{
    Name = name,
    ScheduleExpression = expression,
    FlexibleTimeWindow = new S.FlexibleTimeWindow { Mode = "OFF" },
    Target = new S.Target
    {
        Arn = "arn:aws:ecs:us-east-1:000000000000:cluster/bench",
        RoleArn = "arn:aws:iam::000000000000:role/scheduler",
        EcsParameters = new S.EcsParameters { TaskDefinitionArn = "job", TaskCount = 1, LaunchType = "EC2" },
    },
};

/// <summary>Delays (ms) of a group of calls, from their due time to their answers.</summary>
internal sealed record Summary(int Count, double P50, double P99, double Max, int Failed);

/// <summary>Forwards RunTask calls and notes when each answered (ECS answers after its commit).</summary>
internal sealed class TimedTarget(IRunTaskTarget inner, TimeProvider time) : IRunTaskTarget
{
    private readonly ConcurrentQueue<(string StartedBy, DateTimeOffset At, bool Failed)> _answers = new();

    public async Task<RunTaskOutcome> RunTaskAsync(RunTaskCall call, CancellationToken cancellationToken)
    {
        var outcome = await inner.RunTaskAsync(call, cancellationToken);
        _answers.Enqueue((call.StartedBy, time.GetUtcNow(), outcome.Failures.Count > 0 || outcome.TaskArns.Count == 0));
        return outcome;
    }

    public async Task<IReadOnlyList<RunTaskOutcome>> RunTasksAsync(IReadOnlyList<RunTaskCall> calls, CancellationToken cancellationToken)
    {
        var outcomes = await inner.RunTasksAsync(calls, cancellationToken);
        var at = time.GetUtcNow();
        for (var i = 0; i < calls.Count; i++)
        {
            _answers.Enqueue((calls[i].StartedBy, at, outcomes[i].Failures.Count > 0 || outcomes[i].TaskArns.Count == 0));
        }

        return outcomes;
    }

    public async Task WaitAsync(string prefix, int count, TimeSpan timeout)
    {
        var until = Stopwatch.StartNew();
        while (_answers.Count(a => a.StartedBy.StartsWith(prefix, StringComparison.Ordinal)) < count)
        {
            if (until.Elapsed > timeout)
            {
                throw new TimeoutException($"only {_answers.Count(a => a.StartedBy.StartsWith(prefix, StringComparison.Ordinal))} of {count} answers for {prefix}");
            }

            await Task.Delay(50);
        }
    }

    public Summary Delays(string prefix, DateTimeOffset due)
    {
        var mine = _answers.Where(a => a.StartedBy.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var delays = mine.Select(a => (a.At - due).TotalMilliseconds).Order().ToArray();
        double Percentile(double p) => delays.Length == 0 ? double.NaN : delays[Math.Min(delays.Length - 1, (int)Math.Ceiling(p * delays.Length) - 1)];
        return new Summary(delays.Length, Percentile(0.50), Percentile(0.99), delays.Length == 0 ? double.NaN : delays[^1], mine.Count(a => a.Failed));
    }
}
