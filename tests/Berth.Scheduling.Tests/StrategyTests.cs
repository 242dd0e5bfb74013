using static Berth.Scheduling.Tests.Fixtures;

namespace Berth.Scheduling.Tests;

public class StrategyTests
{
    private static List<string> Place(PlacementRequest request, params InstanceSnapshot[] instances) =>
        Ids(Placement.Place(new ClusterSnapshot(instances), request, 11));

    [Theory]
    [InlineData("memory", 256, "c")] // c has the least memory left that still fits
    [InlineData("memory", 400, "b")] // c is too small now
    [InlineData("cpu", 100, "a")] // by CPU, a has the least left
    public void BinpackChoosesTheInstanceWithTheLeastLeftThatFits(string field, int memory, string expected)
    {
        var chosen = Place(
            Task(cpu: 100, memory: memory) with { Strategies = [Binpack(field)] },
            Instance("a", cpu: 200, memory: 1000),
            Instance("b", cpu: 1024, memory: 600),
            Instance("c", cpu: 1024, memory: 300));
        Assert.Equal([expected], chosen);
    }

    [Fact]
    public void BinpackFillsOneInstanceBeforeOpeningTheNext()
    {
        var chosen = Place(Task(memory: 512, count: 6) with { Strategies = [Binpack("memory")] }, Instance("a"), Instance("b"), Instance("c"));
        Assert.Equal(4, chosen.Count(id => id == chosen[0]));
        Assert.Equal(2, chosen.Skip(4).Count(id => id == chosen[4]));
        Assert.NotEqual(chosen[0], chosen[4]);
    }

    [Fact]
    public void SpreadOnInstanceIdEvensOutTheGroupsTasks()
    {
        var chosen = Place(
            Task(count: 4) with { Strategies = [Spread("instanceId")] },
            Instance("a", groups: new() { ["family:app"] = 2 }),
            Instance("b"),
            Instance("c", groups: new() { ["family:app"] = 1, ["family:other"] = 5 }));

        // Only the request's group counts: c's five other tasks do not keep it from the group's tasks.
        Assert.Equal("b", chosen[0]);
        var totals = new[] { 2 + chosen.Count(id => id == "a"), chosen.Count(id => id == "b"), 1 + chosen.Count(id => id == "c") };
        Assert.True(totals.Max() - totals.Min() <= 1, string.Join(",", totals));
    }

