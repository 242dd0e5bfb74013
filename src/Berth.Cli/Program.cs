using System.Net.Sockets;
using Berth.Agent.Client;
using Berth.Agent.Runtime;
using Berth.Cli.Files;
using Berth.Cli.Settings;
using Berth.Docker;
using Berth.Server.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

var cli = new BerthCli(BerthEnvironment.FromProcess(), new CommandRunners(RunServerAsync, RunAgentAsync, RunMeteringAsync, RunLogsAsync, RunSpotAsync));
return await cli.InvokeAsync(args, Console.Out, Console.Error);

static async Task<int> RunServerAsync(ServerOptions options, CancellationToken cancellation)
{
    PrivateFiles.Restrict(options.DataDir);
    try
    {
        return await BerthServer.RunAsync(options, cancellation);
    }
    catch (Exception ex) when (ex is IOException { InnerException: AddressInUseException } or SocketException { SocketErrorCode: SocketError.AccessDenied or SocketError.AddressNotAvailable })
    {
        // Not a bad value but the machine's state: still one line, not a stack trace.
        await Console.Error.WriteLineAsync($"berth server: cannot listen on {options.BindAddress}:{options.Port}: {(ex.InnerException ?? ex).Message}");
        return 1;
    }
}

static async Task<int> RunAgentAsync(AgentSettings settings, CancellationToken cancellation)
{
    var options = settings.Options;
    PrivateFiles.Restrict(options.DataDir);
    using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
    using var docker = new DockerClient(options.DockerHost, settings.DockerTimeouts);
    using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
    var ecs = new EcsClient(http, options.Servers ?? options.Endpoint, options.Region, options.Credential, TimeProvider.System);
    try
    {
        await new AgentRuntime(options, docker, ecs, TimeProvider.System, loggers.CreateLogger<AgentRuntime>()).RunAsync(cancellation);
    }
    catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
    {
    }

    return 0;
}

static async Task<int> RunMeteringAsync(MeteringSettings settings, TextWriter output, CancellationToken cancellation)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    var ecs = new EcsClient(http, settings.Endpoint, settings.Region, settings.Credential, TimeProvider.System);
    var json = await ecs.GetAsync("/_berth/metering", settings.Cluster is null ? string.Empty : "cluster=" + Uri.EscapeDataString(settings.Cluster), cancellation);
    await output.WriteLineAsync(settings.Json ? json : MeteringCommand.Table(json));
    return 0;
}

static async Task<int> RunSpotAsync(SpotSettings settings, TextWriter output, CancellationToken cancellation)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    var ecs = new EcsClient(http, settings.Endpoint, settings.Region, settings.Credential, TimeProvider.System);
    var query = settings.Task is { } task ? "task=" + Uri.EscapeDataString(task) : "count=" + (settings.Count ?? 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    try
    {
        await output.WriteLineAsync(await ecs.PostAsync("/_berth/spot/interrupt", query, cancellation));
        return 0;
    }
    catch (EcsClientException ex)
    {
        await Console.Error.WriteLineAsync($"berth spot interrupt: {ex.Message}");
        return 1;
    }
}

static Task<int> RunLogsAsync(LogsSettings settings, TextWriter output, CancellationToken cancellation)
    => Berth.Cli.Logs.TaskLogs.RunAsync(settings, output, Console.Error, cancellation);
