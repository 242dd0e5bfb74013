using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;
using static Berth.EndToEnd.Tests.Logs.LogsKit;

namespace Berth.EndToEnd.Tests.Logs;

/// <summary>
/// Shipping survives its failures: the agent killed with SIGKILL mid-stream, or the server, and started again — the
/// container's 20,000 lines are all in the stream once each, in order. In blocking mode a container whose output
/// cannot be delivered waits for it.
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

    [Fact]
    public async Task In_blocking_mode_a_container_waits_while_its_output_cannot_be_delivered_and_then_goes_on()
    {
        // 2,000 lines, then (once the test says go) the rest of 300,000 lines of about 40 bytes flat out: 12 MB, a few
        // seconds' work for a container that is not held.
        const int lines = 300_000;
        const string prefix = "blocking-mode-line-padded-to-forty-";
        var script = $"i=0; while [ $i -lt 2000 ]; do echo {prefix}$i; i=$((i+1)); done; while [ ! -f /go ]; do sleep 0.1; done; "
            + $"while [ $i -lt {lines} ]; do echo {prefix}$i; i=$((i+1)); done";
        var serverDir = Path.Combine(_dir.Path, "server-c");
        var server = await BerthServer.StartAsync(serverDir, extraArguments: ["--no-local-agent", "--no-fargate"]);
        var ecs = EcsSession.Start(server);
        var agent = await BerthAgent.StartAsync(server, "default", Path.Combine(_dir.Path, "agent-c"));
        try
        {
            await TaskTestKit.WaitForInstanceAsync(ecs, "default");
            // Blocking through the account's default rather than the container's own mode (covered by the driver's table).
            await ecs.OkAsync("put_account_setting_default", new JsonObject { ["name"] = "defaultLogDriverMode", ["value"] = "blocking" });
            await RegisterAsync(ecs, "ship-blocking", _image.Name, script, Options("/e2e/ship-blocking"));
            var arn = await RunAsync(ecs, "ship-blocking");
            var stream = $"app/main/{TaskId(arn)}";
            var stored = 0;
            await Poll.UntilAsync(async () => (stored = await CountAsync(server, "/e2e/ship-blocking", stream)) >= 2_000, TimeSpan.FromMinutes(2), () => $"{stored} events stored");

            // The server goes, then the container writes the rest: nothing can be delivered, so it stops getting
            // further, short of its end.
            var port = server.Port;
            await server.KillAsync();
            await ecs.DisposeAsync();
            await server.DisposeAsync();
            var container = Assert.Single(await DockerCli.ContainersAsync("com.amazonaws.ecs.task-arn", arn));
            await DockerCli.OkAsync("exec", container, "touch", "/go");
            var logPath = (string)(await DockerCli.InspectAsync(container))["LogPath"]!;
            long written = -1;
            await Poll.UntilAsync(async () =>
            {
                var before = CountLines(logPath);
                await Task.Delay(TimeSpan.FromSeconds(1));
                written = CountLines(logPath);
                return written == before;
            }, TimeSpan.FromMinutes(1), () => $"{written} lines written and still growing");
            Assert.True(written < lines / 2, $"{written} of {lines} lines written while nothing could be delivered");
            Assert.True((bool)(await DockerCli.InspectAsync(container))["State"]!["Running"]!);

            // Back: the container goes on, and every line arrives once.
            server = await BerthServer.StartAsync(serverDir, extraArguments: ["--no-local-agent", "--no-fargate"], port: port);
            ecs = EcsSession.Start(server);
            await ecs.WaitStatusAsync("default", arn, "STOPPED", TimeSpan.FromMinutes(3));
            var verdict = await VerifyAsync(server, "/e2e/ship-blocking", stream, lines, prefix);
            Assert.True((bool)verdict["exact"]!, verdict.ToJsonString());
        }
        finally
        {
            // Whatever state the test stopped in (the server may be down), the agent, the server and the container go.
            try
            {
                await CleanUpAsync(ecs, agent);
            }
            finally
            {
                await agent.DisposeAsync();
                await server.DisposeAsync();
                await DockerCli.RemoveContainersAsync("com.amazonaws.ecs.task-definition-family", "ship-blocking");
            }
        }
    }

    // Lines in a container's json-file.
    private static long CountLines(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        var buffer = new byte[1 << 16];
        long count = 0;
        int read;
        while ((read = file.Read(buffer)) > 0)
        {
            count += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return count;
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
