using System.Globalization;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Placement;

/// <summary>
/// The FARGATE launch type on the server's own capacity agent: what the AWS CLI shows, the task-level limits on
/// the engine, and <c>berth metering</c>. In the placement collection so its server never competes with that one.
/// </summary>
[Collection(PlacementCollection.Name)]
public sealed class FargateTests(FargateFixture fixture, ITestOutputHelper output) : IClassFixture<FargateFixture>
{
    private const string Subnets = "awsvpcConfiguration={subnets=[subnet-local]}";
    private const long MiB = 1024 * 1024;

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task A_FARGATE_task_runs_on_hidden_capacity_within_its_task_limits_and_is_metered()
    {
        await RegisterFargateAsync("fg-web");

        // Fargate chooses where tasks go: a placement strategy is refused, and nothing starts.
        await Clients.AwsErrorAsync(
            fixture.Server, "InvalidParameterException", "RunTask", "ecs", "run-task", "--cluster", "default", "--launch-type", "FARGATE",
            "--task-definition", "fg-web", "--network-configuration", Subnets, "--placement-strategy", "type=spread,field=instanceId");
        var refused = await Clients.AwsAsync(
            fixture.Server, "ecs", "run-task", "--cluster", "default", "--launch-type", "FARGATE",
            "--task-definition", "fg-web", "--network-configuration", Subnets, "--placement-strategy", "type=binpack,field=memory");
        Assert.Contains("Placement strategies are not supported with FARGATE launch type.", refused.Stderr, StringComparison.Ordinal);
        Assert.Empty(Expect.Strings((await Ecs.OkAsync("list_tasks", """{"cluster": "default", "family": "fg-web"}"""))["taskArns"]));

        var run = (await Clients.AwsJsonAsync(
            fixture.Server, "ecs", "run-task", "--cluster", "default", "--launch-type", "FARGATE", "--platform-version", "LATEST",
            "--task-definition", "fg-web", "--network-configuration", Subnets))!;
        output.WriteLine(run.ToJsonString());
        Assert.Empty(run["failures"]!.AsArray());
        var arn = Assert.Single(TaskArns(run));
        fixture.SeenTasks.Add(arn);
        try
        {
            AssertFargateTask(Assert.Single(run["tasks"]!.AsArray())!);
            await Ecs.WaitStatusAsync("default", arn, "RUNNING", TimeSpan.FromSeconds(120));

            // describe-tasks as the CLI shows it.
            var described = Assert.Single((await Clients.AwsJsonAsync(fixture.Server, "ecs", "describe-tasks", "--cluster", "default", "--tasks", arn))!["tasks"]!.AsArray())!;
            output.WriteLine(described.ToJsonString());
            AssertFargateTask(described);
            Assert.Equal("RUNNING", (string?)described["lastStatus"]);
            Assert.Equal("256", (string?)described["cpu"]);
            Assert.Equal("512", (string?)described["memory"]);
            Assert.NotNull(described["pullStartedAt"]);

            // The container runs on the capacity host, which the user's cluster does not list, in a cluster ListClusters hides.
            var container = await DockerCli.InspectAsync((string)Container(described, "main")["runtimeId"]!);
            var capacityHost = (string)container["Config"]!["Labels"]!["berth.container-instance"]!;
            fixture.SeenInstances.Add(capacityHost);
            Assert.Contains(":container-instance/berth-fargate/", capacityHost, StringComparison.Ordinal);
            var instances = Expect.Strings((await Clients.AwsJsonAsync(fixture.Server, "ecs", "list-container-instances", "--cluster", "default"))!["containerInstanceArns"]);
            Assert.Equal([fixture.DefaultInstanceArn], instances);
            Assert.DoesNotContain(capacityHost, instances);
            var clusters = Expect.Strings((await Clients.AwsJsonAsync(fixture.Server, "ecs", "list-clusters"))!["clusterArns"]);
            Assert.Contains(clusters, c => c.EndsWith(":cluster/default", StringComparison.Ordinal));
            Assert.DoesNotContain(clusters, c => c.Contains("berth-fargate", StringComparison.Ordinal));

            // The task's 512 MiB are one limit for its containers: the task cgroup on cgroup v1 + cgroupfs, else each container's own.
            await AssertTaskMemoryLimitAsync(container, 512 * MiB);

            // Stopped, it is billed from the pull to the stop: at least a minute, 0.25 vCPU and 0.5 GB.
            await Clients.AwsJsonAsync(fixture.Server, "ecs", "stop-task", "--cluster", "default", "--task", arn);
            var stopped = await Ecs.WaitStatusAsync("default", arn, "STOPPED");
            Assert.Null(stopped["containerInstanceArn"]);

            var report = JsonNode.Parse(await MeteringAsync("--json"))!;
            output.WriteLine(report.ToJsonString());
            var metered = report["tasks"]!.AsArray().Single(t => (string?)t!["taskArn"] == arn)!;
            Assert.Equal("STOPPED", (string?)metered["lastStatus"]);
            Assert.Equal(0.25, (double)metered["vcpu"]!);
            Assert.Equal(0.5, (double)metered["memoryGb"]!);
            var billed = (long)metered["billedSeconds"]!;
            Assert.True(billed >= 60, $"billed {billed} s");
            Assert.Equal(0.25 * billed, (double)metered["vcpuSeconds"]!, 6);
            Assert.Equal(0.5 * billed, (double)metered["gbSeconds"]!, 6);
            Assert.NotNull(metered["billingStartedAt"]);
            Assert.NotNull(metered["billingStoppedAt"]);
            Assert.True((double)report["vcpuSeconds"]! >= 0.25 * billed);
            Assert.True((double)report["gbSeconds"]! >= 0.5 * billed);

            // Stopped, the bill no longer grows.
            var later = JsonNode.Parse(await MeteringAsync("--json", "--cluster", "default"))!;
            Assert.Equal(billed, (long)later["tasks"]!.AsArray().Single(t => (string?)t!["taskArn"] == arn)!["billedSeconds"]!);

            // The table: the task's line and the total.
            var table = await MeteringAsync();
            output.WriteLine(table);
            var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var taskId = arn[(arn.LastIndexOf('/') + 1)..];
            var line = Assert.Single(lines, l => l.StartsWith(taskId, StringComparison.Ordinal));
            Assert.Contains("STOPPED", line, StringComparison.Ordinal);
            Assert.Contains(billed.ToString(CultureInfo.InvariantCulture), line, StringComparison.Ordinal);
            Assert.Contains(lines, l => l.StartsWith("TOTAL", StringComparison.Ordinal));
        }
        finally
        {
            await StopAndWaitAsync(Ecs, "default", [arn]);
        }
    }

