using Berth.Events.State;
using Berth.Storage.Commit;
using Berth.Storage.Shared;
using Microsoft.Extensions.Logging;

namespace Berth.Events.Firing;

/// <summary>How the rule scheduler runs.</summary>
public sealed record RuleSchedulerOptions
{
    /// <summary>The length of a <c>rate()</c> minute (60 s; tests shorten it so rate(1 minute) fires every few seconds).</summary>
    public TimeSpan RateMinute { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How late a missed firing is still delivered.</summary>
    public TimeSpan DeliveryWindow { get; init; } = FiringPlan.DeliveryWindow;

    /// <summary>Seeds the offsets of FLEXIBLE schedules' firings inside their windows.</summary>
    public int FlexibleSeed { get; init; }

    /// <summary>
    /// On start, the last recorded firing of each rule and schedule at most this old is invoked again with the same
    /// client tokens (see <see cref="FiringPlan.Recoverable"/>); at most ECS's client-token retention.
    /// </summary>
    public TimeSpan RecoveryWindow { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The wait before the first retry of an invocation that failed on Berth's side; each next wait doubles, up to
    /// <see cref="RetryMaxDelay"/>, while the target's RetryPolicy allows (attempts and event age).
    /// </summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two retries.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Fires scheduled rules and EventBridge Scheduler schedules (ECS targets; a rule's log group targets too): a priority queue of next due times (one entry per rule or
/// schedule, stale entries dropped when they come up), fed by the EventBridge state's commits. Each firing is recorded
/// while its targets are invoked, and each target's RunTask carries a client token made from the firing, so a
/// (rule or schedule, scheduled time) pair starts its tasks once: after a kill -9, the start invokes the last recorded
/// firings again, and delivers unrecorded ones as missed, with the same tokens, and ECS replays those it already ran.
/// Firings missed while the server was down are delivered on start when within the delivery window (a schedule's: its
/// RetryPolicy's MaximumEventAgeInSeconds), older ones dropped with a log line.
/// </summary>
public sealed partial class RuleScheduler : IAsyncDisposable
{
    private readonly CommitPipeline<EventsState> _pipeline;
    private readonly IRunTaskTarget _ecs;
    private readonly TimeProvider _time;
    private readonly RuleSchedulerOptions _options;
    private readonly ILogger _logger;
    private readonly IMetricSink? _metrics;
    // Entries are (rule or schedule, scheduled time), by when to act: the scheduled time, later for a FLEXIBLE window.
    private readonly PriorityQueue<(object Source, DateTimeOffset Due), DateTimeOffset> _queue = new();
    private readonly Dictionary<string, RuleRecord> _planned = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ScheduleRecord> _plannedSchedules = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _firingLock = new();
    private readonly HashSet<Task> _firings = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private object? _plannedRules;
    private object? _plannedScheduleMap;

    /// <summary>Creates the scheduler; <see cref="Start"/> starts it.</summary>
    public RuleScheduler(CommitPipeline<EventsState> pipeline, IRunTaskTarget ecs, TimeProvider time, RuleSchedulerOptions options, ILogger logger, IMetricSink? metrics = null)
    {
        _metrics = metrics;
        _pipeline = pipeline;
        _ecs = ecs;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>
    /// Awaited before the first firing (and the recovery of cut-off ones): the server waits for its agents to reconnect
    /// after a start, so a RunTask made then is not refused for instances that are only reconnecting.
    /// </summary>
    public Func<CancellationToken, Task>? Ready { get; init; }

    /// <summary>Where log group targets' events are written; without it, such targets fail their invocations.</summary>
    public ILogGroupTarget? LogGroups { get; init; }

    /// <summary>
    /// With several servers, the leadership of the controllers: schedules fire only on the server that leads, from
    /// the firings recorded so far when it takes over, and every write of a firing is fenced by the term.
    /// </summary>
    public ILeadership? Leadership { get; init; }

    /// <summary>Tasks started by firings so far (for diagnostics and tests).</summary>
    public long TasksStarted => Interlocked.Read(ref _tasksStarted);

    /// <summary>Invocations that failed so far (RunTask refused or reported failures).</summary>
    public long FailedInvocations => Interlocked.Read(ref _failedInvocations);

    private static readonly TimeSpan MaxSleep = TimeSpan.FromDays(1);

    // Firings recorded per commit: a burst of thousands is recorded in a few commits, none holding the writer long.
    private const int RecordPieceSize = 1000;

    private long _tasksStarted;
    private long _failedInvocations;

    /// <summary>Starts the loop.</summary>
    public void Start()
    {
        _pipeline.Committed += OnCommitted;
        _loop = Task.Run(() => Leadership is { } leadership ? Leading.RunAsync(leadership, RunAsync, _stopping.Token) : RunAsync(_stopping.Token));
    }

    private void OnCommitted(EventsState state) => _changed.TrySetResult();

    private async Task RunAsync(CancellationToken token)
    {
        // A term that begins plans from the state as it is: what an earlier term of this server planned may be stale.
        _queue.Clear();
        _planned.Clear();
        _plannedSchedules.Clear();
        (_plannedRules, _plannedScheduleMap) = (null, null);
        if (Ready is { } ready)
        {
            try
            {
                await ready(token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        Recover(_pipeline.Current);
        while (!token.IsCancellationRequested)
        {
            var changed = _changed;
            var now = _time.GetUtcNow();
            try
            {
                Plan(_pipeline.Current);

                // Everything due now fires as one batch: recorded in a few commits, its RunTasks placed together.
                var firing = new List<Firing>();
                while (_queue.TryPeek(out var entry, out var at) && at <= now)
                {
                    _queue.Dequeue();
                    switch (entry.Source)
                    {
                        case RuleRecord rule:
                            Due(rule, entry.Due, now, firing);
                            break;
                        case ScheduleRecord schedule:
                            Due(schedule, entry.Due, now, firing);
                            break;
                    }
                }

                if (firing.Count > 0)
                {
                    Track(FireAsync(firing));
                }
            }
            catch (Exception ex)
            {
                // One bad rule or schedule must not stop every other one: logged, and the loop goes on.
                LogLoopFailed(_logger, ex);
            }

            // From the clock as it is now, not as it was before this pass: a pass that planned many schedules took
            // time, and the next firing must not be late by that much. Capped: Task.Delay refuses more than about 49
            // days, and an at() schedule can be years ahead.
            var waitFrom = _time.GetUtcNow();
            var wait = _queue.TryPeek(out _, out var next)
                ? TimeSpan.FromTicks(Math.Clamp((next - waitFrom).Ticks, 0, MaxSleep.Ticks))
                : Timeout.InfiniteTimeSpan;
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

    /// <summary>Invokes again the last recorded firings that a kill may have cut between their record and their RunTask.</summary>
    private void Recover(EventsState state)
    {
        var (rules, schedules) = FiringPlan.Recoverable(state, _time.GetUtcNow(), _options.RecoveryWindow);
        var firings = new List<Firing>();
        foreach (var (rule, due) in rules)
        {
            LogRecovering(_logger, "Rule", rule.Name, due);
            firings.Add(new Firing(rule, due));
        }

        foreach (var (schedule, due) in schedules)
        {
            LogRecovering(_logger, "Schedule", schedule.Name, due);
            firings.Add(new Firing(schedule, due));
        }

        // Then the schedules done with their last firing: those invoked again here, and any a stop left behind.
        Track(InvokeAsync(firings).ContinueWith(_ => CompleteAsync(null), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap());
    }

    /// <summary>Queues the first due time of every rule that is new or changed since the last look.</summary>
    private void Plan(EventsState state)
    {
        // A firing's record changes only the last-fired maps: the scan over every rule and schedule is skipped
        // unless one of them changed.
        if (ReferenceEquals(state.Rules, _plannedRules) && ReferenceEquals(state.Schedules, _plannedScheduleMap))
        {
            return;
        }

        _plannedRules = state.Rules;
        _plannedScheduleMap = state.Schedules;
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
                _queue.Enqueue((rule, due), due);
            }
        }

        if (_planned.Count > state.Rules.Count)
        {
            foreach (var key in _planned.Keys.Where(k => !state.Rules.ContainsKey(k)).ToList())
            {
                _planned.Remove(key);
            }
        }

        foreach (var (key, schedule) in state.Schedules)
        {
            if (_plannedSchedules.TryGetValue(key, out var known) && ReferenceEquals(known, schedule))
            {
                continue;
            }

            _plannedSchedules[key] = schedule;
            var lastFired = state.ScheduleLastFired.TryGetValue(key, out var last) ? last : (DateTimeOffset?)null;
            if (FiringPlan.FirstDue(schedule, lastFired, _options.RateMinute) is { } due)
            {
                Enqueue(schedule, due);
            }
        }

        if (_plannedSchedules.Count > state.Schedules.Count)
        {
            foreach (var key in _plannedSchedules.Keys.Where(k => !state.Schedules.ContainsKey(k)).ToList())
            {
                _plannedSchedules.Remove(key);
            }
        }
    }

    private void Enqueue(ScheduleRecord schedule, DateTimeOffset due) =>
        _queue.Enqueue((schedule, due), due + FiringPlan.FlexibleOffset(schedule, due, _options.FlexibleSeed));

    private void Due(ScheduleRecord schedule, DateTimeOffset due, DateTimeOffset now, List<Firing> firing)
    {
        var state = _pipeline.Current;
        switch (FiringPlan.Judge(state, schedule, due, now))
        {
            case FiringVerdict.Stale:
                return;
            case FiringVerdict.AlreadyFired:
                Requeue(schedule, state.ScheduleLastFired[EventsState.KeyOf(schedule)]);
                return;
            case FiringVerdict.TooOld:
                var resume = now - TimeSpan.FromSeconds(schedule.MaximumEventAgeInSeconds);
                LogScheduleDropped(_logger, schedule.Name, schedule.Group, due, resume);
                InvocationMetrics.Dropped(_metrics, SourceOf(schedule), now);
                Requeue(schedule, resume.AddTicks(-1));
                return;
            default:
                Requeue(schedule, due);
                firing.Add(new Firing(schedule, due));
                return;
        }
    }

    private void Requeue(ScheduleRecord schedule, DateTimeOffset after)
    {
        if (FiringPlan.NextDue(schedule, after, _options.RateMinute) is { } next)
        {
            Enqueue(schedule, next);
        }
    }

    private static InvocationSource SourceOf(ScheduleRecord schedule) => new(InvocationKind.Schedule, schedule.Name, schedule.Group);

    private static InvocationSource SourceOf(RuleRecord rule) => new(InvocationKind.Rule, rule.Name, rule.Bus);

    private async Task PutLogAsync(ILogGroupTarget logGroups, LogDelivery delivery, string target)
    {
        string? failure;
        try
        {
            failure = await logGroups.PutAsync(delivery, _stopping.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            failure = ex.Message;
        }

        if (failure is not null)
        {
            Interlocked.Increment(ref _failedInvocations);
            LogInvocationFailed(_logger, "Rule", delivery.Source.Name, target, failure);
        }

        InvocationMetrics.Invoked(_metrics, delivery.Source, failure is not null, _time.GetUtcNow());
    }

    private void Due(RuleRecord rule, DateTimeOffset due, DateTimeOffset now, List<Firing> firing)
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
                firing.Add(new Firing(rule, due));
                return;
        }
    }

    private void Requeue(RuleRecord rule, DateTimeOffset after)
    {
        if (FiringPlan.NextDue(rule, after, _options.RateMinute) is { } next)
        {
            _queue.Enqueue((rule, next), next);
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

    /// <summary>
    /// Invokes the firings' targets, then records the firings (in pieces, each one commit); then deletes the
    /// DELETE-after-completion schedules whose last firing this was.
    /// </summary>
    /// <remarks>
    /// The record need not come first: each RunTask carries a client token made from its firing. Killed before the
    /// record landed, the next start sees the firing as missed and delivers it again with the same tokens, and ECS
    /// replays what it ran; killed after, the start invokes the recorded firing again (<see cref="Recover"/>). Either
    /// way the tasks start once, and the records' commits are off the firing's path.
    /// </remarks>
    private async Task FireAsync(List<Firing> firings)
    {
        var now = _time.GetUtcNow();
        foreach (var firing in firings)
        {
            if (firing.Rule is { } rule)
            {
                LogFiring(_logger, rule.Name, firing.Due, rule.Targets.Count);
                InvocationMetrics.Triggered(_metrics, SourceOf(rule), matchedEvent: false, now);
            }
            else
            {
                LogScheduleFiring(_logger, firing.Schedule!.Name, firing.Schedule.Group, firing.Due);
            }
        }

        // Invoked first, then recorded: the RunTasks do not share the cores with the records' commits. The pieces are
        // queued together, so the writer may commit several at once.
        await InvokeAsync(firings);
        var pieces = firings.Chunk(RecordPieceSize).Select(piece => (piece, _pipeline.ExecuteAsync(s => FiringPlan.RecordAll(s, piece, _options.RateMinute)))).ToList();
        foreach (var (piece, commit) in pieces)
        {
            try
            {
                await commit;
            }
            catch (Exception ex)
            {
                // Invoked but not recorded: a start delivers these again with the same client tokens (a replay).
                foreach (var firing in piece)
                {
                    LogRecordFailed(_logger, firing.Name, firing.Due, ex);
                }
            }
        }

        await CompleteAsync(firings);
    }

    /// <summary>Deletes the DELETE-after-completion schedules whose last firing is recorded and invoked.</summary>
    private async Task CompleteAsync(IEnumerable<Firing>? firings)
    {
        try
        {
            await _pipeline.ExecuteAsync(s => FiringPlan.CompleteAll(s, firings, _options.RateMinute));
        }
        catch (Exception ex)
        {
            // Left in place, recorded: the next start invokes the firing again (a replay) and deletes it then.
            LogCompleteFailed(_logger, ex);
        }
    }

    /// <summary>Invokes every target of the firings: log groups one by one, the ECS targets' RunTasks as one batch.</summary>
    private async Task InvokeAsync(List<Firing> firings)
    {
        // Each firing's calls are made side by side (a burst has thousands), then taken in the firings' order.
        var callsOf = new List<Invocation>[firings.Count];
        var logsOf = new List<Task>[firings.Count];
        Parallel.For(0, firings.Count, i =>
        {
            var (mine, myLogs) = (new List<Invocation>(1), new List<Task>(0));
            if (firings[i].Rule is { } rule)
            {
                Collect(rule, firings[i].Due, mine, myLogs);
            }
            else
            {
                Collect(firings[i].Schedule!, firings[i].Due, mine);
            }

            (callsOf[i], logsOf[i]) = (mine, myLogs);
        });
        var calls = callsOf.SelectMany(c => c).ToList();
        var logs = logsOf.SelectMany(l => l).ToList();

        if (calls.Count > 0)
        {
            IReadOnlyList<RunTaskOutcome> outcomes;
            try
            {
                outcomes = await _ecs.RunTasksAsync([.. calls.Select(c => c.Call)], _stopping.Token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                outcomes = [.. calls.Select(_ => new RunTaskOutcome([], [ex.Message]) { Retryable = true })];
            }

            for (var i = 0; i < calls.Count; i++)
            {
                var retry = WillRetry(calls[i], outcomes[i], 0);
                Report(calls[i], outcomes[i], retry is not null);
                if (retry is { } wait)
                {
                    Track(RetryAsync(calls[i], wait));
                }
            }
        }

        await Task.WhenAll(logs);
    }

    private void Collect(ScheduleRecord schedule, DateTimeOffset due, List<Invocation> calls)
    {
        var startedBy = "chronos-schedule/" + schedule.Name;
        // Made whole at once (a `with` copy of each of a burst's calls cost as much as the calls).
        var token = FiringPlan.Token(schedule.Arn, "target", due);
        RunTaskCall call;
        if (schedule.TargetArn == Scheduler.ScheduleDecisions.UniversalRunTask)
        {
            call = new RunTaskCall(schedule.Region, "", new EcsTargetRecord { TaskDefinitionArn = "" }, null, startedBy) { RequestJson = schedule.Input, ClientToken = token, Source = SourceOf(schedule) };
        }
        else if (schedule.Ecs is { } ecs)
        {
            call = new RunTaskCall(schedule.Region, schedule.TargetArn, ecs, schedule.Input, startedBy) { ClientToken = token, Source = SourceOf(schedule) };
        }
        else
        {
            Interlocked.Increment(ref _failedInvocations);
            InvocationMetrics.Invoked(_metrics, SourceOf(schedule), failed: true, _time.GetUtcNow());
            LogUnsupportedTarget(_logger, "Schedule", schedule.Name, "target", schedule.TargetArn);
            return;
        }

        calls.Add(new Invocation(call, "Schedule", schedule.Name, "target", schedule.MaximumRetryAttempts, due.AddSeconds(schedule.MaximumEventAgeInSeconds)));
    }

    private void Collect(RuleRecord rule, DateTimeOffset due, List<Invocation> calls, List<Task> logs)
    {
        var source = SourceOf(rule);
        foreach (var target in rule.Targets)
        {
            if (target.Ecs is null && LogGroups is { } logGroups && Delivery.EventRouting.ScheduledLogDelivery(rule, target, due) is { } delivery)
            {
                logs.Add(PutLogAsync(logGroups, delivery, target.Id));
                continue;
            }

            if (target.Ecs is not { } ecs)
            {
                Interlocked.Increment(ref _failedInvocations);
                InvocationMetrics.Invoked(_metrics, source, failed: true, _time.GetUtcNow());
                LogUnsupportedTarget(_logger, "Rule", rule.Name, target.Id, target.Arn);
                continue;
            }

            var call = new RunTaskCall(rule.Region, target.Arn, ecs, Delivery.EventRouting.ScheduledInput(rule, target, due), "events-rule/" + rule.Name)
            {
                ClientToken = FiringPlan.Token(rule.Arn, target.Id, due),
                Source = source,
            };
            calls.Add(new Invocation(call, "Rule", rule.Name, target.Id, target.MaximumRetryAttempts ?? DefaultRetryAttempts, due.AddSeconds(target.MaximumEventAgeInSeconds ?? DefaultEventAgeSeconds)));
        }
    }

    // The wait before retry `retried` + 1, or null when the invocation is not tried again (FiringPlan.RetryWait).
    private TimeSpan? WillRetry(Invocation invocation, RunTaskOutcome outcome, int retried) => FiringPlan.RetryWait(
        outcome.Retryable, invocation.Call.ClientToken is not null, retried, invocation.MaxRetries, _time.GetUtcNow(), invocation.RetryUntil,
        _options.RetryBaseDelay, _options.RetryMaxDelay);

    // Tries an invocation again (same client token: ECS replays whatever an earlier attempt started) until it gets an
    // answer ECS gave, or its RetryPolicy runs out (then it is dropped, as EventBridge does).
    private async Task RetryAsync(Invocation invocation, TimeSpan wait)
    {
        for (var retried = 0; ; retried++)
        {
            LogRetrying(_logger, invocation.Kind, invocation.Source, invocation.Target, retried + 1, wait.TotalSeconds);
            try
            {
                await Task.Delay(wait, _time, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopping: a start invokes the recorded firing again with the same token.
                return;
            }

            RunTaskOutcome outcome;
            try
            {
                outcome = (await _ecs.RunTasksAsync([invocation.Call], _stopping.Token))[0];
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                outcome = new RunTaskOutcome([], [ex.Message]) { Retryable = true };
            }

            var next = WillRetry(invocation, outcome, retried + 1);
            Report(invocation, outcome, next is not null);
            if (next is not { } later)
            {
                if (outcome.Retryable && invocation.Call.Source is { } source)
                {
                    LogRetriesExhausted(_logger, invocation.Kind, invocation.Source, invocation.Target, retried + 1);
                    InvocationMetrics.Dropped(_metrics, source, _time.GetUtcNow());
                }

                return;
            }

            wait = later;
        }
    }

    /// <summary>
    /// Counts and logs one attempt. A failed attempt that will be retried is a warning and counts only as an attempt
    /// (Scheduler's InvocationAttemptCount and TargetErrorCount); a rule's Invocations and FailedInvocations, like
    /// EventBridge's, count an invocation once it succeeded or failed for good.
    /// </summary>
    private void Report(Invocation invocation, RunTaskOutcome outcome, bool retrying)
    {
        Interlocked.Add(ref _tasksStarted, outcome.TaskArns.Count);
        foreach (var task in outcome.TaskArns)
        {
            LogTaskStarted(_logger, invocation.Kind, invocation.Source, invocation.Target, task);
        }

        var failed = outcome.Failures.Count > 0;
        if (failed && retrying)
        {
            LogAttemptFailed(_logger, invocation.Kind, invocation.Source, invocation.Target, string.Join("; ", outcome.Failures));
        }
        else if (failed)
        {
            Interlocked.Increment(ref _failedInvocations);
            LogInvocationFailed(_logger, invocation.Kind, invocation.Source, invocation.Target, string.Join("; ", outcome.Failures));
        }

        if (invocation.Call.Source is { } invoker && !(retrying && invoker.Kind == InvocationKind.Rule))
        {
            InvocationMetrics.Invoked(_metrics, invoker, failed, _time.GetUtcNow());
        }
    }

    // EventBridge's defaults for a target without a RetryPolicy: 185 retries, for up to 24 hours.
    private const int DefaultRetryAttempts = 185;
    private const int DefaultEventAgeSeconds = 86400;

    /// <summary>One ECS target's RunTask, with who asks for it (for the logs) and how long its RetryPolicy lets it be retried.</summary>
    private readonly record struct Invocation(RunTaskCall Call, string Kind, string Source, string Target, int MaxRetries, DateTimeOffset RetryUntil);

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

    [LoggerMessage(Level = LogLevel.Error, Message = "The rule scheduler's loop failed; it goes on")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {Name}: invoking its last recorded firing for {Scheduled:o} again (its client tokens replay what already ran)")]
    private static partial void LogRecovering(ILogger logger, string kind, string name, DateTimeOffset scheduled);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {Schedule} in group {Group} fires for {Scheduled:o}")]
    private static partial void LogScheduleFiring(ILogger logger, string schedule, string group, DateTimeOffset scheduled);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {Schedule} in group {Group}: firings from {Scheduled:o} until {Resume:o} were missed by more than its MaximumEventAgeInSeconds and are dropped")]
    private static partial void LogScheduleDropped(ILogger logger, string schedule, string group, DateTimeOffset scheduled, DateTimeOffset resume);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {Name} target {Target} started task {TaskArn}")]
    private static partial void LogTaskStarted(ILogger logger, string kind, string name, string target, string taskArn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Name} target {Target} failed invocation: {Reason}")]
    private static partial void LogInvocationFailed(ILogger logger, string kind, string name, string target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Name} target {Target} failed on Berth's side, to be retried: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string kind, string name, string target, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {Name} target {Target}: retry {Retry} in {DelaySeconds} s")]
    private static partial void LogRetrying(ILogger logger, string kind, string name, string target, int retry, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Name} target {Target}: dropped after {Retries} retries (its RetryPolicy's attempts or event age ran out)")]
    private static partial void LogRetriesExhausted(ILogger logger, string kind, string name, string target, int retries);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Name} target {Target} ({TargetArn}) is not an ECS target; Berth invokes only ECS targets")]
    private static partial void LogUnsupportedTarget(ILogger logger, string kind, string name, string target, string targetArn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule {Rule} on bus {Bus}: firings from {Scheduled:o} until {Resume:o} were missed by more than the delivery window and are dropped")]
    private static partial void LogDropped(ILogger logger, string rule, string bus, DateTimeOffset scheduled, DateTimeOffset resume);

    [LoggerMessage(Level = LogLevel.Error, Message = "Schedules done with their last firing could not be deleted; the next start deletes them")]
    private static partial void LogCompleteFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rule {Rule}: the firing for {Scheduled:o} was invoked but could not be recorded; a start delivers it again with the same client tokens")]
    private static partial void LogRecordFailed(ILogger logger, string rule, DateTimeOffset scheduled, Exception exception);
}
