using Berth.AutoScaling.Scaling;
using Berth.AutoScaling.State;
using Berth.CloudWatch.Alarms;
using Berth.Ecs.Arns;
using Berth.Ecs.State;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Server.AutoScaling;

/// <summary>
/// Application Auto Scaling's controller: once per metric period, right after the alarms are evaluated (and on a
/// timer of the same period as a fallback), it runs the scheduled actions that are due, then plans each scalable
/// target off both writers (<see cref="ScalingPlanner.Decide"/> over the target, its service's desired count and its
/// policies' alarms) and applies each change: the ECS writer sets the desired count only while it is still the count
/// planned on (<see cref="EcsScalableResources.ScaleTo"/>), then the activity is recorded.
/// </summary>
public sealed partial class ScalingController : ControllerLoop
{
    private readonly CommitPipeline<AutoScalingState> _scaling;
    private readonly CommitPipeline<EcsState> _ecs;
    private readonly AlarmBook _alarms;
    private readonly TimeProvider _time;
    private readonly TimeSpan _period;
    private readonly string _accountId;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>A controller; call <see cref="ControllerLoop.Start"/> to run it.</summary>
    public ScalingController(CommitPipeline<AutoScalingState> scaling, CommitPipeline<EcsState> ecs, AlarmBook alarms, TimeProvider time, TimeSpan period, string accountId, ILogger logger)
    {
        _scaling = scaling;
        _ecs = ecs;
        _alarms = alarms;
        _time = time;
        _period = period;
        _accountId = accountId;
        _logger = logger;
    }

    /// <summary>Asks for a round now (the alarms were just evaluated).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A round is already asked for.
        }
    }

    /// <summary>One round: scheduled actions, then every target's decision; returns how many changes were applied.</summary>
    public async Task<int> RunOnceAsync()
    {
        var applied = 0;
        var now = _time.GetUtcNow();
        foreach (var action in _scaling.Current.ScheduledActions.Values)
        {
            if (ScheduledFiring.Due(action, now) is { } due)
            {
                var ran = await _scaling.ExecuteAsync(s => ScalingRecords.RunScheduled(s, action, due, Guid.NewGuid().ToString(), now));
                if (ran)
                {
                    LogScheduled(_logger, action.Name, action.ResourceId);
                }
            }
        }

        var state = _scaling.Current;
        foreach (var (key, target) in state.Targets)
        {
            var scope = new Scope(target.Region, _accountId);
            var current = EcsScalableResources.Find(_ecs.Current, scope, target.ResourceId)?.DesiredCount;
            var policies = state.PoliciesOf(key).Select(Signal).ToList();
            now = _time.GetUtcNow();
            if (ScalingPlanner.Decide(new TargetSnapshot(target, current, policies) { CooldownScale = _period / TimeSpan.FromMinutes(1) }, now) is not { } change)
            {
                continue;
            }

            var scaled = await _ecs.ExecuteAsync(s => EcsScalableResources.ScaleTo(s, scope, now, target.ResourceId, change.From, change.To));
            if (!scaled)
            {
                continue;
            }

            await _scaling.ExecuteAsync(s => ScalingRecords.Scaled(s, key, change, Guid.NewGuid().ToString(), now));
            LogScaled(_logger, target.ResourceId, change.From, change.To, change.Cause);
            applied++;
        }

        return applied;
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _wake.Dispose();
    }

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            // Woken after each alarm evaluation; the wait is a fallback so scheduled actions run on time regardless.
            await _wake.WaitAsync(Min(_period, TimeSpan.FromSeconds(15)), cancellationToken);
            try
            {
                await RunOnceAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(_logger, ex);
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private PolicySignal Signal(ScalingPolicyRecord policy)
    {
        if (policy.TargetTracking is not null)
        {
            return new PolicySignal(policy, Signal(_alarms.Read(PolicyAlarms.HighName(policy))), Signal(_alarms.Read(PolicyAlarms.LowName(policy))), []);
        }

        return new PolicySignal(policy, null, null, [.. _alarms.WithAction(policy.Arn).Select(a => Signal(a)!)]);
    }

    private static AlarmSignal? Signal(AlarmReading? reading) =>
        reading is null ? null : new AlarmSignal(reading.Name, reading.State, reading.Latest, reading.Threshold);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scaled {ResourceId} from {From} to {To}: {Cause}")]
    private static partial void LogScaled(ILogger logger, string resourceId, int from, int to, string cause);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ran scheduled action {Name} of {ResourceId}")]
    private static partial void LogScheduled(ILogger logger, string name, string resourceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scaling round failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
