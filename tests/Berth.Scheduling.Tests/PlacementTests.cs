namespace Berth.Scheduling.Tests;

public class PlacementTests
{
    private static InstanceSnapshot Instance(
        string id,
        int cpu = 1024,
        int memory = 2048,
        string status = "ACTIVE",
        bool agent = true,
        int usedCpu = 0,
        int usedMemory = 0,
        int[]? reserved = null,
        int[]? boundTcp = null,
        int[]? boundUdp = null,
        string[]? groups = null) =>
        new(
            id,
            "arn:aws:ecs:us-east-1:000000000000:container-instance/c/" + id,
            status,
            agent,
            new ResourceSet(cpu, memory, (reserved ?? [22]).ToHashSet(), new HashSet<int>()),
            new ResourceSet(usedCpu, usedMemory, (boundTcp ?? []).ToHashSet(), (boundUdp ?? []).ToHashSet()),
            new Dictionary<string, string?>())
        {
            GroupCounts = (groups ?? []).ToDictionary(g => g, _ => 1),
        };

    private static PlacementRequest Task(int cpu = 256, int memory = 512, int[]? tcp = null, int[]? udp = null, int count = 1) =>
        new(cpu, memory, tcp ?? [], udp ?? [], count);

    private static IReadOnlyList<TaskPlacement> Place(PlacementRequest request, params InstanceSnapshot[] instances) =>
        Placement.Place(new ClusterSnapshot(instances), request, new Random(7));

    public static TheoryData<string, InstanceSnapshot, PlacementRequest, string?> SingleInstance() => new()
    {
        { "fits", Instance("a"), Task(), null },
        { "cpu exactly fits", Instance("a", cpu: 256), Task(cpu: 256), null },
        { "cpu short", Instance("a", cpu: 1024, usedCpu: 900), Task(cpu: 256), "RESOURCE:CPU" },
        { "memory short", Instance("a", memory: 1024, usedMemory: 600), Task(memory: 512), "RESOURCE:MEMORY" },
        { "cpu reported before memory", Instance("a", cpu: 100, memory: 100), Task(), "RESOURCE:CPU" },
        { "static port bound", Instance("a", boundTcp: [80]), Task(tcp: [80]), "RESOURCE:PORTS" },
        { "static port reserved", Instance("a", reserved: [22, 8080]), Task(tcp: [8080]), "RESOURCE:PORTS" },
        { "dynamic port always fits", Instance("a", boundTcp: [80]), Task(tcp: [0, 0]), null },
        { "tcp port free for udp", Instance("a", boundTcp: [53]), Task(udp: [53]), null },
        { "udp port bound", Instance("a", boundUdp: [53]), Task(udp: [53]), "RESOURCE:PORTS_UDP" },
        { "agent disconnected", Instance("a", agent: false), Task(), "AGENT" },
        { "agent checked first", Instance("a", agent: false, cpu: 0), Task(), "AGENT" },
    };

    [Theory]
    [MemberData(nameof(SingleInstance))]
    public void OneInstanceOneTask(string name, InstanceSnapshot instance, PlacementRequest request, string? reason)
    {
        var placement = Assert.Single(Place(request, instance));
        if (reason is null)
        {
            Assert.True(placement.Placed, name);
            Assert.Empty(placement.Failures);
        }
        else
        {
            Assert.False(placement.Placed, name);
            var failure = Assert.Single(placement.Failures);
            Assert.Equal(reason, failure.Reason);
            Assert.Equal(instance.Arn, failure.Arn);
        }
    }

    [Theory]
    [InlineData("DRAINING")]
    [InlineData("INACTIVE")]
    public void InstancesThatAreNotActiveAreNoCandidatesAndNamedInNoFailure(string status)
    {
        var placement = Assert.Single(Place(Task(), Instance("a", status: status)));
        Assert.False(placement.Placed);
        Assert.Empty(placement.Failures);
    }

    [Fact]
    public void TheDrainingInstanceIsPassedOverForTheActiveOne()
    {
        var placements = Place(Task(cpu: 100, memory: 100, count: 5), Instance("draining", status: "DRAINING"), Instance("active"));
        Assert.All(placements, p => Assert.Equal("active", p.Instance!.Id));
    }

    [Fact]
    public void SuccessiveTasksSeeWhatEarlierOnesTook()
    {
        var placements = Place(Task(cpu: 400, count: 3), Instance("a", cpu: 1000));
        Assert.True(placements[0].Placed);
        Assert.True(placements[1].Placed);
        Assert.False(placements[2].Placed);
        Assert.Equal("RESOURCE:CPU", Assert.Single(placements[2].Failures).Reason);
    }

    [Fact]
    public void AStaticPortTakenByAnEarlierTaskOfTheRequestConflicts()
    {
        var placements = Place(Task(tcp: [80], count: 2), Instance("a"));
        Assert.True(placements[0].Placed);
        Assert.Equal("RESOURCE:PORTS", Assert.Single(placements[1].Failures).Reason);
    }

