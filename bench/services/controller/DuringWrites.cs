using System.Diagnostics;
using System.Globalization;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Server.Services;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Bench.ServiceController;

/// <summary>
/// The pass that places every task, run by the real <see cref="Berth.Server.Services.ServiceController"/> over a real
/// <see cref="CommitPipeline{TState}"/> on SQLite, while a client loop makes RegisterTaskDefinition (a durable write)
/// and DescribeClusters (a snapshot read) calls one after another. Side by side in the same run, the same calls made
/// while the same pass runs the old way, as one decision inside the single writer.
/// </summary>
internal static class DuringWrites
{
    /// <summary>Documents per commit of the planned side (<c>--piece N</c>).</summary>
    public static int Piece { get; set; } = new ServiceControllerOptions().DocumentsPerCommit;

    public static async Task RunAsync(EcsState initial, Scope scope, DateTimeOffset now)
    {
        // Each in-memory step the best of five runs, so another process's moment on the core does not count.
        var plan = ServicePass.Plan(initial, now, IdSource.Sequential(), new Random(42));
        var alone = Best(() => ServicePass.Plan(initial, now, IdSource.Sequential(), new Random(42)));
        List<EncodedChange> encoded = [];
        var encode = Best(() => encoded = plan.Changes.Select(ServicePass.Encode).ToList());
        var applied = ServicePass.Apply(initial, plan, encoded);
        var apply = Best(() => ServicePass.Apply(initial, plan, encoded));
        var piecewise = Best(() =>
        {
            var state = initial;
            foreach (var change in encoded)
            {
                state = ServicePass.Apply(state, plan, [change]).State;
            }
        });
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"In memory, no commits, best of 5: plan {alone:F0} ms ({plan.Changes.Count:N0} changes, {applied.Mutations.Count:N0} documents); encode {encode:F0} ms; apply whole {apply:F0} ms; apply change by change (every re-check) {piecewise:F0} ms."));
        Console.WriteLine();
        Console.WriteLine($"{"side",-28} {"pass ms",8} {"writes",7} {"write p50",10} {"write p99",10} {"write max",10} {"reads",7} {"read p99",9}");
        var planned = await SideAsync("planned outside the writer", initial, scope, now, inWriter: false);
        var inside = await SideAsync("inside the writer (before)", initial, scope, now, inWriter: true);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"placing pass: {planned.PassMs:F0} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"write p99 during pass: {planned.WriteP99:F1} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reference, pass inside the writer: placing pass {inside.PassMs:F0} ms, write p99 during it {inside.WriteP99:F1} ms"));
    }

    private static async Task<(double PassMs, double WriteP99)> SideAsync(string name, EcsState initial, Scope scope, DateTimeOffset now, bool inWriter)
    {
        var dir = Directory.CreateTempSubdirectory("berth-bench-writes-");
        try
        {
            await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(dir.FullName, "state.db"));
            await using var pipeline = new CommitPipeline<EcsState>(store, initial);
            var time = new FixedTime(now);
            var controller = new Berth.Server.Services.ServiceController(pipeline, time, IdSource.Sequential(), new Random(42), new ServiceControllerOptions { DocumentsPerCommit = Piece }, NullLogger.Instance);
            using var done = new CancellationTokenSource();
            var writes = new List<double>();
            var reads = new List<double>();
            var client = Task.Run(async () =>
            {
                var i = 0;
                while (!done.IsCancellationRequested)
                {
                    var call = Stopwatch.StartNew();
                    var family = "during-" + (i++ % 50).ToString(CultureInfo.InvariantCulture);
                    await pipeline.ExecuteAsync(s => TaskDefinitionDecisions.Register(s, scope, "arn:aws:iam::000000000000:root", now, new RegisterTaskDefinitionRequest
                    {
                        Family = family,
                        ContainerDefinitions = [new ContainerDefinition { Name = "app", Image = "busybox", Memory = 64 }],
                    }));
                    writes.Add(call.Elapsed.TotalMilliseconds);
                    call.Restart();
                    ClusterQueries.Describe(pipeline.Current, scope, new DescribeClustersRequest { Clusters = ["bench"] });
                    reads.Add(call.Elapsed.TotalMilliseconds);
                }
            });

            // Let the client settle into its loop before the pass starts.
            while (writes.Count < 20)
            {
                await Task.Delay(5);
            }

            var skip = writes.Count;
            int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            var paused = GC.GetTotalPauseDuration();
            var pass = Stopwatch.StartNew();
            var started = inWriter
                ? (await pipeline.ExecuteAsync(s => ServicePass.Run(s, now, IdSource.Sequential(), new Random(42)))).Started
                : (await controller.PassAsync()).Started;
            pass.Stop();
            paused = GC.GetTotalPauseDuration() - paused;
            collections = [GC.CollectionCount(0) - collections[0], GC.CollectionCount(1) - collections[1], GC.CollectionCount(2) - collections[2]];
            await done.CancelAsync();
            await client;
            var during = writes.Skip(skip).Order().ToList();
            var duringReads = reads.Skip(skip).Order().ToList();
            double P(List<double> xs, double q) => xs.Count == 0 ? double.NaN : xs[Math.Min(xs.Count - 1, (int)Math.Ceiling(q * xs.Count) - 1)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-28} {pass.Elapsed.TotalMilliseconds,8:F0} {during.Count,7} {P(during, 0.5),10:F2} {P(during, 0.99),10:F2} {(during.Count == 0 ? double.NaN : during[^1]),10:F2} {duringReads.Count,7} {P(duringReads, 0.99),9:F3}   ({started:N0} tasks started; GCs during the pass: {collections[0]} gen0, {collections[1]} gen1, {collections[2]} gen2, paused {paused.TotalMilliseconds:F0} ms in all)"));
            return (pass.Elapsed.TotalMilliseconds, P(during, 0.99));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    private static double Best(Action run)
    {
        var best = double.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }

        return best;
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
