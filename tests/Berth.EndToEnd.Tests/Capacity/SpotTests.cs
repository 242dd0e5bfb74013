using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Capacity;

/// <summary>
/// A server whose FARGATE capacity is one small host (1 vCPU, 2 GiB: four 0.25 vCPU / 0.5 GB tasks) and no local
/// agent, so FARGATE_SPOT and on-demand tasks compete for room. Disposing kills it and removes its containers.
/// </summary>
public sealed class SpotFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-spot-");
    private TestImage? _image;

    /// <summary>Unique to this run: image tag.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>The running server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>The boto3 session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public string Image => _image!.Name;

    /// <summary>Container instances whose containers are removed at the end.</summary>
    public HashSet<string> SeenInstances { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync("spot-" + RunId);
        Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments:
        [
            "--no-local-agent", "--fargate-cpu", "1024", "--fargate-memory", "2048", "--fargate-metadata-port", "0", "--fargate-introspection-port", "0",
            "--spot-pressure-interval", "0.2", "--service-resync", "1",
        ]);
        _image = await image;
        Ecs = EcsSession.Start(Server);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Ecs is not null)
        {
            await Ecs.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await RemoveLeftoversAsync(SeenInstances, RunId);
        if (_image is not null)
        {
            await _image.DisposeAsync();
        }

        _dataDir.Dispose();
    }
}

