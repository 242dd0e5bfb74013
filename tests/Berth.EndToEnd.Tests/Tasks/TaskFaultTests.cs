using System.Diagnostics;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Tasks;

/// <summary>The busybox image for the fault tests (which start servers of their own).</summary>
public sealed class TaskFaultsFixture : IAsyncLifetime
{
    private TestImage? _image;

    /// <summary>Unique to this run.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>The image.</summary>
    public string Image => _image!.Name;

    /// <inheritdoc />
    public async Task InitializeAsync() => _image = await TestImage.BuildAsync("faults-" + RunId);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_image is not null)
        {
            await _image.DisposeAsync();
        }
    }
}

/// <summary>Binds <see cref="TaskFaultsFixture"/> to the fault collection.</summary>
[CollectionDefinition(TaskFaultsCollection.Name)]
public sealed class TaskFaultsCollectionFixture : ICollectionFixture<TaskFaultsFixture>
{
}

/// <summary>Agents and servers killed under running tasks: what survives, what is reported, what is cleaned up.</summary>
[Collection(TaskFaultsCollection.Name)]
public sealed class TaskFaultTests(TaskFaultsFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "default";

    [Fact]
    public async Task Agent_killed_and_restarted_keeps_its_instance_and_adopts_the_running_container()
    {
        using var dataDir = new TempDir("berth-e2e-fault-a-");
        using var agentDir = new TempDir("berth-e2e-fault-a-agent-");
        await using var server = await BerthServer.StartAsync(dataDir.Path, extraArguments: ["--no-local-agent"]);
        await using var ecs = EcsSession.Start(server);
        var instanceArn = string.Empty;
        try
        {
            await using var agent = await BerthAgent.StartAsync(server, Cluster, agentDir.Path);
            instanceArn = agent.ContainerInstanceArn!;
            Assert.Equal(instanceArn, await WaitForInstanceAsync(ecs, Cluster));
            var arn = await RunSleeperAsync(ecs, "survivor");
            var running = await ecs.WaitStatusAsync(Cluster, arn, "RUNNING");
            var runtimeId = (string)Container(running, "main")["runtimeId"]!;

            // SIGKILL: the server notices the channel drop.
            var clock = Stopwatch.StartNew();
            await agent.KillAsync();
            await WaitConnectedAsync(ecs, instanceArn, false, TimeSpan.FromSeconds(15));
            output.WriteLine($"agentConnected false {clock.Elapsed.TotalSeconds:F1}s after the kill");
            Assert.Equal("RUNNING", (string?)(await ecs.TaskAsync(Cluster, arn))["lastStatus"]);
            Assert.True((bool)(await DockerCli.InspectAsync(runtimeId))["State"]!["Running"]!);

            // The same data dir is the same instance; it adopts the container instead of starting another.
            await using var restarted = await BerthAgent.StartAsync(server, Cluster, agentDir.Path);
            Assert.Equal(instanceArn, restarted.ContainerInstanceArn);
            await WaitConnectedAsync(ecs, instanceArn, true, Poll.DefaultTimeout);
            Assert.Equal([instanceArn], Expect.Strings((await ecs.OkAsync("list_container_instances", """{"cluster": "default"}"""))["containerInstanceArns"]));

            // Give a wrong agent the time to start a second copy, then look.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var task = await ecs.TaskAsync(Cluster, arn);
            Assert.Equal("RUNNING", (string?)task["lastStatus"]);
            Assert.Equal(runtimeId, (string?)Container(task, "main")["runtimeId"]);
            Assert.Equal([runtimeId], await DockerCli.ContainersAsync("com.amazonaws.ecs.task-arn", arn));
            Assert.True((bool)(await DockerCli.InspectAsync(runtimeId))["State"]!["Running"]!);
            Assert.Equal(1, (int)(await ecs.InstanceAsync(Cluster, instanceArn))["runningTasksCount"]!);

            // The restarted agent controls it: StopTask stops that container (its TERM trap exits 0).
            await ecs.OkAsync("stop_task", new JsonObject { ["cluster"] = Cluster, ["task"] = arn });
            var stopped = await ecs.WaitStatusAsync(Cluster, arn, "STOPPED");
            Assert.Equal(0, (int?)Container(stopped, "main")["exitCode"]);
            Assert.Equal("UserInitiated", (string?)stopped["stopCode"]);
            Assert.False((bool)(await DockerCli.InspectAsync(runtimeId))["State"]!["Running"]!);
            output.WriteLine(restarted.Output());
        }
        finally
        {
            await server.DisposeAsync();
            await RemoveLeftoversAsync([instanceArn], fixture.RunId);
        }
    }

    [Fact]
    public async Task Agent_gone_longer_than_agent_lost_after_has_its_tasks_stopped_and_its_containers_removed_when_it_returns()
    {
        using var dataDir = new TempDir("berth-e2e-fault-b-");
        using var agentDir = new TempDir("berth-e2e-fault-b-agent-");
        await using var server = await BerthServer.StartAsync(dataDir.Path, extraArguments: ["--no-local-agent", "--agent-lost-after", "5"]);
        await using var ecs = EcsSession.Start(server);
        var instanceArn = string.Empty;
        try
        {
            await using var agent = await BerthAgent.StartAsync(server, Cluster, agentDir.Path);
            instanceArn = agent.ContainerInstanceArn!;
            await WaitForInstanceAsync(ecs, Cluster);
            var ec2InstanceId = (string)(await ecs.InstanceAsync(Cluster, instanceArn))["ec2InstanceId"]!;
            var arn = await RunSleeperAsync(ecs, "castaway");
            var runtimeId = (string)Container(await ecs.WaitStatusAsync(Cluster, arn, "RUNNING"), "main")["runtimeId"]!;

            var clock = Stopwatch.StartNew();
            await agent.KillAsync();
            var stopped = await ecs.WaitStatusAsync(Cluster, arn, "STOPPED", TimeSpan.FromSeconds(20));
            output.WriteLine($"STOPPED {clock.Elapsed.TotalSeconds:F1}s after the kill: {stopped.ToJsonString()}");
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(4.5), $"stopped after {clock.Elapsed}, before --agent-lost-after 5");
            Assert.Equal("STOPPED", (string?)stopped["desiredStatus"]);
            var reason = (string?)stopped["stoppedReason"] ?? string.Empty;
            Assert.Contains(ec2InstanceId, reason, StringComparison.Ordinal);
            Assert.Contains("lost", reason, StringComparison.Ordinal);
            Assert.NotNull(stopped["stoppedAt"]);
            Assert.Equal("STOPPED", (string?)Container(stopped, "main")["lastStatus"]);
            var instance = await ecs.InstanceAsync(Cluster, instanceArn);
            Assert.False((bool)instance["agentConnected"]!);
            Assert.Equal(0, (int)instance["runningTasksCount"]!);

            // Nobody stopped the container: it runs on until its agent returns and removes it.
            Assert.True((bool)(await DockerCli.InspectAsync(runtimeId))["State"]!["Running"]!);
            await using var back = await BerthAgent.StartAsync(server, Cluster, agentDir.Path);
            Assert.Equal(instanceArn, back.ContainerInstanceArn);
            await Poll.UntilAsync(
                async () => (await DockerCli.ContainersAsync("com.amazonaws.ecs.task-arn", arn)).Count == 0,
                TimeSpan.FromSeconds(30),
                () => $"the lost task's container was not removed:\n{back.Output()}");
            await WaitConnectedAsync(ecs, instanceArn, true, Poll.DefaultTimeout);
            Assert.Equal("STOPPED", (string?)(await ecs.TaskAsync(Cluster, arn))["lastStatus"]);
        }
        finally
        {
            await server.DisposeAsync();
            await RemoveLeftoversAsync([instanceArn], fixture.RunId);
        }
    }

    [Fact]
    public async Task Server_killed_and_restarted_keeps_running_tasks_reports_those_that_exited_meanwhile_and_runs_new_ones()
    {
        using var dataDir = new TempDir("berth-e2e-fault-c-");
        using var signalDir = new TempDir("berth-e2e-fault-c-signal-");
        var instanceArn = string.Empty;
        string keeper;
        string quitter;
        string keeperRuntimeId;
        await using (var server = await BerthServer.StartAsync(dataDir.Path))
        {
            await using var ecs = EcsSession.Start(server);
            instanceArn = await WaitForInstanceAsync(ecs, Cluster);
            keeper = await RunSleeperAsync(ecs, "keeper");

            // quitter exits 5 once the test drops a file in its host volume: that happens while the server is down.
            await ecs.OkAsync("register_task_definition", $$"""
                {
                  "family": "quitter",
                  "volumes": [{"name": "signal", "host": {"sourcePath": "{{signalDir.Path}}"} }],
                  "containerDefinitions": [{
                    "name": "main", "image": "{{fixture.Image}}", "memory": 16,
                    "mountPoints": [{"sourceVolume": "signal", "containerPath": "/signal"}],
                    "command": ["sh", "-c", "while [ ! -f /signal/go ]; do sleep 0.2; done; exit 5"]
                  }]
                }
                """);
            quitter = Assert.Single(TaskArns(await ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "quitter"}""")));
            var running = await ecs.WaitTasksAsync(Cluster, [keeper, quitter], t => (string?)t["lastStatus"] == "RUNNING", "RUNNING");
            keeperRuntimeId = (string)Container(running[0], "main")["runtimeId"]!;
            var quitterRuntimeId = (string)Container(running[1], "main")["runtimeId"]!;

            Assert.Contains("berth.dll", server.CommandLine(), StringComparison.Ordinal);
            Assert.Equal(137, await server.KillAsync());

            await File.WriteAllTextAsync(Path.Combine(signalDir.Path, "go"), "go");
            await Poll.UntilAsync(
                async () => !(bool)(await DockerCli.InspectAsync(quitterRuntimeId))["State"]!["Running"]!,
                TimeSpan.FromSeconds(20),
                () => "quitter did not exit");
            Assert.True((bool)(await DockerCli.InspectAsync(keeperRuntimeId))["State"]!["Running"]!);
        }

        await using (var server = await BerthServer.StartAsync(dataDir.Path))
        {
            await using var ecs = EcsSession.Start(server);
            try
            {
                // The in-process agent is the same instance again.
                Assert.Equal(instanceArn, await WaitForInstanceAsync(ecs, Cluster));

                var quit = await ecs.WaitStatusAsync(Cluster, quitter, "STOPPED");
                output.WriteLine(quit.ToJsonString());
                Assert.Equal(5, (int?)Container(quit, "main")["exitCode"]);
                Assert.Equal("EssentialContainerExited", (string?)quit["stopCode"]);
                Assert.Equal("Essential container in task exited", (string?)quit["stoppedReason"]);

                var kept = await ecs.TaskAsync(Cluster, keeper);
                Assert.Equal("RUNNING", (string?)kept["lastStatus"]);
                Assert.Equal("RUNNING", (string?)kept["desiredStatus"]);
                Assert.Equal(keeperRuntimeId, (string?)Container(kept, "main")["runtimeId"]);
                await Task.Delay(TimeSpan.FromSeconds(1));
                Assert.Equal([keeperRuntimeId], await DockerCli.ContainersAsync("com.amazonaws.ecs.task-arn", keeper));
                Assert.Equal("RUNNING", (string?)(await ecs.TaskAsync(Cluster, keeper))["lastStatus"]);

                // New work runs.
                var fresh = await RunSleeperAsync(ecs, "keeper");
                await ecs.WaitStatusAsync(Cluster, fresh, "RUNNING");
                await StopAndWaitAsync(ecs, Cluster, [keeper, fresh]);
                Assert.False((bool)(await DockerCli.InspectAsync(keeperRuntimeId))["State"]!["Running"]!);
            }
            finally
            {
                await server.DisposeAsync();
                await RemoveLeftoversAsync([instanceArn], fixture.RunId);
            }
        }
    }

    private static async Task WaitConnectedAsync(EcsSession ecs, string instanceArn, bool connected, TimeSpan timeout)
    {
        JsonNode? last = null;
        await Poll.UntilAsync(
            async () => (bool?)(last = await ecs.InstanceAsync(Cluster, instanceArn))["agentConnected"] == connected,
            timeout,
            () => $"agentConnected never became {connected}: {last?.ToJsonString()}");
    }

    // Registers (once per server) and runs a task whose container sleeps until SIGTERM, then exits 0.
    private async Task<string> RunSleeperAsync(EcsSession ecs, string family)
    {
        await ecs.OkAsync("register_task_definition", $$"""
            {
              "family": "{{family}}",
              "containerDefinitions": [{
                "name": "main", "image": "{{fixture.Image}}", "memory": 16,
                "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]
              }]
            }
            """);
        var run = await ecs.OkAsync("run_task", new JsonObject { ["cluster"] = Cluster, ["taskDefinition"] = family });
        Assert.Empty(run["failures"]!.AsArray());
        return Assert.Single(TaskArns(run));
    }
}
