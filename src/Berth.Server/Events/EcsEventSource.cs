using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Ecs.Arns;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Events.Delivery;
using Berth.Events.State;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Events;

/// <summary>
/// ECS's own events on the default bus (source <c>aws.ecs</c>; see <see cref="Changes"/>). Woken by ECS commits, it
/// compares tasks, instances and services with the state it saw last (reference equality first, so what did not
/// change costs a lookup) — and only while some rule listens by pattern; otherwise it just remembers the newest state.
/// </summary>
public sealed partial class EcsEventSource : ControllerLoop
{
    private static readonly string[] Timestamps = ["createdAt", "startedAt", "stoppedAt", "stoppingAt", "pullStartedAt", "pullStoppedAt", "connectivityAt", "executionStoppedAt"];
    private readonly CommitPipeline<EcsState> _ecs;
    private readonly EventDelivery _delivery;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private TaskCompletionSource _pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EcsState _seen;

    /// <summary>A source over <paramref name="ecs"/> publishing to <paramref name="delivery"/>; call <see cref="Start"/> to run it.</summary>
    public EcsEventSource(CommitPipeline<EcsState> ecs, EventDelivery delivery, TimeProvider time, ILogger logger)
    {
        _ecs = ecs;
        _delivery = delivery;
        _time = time;
        _logger = logger;
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

    /// <summary>
    /// The events between two states, as ECS sends them:
    /// <list type="bullet">
    /// <item>"ECS Task State Change" for each task whose last or desired status differs (or that is new);</item>
    /// <item>"ECS Container Instance State Change" for each instance whose status or agent connection differs;</item>
    /// <item>"ECS Deployment State Change" when a service's primary deployment starts, completes or fails;</item>
    /// <item>"ECS Service Action": SERVICE_STEADY_STATE when a service reaches its steady state,
    /// SERVICE_DESIRED_COUNT_UPDATED when its desired count changes, SERVICE_TASK_PLACEMENT_FAILURE when a placement
    /// fails.</item>
    /// </list>
    /// </summary>
    public static List<BusEvent> Changes(EcsState before, EcsState after, DateTimeOffset now)
    {
        var events = new List<BusEvent>();
        InstanceChanges(before, after, now, events);
        ServiceChanges(before, after, now, events);
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

    private static void InstanceChanges(EcsState before, EcsState after, DateTimeOffset now, List<BusEvent> events)
    {
        if (ReferenceEquals(before.ContainerInstances, after.ContainerInstances))
        {
            return;
        }

        foreach (var (arn, instance) in after.ContainerInstances)
        {
            if (before.ContainerInstances.TryGetValue(arn, out var was) && (ReferenceEquals(was, instance) || (was.Status == instance.Status && was.AgentConnected == instance.AgentConnected)))
            {
                continue;
            }

            if (EcsArn.TryParse(arn, out var parsed))
            {
                var detail = JsonSerializer.SerializeToNode(ContainerInstanceViews.Render(after, instance, null), WireJsonContext.Default.ContainerInstance)!.AsObject();
                detail["clusterArn"] = $"arn:{parsed.Partition}:ecs:{parsed.Region}:{parsed.AccountId}:cluster/{parsed.Resource.Split('/')[0]}";
                Times(detail, ["registeredAt"]);
                detail["updatedAt"] = Iso(now);
                events.Add(BusEvent.Envelope(parsed.Region, parsed.AccountId, EventsState.DefaultBus, Guid.NewGuid().ToString(), now, "aws.ecs", "ECS Container Instance State Change", [arn], detail));
            }
        }
    }

    private static void ServiceChanges(EcsState before, EcsState after, DateTimeOffset now, List<BusEvent> events)
    {
        if (ReferenceEquals(before.Services, after.Services))
        {
            return;
        }

        foreach (var (arn, service) in after.Services)
        {
            before.Services.TryGetValue(arn, out var was);
            if (ReferenceEquals(was, service) || !EcsArn.TryParse(arn, out var parsed) || service.Deployments.IsEmpty)
            {
                continue;
            }

            void Add(string detailType, JsonObject detail)
            {
                events.Add(BusEvent.Envelope(parsed.Region, parsed.AccountId, EventsState.DefaultBus, Guid.NewGuid().ToString(), now, "aws.ecs", detailType, [arn], detail));
            }

            JsonObject Action(string type, string name, string? reason = null) => new()
            {
                ["eventType"] = type,
                ["eventName"] = name,
                ["clusterArn"] = service.ClusterArn,
                ["createdAt"] = Iso(now),
                ["reason"] = reason,
            };

            var primary = service.Primary;
            var wasPrimary = was is null || was.Deployments.IsEmpty ? null : was.Primary;
            if (wasPrimary is null || wasPrimary.Id != primary.Id || wasPrimary.RolloutState != primary.RolloutState)
            {
                var (type, name) = primary.RolloutState switch
                {
                    RolloutState.Completed => ("INFO", "SERVICE_DEPLOYMENT_COMPLETED"),
                    RolloutState.Failed => ("ERROR", "SERVICE_DEPLOYMENT_FAILED"),
                    _ => ("INFO", "SERVICE_DEPLOYMENT_IN_PROGRESS"),
                };
                Add("ECS Deployment State Change", new JsonObject
                {
                    ["eventType"] = type,
                    ["eventName"] = name,
                    ["deploymentId"] = primary.Id,
                    ["updatedAt"] = Iso(now),
                    ["reason"] = primary.RolloutStateReason,
                });
            }

            if (service.Controller.SteadyReported && was?.Controller.SteadyReported != true)
            {
                Add("ECS Service Action", Action("INFO", "SERVICE_STEADY_STATE"));
            }

            if (was is not null && was.DesiredCount != service.DesiredCount)
            {
                Add("ECS Service Action", Action("INFO", "SERVICE_DESIRED_COUNT_UPDATED"));
            }

            if (service.Controller.PlacementFailures > (was?.Controller.PlacementFailures ?? 0))
            {
                Add("ECS Service Action", Action("WARN", "SERVICE_TASK_PLACEMENT_FAILURE", service.Events.FirstOrDefault()?.Message));
            }
        }
    }

    private static void Times(JsonObject detail, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (detail[name] is JsonValue value && value.TryGetValue<double>(out var seconds))
            {
                detail[name] = Iso(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000)));
            }
        }
    }

    // ECS's Task shape, with its times as ISO 8601 text as ECS's events carry them, and updatedAt.
    private static JsonObject Detail(TaskRecord task, DateTimeOffset now)
    {
        var detail = JsonSerializer.SerializeToNode(TaskViews.ToWire(task), WireJsonContext.Default.EcsTask)!.AsObject();
        Times(detail, Timestamps);

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
            try
            {
                if (_delivery.Listening)
                {
                    foreach (var @event in Changes(_seen, now, _time.GetUtcNow()))
                    {
                        _delivery.Publish(@event);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The changes of this commit are lost to the bus; the next commit is compared with this state.
                LogFailed(_logger, e);
            }

            _seen = now;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Building ECS events failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
