using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Events.Delivery;
using Berth.Events.State;
using Berth.Server.Hosting;
using Berth.Storage.Commit;

namespace Berth.Server.Events;

/// <summary>
/// ECS's own events on the default bus: an "ECS Task State Change" (source <c>aws.ecs</c>, the task's shape as its
/// detail) whenever a task's last or desired status changes. Woken by ECS commits, it compares each task with the
/// state it saw last (reference equality first, so unchanged tasks cost a lookup) — and only while some rule listens
/// by pattern; otherwise it just remembers the newest state.
/// </summary>
public sealed class EcsEventSource : ControllerLoop
{
    private static readonly string[] Timestamps = ["createdAt", "startedAt", "stoppedAt", "stoppingAt", "pullStartedAt", "pullStoppedAt", "connectivityAt", "executionStoppedAt"];
    private readonly CommitPipeline<EcsState> _ecs;
    private readonly EventDelivery _delivery;
    private readonly TimeProvider _time;
    private TaskCompletionSource _pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EcsState _seen;

    /// <summary>A source over <paramref name="ecs"/> publishing to <paramref name="delivery"/>; call <see cref="Start"/> to run it.</summary>
    public EcsEventSource(CommitPipeline<EcsState> ecs, EventDelivery delivery, TimeProvider time)
    {
        _ecs = ecs;
        _delivery = delivery;
        _time = time;
        _seen = ecs.Current;
    }

    /// <summary>Starts following commits.</summary>
    public override void Start()
    {
        _seen = _ecs.Current;
        _ecs.Committed += OnCommitted;
        base.Start();
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _ecs.Committed -= OnCommitted;
        await base.DisposeAsync();
    }

    /// <summary>The events between two states: one per task whose last or desired status differs (or that is new).</summary>
    public static List<BusEvent> Changes(EcsState before, EcsState after, DateTimeOffset now)
    {
        var events = new List<BusEvent>();
        if (ReferenceEquals(before.Tasks, after.Tasks))
        {
            return events;
        }

        foreach (var (arn, task) in after.Tasks)
        {
            if (before.Tasks.TryGetValue(arn, out var was) && (ReferenceEquals(was, task) || (was.LastStatus == task.LastStatus && was.DesiredStatus == task.DesiredStatus)))
            {
                continue;
            }

            if (!EcsArn.TryParse(arn, out var parsed))
            {
                continue;
            }

            events.Add(BusEvent.Envelope(parsed.Region, parsed.AccountId, EventsState.DefaultBus, Guid.NewGuid().ToString(), now, "aws.ecs", "ECS Task State Change", [arn], Detail(task, now)));
        }

        return events;
    }

    // ECS's Task shape, with its times as ISO 8601 text as ECS's events carry them, and updatedAt.
    private static JsonObject Detail(TaskRecord task, DateTimeOffset now)
    {
        var detail = JsonSerializer.SerializeToNode(TaskViews.ToWire(task), WireJsonContext.Default.EcsTask)!.AsObject();
        foreach (var name in Timestamps)
        {
            if (detail[name] is JsonValue value && value.TryGetValue<double>(out var seconds))
            {
                detail[name] = Iso(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000)));
            }
        }

        detail["updatedAt"] = Iso(now);
        return detail;
    }

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private void OnCommitted(EcsState state) => Volatile.Read(ref _pulse).TrySetResult();

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var pulse = Volatile.Read(ref _pulse);
            await pulse.Task.WaitAsync(cancellationToken);
            Volatile.Write(ref _pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            var now = _ecs.Current;
            if (_delivery.Listening)
            {
                foreach (var @event in Changes(_seen, now, _time.GetUtcNow()))
                {
                    _delivery.Publish(@event);
                }
            }

            _seen = now;
        }
    }
}
