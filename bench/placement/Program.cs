using System.Diagnostics;
using System.Globalization;
using Berth.Scheduling;

// Places tasks onto simulated instances with Berth's engine and, in the same run, with the reference that scores
// every instance for every task (PlacementSession.FullScan), for several strategy chains; checks that both chose
// the same instances; then the service controller's shape: many services of a few tasks in one session.
var args0 = Environment.GetCommandLineArgs().Skip(1).ToArray();
var quick = args0.Contains("--quick");
var servicesOnly = args0.Contains("--services");
var sizes = quick ? new[] { 1_000, 10_000 } : [1_000, 10_000, 100_000];
const int TasksPerInstance = 10;
const int PerRequest = 10;

var chains = new Scenario[]
{
    new(
        "binpack(memory) + memberOf(attribute:ecs.instance-type =~ m5.*)",
        "family:web",
        [new StrategySpec("binpack", "memory")],
        [new ConstraintSpec("memberOf", "attribute:ecs.instance-type =~ m5.*")]),
    new(
        "spread(attribute:ecs.availability-zone), spread(instanceId)  [service default]",
        "service:web",
        [new StrategySpec("spread", "attribute:ecs.availability-zone"), new StrategySpec("spread", "instanceId")],
        []),
    new(
        "spread(attribute:rack), binpack(memory)",
        "family:web",
        [new StrategySpec("spread", "attribute:rack"), new StrategySpec("binpack", "memory")],
        []),
    new("random  [RunTask default]", "family:web", [], []),
};

Console.WriteLine($"Placement benchmark: RunTask-sized requests of {PerRequest} tasks (256 CPU, 512 MiB), one session per run, one thread.");
Console.WriteLine($"Host: {Environment.ProcessorCount} core(s) visible, .NET {Environment.Version}; Berth best of 3 runs, the reference best of 3 (once above 10,000 instances).");
Console.WriteLine("Cluster: 8 vCPU / 16 GiB instances, half m5.2xlarge and half c5.2xlarge, 3 zones, 12 racks, 0-3 tasks already on each.");

// Warm-up: JIT and tiering on a small cluster for every chain and both engines.
foreach (var chain in servicesOnly ? [] : chains)
{
    Run(chain, 1_000, 10_000, fullScan: false, out _);
    Run(chain, 1_000, 2_000, fullScan: true, out _);
}

foreach (var chain in servicesOnly ? [] : chains)
{
    Console.WriteLine();
    Console.WriteLine(chain.Name);
    Console.WriteLine($"{"instances",10} {"tasks",9} | {"berth placements/s",19} {"us/placement",13} | {"reference placements/s",23} {"us/placement",13} | {"speed-up",8} | same choices");
    foreach (var size in sizes)
    {
        var tasks = size * TasksPerInstance;
        var berth = 0.0;
        int[] chosen = [];
        for (var i = 0; i < 3; i++)
        {
            berth = Math.Max(berth, Run(chain, size, tasks, fullScan: false, out chosen));
        }

        // The reference is O(instances) per task: measure it on fewer tasks at large sizes, the rate is what matters.
        var referenceTasks = Math.Min(tasks, Math.Max(500, 20_000_000 / size) / PerRequest * PerRequest);
        var reference = 0.0;
        int[] expected = [];
        for (var i = 0; i < (size > 10_000 ? 1 : 3); i++)
        {
            reference = Math.Max(reference, Run(chain, size, referenceTasks, fullScan: true, out expected));
        }

        var same = chosen.AsSpan(0, referenceTasks).SequenceEqual(expected) ? $"yes (first {referenceTasks:N0})" : "NO";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{size,10:N0} {tasks,9:N0} | {berth,19:N0} {1e6 / berth,13:F2} | {reference,23:N0} {1e6 / reference,13:F2} | {berth / reference,7:F1}x | {same}"));
        if (same == "NO")
        {
            throw new InvalidOperationException($"{chain.Name}: Berth and the reference chose differently on {size} instances");
        }
    }
}

// The service controller's first pass: 1,000 services × 10 tasks onto 1,000 instances (4 vCPU, 8 GiB; 64 CPU,
// 128 MiB tasks), default chain, each service its own group, one session.
Console.WriteLine();
Console.WriteLine("Service controller shape: 1,000 services x 10 tasks (64 CPU, 128 MiB) on 1,000 instances (4 vCPU, 8 GiB), spread(zone), spread(instanceId), one session");
Services(fullScan: false, out _);
Services(fullScan: true, out _);
var sessionMs = Enumerable.Range(0, 3).Select(_ => Services(fullScan: false, out var c)).Min();
var pause = GC.GetTotalPauseDuration();
var gcs = GC.CollectionCount(0);
var gen2 = GC.CollectionCount(2);
Services(fullScan: false, out var sessionChosen);
Console.WriteLine($"  (one run: GC pauses {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:F1} ms, {GC.CollectionCount(0) - gcs} collections, {GC.CollectionCount(2) - gen2} of gen 2)");
var sessionReferenceMs = Enumerable.Range(0, 3).Select(_ => Services(fullScan: true, out var c)).Min();
Services(fullScan: true, out var sessionExpected);
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"  berth {sessionMs:F1} ms ({10_000 / sessionMs * 1000:N0} placements/s) | reference {sessionReferenceMs:F1} ms ({10_000 / sessionReferenceMs * 1000:N0} placements/s) | speed-up {sessionReferenceMs / sessionMs:F1}x | same choices: {(sessionChosen.SequenceEqual(sessionExpected) ? "yes" : "NO")}"));
if (!sessionChosen.SequenceEqual(sessionExpected))
{
    throw new InvalidOperationException("service shape: Berth and the reference chose differently");
}

