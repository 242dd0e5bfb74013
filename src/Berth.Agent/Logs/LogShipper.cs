using System.Threading.Channels;
using Berth.Agent.Client;
using Berth.Docker;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Logs;

/// <summary>
/// Ships one container's output to CloudWatch Logs. A reader follows Docker's log API (timestamps on) from the
/// checkpoint; the sender joins lines into events, cuts batches within AWS's limits and sends each with PutLogEvents —
/// the next batch takes whatever arrived while the previous one was in flight, so a quiet container's line goes out at
/// once and a busy one's in large batches. Before a batch is sent the checkpoint records what is shipped and where the
/// batch ends (one fsync a batch; an idle shipper records what is shipped, see <see cref="ShipCheckpoint"/>). The
/// shipper finishes once the container has stopped and everything it wrote is acknowledged. In blocking mode it also
/// holds the container to what is shipped through an <see cref="OutputGate"/>.
/// </summary>
public sealed partial class LogShipper
{
    // Server calls are retried until they succeed (the task's STOPPED waits for them), backing off up to 5 s.
    private static readonly RetryPolicy SendRetry = new(null, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));

    private readonly IDockerEngine _docker;
    private readonly LogsClient _client;
    private readonly AwsLogsConfig _config;
    private readonly string _containerId;
    private readonly string _stream;
    private readonly string _checkpointPath;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _multilineFlush;
    private readonly OutputGate? _gate;
    private readonly bool _tty;
    private readonly Random _random = new();
    private readonly Channel<TimedLogLine> _lines = Channel.CreateBounded<TimedLogLine>(new BoundedChannelOptions(50_000) { SingleReader = true, SingleWriter = true });

    /// <summary>Creates the shipper of one container; <see cref="Start"/> runs it.</summary>
    /// <remarks>With <paramref name="gate"/> (blocking mode) the container's output is attached to (raw when <paramref name="tty"/>) and read only as the gate allows.</remarks>
    public LogShipper(IDockerEngine docker, LogsClient client, AwsLogsConfig config, string containerId, string stream, string checkpointPath, TimeProvider time, ILogger logger, TimeSpan multilineFlush, OutputGate? gate = null, bool tty = false)
    {
        _gate = gate;
        _tty = tty;
        _docker = docker;
        _client = client;
        _config = config;
        _containerId = containerId;
        _stream = stream;
        _checkpointPath = checkpointPath;
        _time = time;
        _logger = logger;
        _multilineFlush = multilineFlush;
    }

    /// <summary>Completes once everything the container wrote is shipped (or the token is cancelled).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Starts reading and shipping.</summary>
    public void Start(CancellationToken token) => Completion = Task.Run(() => RunAsync(token), CancellationToken.None);

    private async Task RunAsync(CancellationToken token)
    {
        try
        {
            var checkpoint = ShipCheckpoint.Load(_checkpointPath);
            using var holding = CancellationTokenSource.CreateLinkedTokenSource(token);
            var hold = _gate is null ? Task.CompletedTask : Task.Run(() => HoldAsync(_gate, holding.Token), CancellationToken.None);
            try
            {
                await EnsureStreamAsync(token);
                var reader = Task.Run(() => ReadAsync(checkpoint.Shipped, token), CancellationToken.None);
                await SendAsync(checkpoint, token);
                await reader;
            }
            finally
            {
                await holding.CancelAsync();
                await hold;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Shutting down: the checkpoint says where the next agent resumes.
        }
        catch (Exception ex)
        {
            LogShipperFailed(_logger, _containerId, ex);
        }
    }

    // Follows the container's output from the checkpoint; a stream that ends while the container still runs (the
    // engine restarted) is followed again from the last line read.
    private async Task ReadAsync(LogPosition from, CancellationToken token)
    {
        var position = from;
        try
        {
            // The json-file itself when the agent can read it (it runs on the engine's host), else the engine's logs API.
            var path = (await _docker.InspectContainerAsync(_containerId, token)).LogPath;
            var direct = path is { Length: > 0 } && CanRead(path);
            while (true)
            {
                var skip = position.Count;
                var source = direct
                    ? DockerLogFile.FollowAsync(path!, IsRunningAsync, _time, token)
                    : _docker.ContainerTimedLogsAsync(_containerId, position.Nanos == 0 ? null : position.Nanos, follow: true, token);
                await foreach (var line in source)
                {
                    // Docker's since is inclusive: lines at the checkpoint's own timestamp that were already read are skipped.
                    if (LogPosition.AlreadyRead(position, line.UnixNanos, ref skip))
                    {
                        continue;
                    }

                    skip = 0;
                    position = position.Next(line.UnixNanos);
                    await _lines.Writer.WriteAsync(line, token);
                }

                if (direct || !await IsRunningAsync(token))
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), _time, token);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
        {
            LogReadFailed(_logger, _containerId, ex);
        }
        finally
        {
            _lines.Writer.TryComplete();
        }
    }

    // Blocking mode: reads the container's attached output only while the gate is open, so Docker holds the container
    // once it is a buffer ahead of what is shipped. The attachment ends with the container (or the agent: the
    // container then writes freely to json-file, which the next agent ships from the checkpoint).
    private async Task HoldAsync(OutputGate gate, CancellationToken token)
    {
        try
        {
            gate.AttachedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            await foreach (var bytes in _docker.AttachOutputAsync(_containerId, _tty, token))
            {
                gate.Take(bytes);
                await gate.WaitOpenAsync(token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Not attached (the container already stopped, or the engine refused): its output is still shipped, unheld.
            LogHoldFailed(_logger, _containerId, ex.Message);
        }
    }

    private async Task<bool> IsRunningAsync(CancellationToken token)
    {
        try
        {
            return (await _docker.InspectContainerAsync(_containerId, token)).State.Running;
        }
        catch (DockerNotFoundException)
        {
            return false;
        }
    }

    private static bool CanRead(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private async Task SendAsync(ShipCheckpoint checkpoint, CancellationToken token)
    {
        var shipped = checkpoint.Shipped;
        var read = checkpoint.Shipped;
        var joiner = new MultilineJoiner(_config.EventStart);
        var queue = new Queue<ShipEvent>();
        long lastMs = 0;
        var done = false;

        // A batch that was in flight when the last agent stopped is rebuilt from exactly its lines and sent again
        // with its token: the server either stores it now or says it already has it.
        if (checkpoint.InFlight is { } inFlight)
        {
            while (read != inFlight && await _lines.Reader.WaitToReadAsync(token))
            {
                while (read != inFlight && _lines.Reader.TryRead(out var line))
                {
                    read = read.Next(line.UnixNanos);
                    lastMs = Math.Max(lastMs, line.UnixNanos / 1_000_000);
                    Enqueue(joiner.Add(lastMs, line.Text, read), queue);
                }
            }

            Enqueue(joiner.Flush(), queue);
            while (queue.Count > 0)
            {
                shipped = await ShipAsync(EventBatch.Take(queue), shipped, token);
            }

            shipped = read;
            new ShipCheckpoint(shipped, null).Save(_checkpointPath);
        }

        var saved = shipped;
        while (!done)
        {
            if (queue.Count == 0 && !_lines.Reader.TryPeek(out _))
            {
                _gate?.CaughtUp();
            }

            if (queue.Count == 0 && saved != shipped && !_lines.Reader.TryPeek(out _))
            {
                // Idle: what is shipped is recorded now (while busy, each batch's in-flight record carries it).
                new ShipCheckpoint(shipped, null).Save(_checkpointPath);
                saved = shipped;
            }

            if (queue.Count == 0)
            {
                // Wait for lines; an open multi-line event is closed once no line has come for a while.
                if (joiner.Pending)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
                    wait.CancelAfter(_multilineFlush);
                    try
                    {
                        done = !await _lines.Reader.WaitToReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        Enqueue(joiner.Flush(), queue);
                    }
                }
                else
                {
                    done = !await _lines.Reader.WaitToReadAsync(token);
                }
            }

            while (queue.Count < EventBatch.MaxEvents && _lines.Reader.TryRead(out var line))
            {
                read = read.Next(line.UnixNanos);
                lastMs = Math.Max(lastMs, line.UnixNanos / 1_000_000);
                Enqueue(joiner.Add(lastMs, line.Text, read), queue);
            }

            if (done)
            {
                Enqueue(joiner.Flush(), queue);
            }

            if (queue.Count > 0)
            {
                shipped = await ShipAsync(EventBatch.Take(queue), shipped, token);
            }
        }

        while (queue.Count > 0)
        {
            shipped = await ShipAsync(EventBatch.Take(queue), shipped, token);
        }

        new ShipCheckpoint(shipped, null).Save(_checkpointPath);
    }

    private static void Enqueue(ShipEvent? shipEvent, Queue<ShipEvent> queue)
    {
        if (shipEvent is not null)
        {
            queue.Enqueue(shipEvent);
        }
    }

    // Sends one batch after checkpointing it as in flight (with everything before it as shipped); returns the new shipped position.
    private async Task<LogPosition> ShipAsync(List<ShipEvent> batch, LogPosition shipped, CancellationToken token)
    {
        var end = batch[^1].End;
        new ShipCheckpoint(shipped, end).Save(_checkpointPath);
        var sequenceToken = ShipCheckpoint.TokenAfter(shipped);
        await Backoff.RunAsync(SendRetry, async ct =>
        {
            try
            {
                var answer = await _client.PutLogEventsAsync(_config.Group, _stream, sequenceToken, batch, ct);
                if (answer.RejectedLogEventsInfo is { } rejected)
                {
                    LogRejected(_logger, _containerId, rejected.TooOldLogEventEndIndex ?? 0, rejected.ExpiredLogEventEndIndex ?? 0, rejected.TooNewLogEventStartIndex ?? batch.Count);
                }
            }
            catch (LogsClientException ex) when (ex.ErrorType == "DataAlreadyAcceptedException")
            {
                // Stored by an earlier attempt whose answer was lost.
            }
            catch (LogsClientException ex) when (ex.ErrorType == "ResourceNotFoundException")
            {
                // The group or stream was deleted under the running task: made again when allowed, else the batch is dropped.
                if (!await EnsureStreamAsync(ct))
                {
                    LogDropped(_logger, _containerId, batch.Count, ex.Message);
                    return true;
                }

                throw new IOException("The log stream was made again; sending the batch again.", ex);
            }
            catch (LogsClientException ex) when (ex.Status is >= 400 and < 500 && ex.Status != 429)
            {
                LogDropped(_logger, _containerId, batch.Count, ex.Message);
            }

            return true;
        }, ex => ex is HttpRequestException or IOException or TimeoutException or LogsClientException { Status: >= 500 or 429 }, _time, _random, null, token);

        if (_gate is not null)
        {
            _gate.Shipped(OutputBytes(batch, _gate.AttachedAtMs));
        }

        // Not recorded here: the next batch's in-flight record (or the idle one) says this one is shipped, one fsync a batch.
        return end;
    }

    // The output a batch carries that was written since the gate's reader attached: each event's text and a newline
    // (joined lines are newline-separated).
    private static long OutputBytes(List<ShipEvent> batch, long sinceMs)
    {
        long bytes = 0;
        foreach (var shipEvent in batch)
        {
            if (shipEvent.TimestampMs >= sinceMs)
            {
                bytes += System.Text.Encoding.UTF8.GetByteCount(shipEvent.Message) + 1;
            }
        }

        return bytes;
    }

    // Makes the stream (and, with awslogs-create-group, the group); false when the group is missing and may not be made.
    private async Task<bool> EnsureStreamAsync(CancellationToken token)
        => await Backoff.RunAsync(SendRetry, async ct =>
        {
            try
            {
                await _client.CreateLogStreamAsync(_config.Group, _stream, ct);
                return true;
            }
            catch (LogsClientException ex) when (ex.ErrorType == "ResourceAlreadyExistsException")
            {
                return true;
            }
            catch (LogsClientException ex) when (ex.ErrorType == "ResourceNotFoundException")
            {
                if (!_config.CreateGroup)
                {
                    return false;
                }

                try
                {
                    await _client.CreateLogGroupAsync(_config.Group, ct);
                }
                catch (LogsClientException again) when (again.ErrorType == "ResourceAlreadyExistsException")
                {
                }

                await _client.CreateLogStreamAsync(_config.Group, _stream, ct);
                return true;
            }
        }, ex => ex is HttpRequestException or IOException or TimeoutException or LogsClientException { Status: >= 500 or 429 }, _time, _random, null, token);

    [LoggerMessage(Level = LogLevel.Error, Message = "Log shipper of container {ContainerId} failed")]
    private static partial void LogShipperFailed(ILogger logger, string containerId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {ContainerId} is not held to its log delivery: {Reason}")]
    private static partial void LogHoldFailed(ILogger logger, string containerId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the logs of container {ContainerId} failed")]
    private static partial void LogReadFailed(ILogger logger, string containerId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {ContainerId}: {Count} log events dropped: {Reason}")]
    private static partial void LogDropped(ILogger logger, string containerId, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {ContainerId}: CloudWatch Logs rejected events (too old before {TooOld}, expired before {Expired}, too new from {TooNew})")]
    private static partial void LogRejected(ILogger logger, string containerId, int tooOld, int expired, int tooNew);
}