    [Fact]
    public async Task A_FARGATE_capacity_provider_strategy_runs_on_Fargate_and_names_the_provider()
    {
        await RegisterFargateAsync("fg-cp");
        var cluster = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "create-cluster", "--cluster-name", "fg-providers", "--capacity-providers", "FARGATE"))!["cluster"]!;
        Assert.Equal(["FARGATE"], Expect.Strings(cluster["capacityProviders"]));

        var run = (await Clients.AwsJsonAsync(
            fixture.Server, "ecs", "run-task", "--cluster", "fg-providers", "--capacity-provider-strategy", "capacityProvider=FARGATE,weight=1",
            "--task-definition", "fg-cp", "--network-configuration", Subnets))!;
        output.WriteLine(run.ToJsonString());
        Assert.Empty(run["failures"]!.AsArray());
        var arn = Assert.Single(TaskArns(run));
        fixture.SeenTasks.Add(arn);
        try
        {
            var task = await Ecs.WaitStatusAsync("fg-providers", arn, "RUNNING", TimeSpan.FromSeconds(120));
            output.WriteLine(task.ToJsonString());
            Assert.Equal("FARGATE", (string?)task["capacityProviderName"]);
            Assert.Null(task["containerInstanceArn"]);
            Assert.Equal("1.4.0", (string?)task["platformVersion"]);

            // The cluster has no instances of its own; the task is still metered.
            Assert.Empty(Expect.Strings((await Clients.AwsJsonAsync(fixture.Server, "ecs", "list-container-instances", "--cluster", "fg-providers"))!["containerInstanceArns"]));
            var report = JsonNode.Parse(await MeteringAsync("--json", "--cluster", "fg-providers"))!;
            var metered = Assert.Single(report["tasks"]!.AsArray())!;
            Assert.Equal(arn, (string?)metered["taskArn"]);
            Assert.Equal("RUNNING", (string?)metered["lastStatus"]);
            Assert.True((long)metered["billedSeconds"]! >= 60);
        }
        finally
        {
            await StopAndWaitAsync(Ecs, "fg-providers", [arn]);
        }
    }

    private static void AssertFargateTask(JsonNode task)
    {
        Assert.Null(task["containerInstanceArn"]);
        Assert.Equal("FARGATE", (string?)task["launchType"]);
        Assert.Equal("1.4.0", (string?)task["platformVersion"]);
    }

    private async Task RegisterFargateAsync(string family)
    {
        var registered = await Ecs.OkAsync("register_task_definition", $$"""
            {
              "family": "{{family}}",
              "requiresCompatibilities": ["FARGATE"],
              "networkMode": "awsvpc",
              "cpu": "256",
              "memory": "512",
              "containerDefinitions": [{"name": "main", "image": "{{fixture.Image}}", "essential": true, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]}]
            }
            """);
        Assert.Contains("FARGATE", Expect.Strings(registered["taskDefinition"]!["compatibilities"]));
    }

    /// <summary>Checks that the container cannot use more than <paramref name="bytes"/>, however the agent applied the task's limit.</summary>
    private async Task AssertTaskMemoryLimitAsync(JsonNode container, long bytes)
    {
        var hostConfig = container["HostConfig"]!;
        var parent = (string?)hostConfig["CgroupParent"];
        output.WriteLine($"CgroupParent={parent} Memory={hostConfig["Memory"]}");
        if (string.IsNullOrEmpty(parent))
        {
            // No task cgroup on this host: the container is capped at the task's memory itself.
            Assert.Equal(bytes, (long)hostConfig["Memory"]!);
            return;
        }

        // The task's cgroup carries the limit, and the kernel applies it to the container below it.
        var limit = await File.ReadAllTextAsync($"/sys/fs/cgroup/memory{parent}/memory.limit_in_bytes");
        Assert.Equal(bytes, long.Parse(limit.Trim(), CultureInfo.InvariantCulture));
        var stat = await DockerCli.OkAsync("exec", (string)container["Id"]!, "cat", "/sys/fs/cgroup/memory/memory.stat");
        var hierarchical = stat.Split('\n').Single(l => l.StartsWith("hierarchical_memory_limit ", StringComparison.Ordinal));
        Assert.Equal(bytes, long.Parse(hierarchical["hierarchical_memory_limit ".Length..].Trim(), CultureInfo.InvariantCulture));
    }

    /// <summary><c>./berth metering --endpoint E ARGS</c> with the server's credentials in the environment; returns stdout.</summary>
    private async Task<string> MeteringAsync(params string[] arguments)
    {
        var environment = Clients.Environment(fixture.Server);
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                environment[name] = null;
            }
        }

        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        var result = await ProcessRunner.RunAsync(Repo.Launcher, ["metering", "--endpoint", fixture.Server.Endpoint, .. arguments], environment, timeout: TimeSpan.FromMinutes(8));
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }
}
