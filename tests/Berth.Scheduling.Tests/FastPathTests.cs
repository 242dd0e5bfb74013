using static Berth.Scheduling.Tests.Fixtures;

namespace Berth.Scheduling.Tests;

/// <summary>
/// The indexed paths choose exactly what scoring every instance chooses: two sessions over the same cluster and
/// seed, one with <see cref="PlacementSession.FullScan"/>, receive the same random sequence of requests (chains,
/// constraints, groups, ports, pinned tasks), and every placement and every failure must match. Each case is
/// drawn from its own seed so a failure names the seed that reproduces it.
/// </summary>
public class FastPathTests
{
    private static readonly string[] Zones = ["zone-a", "zone-b", "zone-c"];
    private static readonly string[] Types = ["t2.small", "m5.large", "c5.xlarge"];
    private static readonly string[] Racks = ["r1", "r2", "r3", "r4", "r5"];
    private static readonly string[] Groups = ["family:app", "service:web", "service:db"];

    private static readonly StrategySpec[] StrategyChoices =
    [
        Binpack("cpu"),
        Binpack("memory"),
        Spread("instanceId"),
        Spread("host"),
        Spread("attribute:ecs.availability-zone"),
        Spread("attribute:rack"),
        Spread("attribute:ecs.instance-type"),
        Spread("attribute:nowhere"),
        new("random"),
    ];

    private static readonly ConstraintSpec[] ConstraintChoices =
    [
        new("distinctInstance"),
        MemberOf("attribute:ecs.instance-type != t2.small"),
        MemberOf("attribute:rack in [r1, r2, r3]"),
        MemberOf("attribute:ecs.availability-zone == zone-a or attribute:rack == r5"),
        MemberOf("task:group == service:db"),
        MemberOf("not(task:group == service:web)"),
    ];

    [Fact]
    public void EveryChainChoosesWhatTheFullScanChooses()
    {
        for (var seed = 0; seed < 1500; seed++)
        {
            var r = new Random(seed);
            var cluster = Cluster(r);
            var fast = new PlacementSession(cluster, new Random(seed));
            var full = new PlacementSession(cluster, new Random(seed)) { FullScan = true };
            for (var n = r.Next(1, 25); n > 0; n--)
            {
                var request = Request(r, cluster);
                AssertSame(seed, request, fast.Place(request), full.Place(request));
            }
        }
    }

    [Fact]
    public void LargerClustersFillUpTheSameWay()
    {
        // Fewer cases, more instances and placements: partitions hold many instances, and the cluster fills, so
        // walks skip instances that no longer fit and random counts many refusals.
        for (var seed = 0; seed < 40; seed++)
        {
            var r = new Random(seed);
            var cluster = Cluster(r, r.Next(100, 400));
            var fast = new PlacementSession(cluster, new Random(seed));
            var full = new PlacementSession(cluster, new Random(seed)) { FullScan = true };
            var chain = Chain(r);
            for (var n = r.Next(20, 80); n > 0; n--)
            {
                var request = Request(r, cluster) with { Strategies = r.Next(4) == 0 ? Chain(r) : chain, Count = r.Next(1, 30), PinnedInstances = null };
                AssertSame(seed, request, fast.Place(request), full.Place(request));
            }
        }
    }

    [Fact]
    public void TheDefaultServiceChainMatchesOverManyGroups()
    {
        // The service controller's shape: one session, many services (groups), spread by zone then instance.
        for (var seed = 0; seed < 20; seed++)
        {
            var r = new Random(seed);
            var cluster = Cluster(r, 60);
            var fast = new PlacementSession(cluster, new Random(seed));
            var full = new PlacementSession(cluster, new Random(seed)) { FullScan = true };
            for (var service = 0; service < 40; service++)
            {
                var request = Task(cpu: 32 * r.Next(0, 4), memory: 64 * r.Next(1, 4), count: r.Next(1, 12), group: "service:s" + r.Next(25)) with
                {
                    Strategies = [Spread("attribute:ecs.availability-zone"), Spread("instanceId")],
                };
                AssertSame(seed, request, fast.Place(request), full.Place(request));
            }
        }
    }

