using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;

namespace Berth.EndToEnd.Tests.Placement;

/// <summary>
/// One server without agents of its own (<c>--no-local-agent --no-fargate</c>) and three <c>./berth agent</c>
/// processes on the local engine in the cluster <c>zones</c>: <c>a</c> in zone-a with <c>stack=prod</c>,
/// <c>b</c> in zone-a with <c>stack=dev</c>, <c>c</c> in zone-b with no stack. Disposing kills the agents and the
/// server and removes every container the instances made.
/// </summary>
public sealed class PlacementFixture : IAsyncLifetime
{
    /// <summary>The cluster of the three agents.</summary>
    public const string Cluster = "zones";

    private readonly TempDir _dataDir = new("berth-e2e-placement-");
    private readonly List<TempDir> _agentDirs = [];
    private readonly List<BerthAgent> _agents = [];
    private TestImage? _image;

    /// <summary>Unique to this run: image tag.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>The running server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>The boto3 session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public string Image => _image!.Name;

    /// <summary>zone-a, <c>stack=prod</c>.</summary>
    public string A { get; private set; } = null!;

    /// <summary>zone-a, <c>stack=dev</c>.</summary>
    public string B { get; private set; } = null!;

    /// <summary>zone-b, no stack.</summary>
    public string C { get; private set; } = null!;

    /// <summary>The three instances of <see cref="Cluster"/>.</summary>
    public IReadOnlyList<string> Instances => [A, B, C];

    /// <summary>Every container instance the tests started agents for (cleaned up at the end).</summary>
    public List<string> ExtraInstances { get; } = [];

    /// <summary>The zone of each instance of <see cref="Cluster"/>.</summary>
    public string ZoneOf(string instanceArn) => instanceArn == C ? "zone-b" : "zone-a";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync("placement-" + RunId);
        Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-local-agent", "--no-fargate"]);
        _image = await image;
        Ecs = EcsSession.Start(Server);
        await Ecs.OkAsync("create_cluster", new JsonObject { ["clusterName"] = Cluster });
        (string[] Attributes, string Zone)[] specs = [(["stack=prod"], "zone-a"), (["stack=dev"], "zone-a"), ([], "zone-b")];
        foreach (var (attributes, zone) in specs)
        {
            // One at a time: the first may build the launcher, and the ARNs must map to the specs.
            var dir = new TempDir("berth-e2e-placement-agent-");
            _agentDirs.Add(dir);
            _agents.Add(await BerthAgent.StartAsync(Server, Cluster, dir.Path, attributes, zone));
        }

        A = _agents[0].ContainerInstanceArn!;
        B = _agents[1].ContainerInstanceArn!;
        C = _agents[2].ContainerInstanceArn!;
        await WaitConnectedAsync(Ecs, Cluster, Instances);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        if (Ecs is not null)
        {
            await Ecs.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await TaskTestKit.RemoveLeftoversAsync([.. _agents.Select(a => a.ContainerInstanceArn).OfType<string>(), .. ExtraInstances], RunId);
        if (_image is not null)
        {
            await _image.DisposeAsync();
        }

        foreach (var dir in _agentDirs)
        {
            dir.Dispose();
        }

        _dataDir.Dispose();
    }

    /// <summary>Registers a task definition (boto3 register_task_definition arguments as JSON); returns its ARN.</summary>
    public async Task<string> RegisterAsync(string json)
        => (string)(await Ecs.OkAsync("register_task_definition", json))["taskDefinition"]!["taskDefinitionArn"]!;

    /// <summary>Registers <paramref name="family"/>: one busybox container of 16 MiB that sleeps until stopped.</summary>
    public Task<string> RegisterSleeperAsync(string family) => RegisterAsync($$"""
        {
          "family": "{{family}}",
          "containerDefinitions": [{"name": "main", "image": "{{Image}}", "memory": 16, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]}]
        }
        """);

    /// <summary>Waits until every one of <paramref name="instances"/> is ACTIVE with its agent connected.</summary>
    public static async Task WaitConnectedAsync(EcsSession ecs, string cluster, IReadOnlyList<string> instances)
    {
        JsonNode? last = null;
        await Poll.UntilAsync(
            async () =>
            {
                last = await ecs.OkAsync("describe_container_instances", new JsonObject { ["cluster"] = cluster, ["containerInstances"] = new JsonArray([.. instances.Select(i => (JsonNode)i)]) });
                var described = last["containerInstances"]!.AsArray();
                return described.Count == instances.Count && described.All(i => (bool?)i!["agentConnected"] == true && (string?)i["status"] == "ACTIVE");
            },
            Poll.DefaultTimeout,
            () => $"agents never connected: {last?.ToJsonString()}");
    }
}

/// <summary>
/// The placement tests: they share <see cref="PlacementFixture"/> and run one after another (the FARGATE tests
/// join with a server of their own, so two servers never compete for the machine's two cores at once).
/// </summary>
[CollectionDefinition(Name)]
public sealed class PlacementCollection : ICollectionFixture<PlacementFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Berth placement on several agents";
}
