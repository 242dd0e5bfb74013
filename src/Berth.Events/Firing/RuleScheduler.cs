using Berth.Events.State;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Events.Firing;

/// <summary>How the rule scheduler runs.</summary>
public sealed record RuleSchedulerOptions
{
    /// <summary>The length of a <c>rate()</c> minute (60 s; tests shorten it so rate(1 minute) fires every few seconds).</summary>
    public TimeSpan RateMinute { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How late a missed firing is still delivered.</summary>
    public TimeSpan DeliveryWindow { get; init; } = FiringPlan.DeliveryWindow;
}

/// <summary>
/// Fires scheduled rules: a priority queue of next due times (one entry per scheduled rule, stale entries dropped when
/// they come up), fed by the EventBridge state's commits. Each firing is recorded durably before its targets are
/// invoked, so a (rule, scheduled time) pair fires at most once, even across a kill -9; firings missed while the
/// server was down are delivered on start when within the delivery window, older ones dropped with a log line.
/// </summary>
public sealed partial class RuleScheduler : IAsyncDisposable
{
    private readonly CommitPipeline<EventsState> _pipeline;
    private readonly IRunTaskTarget _ecs;
    private readonly TimeProvider _time;
    private readonly RuleSchedulerOptions _options;
    private readonly ILogger _logger;
    private readonly PriorityQueue<RuleRecord, DateTimeOffset> _queue = new();
    private readonly Dictionary<string, RuleRecord> _planned = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _firingLock = new();
    private readonly HashSet<Task> _firings = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;

    /// <summary>Creates the scheduler; <see cref="Start"/> starts it.</summary>
    public RuleScheduler(CommitPipeline<EventsState> pipeline, IRunTaskTarget ecs, TimeProvider time, RuleSchedulerOptions options, ILogger logger)
    {
        _pipeline = pipeline;
        _ecs = ecs;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>Tasks started by firings so far (for diagnostics and tests).</summary>
    public long TasksStarted => Interlocked.Read(ref _tasksStarted);

    /// <summary>Invocations that failed so far (RunTask refused or reported failures).</summary>
    public long FailedInvocations => Interlocked.Read(ref _failedInvocations);

    private long _tasksStarted;
    private long _failedInvocations;

    /// <summary>Starts the loop.</summary>
    public void Start()
    {
        _pipeline.Committed += OnCommitted;
        _loop = Task.Run(RunAsync);
    }

    private void OnCommitted(EventsState state) => _changed.TrySetResult();

    private async Task RunAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            var changed = _changed;
            Plan(_pipeline.Current);
            var now = _time.GetUtcNow();
            while (_queue.TryPeek(out var rule, out var due) && due <= now)
            {
                _queue.Dequeue();
                Due(rule, due, now);
            }

            var wait = _queue.TryPeek(out _, out var next) ? next - now : Timeout.InfiniteTimeSpan;
            using var delay = CancellationTokenSource.CreateLinkedTokenSource(token);
            var sleeping = Task.Delay(wait, _time, delay.Token);
            try
            {
                await Task.WhenAny(sleeping, changed.Task).WaitAsync(token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            finally
            {
                await delay.CancelAsync();
            }

            if (changed.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), changed);
            }
        }
    }

    /// <summary>Queues the first due time of every rule that is new or changed since the last look.</summary>
    private void Plan(EventsState state)
    {
        foreach (var (key, rule) in state.Rules)
        {
            if (_planned.TryGetValue(key, out var known) && ReferenceEquals(known, rule))
            {
                continue;
            }

            _planned[key] = rule;
            var lastFired = state.LastFired.TryGetValue(key, out var last) ? last : (DateTimeOffset?)null;
            if (FiringPlan.FirstDue(rule, lastFired, _options.RateMinute) is { } due)
            {
                _queue.Enqueue(rule, due);
            }
        }

        if (_planned.Count > state.Rules.Count)
        {
            foreach (var key in _planned.Keys.Where(k => !state.Rules.ContainsKey(k)).ToList())
            {
                _planned.Remove(key);
            }
        }
    }

