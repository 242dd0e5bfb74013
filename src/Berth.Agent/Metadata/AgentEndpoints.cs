using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Docker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Metadata;

/// <summary>What the agent's HTTP endpoints read: its tasks as their actors last published them, and who it is.</summary>
public interface IAgentState
{
    /// <summary>The cluster the agent registered in, as it was configured.</summary>
    string Cluster { get; }

    /// <summary>The registered instance, once registered.</summary>
    string? ContainerInstanceArn { get; }

    /// <summary>Every task on the agent, until its containers are cleaned up.</summary>
    IEnumerable<TaskSnapshot> Tasks { get; }
}

/// <summary>Where and whether the agent serves its HTTP endpoints.</summary>
/// <param name="MetadataPort">The task metadata endpoint's port (0: not served).</param>
/// <param name="IntrospectionPort">The introspection API's port (0: not served).</param>
/// <param name="IntrospectionAddress">The introspection API's address.</param>
public sealed record EndpointOptions(int MetadataPort, int IntrospectionPort, IPAddress IntrospectionAddress);

/// <summary>
/// The agent's two HTTP edges, as the ECS agent serves them: the task metadata endpoint (v3 and v4) that every
/// container reaches at <c>$ECS_CONTAINER_METADATA_URI_V4</c>, and the introspection API for the host's operators.
/// The metadata endpoint listens on the gateway address of Docker's <c>bridge</c> network (the host's side of the
/// network bridge and awsvpc tasks' containers are on, so they reach it without any rule on the host) and on loopback
/// (host-mode containers share the host's). A path's id names one container; an unknown id gets 404. The JSON comes
/// from <see cref="MetadataJson"/>; this class only reads Docker and writes responses.
/// </summary>
public sealed partial class AgentEndpoints : IAsyncDisposable
{
    private readonly IAgentState _state;
    private readonly IDockerEngine _docker;
    private readonly string _version;
    private readonly ILogger _logger;
    private readonly List<WebApplication> _apps = [];
    private SubnetInfo? _subnet;

    private AgentEndpoints(IAgentState state, IDockerEngine docker, string version, ILogger logger)
    {
        _state = state;
        _docker = docker;
        _version = version;
        _logger = logger;
    }

    /// <summary>Where containers reach the metadata endpoint (nothing where it could not listen).</summary>
    public MetadataEndpoint Metadata { get; private set; } = new(null, null);