    private static void AssertSame(int seed, PlacementRequest request, IReadOnlyList<TaskPlacement> fast, IReadOnlyList<TaskPlacement> full)
    {
        var what = $"seed {seed}: [{string.Join(", ", request.Strategies.Select(s => s.Type + " " + s.Field))}] "
            + $"constraints [{string.Join(", ", request.Constraints.Select(c => c.Type + " " + c.Expression))}] group {request.Group ?? "none"}";
        Assert.True(Ids(full).SequenceEqual(Ids(fast)), $"{what}: full scan {string.Join(",", Ids(full))}, indexed {string.Join(",", Ids(fast))}");
        for (var i = 0; i < full.Count; i++)
        {
            Assert.True(full[i].Failures.SequenceEqual(fast[i].Failures), $"{what}: failures of task {i} differ");
        }
    }

    private static ClusterSnapshot Cluster(Random r, int? size = null)
    {
        var count = size ?? r.Next(0, 40);
        return new ClusterSnapshot([.. Enumerable.Range(0, count).Select(i =>
        {
            var used = r.Next(0, 4);
            var attributes = new Dictionary<string, string?>(StringComparer.Ordinal);
            if (r.Next(12) > 0)
            {
                attributes["ecs.availability-zone"] = Zones[r.Next(Zones.Length)];
            }

            if (r.Next(6) > 0)
            {
                attributes["ecs.instance-type"] = Types[r.Next(Types.Length)];
            }

            // Some racks are missing, one is present without a value: both are values spread counts over.
            var rack = r.Next(8);
            if (rack < Racks.Length)
            {
                attributes["rack"] = Racks[rack];
            }
            else if (rack == Racks.Length)
            {
                attributes["rack"] = null;
            }

            var groups = new Dictionary<string, int>();
            for (var g = r.Next(0, 3); g > 0; g--)
            {
                groups[Groups[r.Next(Groups.Length)]] = r.Next(0, 3);
            }

            var cpu = 1024 * r.Next(1, 5);
            var memory = 1024 * r.Next(1, 9);
            return new InstanceSnapshot(
                "i" + i,
                "arn:aws:ecs:us-east-1:000000000000:container-instance/c/i" + i,
                r.Next(12) switch { 0 => "DRAINING", 1 => "INACTIVE", _ => "ACTIVE" },
                r.Next(12) > 0,
                new ResourceSet(cpu, memory, new HashSet<int> { 22 }, new HashSet<int>()),
                new ResourceSet(
                    used * 128 + (r.Next(20) == 0 ? cpu : 0), // now and then over-committed
                    used * 256,
                    r.Next(4) == 0 ? new HashSet<int> { 80 } : new HashSet<int>(),
                    r.Next(6) == 0 ? new HashSet<int> { 53 } : new HashSet<int>()),
                attributes)
            {
                GroupCounts = groups,
                RunningTasksCount = groups.Values.Sum() + r.Next(0, 2),
                Ec2InstanceId = "i-" + i,
            };
        })]);
    }

    private static List<StrategySpec> Chain(Random r) =>
        [.. Enumerable.Range(0, r.Next(0, 6)).Select(_ => StrategyChoices[r.Next(StrategyChoices.Length)])];

    private static PlacementRequest Request(Random r, ClusterSnapshot cluster)
    {
        var constraints = new List<ConstraintSpec>();
        for (var c = r.Next(0, 3); c > 0; c--)
        {
            constraints.Add(ConstraintChoices[r.Next(ConstraintChoices.Length)]);
        }

        var request = new PlacementRequest(
            64 * r.Next(0, 9),
            128 * r.Next(0, 9),
            r.Next(5) == 0 ? [80] : r.Next(5) == 0 ? [0, 8080] : [],
            r.Next(8) == 0 ? [53] : [],
            r.Next(1, 12))
        {
            Group = r.Next(6) == 0 ? null : Groups[r.Next(Groups.Length)],
            Strategies = Chain(r),
            Constraints = constraints,
        };

        if (r.Next(15) == 0 && cluster.Instances.Count > 0)
        {
            request = request with { PinnedInstances = [.. Enumerable.Range(0, r.Next(1, 4)).Select(_ => cluster.Instances[r.Next(cluster.Instances.Count)].Id)] };
        }

        return request;
    }
}
