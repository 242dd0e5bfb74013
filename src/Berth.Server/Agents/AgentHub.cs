using System.Collections.Concurrent;
using System.Text.Json;
using Berth.Ecs.AccountSettings;
using Berth.Ecs.AgentAccess;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Model.Agent;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;
using Berth.Server.Edge;
using Berth.Storage.Commit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Agents;

/// <summary>Documented time limits of the agent channel.</summary>
public sealed record AgentHubOptions
{
    /// <summary>How often the server writes a heartbeat line (the agent reconnects after 30 s of silence).</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an instance's agent may stay disconnected before its tasks are stopped as lost.</summary>
    public TimeSpan LostAfter { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// With several servers, the leadership of the controllers: only the leader marks instances lost, and an agent
    /// counts as connected when the state says its channel is open to any server.
    /// </summary>
    public Berth.Storage.Shared.ILeadership? Leadership { get; init; }

    /// <summary>
    /// With several servers, how often each server says in the state that its channels are still open
    /// (<see cref="InstanceRecord.AgentSeenAt"/>); three of these without a word and the leader takes the agent for
    /// disconnected, its server having died with the channel open.
    /// </summary>
    public TimeSpan SeenRefresh { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The registry credentials handed out with each task (none when null).</summary>
    public Func<EcsTask, TaskDefinition, List<AgentRegistryCredential>?>? RegistryCredentials { get; init; }
}

/// <summary>
/// The server end of every agent's channel (<c>GET /_berth/agent/v1/channel</c>): marks the instance
/// connected, pushes its tasks at once whenever a commit changes them, heartbeats, and when an agent stays
/// away longer than <see cref="AgentHubOptions.LostAfter"/> stops its tasks as lost.
/// </summary>
public sealed partial class AgentHub : IAsyncDisposable
{
    private readonly CommitPipeline<EcsState> _pipeline;
    private readonly SigV4Verifier _verifier;
    private readonly string _accountId;
    private readonly TimeProvider _time;
    private readonly AgentHubOptions _options;
    private readonly ILogger<AgentHub> _logger;
    private readonly ConcurrentDictionary<string, Connection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _disconnectedAt = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _startedAt;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _monitor;

    /// <summary>Starts the hub and its lost-instance monitor.</summary>
    public AgentHub(CommitPipeline<EcsState> pipeline, SigV4Verifier verifier, string accountId, TimeProvider time, AgentHubOptions options, ILogger<AgentHub> logger)
    {
        _pipeline = pipeline;
        _verifier = verifier;
        _accountId = accountId;
        _time = time;
        _options = options;
        _logger = logger;
        _startedAt = time.GetUtcNow();
        _pipeline.Committed += OnCommitted;
        _monitor = Task.Run(MonitorAsync);
    }

    /// <summary>Whether the agent of <paramref name="containerInstanceArn"/> has a channel open to this server now.</summary>
    public bool HasChannel(string containerInstanceArn) => _connections.ContainsKey(containerInstanceArn);

    /// <summary>Serves one agent's channel until it disconnects.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        string arn;
        try
        {
            var identity = _verifier.VerifyScoped(EdgeFrame.ToSigV4Request(http, ReadOnlyMemory<byte>.Empty));
            identity.RequireService("ecs");
            var scope = new Scope(identity.Region, _accountId);
            var state = _pipeline.Current;
            arn = http.Request.Query["containerInstance"].ToString();

            // An agent's own key opens only its own instance's channel: another's would hand it that instance's tasks.
            if (identity.Scope is { } caller && !AgentAccessRules.OwnsInstance(state, caller, arn))
            {
                throw AgentAccessRules.Denied(scope, caller, "ecs:Poll", arn.Length == 0 ? "*" : arn);
            }

            var cluster = ClusterRules.RequireActive(state, scope, http.Request.Query["cluster"].ToString());
            if (!state.ContainerInstances.TryGetValue(arn, out var instance) || instance.Status == InstanceStatus.Inactive || !arn.Contains($"/{cluster.ClusterName}/", StringComparison.Ordinal))
            {
                throw AwsException.InvalidParameter("The referenced container instance is not registered in this cluster.");
            }
        }
        catch (AwsException ex)
        {
            await AwsJsonEdge.WriteErrorAsync(http, ex.StatusCode, ex.ErrorType, ex.Message);
            return;
        }

        using var connection = new Connection();
        if (_connections.TryGetValue(arn, out var previous))
        {
            previous.Replace();
        }

        _connections[arn] = connection;
        _disconnectedAt.TryRemove(arn, out _);
        await _pipeline.ExecuteAsync(s => ContainerInstanceDecisions.SetAgentConnected(s, arn, true, _time.GetUtcNow()));
        LogConnected(_logger, arn);
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/x-ndjson";
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, connection.Replaced, _stopping.Token);
        IReadOnlyDictionary<string, string>? sent = null;
        try
        {
            await http.Response.Body.FlushAsync(aborted.Token);
            var lastWrite = _time.GetUtcNow();
            while (!aborted.IsCancellationRequested)
            {
                var now = _time.GetUtcNow();
                var current = _pipeline.Current;
                var step = AgentAssignments.NextWrite(AgentAssignments.For(current, arn), sent, now, lastWrite, _options.Heartbeat);
                switch (step.Write)
                {
                    case ChannelWrite.Assignments:
                        await WriteAsync(http, new AgentChannelMessage
                        {
                            Type = AgentChannelMessage.AssignmentsType,
                            At = now,
                            Tasks = [.. step.Tasks.Select(a => Assignment(current, a.Task, a.Definition))],
                        }, aborted.Token);
                        lastWrite = now;
                        break;
                    case ChannelWrite.Heartbeat:
                        await WriteAsync(http, new AgentChannelMessage { Type = AgentChannelMessage.HeartbeatType, At = now }, aborted.Token);
                        lastWrite = now;
                        break;
                }

                sent = step.Sent;
                var untilHeartbeat = lastWrite + _options.Heartbeat - _time.GetUtcNow();
                await connection.WaitAsync(untilHeartbeat > TimeSpan.Zero ? untilHeartbeat : TimeSpan.Zero, _time, aborted.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The agent went away (or a newer channel of the same agent replaced this one).
        }
        finally
        {
            if (_connections.TryRemove(new KeyValuePair<string, Connection>(arn, connection)))
            {
                _disconnectedAt[arn] = _time.GetUtcNow();
                LogDisconnected(_logger, arn);
                if (!_stopping.IsCancellationRequested)
                {
                    await _pipeline.ExecuteAsync(s => ContainerInstanceDecisions.SetAgentConnected(s, arn, false, _time.GetUtcNow()));
                }
            }
        }
    }

    private static async Task WriteAsync(HttpContext http, AgentChannelMessage message, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, AgentJsonContext.Default.AgentChannelMessage);
        await http.Response.Body.WriteAsync(bytes, cancellationToken);
        await http.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }

    // Runs on the commit loop: only wake the connections, never work here.
    private void OnCommitted(EcsState state)
    {
        foreach (var connection in _connections.Values)
        {
            connection.Wake();
        }
    }

    // The leader's view of when each agent went away (several servers only): touched by the monitor loop alone.
    private readonly Dictionary<string, DateTimeOffset> _awayNoticed = new(StringComparer.Ordinal);
    private DateTimeOffset? _termStarted;
    private DateTimeOffset _lastSeen;

    private async Task MonitorAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await MonitorOnceAsync();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A refused commit (the database away, a lost term) is tried again on the next tick, not the end of the monitor.
                    LogMonitorFailed(_logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task MonitorOnceAsync()
    {
        // Planned on the snapshot here; the writer only checks that the agent is still away, and stops the tasks.
        var now = _time.GetUtcNow();
        if (_options.Leadership is not null && !_connections.IsEmpty && now - _lastSeen >= _options.SeenRefresh)
        {
            // Every server, leader or not: its own channels are still open.
            _lastSeen = now;
            var open = _connections.Keys.ToList();
            await _pipeline.ExecuteAsync(s => ContainerInstanceDecisions.AgentsSeen(s, open, now));
        }

        var state = _pipeline.Current;
        Func<string, bool> connected = _connections.ContainsKey;
        IReadOnlyDictionary<string, DateTimeOffset> awaySince = _disconnectedAt;
        var since = _startedAt;
        Berth.Storage.Shared.Fencing.Scope? fenced = null;
        if (_options.Leadership is { } leadership)
        {
            // Another server's agents are connected there: the state says so. The leader counts an agent away
            // from when it first saw it so, and gives every agent the whole limit from the start of its term.
            if (leadership.Current is not { } lead)
            {
                _awayNoticed.Clear();
                _termStarted = null;
                return;
            }

            _termStarted ??= now;

            // A channel whose server has not said it is open for three refreshes died with that server.
            var staleBefore = now - (3 * _options.SeenRefresh);
            var stale = state.ContainerInstances.Values
                .Where(i => ContainerInstanceDecisions.IsStale(i, staleBefore) && !_connections.ContainsKey(i.ContainerInstanceArn))
                .Select(i => i.ContainerInstanceArn)
                .ToList();
            if (stale.Count > 0)
            {
                using (Berth.Storage.Shared.Fencing.Enter(lead.Fence))
                {
                    foreach (var arn in await _pipeline.ExecuteAsync(s => ContainerInstanceDecisions.AgentsAway(s, stale, staleBefore, now)))
                    {
                        LogAway(_logger, arn);
                    }
                }

                state = _pipeline.Current;
            }

            connected = arn => _connections.ContainsKey(arn) || (state.ContainerInstances.TryGetValue(arn, out var i) && i.AgentConnected);
            foreach (var arn in state.ContainerInstances.Keys)
            {
                if (connected(arn))
                {
                    _awayNoticed.Remove(arn);
                }
                else
                {
                    _awayNoticed.TryAdd(arn, now);
                }
            }

            awaySince = _awayNoticed;
            since = _termStarted.Value;
            fenced = Berth.Storage.Shared.Fencing.Enter(lead.Fence);
        }

        using var fence = fenced;
        foreach (var lost in LostInstances.Plan(state, connected, awaySince, since, now, _options.LostAfter))
        {
            var arn = lost.ContainerInstanceArn;
            var stopped = await _pipeline.ExecuteAsync(s => _connections.ContainsKey(arn)
                ? new Decision<EcsState, IReadOnlyList<TaskRecord>>(s, [], [])
                : ContainerInstanceDecisions.MarkLost(s, arn, now, lost.Reason));
            if (stopped.Count > 0)
            {
                LogLost(_logger, arn, stopped.Count);
            }
        }
    }

    /// <summary>Closes every channel so the HTTP server can finish draining (called when shutdown begins).</summary>
    public void Stop()
    {
        try
        {
            _stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Stops the monitor and closes every channel.</summary>
    public async ValueTask DisposeAsync()
    {
        _pipeline.Committed -= OnCommitted;
        Stop();
        await _monitor;
        _stopping.Dispose();
    }

    // The agent's view of a task: the wire shape with the host it runs on (FARGATE's too), the pull credentials, and
    // the account's default log mode.
    private AgentAssignment Assignment(EcsState state, TaskRecord task, TaskDefinition definition)
    {
        var wire = TaskViews.ToWire(task, forAgent: true);
        var logMode = EcsArn.TryParse(task.TaskArn, out var arn)
            ? AccountSettingDecisions.AccountDefault(state, new Scope(arn.Region, arn.AccountId), "defaultLogDriverMode")
            : null;
        return new AgentAssignment
        {
            Task = wire,
            TaskDefinition = definition,
            RegistryCredentials = _options.RegistryCredentials?.Invoke(wire, definition),
            DefaultLogDriverMode = logMode,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent of {ContainerInstanceArn} connected")]
    private static partial void LogConnected(ILogger logger, string containerInstanceArn);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent of {ContainerInstanceArn} disconnected")]
    private static partial void LogDisconnected(ILogger logger, string containerInstanceArn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The agent monitor's pass failed, tried again in a second: {Reason}")]
    private static partial void LogMonitorFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent of {ContainerInstanceArn} is not connected to any server any more (its server stopped saying so)")]
    private static partial void LogAway(ILogger logger, string containerInstanceArn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container instance {ContainerInstanceArn} lost; stopped {TaskCount} tasks")]
    private static partial void LogLost(ILogger logger, string containerInstanceArn, int taskCount);

    private sealed class Connection : IDisposable
    {
        private readonly SemaphoreSlim _wake = new(0, 1);
        private readonly CancellationTokenSource _replaced = new();

        public CancellationToken Replaced => _replaced.Token;

        public void Wake()
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled: the next loop sees every change so far.
            }
        }

        public void Replace()
        {
            try
            {
                _replaced.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // That channel already ended.
            }
        }

        public void Dispose()
        {
            _wake.Dispose();
            _replaced.Dispose();
        }

        /// <summary>Waits for a wake, or until <paramref name="longest"/> has passed.</summary>
        public async Task WaitAsync(TimeSpan longest, TimeProvider time, CancellationToken cancellationToken)
        {
            using var timeout = new CancellationTokenSource(longest, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                await _wake.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
            }
        }
    }
}
