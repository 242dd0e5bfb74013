using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Services;

/// <summary>How the service controller paces itself.</summary>
public sealed record ServiceControllerOptions
{
    /// <summary>A pass runs at least this often, even when nothing changed (health grace periods, lost events).</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After a change, wait this long for more before the pass, so a burst of reports costs one pass.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>A pass's plan is committed in pieces of about this many documents, so other writes wait for one piece at most.</summary>
    public int DocumentsPerCommit { get; init; } = 64;
}

/// <summary>
/// The thin loop that runs <see cref="ServicePass"/>: woken by every commit that changed the state (a task
/// reported, an instance drained or lost, a service created or updated), by a placement retry coming due, and by a
/// periodic resync. A pass is planned on the current snapshot on this loop, outside the single writer; the writer
/// only applies the plan, in pieces, re-checking what each service's change read (<see cref="ServicePass.Apply(EcsState, ServicePassPlan, IEnumerable{EncodedChange})"/>).
/// A change that no longer holds is planned again by the next pass, which runs at once. A restart simply resumes
/// from what was committed.
/// </summary>
public sealed partial class ServiceController : ControllerLoop
{
    private readonly CommitPipeline<EcsState> _pipeline;
    private readonly TimeProvider _time;
    private readonly IdSource _ids;
    private readonly Random _rng;
    private readonly ServiceControllerOptions _options;
    private readonly ILogger _logger;
    private TaskCompletionSource _pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EcsState? _written;

    /// <summary>A controller over <paramref name="pipeline"/>; call <see cref="ControllerLoop.Start"/> to run it.</summary>
    public ServiceController(CommitPipeline<EcsState> pipeline, TimeProvider time, IdSource ids, Random rng, ServiceControllerOptions options, ILogger logger)
    {
        _pipeline = pipeline;
        _time = time;
        _ids = ids;
        _rng = rng;
        _options = options;
        _logger = logger;
    }

    /// <summary>Passes run so far (for tests and benchmarks).</summary>
    public long Passes { get; private set; }

    /// <summary>Starts the loop.</summary>
    public override void Start()
    {
        _pipeline.Committed += OnCommitted;
        base.Start();
    }

    /// <summary>Runs one pass now and waits for its commits (what the loop does when woken).</summary>
    public async Task<PassResult> PassAsync()
    {
        var now = _time.GetUtcNow();
        var plan = ServicePass.Plan(_pipeline.Current, now, _ids, _rng);
        var skipped = 0;
        Task<int>? committing = null;
        foreach (var piece in Pieces(plan.Changes, _options.DocumentsPerCommit))
        {
            // Encoded while the piece before it commits; queued only once that commit is done, so another write
            // never waits behind more than one piece of the pass.
            var encoded = piece.ConvertAll(ServicePass.Encode);
            if (committing is not null)
            {
                skipped += await committing;
            }

            committing = _pipeline.ExecuteAsync(state =>
            {
                // Known before the commit publishes it, so the pass's own commit does not wake the next pass
                // (a batch that ends with someone else's decision publishes a different state, and does wake it).
                var decision = ServicePass.Apply(state, plan, encoded);
                Volatile.Write(ref _written, decision.State);
                return decision;
            });
        }

        if (committing is not null)
        {
            skipped += await committing;
        }

        Passes++;
        if (skipped > 0)
        {
            LogSkipped(_logger, skipped);
        }

        // Changes that no longer held are planned again at once, on the state that refused them.
        return skipped == 0 ? plan.Result : plan.Result with { WakeAt = now, Skipped = skipped };
    }

    private static IEnumerable<List<ServiceChange>> Pieces(IReadOnlyList<ServiceChange> changes, int documents)
    {
        var piece = new List<ServiceChange>();
        var size = 0;
        foreach (var change in changes)
        {
            piece.Add(change);
            size += change.Size;
            if (size >= documents)
            {
                yield return piece;
                piece = [];
                size = 0;
            }
        }

        if (piece.Count > 0)
        {
            yield return piece;
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _pipeline.Committed -= OnCommitted;
        await base.DisposeAsync();
    }

    private void OnCommitted(EcsState state)
    {
        // The controller's own commits change nothing it has not already seen.
        if (!ReferenceEquals(state, Volatile.Read(ref _written)))
        {
            Volatile.Read(ref _pulse).TrySetResult();
        }
    }

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset? wakeAt = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = _options.Resync;
            if (wakeAt is { } at)
            {
                var until = at - _time.GetUtcNow();
                wait = until < wait ? (until > TimeSpan.Zero ? until : TimeSpan.Zero) : wait;
            }

            var pulse = Volatile.Read(ref _pulse);
            await Task.WhenAny(pulse.Task, Task.Delay(wait, _time, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
            if (pulse.Task.IsCompleted)
            {
                // Let a burst of commits settle; commits from here on wake the next pass.
                await Task.Delay(_options.Debounce, _time, cancellationToken);
                Volatile.Write(ref _pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            // Without a live service there is nothing to do, and no reason to take a turn in the single writer.
            if (!_pipeline.Current.Services.Values.Any(s => s.Status != ServiceStatus.Inactive))
            {
                wakeAt = null;
                continue;
            }

            try
            {
                var result = await PassAsync();
                wakeAt = result.Skipped > 0 ? _time.GetUtcNow() : result.WakeAt;
                if (result.Started > 0 || result.Stopped > 0)
                {
                    LogPass(_logger, result.Started, result.Stopped);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPassFailed(_logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Service pass started {Started} tasks and stopped {Stopped}")]
    private static partial void LogPass(ILogger logger, int started, int stopped);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Service pass skipped {Skipped} changes whose reads no longer held; planning again")]
    private static partial void LogSkipped(ILogger logger, int skipped);

    [LoggerMessage(Level = LogLevel.Error, Message = "Service pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