/// <summary>
/// FARGATE_SPOT with real containers: a spot service task interrupted by <c>./berth spot interrupt</c> sees SIGTERM,
/// stops with <c>SpotInterruption</c> and is replaced; an on-demand task that needs the room spot tasks hold takes it.
/// </summary>
public sealed class SpotTests(SpotFixture fixture, ITestOutputHelper output) : IClassFixture<SpotFixture>
{
    private const string Cluster = "spot";
    private const string Subnets = "awsvpcConfiguration={subnets=[subnet-local]}";

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task A_spot_task_gets_the_two_minute_warning_and_is_replaced_and_on_demand_takes_spot_room()
    {
        var providers = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "describe-capacity-providers", "--include", "TAGS"))!["capacityProviders"]!.AsArray();
        Assert.Equal(["FARGATE", "FARGATE_SPOT"], providers.Select(p => (string)p!["name"]!));
        await Clients.AwsJsonAsync(fixture.Server, "ecs", "create-cluster", "--cluster-name", Cluster);
        var cluster = (await Clients.AwsJsonAsync(
            fixture.Server, "ecs", "put-cluster-capacity-providers", "--cluster", Cluster, "--capacity-providers", "FARGATE", "FARGATE_SPOT",
            "--default-capacity-provider-strategy", "capacityProvider=FARGATE_SPOT,weight=1"))!["cluster"]!;
        Assert.Equal(["FARGATE", "FARGATE_SPOT"], Expect.Strings(cluster["capacityProviders"]));

        // The container says when its trap is set, and what signal it got.
        await Ecs.OkAsync("register_task_definition", $$"""
            {
              "family": "spot-app",
              "requiresCompatibilities": ["FARGATE"],
              "networkMode": "awsvpc",
              "cpu": "256",
              "memory": "512",
              "containerDefinitions": [{"name": "main", "image": "{{fixture.Image}}", "essential": true, "stopTimeout": 20,
                "command": ["sh", "-c", "trap 'echo got SIGTERM; exit 0' TERM; echo ready; while true; do sleep 1 & wait $!; done"]}]
            }
            """);

        // No launch type, no strategy: the cluster's default strategy puts the service on FARGATE_SPOT.
        var service = (await Clients.AwsJsonAsync(
            fixture.Server, "ecs", "create-service", "--cluster", Cluster, "--service-name", "sp", "--task-definition", "spot-app",
            "--desired-count", "1", "--network-configuration", Subnets))!["service"]!;
        Assert.Equal("FARGATE_SPOT", (string?)service["capacityProviderStrategy"]![0]!["capacityProvider"]);
        var first = await RunningServiceTasksAsync(1);
        var spotTask = first[0];
        Assert.Equal(("FARGATE_SPOT", "FARGATE"), ((string?)spotTask["capacityProviderName"], (string?)spotTask["launchType"]));
        var arn = (string)spotTask["taskArn"]!;
        var containerId = (string)Container(spotTask, "main")["runtimeId"]!;
        var container = await DockerCli.InspectAsync(containerId);
        fixture.SeenInstances.Add((string)container["Config"]!["Labels"]!["berth.container-instance"]!);
        await Poll.UntilAsync(async () => (await DockerCli.RunAsync("logs", containerId)).Stdout.Contains("ready", StringComparison.Ordinal), Poll.DefaultTimeout, () => "the container's trap");

        // The operator takes the capacity back.
        var interrupted = JsonNode.Parse(await BerthAsync("spot", "interrupt", "--task", arn, "--endpoint", fixture.Server.Endpoint))!;
        Assert.Equal([arn], Expect.Strings(interrupted["interrupted"]));
        var stopped = await Ecs.WaitStatusAsync(Cluster, arn, "STOPPED");
        output.WriteLine(stopped.ToJsonString());
        Assert.Equal(("SpotInterruption", "Your Spot Task was interrupted."), ((string?)stopped["stopCode"], (string?)stopped["stoppedReason"]));
        Assert.Contains("got SIGTERM", (await DockerCli.RunAsync("logs", containerId)).Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (int?)Container(stopped, "main")["exitCode"]);

        // The service replaces it through its strategy.
        var replacement = (await RunningServiceTasksAsync(1))[0];
        Assert.NotEqual(arn, (string?)replacement["taskArn"]);
        Assert.Equal("FARGATE_SPOT", (string?)replacement["capacityProviderName"]);

        await Clients.AwsJsonAsync(fixture.Server, "ecs", "delete-service", "--cluster", Cluster, "--service", "sp", "--force");
        await Ecs.WaitTasksAsync(Cluster, [(string)replacement["taskArn"]!], t => (string?)t["lastStatus"] == "STOPPED", "STOPPED");

        // Four spot tasks fill the host; an on-demand task finds no room, interrupts one spot task, and runs once it stopped.
        var fill = (await Clients.AwsJsonAsync(
            fixture.Server, "ecs", "run-task", "--cluster", Cluster, "--count", "4", "--capacity-provider-strategy", "capacityProvider=FARGATE_SPOT,weight=1",
            "--task-definition", "spot-app", "--network-configuration", Subnets))!;
        var full = TaskArns(fill);
        Assert.Equal(4, full.Count);
        await Ecs.WaitTasksAsync(Cluster, full, t => (string?)t["lastStatus"] == "RUNNING", "RUNNING");
        var refused = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "run-task", "--cluster", Cluster, "--launch-type", "FARGATE", "--task-definition", "spot-app", "--network-configuration", Subnets))!;
        Assert.Empty(TaskArns(refused));
        Assert.Equal("Capacity is unavailable at this time. Please try again later or in a different availability zone", (string?)refused["failures"]![0]!["reason"]);
        var victims = (await Ecs.WaitTasksAsync(Cluster, full, _ => true, "described")).Where(t => (string?)t["stopCode"] == "SpotInterruption").ToList();
        var victim = Assert.Single(victims);
        await Ecs.WaitStatusAsync(Cluster, (string)victim["taskArn"]!, "STOPPED");
        var run = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "run-task", "--cluster", Cluster, "--launch-type", "FARGATE", "--task-definition", "spot-app", "--network-configuration", Subnets))!;
        var onDemand = Assert.Single(TaskArns(run));
        var running = await Ecs.WaitStatusAsync(Cluster, onDemand, "RUNNING");
        Assert.Equal("FARGATE", (string?)running["launchType"]);
        Assert.Null(running["capacityProviderName"]);

        // The other three spot tasks still run: just enough was interrupted.
        Assert.Equal(3, (await Ecs.WaitTasksAsync(Cluster, full, _ => true, "described")).Count(t => (string?)t["lastStatus"] == "RUNNING"));

        // Metering bills spot apart from on-demand.
        var report = JsonNode.Parse(await BerthAsync("metering", "--json", "--endpoint", fixture.Server.Endpoint, "--cluster", Cluster))!;
        output.WriteLine(report.ToJsonString());
        Assert.Equal(6, (long)report["spot"]!["tasks"]!);
        Assert.Equal(1, (long)report["onDemand"]!["tasks"]!);
        Assert.True((double)report["spot"]!["vcpuSeconds"]! >= 6 * 0.25 * 60);

        await StopAndWaitAsync(Ecs, Cluster, [onDemand, .. full.Where(a => a != (string)victim["taskArn"]!)]);
    }

    private async Task<List<JsonNode>> RunningServiceTasksAsync(int count)
    {
        List<JsonNode> tasks = [];
        await Poll.UntilAsync(
            async () =>
            {
                var arns = Expect.Strings((await Ecs.OkAsync("list_tasks", $$"""{"cluster": "{{Cluster}}", "serviceName": "sp", "desiredStatus": "RUNNING"}"""))["taskArns"]);
                if (arns.Count != count)
                {
                    return false;
                }

                tasks = [.. (await Ecs.OkAsync("describe_tasks", new JsonObject { ["cluster"] = Cluster, ["tasks"] = new JsonArray([.. arns.Select(a => (JsonNode)a)]) }))["tasks"]!.AsArray().Select(t => t!)];
                return tasks.All(t => (string?)t["lastStatus"] == "RUNNING");
            },
            TimeSpan.FromSeconds(90),
            () => $"{count} RUNNING tasks of service sp");
        return tasks;
    }

    /// <summary><c>./berth ARGS</c> with the server's credentials in the environment; returns stdout.</summary>
    private async Task<string> BerthAsync(params string[] arguments)
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
        var result = await ProcessRunner.RunAsync(Repo.Launcher, arguments, environment, timeout: TimeSpan.FromMinutes(8));
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }
}