    [Fact]
    public void StaticPortsSpreadTasksOverInstances()
    {
        var placements = Place(Task(tcp: [80], count: 3), Instance("a"), Instance("b"), Instance("c"));
        Assert.Equal(["a", "b", "c"], placements.Select(p => p.Instance!.Id).Order());
    }

    [Fact]
    public void EveryRefusingInstanceIsNamedWithItsOwnReason()
    {
        var placement = Assert.Single(Place(Task(tcp: [80]), Instance("a", agent: false), Instance("b", memory: 10), Instance("c", boundTcp: [80])));
        Assert.False(placement.Placed);
        Assert.Equal(
            ["AGENT", "RESOURCE:MEMORY", "RESOURCE:PORTS"],
            placement.Failures.Select(f => f.Reason));
    }

    [Fact]
    public void DistinctInstancePlacesEachTaskOfTheRequestApart()
    {
        var request = Task(count: 3) with { Constraints = [new ConstraintSpec("distinctInstance")] };
        var placements = Place(request, Instance("a"), Instance("b"));
        Assert.Equal(2, placements.Count(p => p.Placed));
        Assert.NotEqual(placements[0].Instance!.Id, placements[1].Instance!.Id);
        Assert.Equal(2, placements[2].Failures.Count);
    }

    [Fact]
    public void DistinctInstanceAvoidsInstancesRunningTheSameGroup()
    {
        var request = Task() with { Group = "family:web", Constraints = [new ConstraintSpec("distinctInstance")] };
        var placement = Assert.Single(Place(request, Instance("a", groups: ["family:web"]), Instance("b", groups: ["family:db"])));
        Assert.Equal("b", placement.Instance!.Id);
    }

    [Fact]
    public void WithoutDistinctInstanceTasksMayShareAnInstance()
    {
        var placements = Place(Task(count: 4), Instance("a"));
        Assert.All(placements, p => Assert.Equal("a", p.Instance!.Id));
    }

    [Fact]
    public void TheSameSeedPlacesTheSameWay()
    {
        var instances = Enumerable.Range(0, 10).Select(i => Instance("i" + i)).ToArray();
        var first = Placement.Place(new ClusterSnapshot(instances), Task(count: 10), new Random(42)).Select(p => p.Instance!.Id).ToList();
        var second = Placement.Place(new ClusterSnapshot(instances), Task(count: 10), new Random(42)).Select(p => p.Instance!.Id).ToList();
        Assert.Equal(first, second);
        Assert.True(first.Distinct().Count() > 1, "random ranking should not always pick one instance");
    }

    [Fact]
    public void NoInstancesMeansNoPlacementAndNoFailures()
    {
        var placement = Assert.Single(Place(Task()));
        Assert.False(placement.Placed);
        Assert.Empty(placement.Failures);
    }

    [Fact]
    public void PinnedTasksGoWhereTheyAreToldIfTheyFit()
    {
        var request = Task(cpu: 600) with { PinnedInstances = ["b", "arn:aws:ecs:us-east-1:000000000000:container-instance/c/a", "b", "nope", "d", "gone"] };
        var placements = Place(request, Instance("a"), Instance("b"), Instance("d", status: "DRAINING"), Instance("gone", status: "INACTIVE"));
        Assert.Equal("b", placements[0].Instance!.Id);
        Assert.Equal("a", placements[1].Instance!.Id);
        Assert.Equal("RESOURCE:CPU", Assert.Single(placements[2].Failures).Reason);
        Assert.Equal(new PlacementFailure("nope", Placement.Missing), Assert.Single(placements[3].Failures));
        Assert.Equal("d", placements[4].Instance!.Id);
        Assert.Equal(Placement.Inactive, Assert.Single(placements[5].Failures).Reason);
    }

    [Fact]
    public void ChecksAreWiredInOnePlaceInReportingOrder()
    {
        static Feasibility.MemberOfCheck MemberOf(string e) => new(PlacementRules.Parse(e), 1);
        var plain = PlacementRules.ChecksFor(Task(), MemberOf).Select(c => c.Reason);
        Assert.Equal(["AGENT", "RESOURCE:CPU", "RESOURCE:MEMORY", "RESOURCE:PORTS", "RESOURCE:PORTS_UDP"], plain);
        var constrained = PlacementRules.ChecksFor(Task() with { Constraints = [new ConstraintSpec("memberOf", "attribute:x == y"), new ConstraintSpec("distinctInstance")] }, MemberOf);
        Assert.Equal(
            ["AGENT", "RESOURCE:CPU", "RESOURCE:MEMORY", "RESOURCE:PORTS", "RESOURCE:PORTS_UDP", "MemberOf placement constraint unsatisfied.", "DistinctInstance placement constraint unsatisfied."],
            constrained.Select(c => c.Reason));
    }
}