    private void Due(RuleRecord rule, DateTimeOffset due, DateTimeOffset now)
    {
        var state = _pipeline.Current;
        switch (FiringPlan.Judge(state, rule, due, now, _options.DeliveryWindow))
        {
            case FiringVerdict.Stale:
                return;
            case FiringVerdict.AlreadyFired:
                Requeue(rule, state.LastFired[EventsState.KeyOf(rule)]);
                return;
            case FiringVerdict.TooOld:
                var resume = now - _options.DeliveryWindow;
                LogDropped(_logger, rule.Name, rule.Bus, due, resume);
                Requeue(rule, resume.AddTicks(-1));
                return;
            case FiringVerdict.NoTargets:
                Requeue(rule, due);
                return;
            default:
                Requeue(rule, due);
                Track(FireAsync(rule, due));
                return;
        }
    }

    private void Requeue(RuleRecord rule, DateTimeOffset after)
    {
        if (FiringPlan.NextDue(rule, after, _options.RateMinute) is { } next)
        {
            _queue.Enqueue(rule, next);
        }
    }

    private void Track(Task firing)
    {
        lock (_firingLock)
        {
            _firings.Add(firing);
        }

        firing.ContinueWith(
            t =>
            {
                lock (_firingLock)
                {
                    _firings.Remove(t);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task FireAsync(RuleRecord planned, DateTimeOffset due)
    {
        RuleRecord? rule;
        try
        {
            // Durable before any target is invoked: after a crash this firing is never made again.
            rule = await _pipeline.ExecuteAsync(s => FiringPlan.Record(s, planned, due));
        }
        catch (Exception ex)
        {
            LogRecordFailed(_logger, planned.Name, due, ex);
            return;
        }

        if (rule is null)
        {
            return;
        }

        LogFiring(_logger, rule.Name, due, rule.Targets.Count);
        foreach (var target in rule.Targets)
        {
            if (target.Ecs is not { } ecs)
            {
                Interlocked.Increment(ref _failedInvocations);
                LogUnsupportedTarget(_logger, rule.Name, target.Id, target.Arn);
                continue;
            }

            var call = new RunTaskCall(rule.Region, target.Arn, ecs, target.Input, "events-rule/" + rule.Name);
            try
            {
                var outcome = await _ecs.RunTaskAsync(call, _stopping.Token);
                Interlocked.Add(ref _tasksStarted, outcome.TaskArns.Count);
                foreach (var task in outcome.TaskArns)
                {
                    LogTaskStarted(_logger, rule.Name, target.Id, task);
                }

                if (outcome.Failures.Count > 0)
                {
                    Interlocked.Increment(ref _failedInvocations);
                    LogInvocationFailed(_logger, rule.Name, target.Id, string.Join("; ", outcome.Failures));
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Interlocked.Increment(ref _failedInvocations);
                LogInvocationFailed(_logger, rule.Name, target.Id, ex.Message);
            }
        }
    }

    /// <summary>Stops the loop and waits for firings in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        _pipeline.Committed -= OnCommitted;
        await _stopping.CancelAsync();
        await _loop;
        Task[] firings;
        lock (_firingLock)
        {
            firings = [.. _firings];
        }

        await Task.WhenAll(firings).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rule {Rule} fires for {Scheduled:o} ({TargetCount} targets)")]
    private static partial void LogFiring(ILogger logger, string rule, DateTimeOffset scheduled, int targetCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rule {Rule} target {Target} started task {TaskArn}")]
    private static partial void LogTaskStarted(ILogger logger, string rule, string target, string taskArn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule {Rule} target {Target} failed invocation: {Reason}")]
    private static partial void LogInvocationFailed(ILogger logger, string rule, string target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule {Rule} target {Target} ({TargetArn}) is not an ECS target; Berth invokes only ECS targets")]
    private static partial void LogUnsupportedTarget(ILogger logger, string rule, string target, string targetArn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule {Rule} on bus {Bus}: firings from {Scheduled:o} until {Resume:o} were missed by more than the delivery window and are dropped")]
    private static partial void LogDropped(ILogger logger, string rule, string bus, DateTimeOffset scheduled, DateTimeOffset resume);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rule {Rule}: the firing for {Scheduled:o} could not be recorded and is not made")]
    private static partial void LogRecordFailed(ILogger logger, string rule, DateTimeOffset scheduled, Exception exception);
}