    /// <summary>
    /// Starts what <paramref name="options"/> asks for. An address in use or an engine without a bridge network is
    /// logged and that endpoint left out (containers then get no metadata variables): the agent runs tasks either way.
    /// </summary>
    public static async Task<AgentEndpoints> StartAsync(EndpointOptions options, IAgentState state, IDockerEngine docker, string version, ILogger logger, CancellationToken cancellationToken)
    {
        var endpoints = new AgentEndpoints(state, docker, version, logger);
        if (options.IntrospectionPort > 0)
        {
            var url = $"http://{FormatHost(options.IntrospectionAddress)}:{options.IntrospectionPort}";
            if (await endpoints.ListenAsync([new IPEndPoint(options.IntrospectionAddress, options.IntrospectionPort)], endpoints.IntrospectAsync, cancellationToken))
            {
                LogListening(logger, "introspection API", url);
            }
        }

        if (options.MetadataPort > 0)
        {
            string? gateway = null;
            try
            {
                var bridge = await docker.InspectNetworkAsync("bridge", cancellationToken);
                (var subnet, gateway) = BridgeGateway(bridge);
                endpoints._subnet = new SubnetInfo(subnet, gateway);
            }
            catch (DockerException ex)
            {
                LogNoBridge(logger, ex.Message);
            }

            if (gateway is not null && await endpoints.ListenAsync([new IPEndPoint(IPAddress.Parse(gateway), options.MetadataPort)], endpoints.ServeMetadataAsync, cancellationToken))
            {
                var url = $"http://{gateway}:{options.MetadataPort}";
                endpoints.Metadata = endpoints.Metadata with { BridgeBase = url };
                LogListening(logger, "task metadata endpoint", url);
            }

            if (await endpoints.ListenAsync([new IPEndPoint(IPAddress.Loopback, options.MetadataPort)], endpoints.ServeMetadataAsync, cancellationToken))
            {
                var url = $"http://127.0.0.1:{options.MetadataPort}";
                endpoints.Metadata = endpoints.Metadata with { HostBase = url };
                LogListening(logger, "task metadata endpoint", url);
            }
        }

        return endpoints;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    private static string FormatHost(IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    /// <summary>
    /// The IPv4 subnet and gateway of Docker's <c>bridge</c> network. Some engines (Docker 20.10 among them, on some
    /// hosts) list the default bridge's subnet without its gateway: the gateway is then the address of the bridge's
    /// own interface on this host (<c>docker0</c> unless the network names another), which is what containers route to.
    /// </summary>
    internal static (string? Subnet, string? Gateway) BridgeGateway(NetworkInspect bridge, Func<string, string?>? interfaceAddress = null)
    {
        static bool IsV4(string? text) => text is not null && IPAddress.TryParse(text.Split('/')[0], out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        var config = bridge.IPAM?.Config?.FirstOrDefault(c => IsV4(c.Gateway)) ?? bridge.IPAM?.Config?.FirstOrDefault(c => IsV4(c.Subnet));
        if (config?.Gateway is { } gateway && IsV4(gateway))
        {
            return (config.Subnet, gateway);
        }

        var name = bridge.Options?.GetValueOrDefault("com.docker.network.bridge.name") ?? "docker0";
        return (config?.Subnet, (interfaceAddress ?? InterfaceAddress)(name));
    }

    // The first IPv4 address of the host's network interface of that name, or null.
    private static string? InterfaceAddress(string name) =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .FirstOrDefault(n => n.Name == name)?.GetIPProperties().UnicastAddresses
            .FirstOrDefault(a => a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)?.Address.ToString();

    private async Task<bool> ListenAsync(IReadOnlyList<IPEndPoint> endpoints, RequestDelegate handler, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var endpoint in endpoints)
            {
                kestrel.Listen(endpoint);
            }
        });
        var app = builder.Build();
        app.Run(handler);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            var addresses = string.Join(", ", endpoints.Select(e => e.ToString()));
            LogCannotListen(_logger, addresses, ex.Message);
            await app.DisposeAsync();
            return false;
        }

