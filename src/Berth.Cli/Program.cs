using System.Net.Sockets;
using Berth.Agent.Client;
using Berth.Agent.Runtime;
using Berth.Cli.Files;
using Berth.Cli.Settings;
using Berth.Docker;
using Berth.Protocol.Auth;
using Berth.Server.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

var cli = new BerthCli(BerthEnvironment.FromProcess(), new CommandRunners(RunServerAsync, RunAgentAsync, RunMeteringAsync, RunLogsAsync, RunSpotAsync, RunJoinTokenAsync, RunConsoleAsync));
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
    try
    {
        if (settings.JoinToken is { } token)
        {
            // The token signs the join alone; from then on the agent acts with its own key.
            options = options with { Credential = await AgentJoin.ResolveAsync(http, options.Servers ?? options.Endpoint, options.Region, token, options.Cluster, options.DataDir, TimeProvider.System, cancellation) };
        }

        var ecs = new EcsClient(http, options.Servers ?? options.Endpoint, options.Region, options.Credential, TimeProvider.System);
        await new AgentRuntime(options, docker, ecs, TimeProvider.System, loggers.CreateLogger<AgentRuntime>()).RunAsync(cancellation);
    }
    catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
    {
    }
    catch (EcsClientException ex) when (settings.JoinToken is not null && ex.Status < 500)
    {
        // The token itself was refused (unknown, revoked, expired, or for another cluster): nothing to retry.
        await Console.Error.WriteLineAsync($"berth agent: cannot join: {ex.Message}");
        return 1;
    }

    return 0;
}

static Task<int> RunMeteringAsync(MeteringSettings settings, TextWriter output, CancellationToken cancellation)
    => CallServerAsync("metering", settings.Endpoint, settings.Region, settings.Credential, async ecs =>
    {
        var json = await ecs.GetAsync("/_berth/metering", settings.Cluster is null ? string.Empty : "cluster=" + Uri.EscapeDataString(settings.Cluster), cancellation);
        await output.WriteLineAsync(settings.Json ? json : MeteringCommand.Table(json));
    });

static Task<int> RunSpotAsync(SpotSettings settings, TextWriter output, CancellationToken cancellation)
    => CallServerAsync("spot interrupt", settings.Endpoint, settings.Region, settings.Credential, async ecs =>
    {
        var query = settings.Task is { } task ? "task=" + Uri.EscapeDataString(task) : "count=" + (settings.Count ?? 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await output.WriteLineAsync(await ecs.PostAsync("/_berth/spot/interrupt", query, cancellation));
    });

static Task<int> RunJoinTokenAsync(JoinTokenSettings settings, TextWriter output, CancellationToken cancellation)
    => CallServerAsync("join-token " + settings.Action, settings.Endpoint, settings.Region, settings.Credential, async ecs =>
    {
        switch (settings.Action)
        {
            case "create":
                var query = new List<string>();
                if (settings.Cluster is { } cluster)
                {
                    query.Add("cluster=" + Uri.EscapeDataString(cluster));
                }

                if (settings.Expires is { } expires)
                {
                    query.Add("expires=" + ((long)expires.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                if (settings.Description is { } description)
                {
                    query.Add("description=" + Uri.EscapeDataString(description));
                }

                await output.WriteAsync(JoinTokenOutput.Created(await ecs.PostAsync("/_berth/join-tokens", string.Join('&', query), cancellation)));
                break;
            case "list":
                await output.WriteAsync(JoinTokenOutput.Table(await ecs.GetAsync("/_berth/join-tokens", string.Empty, cancellation)));
                break;
            default:
                await output.WriteAsync(JoinTokenOutput.Table("{\"joinTokens\":[" + await ecs.PostAsync("/_berth/join-tokens/revoke", "id=" + Uri.EscapeDataString(settings.TokenId!), cancellation) + "]}"));
                break;
        }
    });

static Task<int> RunConsoleAsync(ConsoleSettings settings, TextWriter output, CancellationToken cancellation)
    => CallServerAsync("console", settings.Endpoint, settings.Region, settings.Credential, async ecs =>
    {
        using var answer = System.Text.Json.JsonDocument.Parse(await ecs.PostAsync("/_berth/console/sign-in-link", string.Empty, cancellation));
        var path = answer.RootElement.GetProperty("path").GetString()!;
        await output.WriteLineAsync($"Open within 5 minutes (it signs in once, until {answer.RootElement.GetProperty("expiresAt").GetString()}):");
        await output.WriteLineAsync(new Uri(settings.Endpoint, path).ToString());
    });

// The commands that make one signed call to the server's own endpoints: a refusal is one line on stderr and exit 1.
static async Task<int> CallServerAsync(string command, Uri endpoint, string region, SigningCredential credential, Func<EcsClient, Task> call)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    try
    {
        await call(new EcsClient(http, endpoint, region, credential, TimeProvider.System));
        return 0;
    }
    catch (EcsClientException ex)
    {
        await Console.Error.WriteLineAsync($"berth {command}: {ex.Message}");
        return 1;
    }
}

static Task<int> RunLogsAsync(LogsSettings settings, TextWriter output, CancellationToken cancellation)
    => Berth.Cli.Logs.TaskLogs.RunAsync(settings, output, Console.Error, cancellation);
