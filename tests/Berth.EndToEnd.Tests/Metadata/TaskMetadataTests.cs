using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Metadata;

/// <summary>
/// A server whose two embedded agents serve the task metadata endpoint and the introspection API on ports of the
/// test's choosing (so it runs beside other servers on the defaults).
/// </summary>
public sealed class TaskMetadataFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-metadata-");
    private TestImage? _image;

    /// <summary>Unique to this run.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>The local agent's metadata port.</summary>
    public int MetadataPort { get; } = FreePort();

    /// <summary>The local agent's introspection port.</summary>
    public int IntrospectionPort { get; } = FreePort();

    /// <summary>The FARGATE agent's metadata port.</summary>
    public int FargateMetadataPort { get; } = FreePort();

    /// <summary>The FARGATE agent's introspection port.</summary>
    public int FargateIntrospectionPort { get; } = FreePort();

    /// <summary>The running server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>boto3 on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public string Image => _image!.Name;

    /// <summary>The local agent's instance.</summary>
    public string InstanceArn { get; private set; } = null!;

    /// <summary>Tasks whose containers are removed at the end.</summary>
    public HashSet<string> SeenTasks { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync("metadata-" + RunId);
        Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments:
        [
            "--metadata-port", $"{MetadataPort}", "--introspection-port", $"{IntrospectionPort}",
            "--fargate-metadata-port", $"{FargateMetadataPort}", "--fargate-introspection-port", $"{FargateIntrospectionPort}",
        ]);
        _image = await image;
        Ecs = EcsSession.Start(Server);
        InstanceArn = await WaitForInstanceAsync(Ecs, "default");
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

        foreach (var task in SeenTasks)
        {
            await DockerCli.RemoveContainersAsync("com.amazonaws.ecs.task-arn", task);
        }

        if (InstanceArn is not null)
        {
            await DockerCli.RemoveContainersAsync("berth.container-instance", InstanceArn);
        }

        if (_image is not null)
        {
            await _image.DisposeAsync();
        }

        _dataDir.Dispose();
    }
}

/// <summary>
/// Inside the task, as ECS serves it: a container reads its task and itself from <c>$ECS_CONTAINER_METADATA_URI_V4</c>
/// (busybox wget) in bridge and awsvpc (FARGATE) tasks, its Docker stats, and gets 404 for an id that is not its;
/// the agent's introspection API lists the instance's tasks with the values DescribeTasks shows.
/// </summary>
public sealed class TaskMetadataTests(TaskMetadataFixture fixture, ITestOutputHelper output) : IClassFixture<TaskMetadataFixture>
{
    private const string Cluster = "default";

