using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Placement;

/// <summary>RunTask calls racing for the same instance never place more than it holds.</summary>
[Collection(PlacementCollection.Name)]
public sealed class ConcurrentRunTaskTests(PlacementFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "crowd";
    private const int Calls = 8;

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task Eight_parallel_RunTasks_place_exactly_what_fits_and_the_rest_fail_RESOURCE_MEMORY()
    {
        using var dir = new TempDir("berth-e2e-crowd-agent-");
        await Ecs.OkAsync("create_cluster", new JsonObject { ["clusterName"] = Cluster });
        await using var agent = await BerthAgent.StartAsync(fixture.Server, Cluster, dir.Path);
        var instanceArn = agent.ContainerInstanceArn!;
        fixture.ExtraInstances.Add(instanceArn);
        var arns = new List<string>();
        try
        {
            await PlacementFixture.WaitConnectedAsync(Ecs, Cluster, [instanceArn]);

            // The agent registers the host's memory; each task reserves a quarter of it and a bit, so exactly 3 fit.
            // (A reservation is what placement counts; the container itself stays tiny.)
            var registered = Integer((await Ecs.InstanceAsync(Cluster, instanceArn))["registeredResources"], "MEMORY");
            var reservation = (registered / 4) + 1;
            const int Fits = 3;
            Assert.True(Fits * reservation <= registered && (Fits + 1) * reservation > registered, $"{registered} MiB registered, {reservation} MiB a task");
            await fixture.RegisterAsync($$"""
                {
                  "family": "crowd-big",
                  "containerDefinitions": [{"name": "main", "image": "{{fixture.Image}}", "memoryReservation": {{reservation}}, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]}]
                }
                """);

            var results = (await Clients.PythonAsync(
                fixture.Server,
                "run_task_burst.py",
                [Calls.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                stdin: """{"cluster": "crowd", "taskDefinition": "crowd-big"}""",
                timeout: TimeSpan.FromMinutes(3))).AsArray();
            output.WriteLine(results.ToJsonString());
            Assert.Equal(Calls, results.Count);

            // Every call succeeded: a task, or a failure naming the instance and memory; never both, never an error.
            var responses = results.Select(r => Expect.Ok(r)).ToList();
            arns.AddRange(responses.SelectMany(TaskArns));
            Assert.Equal(Fits, arns.Count);
            Assert.Equal(Fits, arns.Distinct(StringComparer.Ordinal).Count());
            foreach (var response in responses)
            {
                var tasks = response["tasks"]!.AsArray();
                var failures = response["failures"]!.AsArray();
                if (tasks.Count == 1)
                {
                    Assert.Empty(failures);
                    Assert.Equal(instanceArn, (string?)tasks[0]!["containerInstanceArn"]);
                }
                else
                {
                    Assert.Empty(tasks);
                    var failure = Assert.Single(failures)!;
                    Assert.Equal("RESOURCE:MEMORY", (string?)failure["reason"]);
                    Assert.Equal(instanceArn, (string?)failure["arn"]);
                }
            }

            // The cluster holds exactly those tasks, and the instance's remaining memory never goes below zero while they start.
            Assert.Equal(
                arns.Order(StringComparer.Ordinal),
                Expect.Strings((await Ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = Cluster, ["desiredStatus"] = "RUNNING" }))["taskArns"]).Order(StringComparer.Ordinal));
            var seen = new List<int>();
            await Poll.UntilAsync(
                async () =>
                {
                    var remaining = Integer((await Ecs.InstanceAsync(Cluster, instanceArn))["remainingResources"], "MEMORY");
                    seen.Add(remaining);
                    Assert.True(remaining >= 0, $"remaining MEMORY went negative: {string.Join(", ", seen)}");
                    var tasks = await Ecs.OkAsync("describe_tasks", new JsonObject { ["cluster"] = Cluster, ["tasks"] = new JsonArray([.. arns.Select(a => (JsonNode)a)]) });
                    return tasks["tasks"]!.AsArray().All(t => (string?)t!["lastStatus"] == "RUNNING");
                },
                TimeSpan.FromSeconds(120),
                () => $"the tasks never all ran; remaining MEMORY seen: {string.Join(", ", seen)}");
            var instance = await Ecs.InstanceAsync(Cluster, instanceArn);
            Assert.Equal(registered - (Fits * reservation), Integer(instance["remainingResources"], "MEMORY"));
            Assert.Equal(Fits, (int)instance["runningTasksCount"]!);

            // Docker took the reservation as it is.
            var task = await Ecs.TaskAsync(Cluster, arns[0]);
            var container = await DockerCli.InspectAsync((string)Container(task, "main")["runtimeId"]!);
            Assert.Equal(reservation * 1024L * 1024L, (long)container["HostConfig"]!["MemoryReservation"]!);

            // Once they stop, the memory is back and the next one fits.
            await StopAndWaitAsync(Ecs, Cluster, arns);
            Assert.Equal(registered, Integer((await Ecs.InstanceAsync(Cluster, instanceArn))["remainingResources"], "MEMORY"));
            var again = await Ecs.OkAsync("run_task", """{"cluster": "crowd", "taskDefinition": "crowd-big"}""");
            Assert.Empty(again["failures"]!.AsArray());
            arns.AddRange(TaskArns(again));
        }
        finally
        {
            await StopAndWaitAsync(Ecs, Cluster, arns);
            output.WriteLine("--- agent ---\n" + agent.Output());
            await agent.KillAsync();
            await RemoveLeftoversAsync([instanceArn], fixture.RunId);
        }
    }
}
