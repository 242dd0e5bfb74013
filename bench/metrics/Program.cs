using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.AutoScaling;
using Berth.CloudWatch;
using Berth.CloudWatch.Alarms;
using Berth.CloudWatch.Ecs;
using Berth.CloudWatch.Store;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Model.Agent;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Protocol.Dispatch;
using Berth.Server.AutoScaling;
using Berth.Server.Metrics;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using AS = Berth.AutoScaling.Model;
using CW = Berth.CloudWatch.Model;

// The CloudWatch metric pipeline in process, on a FakeTimeProvider: SERVICES services of TASKS tasks each, placed by
// the real service decisions on INSTANCES simulated instances; each simulated agent reports its tasks' samples once
// per metric period at its own phase (as the agent's PeriodicTimer does), through the dispatch table
// (BerthAgentV1.SubmitTaskMetrics: JSON read, TaskMetricsIngest, MetricStore); the alarms are evaluated by the
// server's MetricPeriodTicker and the ScalingController runs a round after each evaluation, as in the server. Every
// service has a target-tracking policy at 50 % CPU (200 alarms). Only the server's side is timed (CPU of the thread
// that runs it); the agents' sample building is not. Time is simulated: MINUTES periods of quiet load, then
// GetMetricData over them, then svc-00000's tasks go to 90 % CPU at a period's start and the run goes on until the
// controller scales it out.
var options = Environment.GetCommandLineArgs().Skip(1).ToArray();
int Option(string name, int fallback)
{
    var i = Array.IndexOf(options, name);
    return i >= 0 && i + 1 < options.Length ? int.Parse(options[i + 1], CultureInfo.InvariantCulture) : fallback;
}

var services = Option("--services", 100);
var tasksPerService = Option("--tasks", 10);
var instances = Option("--instances", 100);
var periodSeconds = Option("--period", 60);
var minutes = Option("--minutes", 60);
var calls = Option("--calls", 200);
const string Region = "us-east-1";
const string Account = "000000000000";
const string Principal = "arn:aws:iam::000000000000:root";
const string Cluster = "bench";
const double TargetCpu = 50;
const int TaskCpu = 256;
var period = TimeSpan.FromSeconds(periodSeconds);
var scope = new Scope(Region, Account);
var ids = IdSource.Sequential();
var rng = new Random(42);
var start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_017);
var time = new FakeTimeProvider(start);
string ServiceName(int i) => "svc-" + i.ToString("D5", CultureInfo.InvariantCulture);

Console.WriteLine($"Metrics benchmark: {services * tasksPerService:N0} tasks ({services} services x {tasksPerService}) on {instances} simulated instances, metric period {periodSeconds} s, {minutes} periods of data, simulated time.");
Console.WriteLine($"Host: {Environment.ProcessorCount} core(s) visible, .NET {Environment.Version}. Real TaskMetricsIngest, MetricStore, AlarmBook, GetMetricData, Application Auto Scaling, ScalingController; SQLite stores; no Docker, no HTTP.");

// ECS: the cluster, the instances, the services, their tasks placed by the service decisions and RUNNING.
var setup = Stopwatch.StartNew();
var state = ClusterDecisions.Create(EcsState.Empty, scope, new CreateClusterRequest { ClusterName = Cluster }).State;
for (var i = 0; i < instances; i++)
{
    var registered = ContainerInstanceDecisions.Register(state, scope, ids, start, new RegisterContainerInstanceRequest
    {
        Cluster = Cluster,
        TotalResources =
        [
            // Room for exactly its share of the tasks, so every instance runs some and reports.
            new Resource { Name = "CPU", Type = "INTEGER", IntegerValue = TaskCpu * ((services * tasksPerService + instances - 1) / instances) },
            new Resource { Name = "MEMORY", Type = "INTEGER", IntegerValue = 1 << 20 },
        ],
    });
    state = ContainerInstanceDecisions.SetAgentConnected(registered.State, registered.Result.ContainerInstanceArn!, true, start).State;
}

state = TaskDefinitionDecisions.Register(state, scope, Principal, start, new RegisterTaskDefinitionRequest
{
    Family = "web",
    ContainerDefinitions = [new ContainerDefinition { Name = "app", Image = "busybox", Cpu = TaskCpu, Memory = 512, Essential = true }],
}).State;
for (var i = 0; i < services; i++)
{
    state = ServiceDecisions.Create(state, scope, Principal, ids, start, new CreateServiceRequest
    {
        Cluster = Cluster,
        ServiceName = ServiceName(i),
        TaskDefinition = "web",
        DesiredCount = tasksPerService,
        LaunchType = "EC2",
    }).State;
}

