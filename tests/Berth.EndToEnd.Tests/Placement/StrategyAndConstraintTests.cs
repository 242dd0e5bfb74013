using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Placement;

/// <summary>
/// Placement strategies and constraints as an AWS CLI user sees them, on three real agents in one cluster
/// (zone-a: a with stack=prod, b with stack=dev; zone-b: c).
/// </summary>
[Collection(PlacementCollection.Name)]
public sealed class StrategyAndConstraintTests(PlacementFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = PlacementFixture.Cluster;

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task Spread_over_the_availability_zone_attribute_splits_four_tasks_two_and_two()
    {
        await fixture.RegisterSleeperAsync("spread-zone");
        var run = await RunTaskAsync("spread-zone", "--count", "4", "--placement-strategy", "type=spread,field=attribute:ecs.availability-zone");
        var arns = TaskArns(run);
        try
        {
            Assert.Empty(run["failures"]!.AsArray());
            Assert.Equal(4, arns.Count);
            var zones = run["tasks"]!.AsArray().GroupBy(t => fixture.ZoneOf((string)t!["containerInstanceArn"]!)).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(2, zones.GetValueOrDefault("zone-a"));
            Assert.Equal(2, zones.GetValueOrDefault("zone-b"));

            // The tasks run where RunTask said, each in its instance's zone.
            var running = await Ecs.WaitTasksAsync(Cluster, arns, t => (string?)t["lastStatus"] == "RUNNING", "RUNNING", TimeSpan.FromSeconds(120));
            foreach (var task in running)
            {
                var instance = (string)task["containerInstanceArn"]!;
                Assert.Equal(fixture.ZoneOf(instance), (string?)task["availabilityZone"]);
                var container = await DockerCli.InspectAsync((string)Container(task, "main")["runtimeId"]!);
                Assert.Equal(instance, (string?)container["Config"]!["Labels"]!["berth.container-instance"]);
            }
        }
        finally
        {
            await StopAndWaitAsync(Ecs, Cluster, arns);
        }
    }

    [Fact]
    public async Task Binpack_on_memory_puts_successive_tasks_on_the_same_instance()
    {
        await fixture.RegisterSleeperAsync("binpack-mem");
        var arns = new List<string>();
        try
        {
            // All three instances are empty and alike: the first task goes to any; every later one joins it.
            var first = await RunTaskAsync("binpack-mem", "--placement-strategy", "type=binpack,field=memory");
            Assert.Empty(first["failures"]!.AsArray());
            arns.AddRange(TaskArns(first));
            var chosen = (string)Assert.Single(first["tasks"]!.AsArray())!["containerInstanceArn"]!;
            Assert.Contains(chosen, fixture.Instances);
            for (var i = 0; i < 3; i++)
            {
                var next = await RunTaskAsync("binpack-mem", "--placement-strategy", "type=binpack,field=memory");
                arns.AddRange(TaskArns(next));
                Assert.Equal(chosen, (string?)Assert.Single(next["tasks"]!.AsArray())!["containerInstanceArn"]);
            }

            var batch = await RunTaskAsync("binpack-mem", "--count", "3", "--placement-strategy", "type=binpack,field=memory");
            arns.AddRange(TaskArns(batch));
            Assert.Equal(3, batch["tasks"]!.AsArray().Count);
            Assert.All(batch["tasks"]!.AsArray(), t => Assert.Equal(chosen, (string?)t!["containerInstanceArn"]));

            // The instance shows what it holds: 7 tasks of 16 MiB.
            var instance = await Ecs.InstanceAsync(Cluster, chosen);
            Assert.Equal(Integer(instance["registeredResources"], "MEMORY") - (7 * 16), Integer(instance["remainingResources"], "MEMORY"));
            Assert.Equal(
                arns.Order(StringComparer.Ordinal),
                Expect.Strings((await Ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = Cluster, ["containerInstance"] = chosen }))["taskArns"]).Order(StringComparer.Ordinal));
        }
        finally
        {
            await StopAndWaitAsync(Ecs, Cluster, arns);
        }
    }

    [Fact]
    public async Task MemberOf_an_attribute_expression_places_only_on_matching_instances()
    {
        await fixture.RegisterSleeperAsync("member-prod");
        var arns = new List<string>();
        try
        {
            var prod = await RunTaskAsync("member-prod", "--count", "3", "--placement-constraints", "type=memberOf,expression=\"attribute:stack == prod\"");
            arns.AddRange(TaskArns(prod));
            Assert.Empty(prod["failures"]!.AsArray());
            Assert.Equal(3, arns.Count);
            Assert.All(prod["tasks"]!.AsArray(), t => Assert.Equal(fixture.A, (string?)t!["containerInstanceArn"]));

            // An expression of several terms: the dev instance or zone-b, never the prod one.
            var others = await RunTaskAsync("member-prod", "--count", "4", "--placement-constraints", "type=memberOf,expression=\"attribute:stack == dev or attribute:ecs.availability-zone == zone-b\"");
            arns.AddRange(TaskArns(others));
            Assert.Empty(others["failures"]!.AsArray());
            Assert.Equal(4, others["tasks"]!.AsArray().Count);
            Assert.All(others["tasks"]!.AsArray(), t => Assert.Contains((string)t!["containerInstanceArn"]!, new[] { fixture.B, fixture.C }));

            // No instance matches: nothing starts, and each instance says why.
            var none = await RunTaskAsync("member-prod", "--placement-constraints", "type=memberOf,expression=\"attribute:stack == staging\"");
            output.WriteLine(none.ToJsonString());
            Assert.Empty(none["tasks"]!.AsArray());
            var failures = none["failures"]!.AsArray();
            Assert.Equal(fixture.Instances.Order(StringComparer.Ordinal), failures.Select(f => (string)f!["arn"]!).Order(StringComparer.Ordinal));
            Assert.All(failures, f => Assert.Equal("MemberOf placement constraint unsatisfied.", (string?)f!["reason"]));
        }
        finally
        {
            await StopAndWaitAsync(Ecs, Cluster, arns);
        }
    }

    [Fact]
    public async Task DistinctInstance_with_count_4_on_3_instances_places_3_and_fails_the_fourth()
    {
        await fixture.RegisterSleeperAsync("distinct");
        var run = await RunTaskAsync("distinct", "--count", "4", "--placement-constraints", "type=distinctInstance");
        output.WriteLine(run.ToJsonString());
        var arns = TaskArns(run);
        try
        {
            Assert.Equal(3, arns.Count);
            Assert.Equal(fixture.Instances.Order(StringComparer.Ordinal), run["tasks"]!.AsArray().Select(t => (string)t!["containerInstanceArn"]!).Order(StringComparer.Ordinal));
            var failures = run["failures"]!.AsArray();
            Assert.NotEmpty(failures);
            Assert.All(failures, f => Assert.Equal("DistinctInstance placement constraint unsatisfied.", (string?)f!["reason"]));
            Assert.All(failures, f => Assert.Contains((string)f!["arn"]!, fixture.Instances));

            // While they run, the group's instances are taken: one more is refused everywhere.
            var more = await RunTaskAsync("distinct", "--placement-constraints", "type=distinctInstance");
            Assert.Empty(more["tasks"]!.AsArray());
            Assert.Equal(3, more["failures"]!.AsArray().Count);
            Assert.All(more["failures"]!.AsArray(), f => Assert.Equal("DistinctInstance placement constraint unsatisfied.", (string?)f!["reason"]));
        }
        finally
        {
            await StopAndWaitAsync(Ecs, Cluster, arns);
        }
    }

    [Fact]
    public async Task A_memberOf_expression_that_does_not_parse_is_InvalidParameterException_naming_the_position()
    {
        await fixture.RegisterSleeperAsync("bad-expression");
        var stderr = await Clients.AwsErrorAsync(
            fixture.Server,
            "InvalidParameterException",
            "RunTask",
            "ecs",
            "run-task",
            "--cluster",
            Cluster,
            "--task-definition",
            "bad-expression",
            "--placement-constraints",
            "type=memberOf,expression=\"attribute:stack ==\"");
        output.WriteLine(stderr);
        Assert.Contains("at position 18", stderr, StringComparison.Ordinal);

        var unknownSubject = await Ecs.ErrorAsync(
            "run_task",
            JsonNode.Parse("""{"cluster": "zones", "taskDefinition": "bad-expression", "placementConstraints": [{"type": "memberOf", "expression": "colour == red"}]}"""),
            "InvalidParameterException",
            "at position 0");
        output.WriteLine(unknownSubject.ToJsonString());

        Assert.Empty(Expect.Strings((await Ecs.OkAsync("list_tasks", """{"cluster": "zones", "family": "bad-expression"}"""))["taskArns"]));
    }

    [Fact]
    public async Task ListContainerInstances_filter_returns_the_matching_instances_and_refuses_a_bad_filter()
    {
        var zoneB = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "list-container-instances", "--cluster", Cluster, "--filter", "attribute:ecs.availability-zone == zone-b"))!;
        Assert.Equal([fixture.C], Expect.Strings(zoneB["containerInstanceArns"]));

        var zoneA = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "list-container-instances", "--cluster", Cluster, "--filter", "attribute:ecs.availability-zone == zone-a"))!;
        Assert.Equal(new[] { fixture.A, fixture.B }.Order(StringComparer.Ordinal), Expect.Strings(zoneA["containerInstanceArns"]).Order(StringComparer.Ordinal));

        var withStack = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "list-container-instances", "--cluster", Cluster, "--filter", "attribute:stack exists"))!;
        Assert.Equal(new[] { fixture.A, fixture.B }.Order(StringComparer.Ordinal), Expect.Strings(withStack["containerInstanceArns"]).Order(StringComparer.Ordinal));

        var none = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "list-container-instances", "--cluster", Cluster, "--filter", "attribute:stack == staging"))!;
        Assert.Empty(Expect.Strings(none["containerInstanceArns"]));

        var stderr = await Clients.AwsErrorAsync(
            fixture.Server, "InvalidParameterException", "ListContainerInstances", "ecs", "list-container-instances", "--cluster", Cluster, "--filter", "attribute:ecs.availability-zone ==");
        Assert.Contains("position", stderr, StringComparison.Ordinal);
    }

    /// <summary><c>aws ecs run-task --cluster zones --task-definition FAMILY ARGS</c>; returns its JSON output.</summary>
    private async Task<JsonNode> RunTaskAsync(string family, params string[] arguments)
        => (await Clients.AwsJsonAsync(fixture.Server, ["ecs", "run-task", "--cluster", Cluster, "--task-definition", family, .. arguments]))!;
}
