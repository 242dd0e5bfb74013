using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Services.ServiceKit;

namespace Berth.EndToEnd.Tests.Services;

/// <summary>
/// A service with the EXTERNAL deployment controller on the local engine, driven through its task sets with the AWS
/// CLI and boto3: each task set really runs its share of the desired count as containers, the primary moves, a new
/// scale starts more, and a deleted task set's containers stop.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class TaskSetTests(ServicesFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "default";

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task Task_sets_of_an_external_service_run_their_share_of_real_containers_and_follow_scale_primary_and_delete()
    {
        var blueFamily = "ts-blue-" + fixture.RunId;
        var greenFamily = "ts-green-" + fixture.RunId;
        var blueDefinition = await RegisterSleeperAsync(Ecs, blueFamily, fixture.Image);
        var greenDefinition = await RegisterSleeperAsync(Ecs, greenFamily, fixture.Image);
        const string Name = "external";
        try
        {
            var created = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "create-service", "--cluster", Cluster, "--service-name", Name,
                "--desired-count", "2", "--deployment-controller", "type=EXTERNAL"))!["service"]!;
            Assert.Equal(("ACTIVE", "EXTERNAL"), ((string?)created["status"], (string?)created["deploymentController"]!["type"]));
            Assert.Empty(created["deployments"]!.AsArray());
            Assert.Null(created["taskDefinition"]);

            // A task set at 100 % (the CLI) and one at 50 % (boto3) of desired 2: 2 + 1 containers.
            var blue = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "create-task-set", "--cluster", Cluster, "--service", Name,
                "--task-definition", blueFamily, "--launch-type", "EC2", "--scale", "value=100,unit=PERCENT", "--external-id", "blue"))!["taskSet"]!;
            var blueId = (string)blue["id"]!;
            Assert.Equal(("ACTIVE", 2, "STABILIZING"), ((string?)blue["status"], (int?)blue["computedDesiredCount"], (string?)blue["stabilityStatus"]));
            var green = (await Ecs.OkAsync("create_task_set", new JsonObject
            {
                ["cluster"] = Cluster,
                ["service"] = Name,
                ["taskDefinition"] = greenDefinition,
                ["launchType"] = "EC2",
                ["scale"] = new JsonObject { ["value"] = 50.0, ["unit"] = "PERCENT" },
            }))["taskSet"]!;
            var greenId = (string)green["id"]!;
            Assert.Equal(1, (int?)green["computedDesiredCount"]);

            await WaitTaskSetsAsync(Name, s => Steady(s, blueId, 2) && Steady(s, greenId, 1), "steady at 2 blue + 1 green");
            Assert.Equal(2, (await RunningContainersAsync(blueFamily)).Count);
            Assert.Single(await RunningContainersAsync(greenFamily));
            var tasks = await TasksAsync(Ecs, Cluster, Name);
            Assert.Equal(3, tasks.Count);
            Assert.Equal(new[] { blueId, blueId, greenId }.Order(StringComparer.Ordinal), tasks.Select(t => (string)t["startedBy"]!).Order(StringComparer.Ordinal));
            Assert.All(tasks, t => Assert.Equal(("RUNNING", "service:" + Name), ((string?)t["lastStatus"], (string?)t["group"])));
            var service = await DescribeAsync(Ecs, Cluster, Name);
            Assert.Equal((3, 2), ((int?)service["runningCount"], service["taskSets"]!.AsArray().Count));

            // Green becomes the primary: the service shows its task definition.
            var primary = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "update-service-primary-task-set", "--cluster", Cluster, "--service", Name, "--primary-task-set", greenId))!["taskSet"]!;
            Assert.Equal("PRIMARY", (string?)primary["status"]);
            service = await DescribeAsync(Ecs, Cluster, Name);
            Assert.Equal(greenDefinition, (string?)service["taskDefinition"]);

            // Green to 100 %: a second green container.
            var scaled = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "update-task-set", "--cluster", Cluster, "--service", Name, "--task-set", greenId, "--scale", "value=100,unit=PERCENT"))!["taskSet"]!;
            Assert.Equal(2, (int?)scaled["computedDesiredCount"]);
            await WaitTaskSetsAsync(Name, s => Steady(s, blueId, 2) && Steady(s, greenId, 2), "steady at 2 blue + 2 green");
            Assert.Equal(2, (await RunningContainersAsync(greenFamily)).Count);

            // Blue deleted (still scaled: force): its tasks stop, its containers go, and then the task set.
            var refused = await Ecs.ErrorAsync("delete_task_set", new JsonObject { ["cluster"] = Cluster, ["service"] = Name, ["taskSet"] = blueId }, "InvalidParameterException");
            output.WriteLine(refused.ToJsonString());
            var deleted = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "delete-task-set", "--cluster", Cluster, "--service", Name, "--task-set", blueId, "--force"))!["taskSet"]!;
            Assert.Equal("DRAINING", (string?)deleted["status"]);
            var blueTasks = tasks.Where(t => (string)t["startedBy"]! == blueId).Select(t => (string)t["taskArn"]!).ToList();
            var stopped = await Ecs.WaitTasksAsync(Cluster, blueTasks, t => (string?)t["lastStatus"] == "STOPPED", "STOPPED", ServiceTimeout);
            Assert.All(stopped, t => Assert.Equal("ServiceSchedulerInitiated", (string?)t["stopCode"]));
            await Poll.UntilAsync(async () => (await RunningContainersAsync(blueFamily)).Count == 0, ServiceTimeout, () => "the blue containers still run");
            var gone = await WaitTaskSetsAsync(Name, s => s.All(t => (string)t["id"]! != blueId), "without the blue task set");
            Assert.Equal(greenId, (string?)Assert.Single(gone)["id"]);
            var missing = await Ecs.OkAsync("describe_task_sets", new JsonObject { ["cluster"] = Cluster, ["service"] = Name, ["taskSets"] = new JsonArray(blueId) });
            Assert.Equal("MISSING", (string?)missing["failures"]![0]!["reason"]);
            Assert.Equal(2, (await RunningContainersAsync(greenFamily)).Count);
            output.WriteLine(string.Join("\n", Events(await DescribeAsync(Ecs, Cluster, Name))));
        }
        finally
        {
            await DeleteAsync(Ecs, Cluster, Name);
        }

        await Poll.UntilAsync(async () => (await RunningContainersAsync(greenFamily)).Count == 0, ServiceTimeout, () => "the green containers still run");
    }

    private static bool Steady(List<JsonNode> taskSets, string id, int count)
        => taskSets.FirstOrDefault(t => (string?)t["id"] == id) is { } t
            && (int?)t["computedDesiredCount"] == count && (int?)t["runningCount"] == count && (int?)t["pendingCount"] == 0
            && (string?)t["stabilityStatus"] == "STEADY_STATE";

    private async Task<List<JsonNode>> WaitTaskSetsAsync(string service, Func<List<JsonNode>, bool> done, string what)
    {
        List<JsonNode>? last = null;
        await Poll.UntilAsync(
            async () =>
            {
                var response = await Ecs.OkAsync("describe_task_sets", new JsonObject { ["cluster"] = Cluster, ["service"] = service });
                last = [.. response["taskSets"]!.AsArray().Select(t => t!)];
                return done(last);
            },
            ServiceTimeout,
            () => $"task sets of {service} never {what}: {new JsonArray([.. (last ?? []).Select(t => t.DeepClone())]).ToJsonString()}");
        return last!;
    }
}
