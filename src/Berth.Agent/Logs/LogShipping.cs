using System.Collections.Concurrent;
using Berth.Agent.Client;
using Berth.Docker;
using Berth.Protocol.Auth;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Logs;

/// <summary>
/// The agent's awslogs driver: checks (or creates) a container's log group before the container is created, runs one
/// <see cref="LogShipper"/> per container, lets a task wait until its containers' output is shipped, and keeps the
/// shippers' checkpoints under <c>DATA_DIR/logs</c>.
/// </summary>
public sealed class LogShipping
{
    private readonly IDockerEngine _docker;
    private readonly ServerEndpoints _endpoint;
    private readonly string _defaultRegion;
    private readonly SigningCredential _credential;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _directory;
    private readonly TimeSpan _multilineFlush;
    // One connection pool for every shipper of the process; each call has its own timeout.
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentDictionary<string, LogsClient> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string TaskArn, LogShipper Shipper)> _shippers = new(StringComparer.Ordinal);

    /// <summary>Creates the driver for an agent signing with <paramref name="credential"/> against <paramref name="endpoint"/>.</summary>
    public LogShipping(IDockerEngine docker, ServerEndpoints endpoint, string defaultRegion, SigningCredential credential, string dataDir, TimeProvider time, ILogger logger, TimeSpan? multilineFlush = null)
    {
        _docker = docker;
        _endpoint = endpoint;
        _defaultRegion = defaultRegion;
        _credential = credential;
        _time = time;
        _logger = logger;
        _directory = Path.Combine(dataDir, "logs");
        _multilineFlush = multilineFlush ?? TimeSpan.FromSeconds(1);
        Directory.CreateDirectory(_directory);
    }

    /// <summary>
    /// Before the container is created: with <c>awslogs-create-group</c> the group is created when missing; without
    /// it a missing group is ECS's start failure (the reason is returned). Null when the container may start.
    /// </summary>
    public async Task<string?> PrepareAsync(AwsLogsConfig config, CancellationToken token)
    {
        var client = Client(config);
        try
        {
            if (await client.GroupExistsAsync(config.Group, token))
            {
                return null;
            }

            if (!config.CreateGroup)
            {
                return AwsLogsConfig.MissingGroupReason;
            }

            await client.CreateLogGroupAsync(config.Group, token);
            return null;
        }
        catch (LogsClientException ex) when (ex.ErrorType == "ResourceAlreadyExistsException")
        {
            return null;
        }
        catch (Exception ex) when (ex is LogsClientException or HttpRequestException or IOException)
        {
            return "ResourceInitializationError: failed to validate logger args: " + ex.Message;
        }
    }

    /// <summary>Starts shipping a container's output (once per container; again after an agent restart, from its checkpoint).</summary>
    /// <remarks>With <paramref name="blocking"/> the container is held to what is shipped (<see cref="OutputGate"/>); <paramref name="tty"/>: it has a pseudo-terminal.</remarks>
    public void Follow(string taskArn, string containerName, string taskId, string containerId, AwsLogsConfig config, CancellationToken token, bool blocking = false, bool tty = false)
    {
        if (_shippers.ContainsKey(containerId))
        {
            return;
        }

        var stream = config.StreamName(containerName, taskId, containerId);
        var shipper = new LogShipper(_docker, Client(config), config, containerId, stream, Path.Combine(_directory, containerId), _time, _logger, _multilineFlush, blocking ? new OutputGate() : null, tty);
        if (_shippers.TryAdd(containerId, (taskArn, shipper)))
        {
            shipper.Start(token);
        }
    }

    /// <summary>Waits until every container of the task that ships its output has shipped all of it.</summary>
    public Task DrainAsync(string taskArn, CancellationToken token)
        => Task.WhenAll(_shippers.Values.Where(s => s.TaskArn == taskArn).Select(s => s.Shipper.Completion)).WaitAsync(token);

    /// <summary>The container is removed: its shipper and checkpoint go.</summary>
    public void Forget(string containerId)
    {
        _shippers.TryRemove(containerId, out _);
        try
        {
            File.Delete(Path.Combine(_directory, containerId));
        }
        catch (IOException)
        {
            // Left for the next removal; a checkpoint of a removed container is never read.
        }
    }

    private LogsClient Client(AwsLogsConfig config)
    {
        var region = config.Region ?? _defaultRegion;
        return _clients.GetOrAdd(region, r => new LogsClient(Http, _endpoint, r, _credential, _time));
    }
}
