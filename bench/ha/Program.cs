using System.Diagnostics;
using System.Globalization;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Storage.Commit;
using Berth.Storage.Postgres;
using Berth.Storage.Shared;
using Microsoft.Extensions.Logging.Abstractions;

// The state store under several servers: RegisterTaskDefinition (one family, so every write contends for the next
// revision) and RunTask (100 simulated instances) through the real decisions and commit pipelines, OPERATIONS of each
// with PARALLEL callers, on SQLite (one server), PostgreSQL with one server, and PostgreSQL with two servers (two
// pipelines on one database, the callers split between them). In process, no Docker, no HTTP.
var args_ = Environment.GetCommandLineArgs().Skip(1).ToArray();
string? Text(string name) => Array.IndexOf(args_, name) is var i and >= 0 && i + 1 < args_.Length ? args_[i + 1] : null;
var database = Text("--database") ?? throw new ArgumentException("--database URL (an empty PostgreSQL database per side is made from it) is required");
var operations = int.Parse(Text("--operations") ?? "20000", CultureInfo.InvariantCulture);
var parallel = int.Parse(Text("--parallel") ?? "16", CultureInfo.InvariantCulture);

Console.WriteLine($"HA store benchmark: {operations:N0} operations per workload, {parallel} callers; host {Environment.ProcessorCount} core(s), .NET {Environment.Version}.");
Console.WriteLine();
Console.WriteLine($"{"side",-26} {"workload",-24} {"ops/s",8} {"p50 ms",8} {"p99 ms",8} {"conflicts",10} {"held",6} {"chained",8}");
var results = new Dictionary<(string Side, string Workload), double>();
foreach (var side in new[] { "SQLite, one server", "PostgreSQL, one server", "PostgreSQL, two servers" })
{
    foreach (var workload in new[] { "RegisterTaskDefinition", "RunTask" })
    {
        results[(side, workload)] = await RunAsync(side, workload);
    }
}

Console.WriteLine();
foreach (var workload in new[] { "RegisterTaskDefinition", "RunTask" })
{
    var sqlite = results[("SQLite, one server", workload)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{workload}: PostgreSQL one server {results[("PostgreSQL, one server", workload)] / sqlite:F2}x SQLite's throughput, two servers {results[("PostgreSQL, two servers", workload)] / sqlite:F2}x (goal ≥ 0.5x)"));
}

async Task<double> RunAsync(string side, string workload)
{
    var scope = new Scope("us-east-1", "000000000000");
    var ids = IdSource.Random;
    var dir = Directory.CreateTempSubdirectory("berth-bench-ha-");
    var disposables = new List<IAsyncDisposable>();
    try
    {
        var pipelines = new List<CommitPipeline<EcsState>>();
        if (side.StartsWith("SQLite", StringComparison.Ordinal))
        {
            var state = await StateStores.Sqlite(dir.FullName).OpenAsync("state.db", "ecs", StateCodec.Load, StateCodec.Apply, NullLogger.Instance, CancellationToken.None);
            disposables.Add(state);
            pipelines.Add(state.Pipeline);
        }
        else
        {
            var url = await FreshDatabaseAsync(database);
            for (var i = 0; i < (side.Contains("two", StringComparison.Ordinal) ? 2 : 1); i++)
            {
                var db = await PostgresDatabase.OpenAsync(url, null, CancellationToken.None);
                disposables.Add(db);
                var state = await StateStores.Postgres(db).OpenAsync("state.db", "ecs", StateCodec.Load, StateCodec.Apply, NullLogger.Instance, CancellationToken.None);
                disposables.Insert(0, state);
                pipelines.Add(state.Pipeline);
            }
        }

        var setup = pipelines[0];
        await setup.ExecuteAsync(s => ClusterDecisions.Create(s, scope, new CreateClusterRequest { ClusterName = "ha" }));
        for (var i = 0; i < 100; i++)
        {
            var instance = await setup.ExecuteAsync(s => ContainerInstanceDecisions.Register(s, scope, ids, DateTimeOffset.UtcNow, new RegisterContainerInstanceRequest
            {
                Cluster = "ha",
                TotalResources = [new Resource { Name = "CPU", Type = "INTEGER", IntegerValue = 1_048_576 }, new Resource { Name = "MEMORY", Type = "INTEGER", IntegerValue = 1_048_576 }],
            }));
            await setup.ExecuteAsync(s => ContainerInstanceDecisions.SetAgentConnected(s, instance.ContainerInstanceArn!, true, DateTimeOffset.UtcNow));
        }

        var definition = new RegisterTaskDefinitionRequest { Family = "ha", ContainerDefinitions = [new ContainerDefinition { Name = "app", Image = "busybox", Memory = 32, Essential = true }] };
        await setup.ExecuteAsync(s => TaskDefinitionDecisions.Register(s, scope, "arn:aws:iam::000000000000:root", DateTimeOffset.UtcNow, definition));
        foreach (var pipeline in pipelines)
        {
            await pipeline.SyncAsync();
        }

        var latencies = new double[operations];
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(caller => Task.Run(async () =>
        {
            var pipeline = pipelines[caller % pipelines.Count];
            var rng = new Random(caller);
            int index;
            while ((index = Interlocked.Increment(ref next)) < operations)
            {
                var started = Stopwatch.GetTimestamp();
                if (workload == "RunTask")
                {
                    var request = new RunTaskRequest { Cluster = "ha", TaskDefinition = "ha" };
                    var plan = TaskDecisions.PlanRun(pipeline.Current, scope, rng, request);
                    _ = await pipeline.ExecuteAsync(s => TaskDecisions.CommitRun(s, scope, ids, DateTimeOffset.UtcNow, request, plan))
                        ?? await pipeline.ExecuteAsync(s => TaskDecisions.Run(s, scope, ids, rng, DateTimeOffset.UtcNow, request));
                }
                else
                {
                    await pipeline.ExecuteAsync(s => TaskDefinitionDecisions.Register(s, scope, "arn:aws:iam::000000000000:root", DateTimeOffset.UtcNow, definition));
                }

                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
        var elapsed = watch.Elapsed;
        Array.Sort(latencies);
        var throughput = operations / elapsed.TotalSeconds;

        var conflicts = pipelines.Sum(p => p.Conflicts);
        var held = pipelines.Sum(p => p.HeldCommits);
        var chained = pipelines.Sum(p => p.ChainedCommits);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{side,-26} {workload,-24} {throughput,8:F0} {latencies[operations / 2],8:F2} {latencies[(int)(operations * 0.99)],8:F2} {conflicts,10} {held,6} {chained,8}"));
        return throughput;
    }
    finally
    {
        foreach (var disposable in disposables)
        {
            await disposable.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        dir.Delete(recursive: true);
    }
}

// A new database beside the one given (same server and user), so each side starts empty.
static async Task<string> FreshDatabaseAsync(string url)
{
    var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(url));
    var name = "bench_" + Guid.NewGuid().ToString("N")[..12];
    await using (var source = Npgsql.NpgsqlDataSource.Create(builder.ConnectionString))
    await using (var create = source.CreateCommand($"CREATE DATABASE {name}"))
    {
        await create.ExecuteNonQueryAsync();
    }

    builder.Database = name;
    return builder.ConnectionString;
}