for (var pass = 0; state.Tasks.Values.Count(t => t.LastStatus == EcsTaskStatus.Running) < services * tasksPerService; pass++)
{
    if (pass == 20)
    {
        throw new InvalidOperationException("the tasks were not all placed after 20 passes");
    }

    state = ServicePass.Run(state, start, ids, rng).State;
    foreach (var arn in state.Tasks.Values.Where(t => t.LastStatus == EcsTaskStatus.Provisioning).Select(t => t.TaskArn).ToList())
    {
        state = TaskStateDecisions.SubmitTask(state, scope, start, new SubmitTaskStateChangeRequest { Cluster = Cluster, Task = arn, Status = "RUNNING" }).State;
    }
}

// Each simulated agent: its instance, its tasks (with their service's index) and its phase in the period.
var agents = state.Tasks.Values
    .Where(t => t.LastStatus == EcsTaskStatus.Running)
    .GroupBy(t => t.ContainerInstanceArn!)
    .Select(g => new Agent(g.Key, [.. g.Select(t => (t.TaskArn, int.Parse(t.Group!["service:svc-".Length..], CultureInfo.InvariantCulture)))], start + (period * rng.NextDouble())))
    .ToList();

var dir = Directory.CreateTempSubdirectory("berth-bench-metrics-");
try
{
    await using var ecsStore = await SqliteDocumentStore.OpenAsync(Path.Combine(dir.FullName, "state.db"));
    await using var ecs = new CommitPipeline<EcsState>(ecsStore, state);
    await using var autoScaling = await AutoScalingService.OpenAsync(dir.FullName, NullLogger.Instance);
    var store = new MetricStore(period);
    var alarms = new AlarmBook(store, time);
    var table = new DispatchTable();
    new CloudWatchApi(store, time) { Alarms = alarms }.Register(table);
    new TaskMetricsIngest(ecs, store, time).Register(table);
    new AutoScalingApi(autoScaling.Pipeline, alarms, new EcsScalableResources(ecs, Account), time, period).Register(table);
    table.Freeze();
    var context = new RequestContext(Region, Account, Principal, "bench");

    async Task<byte[]> CallAsync<T>(string target, T input, JsonTypeInfo<T> info)
    {
        if (!table.TryGet(target, out var operation))
        {
            throw new InvalidOperationException("no operation " + target);
        }

        return await operation.Invoke(context, JsonSerializer.SerializeToUtf8Bytes(input, info));
    }

    // Every service: a scalable target (10 to 40 tasks, so the quiet services' scale-in stops at their count) and a
    // target-tracking policy at 50 % CPU, with its two alarms.
    for (var i = 0; i < services; i++)
    {
        var resource = $"service/{Cluster}/{ServiceName(i)}";
        await CallAsync("AnyScaleFrontendService.RegisterScalableTarget", new AS.RegisterScalableTargetRequest
        {
            ServiceNamespace = "ecs",
            ResourceId = resource,
            ScalableDimension = "ecs:service:DesiredCount",
            MinCapacity = tasksPerService,
            MaxCapacity = tasksPerService * 4,
        }, AS.WireJsonContext.Default.RegisterScalableTargetRequest);
        await CallAsync("AnyScaleFrontendService.PutScalingPolicy", new AS.PutScalingPolicyRequest
        {
            PolicyName = "cpu50",
            ServiceNamespace = "ecs",
            ResourceId = resource,
            ScalableDimension = "ecs:service:DesiredCount",
            PolicyType = "TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration = new AS.TargetTrackingScalingPolicyConfiguration
            {
                TargetValue = TargetCpu,
                PredefinedMetricSpecification = new AS.PredefinedMetricSpecification { PredefinedMetricType = "ECSServiceAverageCPUUtilization" },
            },
        }, AS.WireJsonContext.Default.PutScalingPolicyRequest);
    }

    setup.Stop();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Set-up: {state.Tasks.Count:N0} tasks RUNNING on {agents.Count} instances, {services} scalable targets with a target-tracking policy each ({alarms.Count} alarms), in {setup.Elapsed.TotalSeconds:F1} s."));

    await using var scaling = new ScalingController(autoScaling.Pipeline, ecs, alarms, time, period, Account, NullLogger.Instance);
    var roundDue = false;
    var evaluations = 0;
    using var ticker = new MetricPeriodTicker(time, period, () =>
    {
        alarms.EvaluateAll();
        evaluations++;
        roundDue = true; // the server wakes the controller here; the loop below runs its round
    });

    // The load: svc-00000 goes from its quiet level to 90 % at the first period start after the quiet periods.
    var loadAt = DateTimeOffset.FromUnixTimeSeconds(((start + (period * minutes)).ToUnixTimeSeconds() / periodSeconds + 1) * periodSeconds);
    double Utilization(int service, DateTimeOffset from, DateTimeOffset to)
    {
        var quiet = 0.10 + (0.25 * (service % 10) / 10);
        if (service != 0 || to <= loadAt)
        {
            return quiet;
        }

        var loaded = (to - (from > loadAt ? from : loadAt)) / (to - from);
        return (quiet * (1 - loaded)) + (0.9 * loaded);
    }

    var ingest = table.TryGet(AgentTaskMetrics.Target, out var ingestOperation) ? ingestOperation : throw new InvalidOperationException("no ingest");
    var raw = new List<(int Service, DateTimeOffset At, double Percent)>();
    var appended = new List<AgentTaskSample>();
    var phases = new Dictionary<string, double> { ["ingest"] = 0, ["alarms"] = 0, ["scaling"] = 0, ["append"] = 0 };
    var samples = 0;
    var now = start;
    DateTimeOffset? scaledAt = null;
    var gmdDone = false;
    var gcBefore = (Count: GC.CollectionCount(0), Bytes: GC.GetTotalAllocatedBytes());
    double GcMiB() => (GC.GetTotalAllocatedBytes() - gcBefore.Bytes) / 1048576.0;
    var quietGc = 0.0;
    var results = new List<string>();
    while (scaledAt is null)
    {
        if (now >= loadAt + (period * 10))
        {
            throw new InvalidOperationException("no scale-out within 10 periods of the load");
        }

        // GetMetricData over the quiet periods, before the load starts.
        if (!gmdDone && now >= loadAt - TimeSpan.FromSeconds(1))
        {
            gmdDone = true;
            quietGc = GcMiB();
            results.AddRange(GetMetricDataBench(table, context, raw, services, Cluster, ServiceName, loadAt - (period * minutes), loadAt, periodSeconds, calls));
        }

        // The clock moves to the next agent's sample or the next whole second, whichever is first (FakeTimeProvider
        // fires a timer at the end of an advance; the ticker's times are whole seconds).
        var nextAgent = agents.Min(a => a.Next);
        var nextSecond = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + 1);
        var to = nextAgent < nextSecond ? nextAgent : nextSecond;
        var cpu = ThreadCpu.Now();
        time.Advance(to - now);
        phases["alarms"] += ThreadCpu.Now() - cpu;
        now = to;
        if (roundDue)
        {
            roundDue = false;
            cpu = ThreadCpu.Now();
            var round = scaling.RunOnceAsync();
            var applied = round.IsCompleted ? round.Result : -1;
            phases["scaling"] += ThreadCpu.Now() - cpu;
            if (applied < 0)
            {
                // A change commits on the writers' threads: awaited, not timed as this thread's CPU.
                applied = await round;
            }

            if (applied > 0 && now >= loadAt)
            {
                scaledAt = now;
            }
        }

        foreach (var agent in agents.Where(a => a.Next <= now))
        {
            // The agent's side (not timed): one sample per task over the last period, the first without CPU.
            var at = agent.Next;
            var batch = agent.Tasks.Select(t =>
            {
                double? used = agent.Previous is { } previous ? TaskCpu * Math.Max(0, Utilization(t.Service, previous, at) + ((rng.NextDouble() - 0.5) * 0.04)) : null;
                if (used is { } u)
                {
                    raw.Add((t.Service, at, u * 100 / TaskCpu));
                }

                return new AgentTaskSample { TaskArn = t.Arn, At = at, CpuUnitsUsed = used, MemoryMiBUsed = 200 + rng.Next(50) };
            }).ToList();
            var body = JsonSerializer.SerializeToUtf8Bytes(new AgentTaskMetrics { ContainerInstanceArn = agent.Instance, Samples = batch }, AgentJsonContext.Default.AgentTaskMetrics);
            agent.Previous = at;
            agent.Next = at + period;
            samples += batch.Count;

            // The server's side.
            cpu = ThreadCpu.Now();
            var answer = ingest.Invoke(context, body);
            if (!answer.IsCompleted)
            {
                throw new InvalidOperationException("the ingest is expected to answer at once");
            }

            phases["ingest"] += ThreadCpu.Now() - cpu;

            // The reference: the same body read and its samples appended to a list.
            cpu = ThreadCpu.Now();
            appended.AddRange(JsonSerializer.Deserialize(body, AgentJsonContext.Default.AgentTaskMetrics)!.Samples!);
            phases["append"] += ThreadCpu.Now() - cpu;
        }
    }

    // The scale-out: svc-00000's datapoints from the load on, and AWS's rule (the end of the third breaching period).
    var key = EcsMetrics.Key(EcsMetrics.CpuUtilization, Cluster, ServiceName(0));
    var points = PeriodQuery.Group(store.Read(key, loadAt - period, loadAt + (period * 10)), period, null);
    var breaching = points.Where(p => p.Start >= loadAt && p.Values.Average > TargetCpu).ToList();
    var rule = breaching.Count >= 3 ? breaching[2].Start + period : (DateTimeOffset?)null;
    var scaled = EcsScalableResources.Find(ecs.Current, scope, $"service/{Cluster}/{ServiceName(0)}")?.DesiredCount;

    var quietPeriods = (loadAt - start) / period;
    var server = phases["ingest"] + phases["alarms"] + phases["scaling"];
    double PerPeriod(double ms) => ms / quietPeriods;
    double Core(double ms) => PerPeriod(ms) / period.TotalMilliseconds * 100;
    Console.WriteLine();
    Console.WriteLine($"Pipeline CPU ({quietPeriods:F0} simulated periods, {samples:N0} samples, {evaluations} alarm evaluations; CPU of the thread that ran it):");
    Console.WriteLine();
    Console.WriteLine("| part | CPU ms per period | % of a core |");
    Console.WriteLine("|---|---:|---:|");
    Row("ingest (SubmitTaskMetrics: JSON read, placement, aggregate, store)", phases["ingest"]);
    Row($"alarm evaluation ({alarms.Count} alarms)", phases["alarms"]);
    Row($"scaling rounds ({services} targets)", phases["scaling"]);
    Row("**pipeline total**", server);
    Row("reference: the same bodies read and appended to a list", phases["append"]);
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Allocated {quietGc:F0} MiB over the quiet periods (agents' sample building included); {store.Count} metrics kept."));
    Console.WriteLine();
    results.ForEach(Console.WriteLine);
    Console.WriteLine();
    Console.WriteLine($"Scale-out of {ServiceName(0)} (target 50 % CPU; load to 90 % at {loadAt:HH:mm:ss}, a period start), simulated time:");
    Console.WriteLine();
    Console.WriteLine("| period from load start | CPUUtilization Average | breaching |");
    Console.WriteLine("|---|---:|---|");
    foreach (var p in points.Where(p => p.Start >= loadAt && p.Start + period <= scaledAt))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| +{(p.Start - loadAt).TotalSeconds:F0} s | {p.Values.Average:F1} % | {(p.Values.Average > TargetCpu ? "yes" : "no")} |"));
    }

    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load start -> scale-out decided (desired {tasksPerService} -> {scaled}): {(scaledAt!.Value - loadAt).TotalSeconds:F0} s simulated"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"AWS's rule (AlarmHigh: 3 of 3 datapoints; the end of the third breaching period): {(rule is { } r ? (r - loadAt).TotalSeconds.ToString("F0", CultureInfo.InvariantCulture) + " s" : "n/a")}; Berth decided {(rule is { } r2 ? (scaledAt.Value - r2).TotalSeconds.ToString("F0", CultureInfo.InvariantCulture) + " s after it" : "n/a")} (the ticker's settle: {MetricPeriodTicker.Settle(period).TotalSeconds:F0} s)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pipeline CPU: {Core(server):F3} % of a core at {services * tasksPerService:N0} tasks"));

    void Row(string label, double ms) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {PerPeriod(ms):F2} | {Core(ms):F3} |"));
}
finally
{
    dir.Delete(recursive: true);
}

