using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Tasks;

/// <summary>Stopped tasks expire after <c>--stopped-task-retention</c>, as ECS forgets them after an hour.</summary>
[Collection(TaskFaultsCollection.Name)]
public sealed class RetentionTests(TaskFaultsFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "default";

    [Fact]
    public async Task A_stopped_task_is_listed_and_described_until_the_retention_passes_then_it_is_missing()
    {
        using var dataDir = new TempDir("berth-e2e-retention-");
        await using var server = await BerthServer.StartAsync(dataDir.Path, extraArguments: ["--no-fargate", "--stopped-task-retention", "3"]);
        await using var ecs = EcsSession.Start(server);
        await WaitForInstanceAsync(ecs, Cluster);
        try
        {
            await RunAndExpireAsync(ecs);
        }
        finally
        {
            // The exited containers stay on the engine (as ECS's agent keeps them for hours): removed here.
            foreach (var instance in await AllInstanceArnsAsync(ecs))
            {
                await DockerCli.RemoveContainersAsync("berth.container-instance", instance);
            }
        }
    }

    private async Task RunAndExpireAsync(EcsSession ecs)
    {
        await ecs.OkAsync("register_task_definition", $$"""
            {"family": "brief", "containerDefinitions": [{"name": "main", "image": "{{fixture.Image}}", "memory": 16, "command": ["true"]}]}
            """);
        var run = await ecs.OkAsync("run_task", new JsonObject { ["cluster"] = Cluster, ["taskDefinition"] = "brief", ["clientToken"] = "retained-" + fixture.RunId });
        var arn = Assert.Single(TaskArns(run));
        var stopped = await ecs.WaitStatusAsync(Cluster, arn, "STOPPED");
        output.WriteLine($"stopped at {stopped["stoppedAt"]}");
        var listed = await ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = Cluster, ["desiredStatus"] = "STOPPED" });
        Assert.Contains(arn, listed["taskArns"]!.AsArray().Select(a => (string)a!));

        JsonNode? described = null;
        await Poll.UntilAsync(
            async () => (described = await ecs.OkAsync("describe_tasks", new JsonObject { ["cluster"] = Cluster, ["tasks"] = new JsonArray(arn) }))["tasks"]!.AsArray().Count == 0,
            Poll.DefaultTimeout,
            () => $"the stopped task never expired: {described?.ToJsonString()}");
        var failure = Assert.Single(described!["failures"]!.AsArray())!;
        Assert.Equal((arn, "MISSING"), ((string?)failure["arn"], (string?)failure["reason"]));
        listed = await ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = Cluster, ["desiredStatus"] = "STOPPED" });
        Assert.DoesNotContain(arn, listed["taskArns"]!.AsArray().Select(a => (string)a!));

        // Its client token went with it: the same request now starts a new task.
        var again = await ecs.OkAsync("run_task", new JsonObject { ["cluster"] = Cluster, ["taskDefinition"] = "brief", ["clientToken"] = "retained-" + fixture.RunId });
        Assert.NotEqual(arn, Assert.Single(TaskArns(again)));
        await ecs.WaitStatusAsync(Cluster, TaskArns(again)[0], "STOPPED");
    }
}
