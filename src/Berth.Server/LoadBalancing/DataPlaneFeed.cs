using System.Net;
using Berth.Elb.Health;
using Berth.Elb.State;
using Berth.LoadBalancing;
using Berth.LoadBalancing.Health;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Server.LoadBalancing;

/// <summary>
/// Keeps the data plane in step with the load balancing state: every commit of the ELB state (and a periodic
/// resync, which also picks up instance targets whose host became known) maps the newest snapshot with
/// <see cref="DataPlaneMap"/> and applies it. Bursts of commits cost one apply; only the newest state is applied.
/// It also answers DescribeTargetHealth from the data plane's health view.
/// </summary>
public sealed partial class DataPlaneFeed : ControllerLoop, ITargetHealthSource
{
    private readonly CommitPipeline<ElbState> _pipeline;
    private readonly LoadBalancerDataPlane _plane;
    private readonly Func<LoadBalancerRecord, IPAddress?> _addressOf;
    private readonly Func<string, string?> _instanceHost;
    private readonly TimeProvider _time;
    private readonly TimeSpan _resync;
    private readonly ILogger _logger;
    private TaskCompletionSource _pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A feed from <paramref name="pipeline"/> into <paramref name="plane"/>; call <see cref="Start"/> to run it.</summary>
    public DataPlaneFeed(CommitPipeline<ElbState> pipeline, LoadBalancerDataPlane plane, Func<LoadBalancerRecord, IPAddress?> addressOf, Func<string, string?> instanceHost, TimeProvider time, TimeSpan resync, ILogger logger)
    {
        _pipeline = pipeline;
        _plane = plane;
        _addressOf = addressOf;
        _instanceHost = instanceHost;
        _time = time;
        _resync = resync;
        _logger = logger;
    }

    /// <summary>Applies the current state once now, then follows every commit.</summary>
    public override void Start()
    {
        _pipeline.Committed += OnCommitted;
        base.Start();
    }

    /// <summary>Maps and applies the newest state now.</summary>
    public async Task ApplyNowAsync(CancellationToken cancellationToken = default)
    {
        var config = DataPlaneMap.Map(_pipeline.Current, _addressOf, _instanceHost);
        await _plane.ApplyAsync(config, cancellationToken);
    }

    /// <inheritdoc />
    public TargetHealthReport? Report(string targetGroupArn, string targetId, int port)
    {
        if (_plane.Health.Find(targetGroupArn, Berth.Elb.State.TargetRecord.TargetKey(targetId, port)) is not { } health)
        {
            return null;
        }

        var state = health.State switch
        {
            TargetHealthState.Healthy => "healthy",
            TargetHealthState.Unhealthy => "unhealthy",
            TargetHealthState.Draining => "draining",
            TargetHealthState.Unused => "unused",
            _ => "initial",
        };
        return new TargetHealthReport(state, health.Reason, health.Description);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _pipeline.Committed -= OnCommitted;
        await base.DisposeAsync();
    }

    private void OnCommitted(ElbState state) => Volatile.Read(ref _pulse).TrySetResult();

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ApplyNowAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A listener that cannot open (an address in use) must not stop the feed: the next commit tries again.
                LogApplyFailed(_logger, ex);
            }

            var pulse = Volatile.Read(ref _pulse);
            await Task.WhenAny(pulse.Task, Task.Delay(_resync, _time, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
            Volatile.Write(ref _pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying the load balancers' configuration failed")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception);
}