    [Fact]
    public void SpreadOnHostIsSpreadOnInstanceId()
    {
        var request = Task(count: 6) with { Strategies = [Spread("host")] };
        var chosen = Place(request, Instance("a"), Instance("b"), Instance("c"));
        Assert.All(chosen.GroupBy(id => id), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public void SpreadOnAnAttributeEvensOutTheValuesNotTheInstances()
    {
        var chosen = Place(
            Task(count: 4) with { Strategies = [Spread("attribute:ecs.availability-zone")] },
            Instance("a1", az: "zone-a"),
            Instance("a2", az: "zone-a"),
            Instance("a3", az: "zone-a"),
            Instance("b1", az: "zone-b"));
        Assert.Equal(2, chosen.Count(id => id == "b1"));
        Assert.Equal(2, chosen.Count(id => id.StartsWith('a')));
    }

    [Fact]
    public void ChainedStrategiesBreakTiesInOrder()
    {
        // Spread over zones first; within the emptier zone, binpack on memory.
        var chosen = Place(
            Task(memory: 256) with { Strategies = [Spread("attribute:ecs.availability-zone"), Binpack("memory")] },
            Instance("a1", az: "zone-a", memory: 512),
            Instance("b1", az: "zone-b", groups: new() { ["family:app"] = 1 }),
            Instance("a2", az: "zone-a", memory: 4096),
            Instance("a3", az: "zone-a", memory: 1024));
        Assert.Equal(["a1"], chosen);
    }

    [Fact]
    public void InstancesWithoutTheAttributeShareOneValue()
    {
        // Two values (none, r1), not three: four tasks split two and two, so z alone takes two.
        var chosen = Place(
            Task(count: 4) with { Strategies = [Spread("attribute:rack")] },
            Instance("x"),
            Instance("y"),
            Instance("z") with { Attributes = new Dictionary<string, string?> { ["rack"] = "r1" } });
        Assert.Equal(2, chosen.Count(id => id == "z"));
    }

    [Fact]
    public void RandomIsReproducibleFromItsSeedAndReachesEveryInstance()
    {
        var instances = new ClusterSnapshot([.. Enumerable.Range(0, 8).Select(i => Instance("i" + i))]);
        var request = Task(count: 1) with { Strategies = [new StrategySpec("random")] };
        Assert.Equal(Ids(Placement.Place(instances, request, 3)), Ids(Placement.Place(instances, request, 3)));
        var reached = Enumerable.Range(0, 200).Select(seed => Placement.Place(instances, request, seed)[0].Instance!.Id).ToHashSet();
        Assert.Equal(8, reached.Count);
    }

    [Fact]
    public void NoStrategyMeansRandom()
    {
        var instances = new ClusterSnapshot([.. Enumerable.Range(0, 4).Select(i => Instance("i" + i))]);
        var reached = Enumerable.Range(0, 100).Select(seed => Placement.Place(instances, Task(), seed)[0].Instance!.Id).ToHashSet();
        Assert.Equal(4, reached.Count);
    }

    [Fact]
    public void MemberOfKeepsOnlyMatchingInstancesAndNamesTheRest()
    {
        var placements = Placement.Place(
            new ClusterSnapshot([Instance("a", type: "t2.small"), Instance("b", type: "m5.large")]),
            Task(count: 2) with { Constraints = [MemberOf("attribute:ecs.instance-type == m5.large")], Strategies = [Spread("instanceId")] },
            1);
        Assert.Equal(["b", "b"], Ids(placements));

        var none = Assert.Single(Placement.Place(
            new ClusterSnapshot([Instance("a", type: "t2.small")]),
            Task() with { Constraints = [MemberOf("attribute:ecs.instance-type == m5.large")] },
            1));
        Assert.Equal(new PlacementFailure(Instance("a").Arn, "MemberOf placement constraint unsatisfied."), Assert.Single(none.Failures));
    }

    [Fact]
    public void TaskGroupExpressionsSeeTasksPlacedEarlierInTheSession()
    {
        var session = new PlacementSession(new ClusterSnapshot([Instance("a"), Instance("b", groups: new() { ["db"] = 1 })]), new Random(1));
        var near = session.Place(Task(count: 2, group: "web") with { Constraints = [MemberOf("task:group == db")] });
        Assert.Equal(["b", "b"], Ids(near));
        var next = session.Place(Task(group: "cache") with { Constraints = [MemberOf("task:group == web")] });
        Assert.Equal(["b"], Ids(next));
    }

    [Fact]
    public void DistinctInstancePutsEachTaskOfTheGroupOnItsOwnInstance()
    {
        var placements = Placement.Place(
            new ClusterSnapshot([Instance("a"), Instance("b", groups: new() { ["family:app"] = 1 }), Instance("c")]),
            Task(count: 3) with { Constraints = [new ConstraintSpec("distinctInstance")] },
            1);
        Assert.Equal(["a", "c"], Ids(placements.Take(2)).Order());
        Assert.Contains(placements[2].Failures, f => f.Reason == "DistinctInstance placement constraint unsatisfied.");
    }

    [Fact]
    public void ASessionCarriesWhatEarlierRequestsTook()
    {
        var session = new PlacementSession(new ClusterSnapshot([Instance("a", memory: 1024)]), new Random(1));
        Assert.True(session.Place(Task(memory: 600)).Single().Placed);
        Assert.Equal("RESOURCE:MEMORY", session.Place(Task(memory: 600)).Single().Failures.Single().Reason);
    }

    public static TheoryData<string, StrategySpec?, ConstraintSpec?, string, string?> Specs() => new()
    {
        { "binpack cpu", Binpack("cpu"), null, "EC2", null },
        { "binpack without field", new StrategySpec("binpack"), null, "EC2", "Invalid placement strategy field for binpack: null. Valid values are cpu, memory." },
        { "binpack on disk", Binpack("disk"), null, "EC2", "Invalid placement strategy field for binpack: disk. Valid values are cpu, memory." },
        { "spread on an attribute", Spread("attribute:ecs.availability-zone"), null, "EC2", null },
        { "spread on a bare attribute prefix", Spread("attribute:"), null, "EC2", "Invalid placement strategy field for spread: attribute:. Valid values are instanceId, host, or attribute:NAME." },
        { "spread without field", new StrategySpec("spread"), null, "EXTERNAL", "A field is required for a spread placement strategy. Valid values are instanceId, host, or attribute:NAME." },
        { "unknown strategy", new StrategySpec("nearest"), null, "EC2", "Invalid value for placement strategy type: nearest. Valid values are random, spread, binpack." },
        { "memberOf without expression", null, new ConstraintSpec("memberOf"), "EC2", "An expression is required for a memberOf placement constraint." },
        { "distinctInstance with expression", null, new ConstraintSpec("distinctInstance", "x"), "EC2", "An expression is not allowed for a distinctInstance placement constraint." },
        { "unknown constraint", null, new ConstraintSpec("near"), "EC2", "Invalid value for placement constraint type: near. Valid values are distinctInstance, memberOf." },
        { "fargate constraint", null, new ConstraintSpec("distinctInstance"), "FARGATE", "Placement constraints are not supported with FARGATE launch type." },
        { "fargate strategy", new StrategySpec("random"), null, "FARGATE", "Placement strategies are not supported with FARGATE launch type." },
    };

    [Theory]
    [MemberData(nameof(Specs))]
    public void RulesForConstraintsAndStrategies(string name, StrategySpec? strategy, ConstraintSpec? constraint, string launchType, string? error)
    {
        void Validate() => PlacementRules.Validate(constraint is null ? [] : [constraint], strategy is null ? [] : [strategy], launchType);
        if (error is null)
        {
            Validate();
        }
        else
        {
            Assert.True(error == Assert.Throws<PlacementSpecException>(Validate).Message, name);
        }
    }

    [Fact]
    public void LimitsOnHowManyConstraintsAndStrategies()
    {
        Assert.Throws<PlacementSpecException>(() => PlacementRules.Validate([.. Enumerable.Repeat(new ConstraintSpec("distinctInstance"), 11)], [], "EC2"));
        Assert.Throws<PlacementSpecException>(() => PlacementRules.Validate([], [.. Enumerable.Repeat(new StrategySpec("random"), 6)], "EC2"));
        PlacementRules.Validate([.. Enumerable.Repeat(new ConstraintSpec("distinctInstance"), 10)], [.. Enumerable.Repeat(new StrategySpec("random"), 5)], "EC2");
    }
}