        _apps.Add(app);
        return true;
    }

    // /v1/metadata, /v1/tasks, /v1/tasks?taskarn=ARN, /v1/tasks?dockerid=ID (full or short).
    private Task IntrospectAsync(HttpContext http)
    {
        if (!HttpMethods.IsGet(http.Request.Method))
        {
            return WriteAsync(http, StatusCodes.Status405MethodNotAllowed, JsonValue.Create("Method not allowed"));
        }

        switch (http.Request.Path.Value)
        {
            case "/v1/metadata":
                return WriteAsync(http, StatusCodes.Status200OK, MetadataJson.AgentMetadata(_state.Cluster, _state.ContainerInstanceArn, _version));
            case "/v1/tasks":
                var tasks = _state.Tasks.ToList();
                var taskArn = http.Request.Query["taskarn"].FirstOrDefault();
                var dockerId = http.Request.Query["dockerid"].FirstOrDefault();
                if (taskArn is not null && dockerId is not null)
                {
                    return WriteAsync(http, StatusCodes.Status400BadRequest, JsonValue.Create("Request contains both taskarn and dockerid; specify one"));
                }

                if (taskArn is not null)
                {
                    return tasks.FirstOrDefault(t => t.TaskArn == taskArn) is { } byArn
                        ? WriteAsync(http, StatusCodes.Status200OK, MetadataJson.IntrospectionTask(byArn))
                        : WriteAsync(http, StatusCodes.Status404NotFound, JsonValue.Create($"Task {taskArn} not found"));
                }

                if (dockerId is not null)
                {
                    return MetadataJson.ByDockerId(tasks, dockerId) is { } byId
                        ? WriteAsync(http, StatusCodes.Status200OK, MetadataJson.IntrospectionTask(byId))
                        : WriteAsync(http, StatusCodes.Status404NotFound, JsonValue.Create($"Task for container {dockerId} not found"));
                }

                return WriteAsync(http, StatusCodes.Status200OK, MetadataJson.IntrospectionTasks(tasks));
            default:
                return WriteAsync(http, StatusCodes.Status404NotFound, JsonValue.Create("Not found"));
        }
    }

    // /v3|v4/{id}, /{id}/task, /{id}/stats, /{id}/task/stats.
    private async Task ServeMetadataAsync(HttpContext http)
    {
        var segments = (http.Request.Path.Value ?? string.Empty).Trim('/').Split('/');
        var version = segments[0] switch { "v3" => MetadataVersion.V3, "v4" => MetadataVersion.V4, _ => (MetadataVersion?)null };
        var rest = string.Join('/', segments.Skip(2));
        if (version is null || segments.Length < 2 || rest is not ("" or "task" or "stats" or "task/stats"))
        {
            await WriteAsync(http, StatusCodes.Status404NotFound, JsonValue.Create("Not found"));
            return;
        }

        if (!HttpMethods.IsGet(http.Request.Method))
        {
            await WriteAsync(http, StatusCodes.Status405MethodNotAllowed, JsonValue.Create("Method not allowed"));
            return;
        }

        var id = segments[1];
        var found = _state.Tasks.SelectMany(t => t.Containers.Where(c => c.MetadataId.Length > 0 && c.MetadataId == id).Select(c => (Task: t, Container: c))).FirstOrDefault();
        if (found.Task is null)
        {
            await WriteAsync(http, StatusCodes.Status404NotFound, JsonValue.Create($"Unable to find container for the metadata id '{id}'"));
            return;
        }

        var token = http.RequestAborted;
        var (task, container) = found;
        JsonNode body;
        switch (rest)
        {
            case "":
                var details = await DetailsAsync(container.DockerId, token);
                var pause = task.NetworkMode == "awsvpc" ? await DetailsAsync(task.PauseId, token) : null;
                body = MetadataJson.Container(task, container, details, pause, _subnet, version.Value);
                break;
            case "task":
                var all = await Task.WhenAll(task.Containers.Select(async c => (c.Name, Details: await DetailsAsync(c.DockerId, token))));
                var taskPause = task.NetworkMode == "awsvpc" ? await DetailsAsync(task.PauseId, token) : null;
                body = MetadataJson.Task(task, all.Where(a => a.Details is not null).ToDictionary(a => a.Name, a => a.Details!, StringComparer.Ordinal), taskPause, _subnet, version.Value);
                break;
            case "stats":
                body = await StatsAsync(container.DockerId, token) ?? new JsonObject();
                break;
            default:
                var stats = await Task.WhenAll(task.Containers.Where(c => c.DockerId is not null).Select(async c => (Id: c.DockerId!, Stats: await StatsAsync(c.DockerId, token))));
                body = MetadataJson.TaskStats(stats.ToDictionary(s => s.Id, s => s.Stats, StringComparer.Ordinal));
                break;
        }

        await WriteAsync(http, StatusCodes.Status200OK, body);
    }

    private async Task<ContainerDetails?> DetailsAsync(string? dockerId, CancellationToken cancellationToken)
    {
        if (dockerId is null)
        {
            return null;
        }

        try
        {
            return ContainerDetails.From(await _docker.InspectContainerAsync(dockerId, cancellationToken));
        }
        catch (DockerException)
        {
            // Removed meanwhile, or the engine away: the response carries what the agent itself knows.
            return null;
        }
    }

    private async Task<JsonNode?> StatsAsync(string? dockerId, CancellationToken cancellationToken)
    {
        if (dockerId is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(await _docker.ContainerStatsJsonAsync(dockerId, cancellationToken));
        }
        catch (Exception ex) when (ex is DockerException or JsonException)
        {
            return null;
        }
    }

    private static async Task WriteAsync(HttpContext http, int status, JsonNode? body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body?.ToJsonString() ?? "null", http.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {Endpoint} listening on {Url}")]
    private static partial void LogListening(ILogger logger, string endpoint, string url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent endpoint cannot listen on {Address}: {Error}; it is not served there")]
    private static partial void LogCannotListen(ILogger logger, string address, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No gateway of Docker's bridge network ({Error}): bridge and awsvpc containers get no task metadata endpoint")]
    private static partial void LogNoBridge(ILogger logger, string error);
}