// GetMetricData for every service's CPUUtilization over the quiet periods: one call of SERVICES queries, then single
// queries; beside them, the reference: the same answer by a scan of the raw samples.
static List<string> GetMetricDataBench(DispatchTable table, RequestContext context, List<(int Service, DateTimeOffset At, double Percent)> raw, int services, string cluster, Func<int, string> name, DateTimeOffset from, DateTimeOffset to, int periodSeconds, int calls)
{
    CW.MetricDataQuery Query(int i) => new()
    {
        Id = "m" + i.ToString(CultureInfo.InvariantCulture),
        MetricStat = new CW.MetricStat
        {
            Metric = new CW.Metric
            {
                Namespace = EcsMetrics.Namespace,
                MetricName = EcsMetrics.CpuUtilization,
                Dimensions = [new CW.Dimension { Name = "ClusterName", Value = cluster }, new CW.Dimension { Name = "ServiceName", Value = name(i) }],
            },
            Period = periodSeconds,
            Stat = "Average",
        },
    };
    byte[] Body(IEnumerable<int> which) => JsonSerializer.SerializeToUtf8Bytes(
        new CW.GetMetricDataInput { MetricDataQueries = [.. which.Select(Query)], StartTime = from, EndTime = to },
        CW.WireJsonContext.Default.GetMetricDataInput);
    table.TryGet(CW.WireOperations.TargetPrefix + ".GetMetricData", out var operation);
    byte[] Call(byte[] body)
    {
        var answer = operation.Invoke(context, body);
        return answer.IsCompleted ? answer.Result : answer.AsTask().GetAwaiter().GetResult();
    }

    var all = Body(Enumerable.Range(0, services));
    var singles = Enumerable.Range(0, services).Select(i => Body([i])).ToArray();
    var output = JsonSerializer.Deserialize(Call(all), CW.WireJsonContext.Default.GetMetricDataOutput)!;
    var datapoints = output.MetricDataResults!.Sum(r => r.Values!.Count);
    for (var i = 0; i < 20; i++)
    {
        Call(all);
        Call(singles[i % services]);
    }

    var whole = Time(calls, _ => Call(all));
    var single = Time(calls, i => Call(singles[i % services]));

    // The reference: each query answered by a scan of every raw sample, grouped into periods.
    List<(long Start, double Average)> Scan(int service)
    {
        var sums = new SortedDictionary<long, (double Sum, int Count)>();
        foreach (var (s, at, percent) in raw)
        {
            if (s != service || at < from || at >= to)
            {
                continue;
            }

            var start = at.ToUnixTimeSeconds() / periodSeconds * periodSeconds;
            sums[start] = sums.TryGetValue(start, out var had) ? (had.Sum + percent, had.Count + 1) : (percent, 1);
        }

        return [.. sums.Select(s => (s.Key, s.Value.Sum / s.Value.Count))];
    }

    var scanCalls = Math.Max(5, calls / 20);
    var scanAll = Time(scanCalls, _ =>
    {
        for (var i = 0; i < services; i++)
        {
            Scan(i);
        }
    });
    var scanSingle = Time(calls, i => Scan(i % services));

    // The same values both ways (the stored averages are the raw samples' averages).
    var first = output.MetricDataResults![0];
    var scanned = Scan(0);
    var same = first.Values!.Count == scanned.Count
        && first.Timestamps!.Zip(first.Values!).All(p => scanned.Any(s => s.Start == p.First.ToUnixTimeSeconds() && Math.Abs(s.Average - p.Second) < 1e-9));

    return
    [
        $"GetMetricData over {(to - from).TotalMinutes:F0} minutes of CPUUtilization ({datapoints:N0} datapoints for {services} services; {raw.Count:N0} raw samples; answers the same both ways: {(same ? "yes" : "NO")}), through the dispatch table (JSON in and out, no HTTP):",
        "",
        "| query | calls | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
        Line($"GetMetricData, {services} queries in one call", calls, whole),
        Line($"reference: naive scan of the raw samples, the same {services} queries", scanCalls, scanAll),
        Line("GetMetricData, one service", calls, single),
        Line("reference: naive scan, one service", calls, scanSingle),
    ];
}