// Placements per second for `tasks` tasks onto `size` instances; `chosen` gets each task's instance.
static double Run(Scenario chain, int size, int tasks, bool fullScan, out int[] chosen)
{
    var cluster = Cluster(size, 8192, 16384);
    var session = new PlacementSession(cluster, new Random(42)) { FullScan = fullScan };
    var request = new PlacementRequest(256, 512, [], [], PerRequest)
    {
        Group = chain.Group,
        Constraints = chain.Constraints,
        Strategies = chain.Strategies,
    };
    chosen = new int[tasks];
    var placed = 0;
    var watch = Stopwatch.StartNew();
    for (var done = 0; done < tasks; done += PerRequest)
    {
        foreach (var placement in session.Place(request))
        {
            if (placement.Instance is { } instance)
            {
                chosen[placed++] = Position(instance);
            }
        }
    }

    watch.Stop();
    if (placed != tasks)
    {
        throw new InvalidOperationException($"{chain.Name}: only {placed} of {tasks} tasks placed on {size} instances");
    }

    return tasks / watch.Elapsed.TotalSeconds;
}

// Milliseconds to place 1,000 services of 10 tasks in one session.
static double Services(bool fullScan, out int[] chosen)
{
    const int Count = 1_000;
    var cluster = Cluster(Count, 4096, 8192);
    var session = new PlacementSession(cluster, new Random(7)) { FullScan = fullScan };
    chosen = new int[Count * 10];
    var placed = 0;
    var watch = Stopwatch.StartNew();
    for (var service = 0; service < Count; service++)
    {
        var request = new PlacementRequest(64, 128, [], [], 10)
        {
            Group = "service:s" + service.ToString(CultureInfo.InvariantCulture),
            Strategies = [new StrategySpec("spread", "attribute:ecs.availability-zone"), new StrategySpec("spread", "instanceId")],
        };
        foreach (var placement in session.Place(request))
        {
            if (placement.Instance is { } instance)
            {
                chosen[placed++] = Position(instance);
            }
        }
    }

    watch.Stop();
    if (placed != chosen.Length)
    {
        throw new InvalidOperationException($"service shape: only {placed} of {chosen.Length} tasks placed");
    }

    return watch.Elapsed.TotalMilliseconds;
}

// An instance's position in the snapshot: its ID is the position in hex.
static int Position(InstanceSnapshot instance) => int.Parse(instance.Id, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

// Half m5 and half c5, in three zones and twelve racks; some instances already hold tasks.
static ClusterSnapshot Cluster(int size, int cpu, int memory)
{
    var random = new Random(size);
    var noPorts = new HashSet<int>();
    var reserved = new HashSet<int> { 22, 2375, 2376, 51678, 51679 };
    var zones = new[] { "zone-a", "zone-b", "zone-c" };
    var instances = new List<InstanceSnapshot>(size);
    for (var i = 0; i < size; i++)
    {
        var used = random.Next(0, 4);
        var id = i.ToString("x8", CultureInfo.InvariantCulture);
        instances.Add(new InstanceSnapshot(
            id,
            "arn:aws:ecs:us-east-1:000000000000:container-instance/bench/" + id,
            "ACTIVE",
            true,
            new ResourceSet(cpu, memory, reserved, noPorts),
            new ResourceSet(used * 256, used * 512, noPorts, noPorts),
            new Dictionary<string, string?>
            {
                ["ecs.instance-type"] = i % 2 == 0 ? "m5.2xlarge" : "c5.2xlarge",
                ["ecs.availability-zone"] = zones[i % 3],
                ["rack"] = "rack-" + (random.Next(12) + 1).ToString("d2", CultureInfo.InvariantCulture),
            })
        {
            RunningTasksCount = used,
            GroupCounts = used == 0 ? new Dictionary<string, int>() : new Dictionary<string, int> { ["family:web"] = used },
        });
    }

    return new ClusterSnapshot(instances);
}

internal sealed record Scenario(string Name, string Group, StrategySpec[] Strategies, ConstraintSpec[] Constraints);
