using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;
using static Berth.EndToEnd.Tests.Logs.LogsKit;

namespace Berth.EndToEnd.Tests.Logs;

/// <summary>
/// Shipping survives its failures: the agent killed with SIGKILL mid-stream, or the server, and started again — the
/// container's 20,000 lines are all in the stream once each, in order.
/// </summary>
public sealed class LogShippingRecoveryTests : IAsyncLifetime
{
    private const int Lines = 20_000;
    private readonly TempDir _dir = new("berth-e2e-logship-");
    private TestImage _image = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => _image = await TestImage.BuildAsync("logship-" + Guid.NewGuid().ToString("N")[..10]);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await _image.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Agent_killed_mid_stream_loses_and_duplicates_nothing()
    {
        await using var server = await BerthServer.StartAsync(Path.Combine(_dir.Path, "server-a"), extraArguments: ["--no-local-agent", "--no-fargate"]);
        var ecs = EcsSession.Start(server);
        var agentDir = Path.Combine(_dir.Path, "agent-a");
        var agent = await BerthAgent.StartAsync(server, "default", agentDir);
        try
        {
            await TaskTestKit.WaitForInstanceAsync(ecs, "default");
            var (arn, stream) = await StartWriterAsync(ecs, server, "ship-agent");
            await agent.KillAsync();
            await agent.DisposeAsync();
            agent = await BerthAgent.StartAsync(server, "default", agentDir);
            await ecs.WaitStatusAsync("default", arn, "STOPPED", TimeSpan.FromMinutes(3));
            var verdict = await VerifyAsync(server, "/e2e/ship-agent", stream, Lines, "n");
            Assert.True((bool)verdict["exact"]!, verdict.ToJsonString());
        }
        finally
        {
            await CleanUpAsync(ecs, agent);
        }
    }

    [Fact]
    public async Task Server_killed_mid_stream_loses_and_duplicates_nothing()
    {
        var serverDir = Path.Combine(_dir.Path, "server-b");
        var server = await BerthServer.StartAsync(serverDir, extraArguments: ["--no-local-agent", "--no-fargate"]);
        var ecs = EcsSession.Start(server);
        var agent = await BerthAgent.StartAsync(server, "default", Path.Combine(_dir.Path, "agent-b"));
        try
        {
            await TaskTestKit.WaitForInstanceAsync(ecs, "default");
            var (arn, stream) = await StartWriterAsync(ecs, server, "ship-server");
            var port = server.Port;
            await server.KillAsync();
            await ecs.DisposeAsync();
            await server.DisposeAsync();
            server = await BerthServer.StartAsync(serverDir, extraArguments: ["--no-local-agent", "--no-fargate"], port: port);
            ecs = EcsSession.Start(server);
            await ecs.WaitStatusAsync("default", arn, "STOPPED", TimeSpan.FromMinutes(3));
            var verdict = await VerifyAsync(server, "/e2e/ship-server", stream, Lines, "n");
            Assert.True((bool)verdict["exact"]!, verdict.ToJsonString());
        }
        finally
        {
            await CleanUpAsync(ecs, agent);
            await server.DisposeAsync();
        }
    }

    // A container writing 20,000 lines over about 10 s; returns once some but not all of them are stored.
    private async Task<(string Arn, string Stream)> StartWriterAsync(EcsSession ecs, BerthServer server, string family)
    {
        await RegisterAsync(ecs, family, _image.Name, Counter(Lines, "n", every: 1000, pause: "0.5"), Options("/e2e/" + family));
        var arn = await RunAsync(ecs, family);
        var stream = $"app/main/{TaskId(arn)}";
        var stored = 0;
        await Poll.UntilAsync(async () => (stored = await CountAsync(server, "/e2e/" + family, stream)) >= 2_000, TimeSpan.FromMinutes(2), () => $"{stored} events stored");
        Assert.True(stored < Lines, "the container finished before the kill: nothing was tested");
        return (arn, stream);
    }

    private static async Task CleanUpAsync(EcsSession ecs, BerthAgent agent)
    {
        var instances = await TaskTestKit.AllInstanceArnsAsync(ecs);
        await ecs.DisposeAsync();
        await agent.DisposeAsync();
        foreach (var arn in instances)
        {
            await DockerCli.RemoveContainersAsync("berth.container-instance", arn);
        }
    }
}
