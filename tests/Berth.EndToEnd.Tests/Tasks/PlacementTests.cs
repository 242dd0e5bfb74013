using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Tasks;

/// <summary>Where tasks go: resources that do not fit, several agents in one cluster, draining and deregistration.</summary>
[Collection(TasksCollection.Name)]
public sealed class PlacementTests(TasksFixture fixture, ITestOutputHelper output)
{
    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task More_memory_than_the_instance_has_is_a_RESOURCE_MEMORY_failure_and_count_11_is_an_error()
    {
        var instance = await Ecs.InstanceAsync("default", fixture.DefaultInstanceArn);
        var registered = Integer(instance["registeredResources"], "MEMORY");
        await fixture.RegisterAsync($$"""
            {
              "family": "huge",
              "containerDefinitions": [{"name": "main", "image": "{{fixture.Image}}", "memory": {{registered + 1}}, "command": ["sleep", "60"]}]
            }
            """);
        var run = await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "huge"}""");
        Assert.Empty(run["tasks"]!.AsArray());
        var failure = Assert.Single(run["failures"]!.AsArray())!;
        Assert.Equal("RESOURCE:MEMORY", (string?)failure["reason"]);
        Assert.Equal(fixture.DefaultInstanceArn, (string?)failure["arn"]);
        Assert.Empty(Expect.Strings((await Ecs.OkAsync("list_tasks", """{"cluster": "default", "family": "huge"}"""))["taskArns"]));

        await Ecs.ErrorAsync("run_task", JsonNode.Parse("""{"cluster": "default", "taskDefinition": "huge", "count": 11}"""), "InvalidParameterException", "Task count can not be greater than 10.");
    }

    [Fact]
    public async Task Two_agents_in_a_new_cluster_register_place_drain_and_deregister()
    {
        const string Cluster = "fleet";
        using var dirA = new TempDir("berth-e2e-agent-a-");
        using var dirB = new TempDir("berth-e2e-agent-b-");
        await Ecs.OkAsync("create_cluster", """{"clusterName": "fleet"}""");
        var starting = new[]
        {
            BerthAgent.StartAsync(fixture.Server, Cluster, dirA.Path, ["team=red", "disk=ssd"], "local-1a"),
            BerthAgent.StartAsync(fixture.Server, Cluster, dirB.Path, ["team=blue"], "local-1b"),
        };
        await using var agentA = await starting[0];
        await using var agentB = await starting[1];
        var a = agentA.ContainerInstanceArn!;
        var b = agentB.ContainerInstanceArn!;
        Assert.NotEqual(a, b);
        try
        {
            // The CLI lists both.
            var listed = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "list-container-instances", "--cluster", Cluster))!;
            Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), Expect.Strings(listed["containerInstanceArns"]).Order(StringComparer.Ordinal));

            // Registered resources and attributes, once both channels are up.
            List<JsonNode> instances = [];
            await Poll.UntilAsync(
                async () =>
                {
                    var described = await Ecs.OkAsync("describe_container_instances", new JsonObject { ["cluster"] = Cluster, ["containerInstances"] = new JsonArray(a, b) });
                    instances = [.. described["containerInstances"]!.AsArray().Select(i => i!)];
                    return instances.Count == 2 && instances.All(i => (bool?)i["agentConnected"] == true);
                },
                Poll.DefaultTimeout,
                () => $"agents never connected: {new JsonArray([.. instances.Select(i => i.DeepClone())]).ToJsonString()}");
            output.WriteLine(instances[0].ToJsonString());
            var memoryMiB = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            foreach (var instance in instances)
            {
                var isA = (string?)instance["containerInstanceArn"] == a;
                Assert.Equal("ACTIVE", (string?)instance["status"]);
                Assert.Equal(1024 * Environment.ProcessorCount, Integer(instance["registeredResources"], "CPU"));
                Assert.Equal(long.Parse(memoryMiB, System.Globalization.CultureInfo.InvariantCulture) / 1024, Integer(instance["registeredResources"], "MEMORY"));
                Assert.Equal(["22", "2375", "2376", "51678", "51679"], StringSet(instance["registeredResources"], "PORTS").Order(StringComparer.Ordinal));
                Assert.Equal(0, (int)instance["runningTasksCount"]!);
                Assert.Equal(0, (int)instance["pendingTasksCount"]!);
                var attributes = instance["attributes"]!.AsArray().ToDictionary(x => (string)x!["name"]!, x => (string?)x!["value"]);
                Assert.Equal("linux", attributes["ecs.os-type"]);
                Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "x86_64", attributes["ecs.cpu-architecture"]);
                Assert.Equal(isA ? "local-1a" : "local-1b", attributes["ecs.availability-zone"]);
                Assert.Equal("berth.local", attributes["ecs.instance-type"]);
                Assert.True(attributes.ContainsKey("ecs.capability.task-eni"));
                Assert.True(attributes.ContainsKey("ecs.capability.container-health-check"));
                Assert.True(attributes.ContainsKey("com.amazonaws.ecs.capability.docker-remote-api.1.17"));
                Assert.Equal(isA ? "red" : "blue", attributes["team"]);
                Assert.Equal(isA, attributes.ContainsKey("disk"));
                Assert.StartsWith("i-", (string?)instance["ec2InstanceId"], StringComparison.Ordinal);
            }

            await fixture.RegisterAsync($$"""
                {
                  "family": "fleet-app",
                  "containerDefinitions": [{"name": "main", "image": "{{fixture.Image}}", "memory": 16, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]}]
                }
                """);

            // StartTask on a named instance runs there.
            var started = await Ecs.OkAsync("start_task", new JsonObject { ["cluster"] = Cluster, ["taskDefinition"] = "fleet-app", ["containerInstances"] = new JsonArray(b) });
            Assert.Empty(started["failures"]!.AsArray());
            var onB = Assert.Single(TaskArns(started));
            var taskOnB = await Ecs.WaitStatusAsync(Cluster, onB, "RUNNING");
            Assert.Equal(b, (string?)taskOnB["containerInstanceArn"]);
            var containerOnB = await DockerCli.InspectAsync((string)Container(taskOnB, "main")["runtimeId"]!);
            Assert.Equal(b, (string?)containerOnB["Config"]!["Labels"]!["berth.container-instance"]);
            Assert.Equal(1, (int)(await Ecs.InstanceAsync(Cluster, b))["runningTasksCount"]!);
            Assert.Equal(0, (int)(await Ecs.InstanceAsync(Cluster, a))["runningTasksCount"]!);

            // Draining b: new tasks go to a only.
            var drained = await Ecs.OkAsync("update_container_instances_state", new JsonObject { ["cluster"] = Cluster, ["containerInstances"] = new JsonArray(b), ["status"] = "DRAINING" });
            Assert.Equal("DRAINING", (string?)drained["containerInstances"]![0]!["status"]);
            var run = await Ecs.OkAsync("run_task", """{"cluster": "fleet", "taskDefinition": "fleet-app", "count": 4}""");
            Assert.Empty(run["failures"]!.AsArray());
            var onA = TaskArns(run);
            Assert.Equal(4, onA.Count);
            Assert.All(run["tasks"]!.AsArray(), t => Assert.Equal(a, (string?)t!["containerInstanceArn"]));
            var runningOnA = await Ecs.WaitTasksAsync(Cluster, onA, t => (string?)t["lastStatus"] == "RUNNING", "RUNNING");
            Assert.All(runningOnA, t => Assert.Equal(a, (string?)t["containerInstanceArn"]));
            Assert.Equal(
                onA.Order(StringComparer.Ordinal),
                Expect.Strings((await Ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = Cluster, ["containerInstance"] = a }))["taskArns"]).Order(StringComparer.Ordinal));

            // A cluster with instances cannot be deleted.
            await Ecs.ErrorAsync("delete_cluster", JsonNode.Parse("""{"cluster": "fleet"}"""), "ClusterContainsContainerInstancesException");

            // Deregistering a with tasks running: refused without force, done with force (its tasks are stopped).
            await Ecs.ErrorAsync("deregister_container_instance", new JsonObject { ["cluster"] = Cluster, ["containerInstance"] = a }, "InvalidParameterException");
            var deregistered = (await Ecs.OkAsync("deregister_container_instance", new JsonObject { ["cluster"] = Cluster, ["containerInstance"] = a, ["force"] = true }))["containerInstance"]!;
            Assert.Equal("INACTIVE", (string?)deregistered["status"]);
            var forced = await Ecs.WaitTasksAsync(Cluster, onA, t => (string?)t["lastStatus"] == "STOPPED", "STOPPED");
            Assert.All(forced, t => Assert.Equal("Container instance deregistration forced by user", (string?)t["stoppedReason"]));
            Assert.DoesNotContain(a, Expect.Strings((await Ecs.OkAsync("list_container_instances", """{"cluster": "fleet"}"""))["containerInstanceArns"]));

            // b back to ACTIVE, stop its task, deregister it; then the cluster can go.
            await Ecs.OkAsync("update_container_instances_state", new JsonObject { ["cluster"] = Cluster, ["containerInstances"] = new JsonArray(b), ["status"] = "ACTIVE" });
            await StopAndWaitAsync(Ecs, Cluster, [onB]);
            await Ecs.OkAsync("deregister_container_instance", new JsonObject { ["cluster"] = Cluster, ["containerInstance"] = b });
        }
        finally
        {
            output.WriteLine("--- agent a ---\n" + agentA.Output() + "--- agent b ---\n" + agentB.Output());
            await agentA.KillAsync();
            await agentB.KillAsync();
            await TaskTestKit.RemoveLeftoversAsync([a, b], fixture.RunId);
        }

        Assert.Equal("INACTIVE", (string?)(await Ecs.OkAsync("delete_cluster", """{"cluster": "fleet"}"""))["cluster"]!["status"]);
    }
}