    // Reads the endpoints once, prints each answer between markers, then waits to be stopped.
    private const string Reader = """
        u=$ECS_CONTAINER_METADATA_URI_V4
        echo "URI=$u"; echo "V3=$ECS_CONTAINER_METADATA_URI"
        for p in /task "" /stats /task/stats; do echo "<<<$p"; wget -q -O - "$u$p"; echo; echo ">>>"; done
        echo "<<<wrong"; wget -q -O - "${u%/*}/00000000000000000000000000000000/task" 2>&1; echo ">>>"
        echo "<<<v3"; wget -q -O - "$ECS_CONTAINER_METADATA_URI/task"; echo; echo ">>>"
        echo DONE
        trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done
        """;

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task A_bridge_container_reads_its_task_itself_and_its_stats_and_introspection_lists_the_task()
    {
        var family = "meta-bridge-" + fixture.RunId;
        await RegisterAsync(family, "bridge");
        var arn = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", new JsonObject { ["cluster"] = Cluster, ["taskDefinition"] = family })));
        fixture.SeenTasks.Add(arn);
        var described = await Ecs.WaitStatusAsync(Cluster, arn, "RUNNING");
        var dockerId = (string)Container(described, "app")["runtimeId"]!;
        var sections = await SectionsAsync(dockerId);

        // The variables point at the agent on the Docker bridge's gateway, each container with its own id.
        var uri = sections["URI"];
        Assert.StartsWith($"http://172.17.0.1:{fixture.MetadataPort}/v4/", uri, StringComparison.Ordinal);
        Assert.Equal(uri.Replace("/v4/", "/v3/", StringComparison.Ordinal), sections["V3"]);

        var task = JsonNode.Parse(sections["/task"])!;
        AssertTask(task, described, family);
        Assert.Equal("EC2", (string?)task["LaunchType"]);
        var self = JsonNode.Parse(sections[string.Empty])!;
        Assert.Equal(dockerId, (string?)self["DockerId"]);
        Assert.Equal("app", (string?)self["Name"]);
        Assert.Equal(fixture.Image, (string?)self["Image"]);
        Assert.StartsWith("sha256:", (string?)self["ImageID"], StringComparison.Ordinal);
        Assert.Equal(arn, (string?)self["Labels"]!["com.amazonaws.ecs.task-arn"]);
        Assert.Equal(128.0, (double?)self["Limits"]!["CPU"]);
        Assert.Equal(64, (int?)self["Limits"]!["Memory"]);
        Assert.Equal("NORMAL", (string?)self["Type"]);
        Assert.Equal((string?)Container(described, "app")["containerArn"], (string?)self["ContainerARN"]);
        var network = Assert.Single(self["Networks"]!.AsArray())!;
        Assert.Equal("bridge", (string?)network["NetworkMode"]);
        Assert.StartsWith("172.17.", (string?)Assert.Single(network["IPv4Addresses"]!.AsArray()), StringComparison.Ordinal);
        AssertStats(sections, dockerId);
        Assert.Contains("404", sections["wrong"], StringComparison.Ordinal);
        Assert.Equal(arn, (string?)JsonNode.Parse(sections["v3"])!["TaskARN"]);

        // From the host, too: an unknown id is 404, the container's own answers.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://127.0.0.1:{fixture.MetadataPort}/v4/not-an-id/task"))).StatusCode);
        Assert.Equal(arn, (string?)JsonNode.Parse(await http.GetStringAsync(new Uri(uri.Replace("172.17.0.1", "127.0.0.1", StringComparison.Ordinal) + "/task")))!["TaskARN"]);

        // The introspection API on the agent's host.
        var introspection = $"http://127.0.0.1:{fixture.IntrospectionPort}";
        var agent = JsonNode.Parse(await http.GetStringAsync(new Uri(introspection + "/v1/metadata")))!;
        output.WriteLine(agent.ToJsonString());
        Assert.Equal("default", (string?)agent["Cluster"]);
        Assert.Equal(fixture.InstanceArn, (string?)agent["ContainerInstanceArn"]);
        Assert.False(string.IsNullOrEmpty((string?)agent["Version"]));
        var tasks = JsonNode.Parse(await http.GetStringAsync(new Uri(introspection + "/v1/tasks")))!;
        var listed = tasks["Tasks"]!.AsArray().Single(t => (string?)t!["Arn"] == arn)!;
        AssertIntrospected(listed, described, family);
        AssertIntrospected(JsonNode.Parse(await http.GetStringAsync(new Uri($"{introspection}/v1/tasks?taskarn={Uri.EscapeDataString(arn)}")))!, described, family);
        AssertIntrospected(JsonNode.Parse(await http.GetStringAsync(new Uri($"{introspection}/v1/tasks?dockerid={dockerId[..12]}")))!, described, family);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"{introspection}/v1/tasks?taskarn=arn:aws:ecs:us-east-1:000000000000:task/default/nope"))).StatusCode);

        await StopAndWaitAsync(Ecs, Cluster, [arn]);
    }

    [Fact]
    public async Task A_host_mode_container_reads_its_task_over_loopback()
    {
        var family = "meta-host-" + fixture.RunId;
        await RegisterAsync(family, "host");
        var arn = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", new JsonObject { ["cluster"] = Cluster, ["taskDefinition"] = family })));
        fixture.SeenTasks.Add(arn);
        var described = await Ecs.WaitStatusAsync(Cluster, arn, "RUNNING");
        var sections = await SectionsAsync((string)Container(described, "app")["runtimeId"]!);

        // A host-mode container shares the host's loopback, where the agent listens too.
        Assert.StartsWith($"http://127.0.0.1:{fixture.MetadataPort}/v4/", sections["URI"], StringComparison.Ordinal);
        AssertTask(JsonNode.Parse(sections["/task"])!, described, family);
        Assert.Equal("host", (string?)Assert.Single(JsonNode.Parse(sections[string.Empty])!["Networks"]!.AsArray())!["NetworkMode"]);
        Assert.Contains("404", sections["wrong"], StringComparison.Ordinal);

        // Each agent knows only its own tasks: the FARGATE capacity agent does not answer for this container's id.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var elsewhere = sections["URI"].Replace($":{fixture.MetadataPort}/", $":{fixture.FargateMetadataPort}/", StringComparison.Ordinal) + "/task";
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(new Uri(elsewhere))).StatusCode);

        await StopAndWaitAsync(Ecs, Cluster, [arn]);
    }

    [Fact]
    public async Task An_awsvpc_FARGATE_container_reads_its_task_and_interface_and_the_capacity_agent_lists_it()
    {
        var family = "meta-vpc-" + fixture.RunId;
        await RegisterAsync(family, "awsvpc", """ "requiresCompatibilities": ["FARGATE"], """);
        var run = await Ecs.OkAsync("run_task", new JsonObject
        {
            ["cluster"] = Cluster,
            ["taskDefinition"] = family,
            ["launchType"] = "FARGATE",
            ["networkConfiguration"] = JsonNode.Parse("""{"awsvpcConfiguration": {"subnets": ["subnet-local"], "securityGroups": ["sg-local"]}}"""),
        });
        var arn = Assert.Single(TaskArns(run));
        fixture.SeenTasks.Add(arn);
        var described = await Ecs.WaitStatusAsync(Cluster, arn, "RUNNING", TimeSpan.FromSeconds(60));
        var dockerId = (string)Container(described, "app")["runtimeId"]!;
        var sections = await SectionsAsync(dockerId);

        Assert.StartsWith($"http://172.17.0.1:{fixture.FargateMetadataPort}/v4/", sections["URI"], StringComparison.Ordinal);
        var task = JsonNode.Parse(sections["/task"])!;
        AssertTask(task, described, family);
        Assert.Equal("FARGATE", (string?)task["LaunchType"]);

        // The task's interface: its address as DescribeTasks shows it on the attachment, with v4's detail.
        var address = (string?)described["attachments"]![0]!["details"]!.AsArray().First(d => (string?)d!["name"] == "privateIPv4Address")!["value"];
        var network = Assert.Single(JsonNode.Parse(sections[string.Empty])!["Networks"]!.AsArray())!;
        output.WriteLine(network.ToJsonString());
        Assert.Equal("awsvpc", (string?)network["NetworkMode"]);
        Assert.Equal(address, (string?)Assert.Single(network["IPv4Addresses"]!.AsArray()));
        Assert.Equal(0, (int?)network["AttachmentIndex"]);
        Assert.False(string.IsNullOrEmpty((string?)network["MACAddress"]));
        Assert.False(string.IsNullOrEmpty((string?)network["IPv4SubnetCIDRBlock"]));
        AssertStats(sections, dockerId);
        Assert.Contains("404", sections["wrong"], StringComparison.Ordinal);

        // The capacity agent has its own introspection port, and the task is there, not on the local agent's.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var capacity = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{fixture.FargateIntrospectionPort}/v1/tasks")))!;
        AssertIntrospected(capacity["Tasks"]!.AsArray().Single(t => (string?)t!["Arn"] == arn)!, described, family);
        var local = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{fixture.IntrospectionPort}/v1/tasks")))!;
        Assert.DoesNotContain(local["Tasks"]!.AsArray(), t => (string?)t!["Arn"] == arn);

        await StopAndWaitAsync(Ecs, Cluster, [arn]);
    }

    private async Task RegisterAsync(string family, string networkMode, string extra = "")
    {
        var definition = new JsonObject
        {
            ["family"] = family,
            ["networkMode"] = networkMode,
            ["cpu"] = "256",
            ["memory"] = "512",
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = "app",
                ["image"] = fixture.Image,
                ["cpu"] = 128,
                ["memory"] = 64,
                ["command"] = new JsonArray("sh", "-c", Reader),
            }),
        };
        if (extra.Length > 0)
        {
            foreach (var (key, value) in JsonNode.Parse("{" + extra.Trim().TrimEnd(',') + "}")!.AsObject().ToList())
            {
                definition[key] = value?.DeepClone();
            }
        }

        await Ecs.OkAsync("register_task_definition", definition);
    }

    // The container's output, split at its markers, once it printed DONE.
    private async Task<Dictionary<string, string>> SectionsAsync(string dockerId)
    {
        var logs = string.Empty;
        await Poll.UntilAsync(
            async () =>
            {
                var result = await DockerCli.RunAsync("logs", dockerId);
                logs = result.Stdout + result.Stderr;
                return logs.Contains("DONE", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(30),
            () => $"the container never finished reading its metadata:\n{logs}");
        output.WriteLine(logs);
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = logs.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("URI=", StringComparison.Ordinal) || lines[i].StartsWith("V3=", StringComparison.Ordinal))
            {
                var split = lines[i].IndexOf('=', StringComparison.Ordinal);
                sections[lines[i][..split]] = lines[i][(split + 1)..].Trim();
            }
            else if (lines[i].StartsWith("<<<", StringComparison.Ordinal))
            {
                var name = lines[i][3..].Trim();
                var body = new List<string>();
                while (++i < lines.Length && !lines[i].StartsWith(">>>", StringComparison.Ordinal))
                {
                    body.Add(lines[i]);
                }

                sections[name] = string.Join('\n', body).Trim();
            }
        }

        return sections;
    }

    private static void AssertTask(JsonNode task, JsonNode described, string family)
    {
        Assert.Equal((string?)described["taskArn"], (string?)task["TaskARN"]);
        Assert.Equal((string?)described["clusterArn"], (string?)task["Cluster"]);
        Assert.Equal(family, (string?)task["Family"]);
        Assert.Equal(((string)described["taskDefinitionArn"]!).Split(':')[^1], (string?)task["Revision"]);
        Assert.Equal("RUNNING", (string?)task["DesiredStatus"]);
        Assert.Equal(0.25, (double?)task["Limits"]!["CPU"]);
        Assert.Equal(512, (int?)task["Limits"]!["Memory"]);
        Assert.Equal(int.Parse((string)described["cpu"]!, System.Globalization.CultureInfo.InvariantCulture) / 1024.0, (double?)task["Limits"]!["CPU"]);
        Assert.Equal(int.Parse((string)described["memory"]!, System.Globalization.CultureInfo.InvariantCulture), (int?)task["Limits"]!["Memory"]);
        Assert.Equal((string?)described["availabilityZone"], (string?)task["AvailabilityZone"]);
        Assert.NotNull(task["PullStartedAt"]);
        var container = Assert.Single(task["Containers"]!.AsArray())!;
        Assert.Equal((string?)Container(described, "app")["runtimeId"], (string?)container["DockerId"]);
    }

    private static void AssertStats(Dictionary<string, string> sections, string dockerId)
    {
        // Docker's own stats JSON: this container's, and the task's keyed by Docker id.
        var stats = JsonNode.Parse(sections["/stats"])!;
        Assert.True((long?)stats["memory_stats"]!["usage"] > 0, sections["/stats"]);
        Assert.NotNull(stats["cpu_stats"]!["cpu_usage"]!["total_usage"]);
        Assert.NotNull(stats["precpu_stats"]);
        var taskStats = JsonNode.Parse(sections["/task/stats"])!;
        Assert.NotNull(taskStats[dockerId]!["memory_stats"]);
    }

    private static void AssertIntrospected(JsonNode task, JsonNode described, string family)
    {
        Assert.Equal((string?)described["taskArn"], (string?)task["Arn"]);
        Assert.Equal(family, (string?)task["Family"]);
        Assert.Equal(((string)described["taskDefinitionArn"]!).Split(':')[^1], (string?)task["Version"]);
        Assert.Equal((string?)described["lastStatus"], (string?)task["KnownStatus"]);
        Assert.Equal((string?)described["desiredStatus"], (string?)task["DesiredStatus"]);
        var container = Assert.Single(task["Containers"]!.AsArray())!;
        Assert.Equal("app", (string?)container["Name"]);
        Assert.Equal((string?)Container(described, "app")["runtimeId"], (string?)container["DockerId"]);
        Assert.StartsWith("ecs-" + family, (string?)container["DockerName"], StringComparison.Ordinal);
    }
}
