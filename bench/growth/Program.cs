using System.Diagnostics;
using System.Globalization;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Expiry;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Server.Expiry;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

// Bounded growth: LIFECYCLES tasks run through RunTask → RUNNING → StopTask → STOPPED on simulated instances, through
// the real decisions, the real commit pipeline on SQLite and the real expiry controller, with a short retention (in
// simulated time: every lifecycle advances the clock). Memory (the process's working set and the managed heap after a
// full collection) and DescribeClusters latency are measured after 1,000 lifecycles and after all of them. Side by
// side in the same run: the same lifecycles with expiry off, as Berth was before (every task kept).
var args_ = Environment.GetCommandLineArgs().Skip(1).ToArray();
int Option(string name, int fallback)
{
    var i = Array.IndexOf(args_, name);
    return i >= 0 && i + 1 < args_.Length ? int.Parse(args_[i + 1], CultureInfo.InvariantCulture) : fallback;
}

var lifecycles = Option("--lifecycles", 100_000);
var parallel = Option("--parallel", 16);
var retentionSeconds = Option("--retention", 5);
var withReference = !args_.Contains("--no-reference");
Console.WriteLine($"Growth benchmark: {lifecycles:N0} task lifecycles (RunTask, RUNNING, StopTask, STOPPED) on 100 simulated instances, {parallel} at a time,");
Console.WriteLine($"real decisions, commit pipeline on SQLite and expiry controller; retention {retentionSeconds} s of simulated time (each lifecycle advances it 10 ms).");
Console.WriteLine($"Host: {Environment.ProcessorCount} core(s), .NET {Environment.Version}.");
Console.WriteLine();
Console.WriteLine($"{"side",-22} {"lifecycles",10} {"tasks kept",10} {"RSS MiB",8} {"anon MiB",9} {"file MiB",9} {"heap MiB",9} {"Describe p50 µs",16} {"p99 µs",8} {"lifecycles/s",13}");
var expiring = await Side("expiry on", TimeSpan.FromSeconds(retentionSeconds));
if (withReference)
{
    await Side("expiry off (before)", null);
}

Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"growth RSS: {expiring.Last.Rss / expiring.First.Rss:F2}x (anonymous memory {expiring.Last.Anon / expiring.First.Anon:F2}x), DescribeClusters p50: {expiring.Last.P50 / expiring.First.P50:F2}x (after {lifecycles:N0} vs after 1,000, expiry on)"));

