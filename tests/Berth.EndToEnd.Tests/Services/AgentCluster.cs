using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Placement;
using Berth.EndToEnd.Tests.Tasks;

namespace Berth.EndToEnd.Tests.Services;

/// <summary>
/// A server of its own without agents (<c>--no-local-agent --no-fargate</c>), a boto3 session on it, and
/// <c>./berth agent</c> processes on the local engine in one cluster, added on demand. Disposing kills the agents
/// and the server and removes every container the instances made.
/// </summary>
public sealed class AgentCluster : IAsyncDisposable
{
    private readonly TempDir _dataDir = new("berth-e2e-svc-agents-");
    private readonly List<TempDir> _agentDirs = [];
    private readonly List<BerthAgent> _agents = [];

    private AgentCluster(string name)
    {
        Name = name;
    }

    /// <summary>The cluster's name.</summary>
    public string Name { get; }

    /// <summary>The server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>The boto3 session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The container instances of the agents started so far, in order.</summary>
    public List<string> Instances { get; } = [];

    /// <summary>Starts the server, creates the cluster and starts <paramref name="agents"/> agents in it.</summary>
    public static async Task<AgentCluster> StartAsync(string name, int agents)
    {
        var cluster = new AgentCluster(name);
        try
        {
            cluster.Server = await BerthServer.StartAsync(cluster._dataDir.Path, extraArguments: ["--no-local-agent", "--no-fargate"]);
            cluster.Ecs = EcsSession.Start(cluster.Server);
            await cluster.Ecs.OkAsync("create_cluster", new JsonObject { ["clusterName"] = name });
            for (var i = 0; i < agents; i++)
            {
                await cluster.AddAgentAsync();
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Starts one more agent and waits until its instance is ACTIVE and connected; returns its ARN.</summary>
    public async Task<string> AddAgentAsync()
    {
        var dir = new TempDir("berth-e2e-svc-agent-");
        _agentDirs.Add(dir);
        var agent = await BerthAgent.StartAsync(Server, Name, dir.Path);
        _agents.Add(agent);
        var arn = agent.ContainerInstanceArn!;
        Instances.Add(arn);
        await PlacementFixture.WaitConnectedAsync(Ecs, Name, [arn]);
        return arn;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
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

        await TaskTestKit.RemoveLeftoversAsync(Instances, "none");
        foreach (var dir in _agentDirs)
        {
            dir.Dispose();
        }

        _dataDir.Dispose();
    }
}