static double[] Time(int count, Action<int> call)
{
    var times = new double[count];
    for (var i = 0; i < count; i++)
    {
        var watch = Stopwatch.StartNew();
        call(i);
        times[i] = watch.Elapsed.TotalMilliseconds;
    }

    Array.Sort(times);
    return times;
}

static string Line(string label, int count, double[] sorted) => string.Create(
    CultureInfo.InvariantCulture,
    $"| {label} | {count} | {sorted[(int)Math.Ceiling(0.50 * sorted.Length) - 1]:F2} | {sorted[(int)Math.Ceiling(0.99 * sorted.Length) - 1]:F2} |");

/// <summary>A simulated agent: its instance, its tasks, when it samples next and when it sampled last.</summary>
internal sealed class Agent(string instance, List<(string Arn, int Service)> tasks, DateTimeOffset next)
{
    public string Instance { get; } = instance;

    public List<(string Arn, int Service)> Tasks { get; } = tasks;

    public DateTimeOffset Next { get; set; } = next;

    public DateTimeOffset? Previous { get; set; }
}

/// <summary>The calling thread's CPU time in milliseconds (Linux: CLOCK_THREAD_CPUTIME_ID).</summary>
internal static partial class ThreadCpu
{
    private const int ThreadCpuClock = 3;

    public static double Now() => ClockGetTime(ThreadCpuClock, out var spec) == 0 ? (spec.Seconds * 1000.0) + (spec.Nanoseconds / 1e6) : throw new InvalidOperationException("clock_gettime failed");

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec spec);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