async Task<(Sample First, Sample Last)> Side(string name, TimeSpan? retention)
{
    var scope = new Scope("us-east-1", "000000000000");
    var clock = new Clock(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    var ids = IdSource.Sequential();
    var state = ClusterDecisions.Create(EcsState.Empty, scope, new CreateClusterRequest { ClusterName = "grow" }).State;
    for (var i = 0; i < 100; i++)
    {
        var registered = ContainerInstanceDecisions.Register(state, scope, ids, clock.GetUtcNow(), new RegisterContainerInstanceRequest
        {
            Cluster = "grow",
            TotalResources =
            [
                new Resource { Name = "CPU", Type = "INTEGER", IntegerValue = 4096 },
                new Resource { Name = "MEMORY", Type = "INTEGER", IntegerValue = 8192 },
            ],
        });
        state = ContainerInstanceDecisions.SetAgentConnected(registered.State, registered.Result.ContainerInstanceArn!, true, clock.GetUtcNow()).State;
    }

    state = TaskDefinitionDecisions.Register(state, scope, "arn:aws:iam::000000000000:root", clock.GetUtcNow(), new RegisterTaskDefinitionRequest
    {
        Family = "grow",
        ContainerDefinitions = [new ContainerDefinition { Name = "app", Image = "busybox", Memory = 32, Essential = true }],
    }).State;

    var dir = Directory.CreateTempSubdirectory("berth-bench-growth-");
    try
    {
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(dir.FullName, "state.db"));
        await using var pipeline = new CommitPipeline<EcsState>(store, state);
        await using var expiry = new ExpiryController(pipeline, clock, RetentionPeriods.Of(retention ?? TimeSpan.FromDays(3650)), NullLogger.Instance);
        var done = 0;
        var watch = Stopwatch.StartNew();
        var next = 0;
        async Task Worker(int seed, int target)
        {
            var rng = new Random(seed);
            while (Interlocked.Increment(ref next) <= target)
            {
                var request = new RunTaskRequest { Cluster = "grow", TaskDefinition = "grow", ClientToken = Guid.NewGuid().ToString() };
                var plan = TaskDecisions.PlanRun(pipeline.Current, scope, rng, request);
                var run = await pipeline.ExecuteAsync(s => TaskDecisions.CommitRun(s, scope, ids, clock.GetUtcNow(), request, plan))
                    ?? await pipeline.ExecuteAsync(s => TaskDecisions.Run(s, scope, ids, rng, clock.GetUtcNow(), request));
                var arn = run!.Tasks![0].TaskArn!;
                await pipeline.ExecuteAsync(s => TaskStateDecisions.SubmitTask(s, scope, clock.GetUtcNow(), new SubmitTaskStateChangeRequest { Cluster = "grow", Task = arn, Status = "RUNNING" }));
                await pipeline.ExecuteAsync(s => TaskDecisions.Stop(s, scope, clock.GetUtcNow(), new StopTaskRequest { Cluster = "grow", Task = arn }));
                await pipeline.ExecuteAsync(s => TaskStateDecisions.SubmitTask(s, scope, clock.GetUtcNow(), new SubmitTaskStateChangeRequest { Cluster = "grow", Task = arn, Status = "STOPPED" }));
                clock.Advance(TimeSpan.FromMilliseconds(10));
                var count = Interlocked.Increment(ref done);
                if (count % 1_000 == 0)
                {
                    await expiry.ExpireAsync();
                }
            }
        }

        async Task RunUntil(int target)
        {
            next = done;
            await Task.WhenAll(Enumerable.Range(0, parallel).Select(i => Task.Run(() => Worker(i, target))));
        }

        await RunUntil(Math.Min(1_000, lifecycles));
        await expiry.ExpireAsync();
        var first = Measure(name, pipeline, scope, done, watch.Elapsed);
        await RunUntil(lifecycles);
        await expiry.ExpireAsync();
        var last = Measure(name, pipeline, scope, done, watch.Elapsed);
        return (first, last);
    }
    finally
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        dir.Delete(recursive: true);
    }
}

// RssAnon / RssFile of /proc/self/status: what the process allocated vs pages of mapped files (the runtime's and
// SQLite's code) it has touched so far, which grow as more code runs without being state.
static (double Anon, double File) RssParts()
{
    double Read(string key) => File.ReadLines("/proc/self/status").Where(l => l.StartsWith(key, StringComparison.Ordinal))
        .Select(l => double.Parse(l[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024).FirstOrDefault();
    return (Read("RssAnon:"), Read("RssFile:") + Read("RssShmem:"));
}

static Sample Measure(string name, CommitPipeline<EcsState> pipeline, Scope scope, int done, TimeSpan elapsed)
{
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    var heap = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
    using var process = Process.GetCurrentProcess();
    process.Refresh();
    var rss = process.WorkingSet64 / 1048576.0;
    var (anon, file) = RssParts();
    var times = new List<double>();
    var request = new DescribeClustersRequest { Clusters = ["grow"], Include = ["STATISTICS"] };
    // The first 20,000 calls only warm up (tiered JIT), so the first sample is not the one that pays for compiling.
    for (var i = 0; i < 22_500; i++)
    {
        var call = Stopwatch.StartNew();
        ClusterQueries.Describe(pipeline.Current, scope, request);
        if (i >= 20_000)
        {
            times.Add(call.Elapsed.TotalMicroseconds);
        }
    }

    times.Sort();
    var sample = new Sample(rss, heap, times[times.Count / 2], times[(int)(times.Count * 0.99)]) { Anon = anon };
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-22} {done,10:N0} {pipeline.Current.Tasks.Count,10:N0} {rss,8:F0} {anon,9:F0} {file,9:F0} {heap,9:F1} {sample.P50,16:F1} {sample.P99,8:F1} {done / elapsed.TotalSeconds,13:F0}"));
    return sample;
}

internal sealed record Sample(double Rss, double Heap, double P50, double P99)
{
    /// <summary>Resident anonymous memory (heap, native allocations, JIT code), MiB; the rest of the RSS is mapped files.</summary>
    public double Anon { get; init; }
}

internal sealed class Clock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
}
