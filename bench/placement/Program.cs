using System.Diagnostics;
using System.Globalization;
using Berth.Scheduling;

// Places tasks onto simulated instances the way RunTask does (requests of 10, binpack on memory, a memberOf
// constraint on the instance type), once with Berth's engine and once with the reference that scores every
// instance for every task, in the same run. Prints one row per cluster size.
var args0 = Environment.GetCommandLineArgs().Skip(1).ToArray();
var quick = args0.Contains("--quick");
var sizes = quick ? new[] { 1_000, 10_000 } : [1_000, 10_000, 100_000];
const int TasksPerInstance = 10;
const int PerRequest = 10;
const string Expression = "attribute:ecs.instance-type =~ m5.*";

Console.WriteLine($"Placement benchmark: binpack(memory) + memberOf({Expression}), RunTask-sized requests of {PerRequest}, one thread.");
Console.WriteLine($"Host: {Environment.ProcessorCount} core(s) visible, .NET {Environment.Version}; best of 3 runs (the reference once above 10,000 instances).");
Console.WriteLine();
Console.WriteLine($"{"instances",10} {"tasks",9} | {"berth placements/s",19} {"us/placement",13} | {"reference placements/s",23} {"us/placement",13} | {"speed-up",8}");

// Warm-up: JIT and tiering on a small cluster for both engines.
Run(1_000, 10_000, fullScan: false);
Run(1_000, 2_000, fullScan: true);

double? firstCost = null;
var firstSize = 0;
foreach (var size in sizes)
{
    var tasks = size * TasksPerInstance;
    var berth = Enumerable.Range(0, 3).Select(_ => Run(size, tasks, fullScan: false)).Max();

    // The reference is O(instances) per task: measure it on fewer tasks at large sizes, the rate is what matters.
    var referenceTasks = Math.Min(tasks, Math.Max(2_000, 20_000_000 / size));
    var reference = Enumerable.Range(0, size > 10_000 ? 1 : 3).Select(_ => Run(size, referenceTasks, fullScan: true)).Max();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{size,10:N0} {tasks,9:N0} | {berth,19:N0} {1e6 / berth,13:F2} | {reference,23:N0} {1e6 / reference,13:F2} | {berth / reference,7:F1}x"));
    if (firstCost is null)
    {
        firstCost = 1e6 / berth;
        firstSize = size;
    }
    else
    {
        var growth = 1e6 / berth / firstCost.Value;
        var logGrowth = Math.Log(size) / Math.Log(firstSize);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{string.Empty,10} cost per placement x{growth:F2} from {firstSize:N0} to {size:N0} instances (log(instances) grows x{logGrowth:F2}, instances x{(double)size / firstSize:F0})"));
    }
}

// Placements per second for `tasks` tasks onto `size` instances.
static double Run(int size, int tasks, bool fullScan)
{
    var cluster = Cluster(size);
    var session = new PlacementSession(cluster, new Random(42));
    var strategies = fullScan
        ? new[] { new StrategySpec("binpack", "memory"), new StrategySpec("binpack", "memory") } // same ranking, scores every instance
        : [new StrategySpec("binpack", "memory")];
    var request = new PlacementRequest(256, 512, [], [], PerRequest)
    {
        Group = "family:web",
        Constraints = [new ConstraintSpec("memberOf", Expression)],
        Strategies = strategies,
    };
    var placed = 0;
    var watch = Stopwatch.StartNew();
    for (var done = 0; done < tasks; done += PerRequest)
    {
        foreach (var placement in session.Place(request))
        {
            if (placement.Placed)
            {
                placed++;
            }
        }
    }

    watch.Stop();
    if (placed != tasks)
    {
        throw new InvalidOperationException($"only {placed} of {tasks} tasks placed on {size} instances");
    }

    return tasks / watch.Elapsed.TotalSeconds;
}

// Half m5 (8 vCPU, 16 GiB: 32 tasks each) and half c5, in three zones; some already hold tasks.
static ClusterSnapshot Cluster(int size)
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
            new ResourceSet(8192, 16384, reserved, noPorts),
            new ResourceSet(used * 256, used * 512, noPorts, noPorts),
            new Dictionary<string, string?>
            {
                ["ecs.instance-type"] = i % 2 == 0 ? "m5.2xlarge" : "c5.2xlarge",
                ["ecs.availability-zone"] = zones[i % 3],
            })
        {
            RunningTasksCount = used,
        });
    }

    return new ClusterSnapshot(instances);
}
