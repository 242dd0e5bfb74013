using System.Threading.Channels;
using Berth.Events.Delivery;
using Berth.Events.Firing;
using Berth.Events.State;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Events;

/// <summary>
/// Delivers events put on a bus (PutEvents, ECS's own events) to the targets of the rules that match them, off the
/// publisher's thread: <see cref="Publish"/> only queues. Each event is routed on the newest rules
/// (<see cref="EventRouting"/>) and each ECS target runs its task through RunTask; a RunTask that fails is logged with
/// the rule. Delivery is at most once: events queued when the server stops are not delivered.
/// </summary>
public sealed partial class EventDelivery : ControllerLoop
{
    /// <summary>Events waiting beyond this are dropped (and logged), so a burst cannot grow the queue without end.</summary>
    public const int Capacity = 10_000;

    private readonly Channel<BusEvent> _queue = Channel.CreateBounded<BusEvent>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CommitPipeline<EventsState> _rules;
    private readonly IRunTaskTarget _target;
    private readonly ILogger _logger;
    private readonly IMetricSink? _metrics;
    private readonly TimeProvider _time;

    /// <summary>Delivery over the rules of <paramref name="rules"/> to <paramref name="target"/>; call <see cref="ControllerLoop.Start"/> to run it.</summary>
    public EventDelivery(CommitPipeline<EventsState> rules, IRunTaskTarget target, ILogger logger, IMetricSink? metrics = null, TimeProvider? time = null)
    {
        _rules = rules;
        _target = target;
        _logger = logger;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Where log group targets' events are written.</summary>
    public ILogGroupTarget? LogGroups { get; init; }

    /// <summary>Events delivered so far (routed, whatever their targets did).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    private long _delivered;

    /// <summary>Whether any enabled rule matches events by pattern: without one, publishers need not build events.</summary>
    public bool Listening => _rules.Current.Rules.Values.Any(r => r.Pattern is not null && r.State == RuleState.Enabled);

    /// <summary>Queues <paramref name="event"/> for delivery; never blocks.</summary>
    public void Publish(BusEvent @event)
    {
        if (!_queue.Writer.TryWrite(@event))
        {
            LogDropped(_logger, @event.Bus);
        }
    }

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach (var @event in _queue.Reader.ReadAllAsync(cancellationToken))
        {
            try
            {
                var (calls, logs) = EventRouting.RouteAll(_rules.Current, @event);
                foreach (var rule in calls.Select(c => c.Source).OfType<InvocationSource>().Concat(logs.Select(l => l.Source)).Distinct())
                {
                    InvocationMetrics.Triggered(_metrics, rule, matchedEvent: true, _time.GetUtcNow());
                }

                foreach (var call in calls)
                {
                    var outcome = await _target.RunTaskAsync(call, cancellationToken);
                    foreach (var failure in outcome.Failures)
                    {
                        LogFailed(_logger, call.StartedBy, failure);
                    }

                    if (call.Source is { } source)
                    {
                        InvocationMetrics.Invoked(_metrics, source, outcome.Failures.Count > 0, _time.GetUtcNow());
                    }
                }

                foreach (var log in logs)
                {
                    var failure = LogGroups is null ? "log group targets are not served" : await LogGroups.PutAsync(log, cancellationToken);
                    if (failure is not null)
                    {
                        LogFailed(_logger, "events-rule/" + log.Source.Name, failure);
                    }

                    InvocationMetrics.Invoked(_metrics, log.Source, failure is not null, _time.GetUtcNow());
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRouteFailed(_logger, e);
            }

            Interlocked.Increment(ref _delivered);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event on bus {Bus} dropped: the delivery queue is full")]
    private static partial void LogDropped(ILogger logger, string bus);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event delivery by {StartedBy} failed: {Failure}")]
    private static partial void LogFailed(ILogger logger, string startedBy, string failure);

    [LoggerMessage(Level = LogLevel.Error, Message = "Event delivery failed")]
    private static partial void LogRouteFailed(ILogger logger, Exception exception);
}
