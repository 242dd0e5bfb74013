using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Elb.Health;
using Berth.Elb.Model;
using Berth.Elb.State;
using Berth.Elb.Targets;
using Berth.Protocol.Errors;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Berth.Storage.Documents;
using Microsoft.Extensions.Logging;

namespace Berth.Server.LoadBalancing;

/// <summary>How the service targets controller paces itself.</summary>
public sealed record ServiceTargetsOptions
{
    /// <summary>A pass runs at least this often, even when nothing woke it.</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>After a wake, wait this long for more before the pass, so a burst of commits costs one pass.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>
/// Runs <see cref="ServiceTargets"/>: planned on snapshots of both states outside either writer, woken by their
/// commits, by the data plane's health changes and when a draining target is due to be gone. The load balancing
/// writer applies registrations first, then the ECS writer the task changes and service events, each re-checking
/// what the plan read; what no longer holds is planned again by the next pass. Every step is idempotent, so a
/// crash between the two commits only repeats the first.
/// </summary>
public sealed partial class ServiceTargetsController : ControllerLoop
{
    private readonly CommitPipeline<EcsState> _ecs;
    private readonly CommitPipeline<ElbState> _elb;
    private readonly ITargetHealthSource _health;
    private readonly TimeProvider _time;
    private readonly IdSource _ids;
    private readonly ServiceTargetsOptions _options;
    private readonly ILogger _logger;
    private TaskCompletionSource _pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A controller between <paramref name="ecs"/> and <paramref name="elb"/>; call <see cref="Start"/> to run it.</summary>
    public ServiceTargetsController(CommitPipeline<EcsState> ecs, CommitPipeline<ElbState> elb, ITargetHealthSource health, TimeProvider time, IdSource ids, ServiceTargetsOptions options, ILogger logger)
    {
        _ecs = ecs;
        _elb = elb;
        _health = health;
        _time = time;
        _ids = ids;
        _options = options;
        _logger = logger;
    }

    /// <summary>Wakes the loop (the data plane calls it when a target's health changes); never blocks.</summary>
    public void Wake() => Volatile.Read(ref _pulse).TrySetResult();

    /// <summary>Starts the loop.</summary>
    public override void Start()
    {
        _ecs.Committed += OnEcsCommitted;
        _elb.Committed += OnElbCommitted;
        base.Start();
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _ecs.Committed -= OnEcsCommitted;
        _elb.Committed -= OnElbCommitted;
        await base.DisposeAsync();
    }

    /// <summary>Plans and applies one pass now; the result says when the next is due at the latest.</summary>
    public async Task<TargetPlan> PassAsync()
    {
        var now = _time.GetUtcNow();
        var plan = ServiceTargets.Plan(_ecs.Current, _elb.Current, _health, now);
        if (plan.Empty)
        {
            return plan;
        }

        if (plan.Register.Count > 0 || plan.Deregister.Count > 0)
        {
            await _elb.ExecuteAsync(state => ApplyTargets(state, plan, now, _logger));
        }

        if (plan.Tasks.Count > 0 || plan.Events.Count > 0)
        {
            await _ecs.ExecuteAsync(state => ApplyTasks(state, plan, _ids, now));
        }

        LogPass(_logger, plan.Register.Count, plan.Deregister.Count, plan.Tasks.Count);
        return plan;
    }

    /// <summary>
    /// The registrations and deregistrations of <paramref name="plan"/> on the newest load balancing state: a target
    /// group that is gone is skipped, a target deregistered only while it is registered and not draining.
    /// </summary>
    public static Decision<ElbState, int> ApplyTargets(ElbState state, TargetPlan plan, DateTimeOffset now, ILogger logger)
    {
        var mutations = new List<Mutation>();
        var applied = 0;
        foreach (var (group, targets) in ServiceTargets.ByGroup(plan.Register))
        {
            if (!state.TargetGroups.ContainsKey(group))
            {
                continue;
            }

            try
            {
                var decision = TargetDecisions.Register(state, now, new RegisterTargetsInput { TargetGroupArn = group, Targets = [.. targets.Select(t => new TargetDescription { Id = t.Id, Port = t.Port })] });
                state = decision.State;
                mutations.AddRange(decision.Mutations);
                applied += targets.Count;
            }
            catch (AwsException e)
            {
                LogRefused(logger, group, e.Message);
            }
        }

        foreach (var (group, targets) in ServiceTargets.ByGroup(plan.Deregister))
        {
            if (!state.TargetGroups.TryGetValue(group, out var stored))
            {
                continue;
            }

            var present = targets.Where(t => stored.Targets.TryGetValue(t.Key, out var target) && target.DrainingUntil is null).ToList();
            if (present.Count == 0)
            {
                continue;
            }

            try
            {
                var decision = TargetDecisions.Deregister(state, now, new DeregisterTargetsInput { TargetGroupArn = group, Targets = [.. present.Select(t => new TargetDescription { Id = t.Id, Port = t.Port })] });
                state = decision.State;
                mutations.AddRange(decision.Mutations);
                applied += present.Count;
            }
            catch (AwsException e)
            {
                LogRefused(logger, group, e.Message);
            }
        }

        return new Decision<ElbState, int>(state, mutations, applied);
    }

    /// <summary>
    /// The task changes and service events of <paramref name="plan"/> on the newest ECS state: a task change applies
    /// only while the task is still the one the plan read; events go on the service as it is now.
    /// </summary>
    public static Decision<EcsState, int> ApplyTasks(EcsState state, TargetPlan plan, IdSource ids, DateTimeOffset now)
    {
        var edit = new StateEdit(state);
        var applied = 0;
        foreach (var change in plan.Tasks)
        {
            if (edit.State.Tasks.TryGetValue(change.Read.TaskArn, out var current) && ReferenceEquals(current, change.Read))
            {
                edit.Put(change.Next);
                applied++;
            }
        }

        foreach (var group in plan.Events.GroupBy(e => e.ServiceArn, StringComparer.Ordinal))
        {
            if (edit.State.Services.TryGetValue(group.Key, out var service))
            {
                foreach (var (_, message) in group)
                {
                    service = ServiceModel.AddEvent(service, ids, now, message);
                }

                edit.Put(service);
            }
        }

        return edit.Done(applied);
    }

    private void OnEcsCommitted(EcsState state) => Wake();

    private void OnElbCommitted(ElbState state) => Wake();

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
                await Task.Delay(_options.Debounce, _time, cancellationToken);
                Volatile.Write(ref _pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            // Without a live service behind a load balancer there is nothing to plan.
            if (!_ecs.Current.Services.Values.Any(s => ServiceModel.HasLoadBalancers(s) && s.Status != ServiceStatus.Inactive))
            {
                wakeAt = null;
                continue;
            }

            try
            {
                var plan = await PassAsync();

                // Its own commits wake the loop again; that pass finds what this one left (a drained target, a
                // task moved on) and settles to an empty plan.
                wakeAt = plan.WakeAt;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPassFailed(_logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Service targets: registered {Registered}, deregistered {Deregistered}, changed {Tasks} tasks")]
    private static partial void LogPass(ILogger logger, int registered, int deregistered, int tasks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service targets in {TargetGroupArn} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string targetGroupArn, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Service targets pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
