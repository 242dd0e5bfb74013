using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Services.ServiceKit;

namespace Berth.EndToEnd.Tests.Services;

/// <summary>
/// Services across several agents (draining, daemons) and across a kill -9 of the server mid-deployment, each on a
/// server of its own.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class ServiceClusterTests(ServicesFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Draining_an_instance_moves_its_service_task_to_the_other_instance_and_empties_it()
    {
        await using var cluster = await AgentCluster.StartAsync("drain", 2);
        var ecs = cluster.Ecs;
        var definition = await RegisterSleeperAsync(ecs, "svc-drain-" + fixture.RunId, fixture.Image);
        const string Name = "spread";
        await ecs.OkAsync("create_service", new JsonObject { ["cluster"] = cluster.Name, ["serviceName"] = Name, ["taskDefinition"] = definition, ["desiredCount"] = 2 });
        var steady = await WaitSteadyAsync(ecs, cluster.Name, Name, definition, 2);
        var tasks = await TasksAsync(ecs, cluster.Name, Name);
        Assert.Equal(cluster.Instances.Order(), tasks.Select(InstanceOf).Order());
        var (drained, other) = (cluster.Instances[0], cluster.Instances[1]);
        var moving = tasks.Single(t => InstanceOf(t) == drained);
        var staying = tasks.Single(t => InstanceOf(t) == other);

        var updated = (await Clients.AwsJsonAsync(cluster.Server, "ecs", "update-container-instances-state", "--cluster", cluster.Name, "--container-instances", drained, "--status", "DRAINING"))!;
        Assert.Equal("DRAINING", (string?)updated["containerInstances"]![0]!["status"]);

        var running = new List<int>();
        var back = await WaitAsync(
            ecs,
            cluster.Name,
            Name,
            s =>
            {
                running.Add((int)s["runningCount"]!);
                return Steady(s, definition, 2) && SteadyEvents(s) > SteadyEvents(steady);
            },
            "steady off the drained instance");
        output.WriteLine(string.Join("\n", Events(back)));

        var stopped = await ecs.WaitStatusAsync(cluster.Name, (string)moving["taskArn"]!, "STOPPED", ServiceTimeout);
        Assert.Equal("ServiceSchedulerInitiated", (string?)stopped["stopCode"]);
        Assert.Equal("Service is draining: container instance is being drained", (string?)stopped["stoppedReason"]);
        var now = await TasksAsync(ecs, cluster.Name, Name);
        Assert.Equal(2, now.Count);
        Assert.All(now, t =>
        {
            Assert.Equal(other, InstanceOf(t));
            Assert.Equal("RUNNING", (string?)t["lastStatus"]);
        });
        Assert.Contains((string)staying["taskArn"]!, now.Select(t => (string)t["taskArn"]!));

        // minimumHealthyPercent 100: the replacement ran before the drained task was stopped.
        Assert.All(running, r => Assert.True(r >= 2, $"runningCount dropped to {r}"));
        JsonNode? instance = null;
        await Poll.UntilAsync(
            async () =>
            {
                instance = await ecs.InstanceAsync(cluster.Name, drained);
                return (int?)instance["runningTasksCount"] == 0 && (int?)instance["pendingTasksCount"] == 0;
            },
            ServiceTimeout,
            () => $"the drained instance still has tasks: {instance?.ToJsonString()}");
        Assert.Equal("DRAINING", (string?)instance!["status"]);
        Assert.Equal(2, (int?)(await ecs.InstanceAsync(cluster.Name, other))["runningTasksCount"]);
    }

    [Fact]
    public async Task A_daemon_runs_one_task_per_instance_follows_a_new_instance_and_leaves_a_drained_one()
    {
        await using var cluster = await AgentCluster.StartAsync("daemons", 3);
        var ecs = cluster.Ecs;
        var family = "svc-daemon-" + fixture.RunId;
        var definition = await RegisterSleeperAsync(ecs, family, fixture.Image);
        const string Name = "everywhere";
        var created = (await Clients.AwsJsonAsync(cluster.Server, "ecs", "create-service", "--cluster", cluster.Name, "--service-name", Name, "--task-definition", family, "--scheduling-strategy", "DAEMON"))!["service"]!;
        Assert.Equal("DAEMON", (string?)created["schedulingStrategy"]);

        await WaitSteadyAsync(ecs, cluster.Name, Name, definition, 3);
        var tasks = await TasksAsync(ecs, cluster.Name, Name);
        Assert.Equal(cluster.Instances.Order(), tasks.Select(InstanceOf).Order());

        // A fourth instance joins: the daemon follows it.
        var fourth = await cluster.AddAgentAsync();
        var four = await WaitAsync(ecs, cluster.Name, Name, s => (int?)s["desiredCount"] == 4 && (int?)s["runningCount"] == 4 && (int?)s["pendingCount"] == 0, "running on 4 instances");
        tasks = await TasksAsync(ecs, cluster.Name, Name);
        Assert.Equal(cluster.Instances.Order(), tasks.Select(InstanceOf).Order());
        var onFourth = tasks.Single(t => InstanceOf(t) == fourth);
        Assert.Equal("RUNNING", (string?)onFourth["lastStatus"]);
        Assert.Contains(IdOf((string)onFourth["taskArn"]!), StartedTaskIds(four, Name));

        // One is drained: its daemon task stops, the others stay.
        var drained = cluster.Instances[0];
        var leaving = tasks.Single(t => InstanceOf(t) == drained);
        await Clients.AwsJsonAsync(cluster.Server, "ecs", "update-container-instances-state", "--cluster", cluster.Name, "--container-instances", drained, "--status", "DRAINING");
        var stopped = await ecs.WaitStatusAsync(cluster.Name, (string)leaving["taskArn"]!, "STOPPED", ServiceTimeout);
        Assert.Equal("ServiceSchedulerInitiated", (string?)stopped["stopCode"]);
        await WaitAsync(ecs, cluster.Name, Name, s => (int?)s["desiredCount"] == 3 && (int?)s["runningCount"] == 3 && (int?)s["pendingCount"] == 0, "down to 3");
        tasks = await TasksAsync(ecs, cluster.Name, Name);
        Assert.Equal(cluster.Instances.Skip(1).Order(), tasks.Select(InstanceOf).Order());
        Assert.Equal(0, (int?)(await ecs.InstanceAsync(cluster.Name, drained))["runningTasksCount"]);
    }

    [Fact]
    public async Task A_rollout_interrupted_by_kill_9_of_the_server_resumes_and_completes_without_extra_tasks()
    {
        using var dataDir = new TempDir("berth-e2e-svc-restart-");
        const string Cluster = "default";
        const string Name = "survivor";
        const int Desired = 3;
        var family = "svc-restart-" + fixture.RunId;
        string? instanceArn = null;
        var server = await BerthServer.StartAsync(dataDir.Path, extraArguments: ["--no-fargate"]);
        var ecs = EcsSession.Start(server);
        try
        {
            instanceArn = await TaskTestKit.WaitForInstanceAsync(ecs, Cluster);
            var first = await RegisterSleeperAsync(ecs, family, fixture.Image);

            // The new revision is healthy only a few seconds after it runs, which holds the rollout open.
            var second = await RegisterSleeperAsync(
                ecs,
                family,
                fixture.Image,
                healthCheck: ReadyCheck,
                command: "sleep 4; touch /ready; " + SleeperCommand);
            await ecs.OkAsync("create_service", new JsonObject
            {
                ["cluster"] = Cluster,
                ["serviceName"] = Name,
                ["taskDefinition"] = first,
                ["desiredCount"] = Desired,
                ["deploymentConfiguration"] = new JsonObject { ["maximumPercent"] = 200, ["minimumHealthyPercent"] = 100 },
            });
            await WaitSteadyAsync(ecs, Cluster, Name, first, Desired);
            var oldTasks = (await TasksAsync(ecs, Cluster, Name)).Select(t => (string)t["taskArn"]!).ToHashSet(StringComparer.Ordinal);

            var updated = Expect.Ok(await ecs.CallAsync("update_service", new JsonObject { ["cluster"] = Cluster, ["service"] = Name, ["taskDefinition"] = second }))["service"]!;
            var deploymentId = (string)updated["deployments"]!.AsArray().Single(d => (string?)d!["status"] == "PRIMARY")!["id"]!;

            // Mid-way: every new task started, none healthy yet, the old ones still serving.
            List<JsonNode> before = [];
            await Poll.UntilAsync(
                async () =>
                {
                    before = await TasksAsync(ecs, Cluster, Name);
                    return before.Count(t => (string?)t["startedBy"] == deploymentId && (string?)t["lastStatus"] == "RUNNING") == Desired
                        && before.Count(t => oldTasks.Contains((string)t["taskArn"]!) && (string?)t["desiredStatus"] == "RUNNING") == Desired;
                },
                ServiceTimeout,
                () => $"the rollout never got half-way: {new JsonArray([.. before.Select(t => t.DeepClone())]).ToJsonString()}");
            Assert.All(before.Where(t => (string?)t["startedBy"] == deploymentId), t => Assert.NotEqual("HEALTHY", (string?)t["healthStatus"]));
            var newTasks = before.Where(t => (string?)t["startedBy"] == deploymentId).Select(t => (string)t["taskArn"]!).ToHashSet(StringComparer.Ordinal);

            await server.KillAsync();
            await ecs.DisposeAsync();
            server = await BerthServer.StartAsync(dataDir.Path, extraArguments: ["--no-fargate"]);
            ecs = EcsSession.Start(server);

            // The rollout resumes: no task beyond maximumPercent, no new tasks at all (the adopted ones are the slots).
            var samples = 0;
            var maxLive = 0;
            JsonNode? last = null;
            await Poll.UntilAsync(
                async () =>
                {
                    var live = await TasksAsync(ecs, Cluster, Name);
                    samples++;
                    maxLive = Math.Max(maxLive, live.Count);
                    Assert.True(live.Count <= 2 * Desired, $"{live.Count} live tasks after the restart");
                    if (live.FirstOrDefault(t => !newTasks.Contains((string)t["taskArn"]!) && !oldTasks.Contains((string)t["taskArn"]!)) is { } extra)
                    {
                        var gone = await TasksAsync(ecs, Cluster, Name, "STOPPED");
                        var lost = gone.Where(t => newTasks.Contains((string)t["taskArn"]!)).Select(t => t.DeepClone());
                        Assert.Fail($"a task started after the restart: {extra.ToJsonString()}\nthe tasks of before the kill that stopped: {new JsonArray([.. lost]).ToJsonString()}\n{server.Output()}");
                    }

                    last = await DescribeAsync(ecs, Cluster, Name);
                    return Steady(last, second, Desired) && SteadyEvents(last) > 1;
                },
                ServiceTimeout,
                () => $"the rollout never completed after the restart: {last?.ToJsonString()}\n{server.Output()}");
            output.WriteLine($"{samples} samples after the restart; live at most {maxLive}");
            output.WriteLine(string.Join("\n", Events(last!)));

            var done = last!["deployments"]![0]!;
            Assert.Equal(deploymentId, (string?)done["id"]);
            Assert.Contains($"(service {Name}) (deployment {deploymentId}) deployment completed.", Events(last));

            // Nothing lost: the tasks started before the kill are the ones that serve, healthy; the old ones stopped.
            var tasks = await TasksAsync(ecs, Cluster, Name);
            Assert.Equal(newTasks.Order(), tasks.Select(t => (string)t["taskArn"]!).Order());
            Assert.All(tasks, t =>
            {
                Assert.Equal("RUNNING", (string?)t["lastStatus"]);
                Assert.Equal("HEALTHY", (string?)t["healthStatus"]);
            });
            var old = await ecs.WaitTasksAsync(Cluster, [.. oldTasks], t => (string?)t["lastStatus"] == "STOPPED", "STOPPED", ServiceTimeout);
            Assert.All(old, t => Assert.Equal("ServiceSchedulerInitiated", (string?)t["stopCode"]));
            await Poll.UntilAsync(async () => (await RunningContainersAsync(family)).Count == Desired, ServiceTimeout, () => "the engine does not run exactly the new tasks");
            await DeleteAsync(ecs, Cluster, Name);
        }
        finally
        {
            await ecs.DisposeAsync();
            await server.DisposeAsync();
            if (instanceArn is not null)
            {
                await TaskTestKit.RemoveLeftoversAsync([instanceArn], fixture.RunId);
            }
        }
    }
}
