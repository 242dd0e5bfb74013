using Berth.Ecs.Expiry;
using Berth.Ecs.State;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Expiry;

/// <summary>
/// Removes what ECS forgets (stopped tasks, INACTIVE services, client tokens) once its retention has passed: plans
/// on the current snapshot off the writer (<see cref="Retention.Plan"/> reads only the fronts of time-ordered
/// indexes), and the writer applies the plan, re-checking each item (<see cref="Retention.Apply"/>).
/// </summary>
public sealed partial class ExpiryController : ControllerLoop
{
    private readonly CommitPipeline<EcsState> _pipeline;
    private readonly TimeProvider _time;
    private readonly RetentionPeriods _periods;
    private readonly ILogger _logger;

    /// <summary>A controller over <paramref name="pipeline"/>; call <see cref="ControllerLoop.Start"/> to run it.</summary>
    public ExpiryController(CommitPipeline<EcsState> pipeline, TimeProvider time, RetentionPeriods periods, ILogger logger)
    {
        _pipeline = pipeline;
        _time = time;
        _periods = periods;
        _logger = logger;
    }

    /// <summary>How often expiry looks: a quarter of the shortest retention, between 1 s and 1 min.</summary>
    public TimeSpan Interval
    {
        get
        {
            var shortest = new[] { _periods.StoppedTasks, _periods.InactiveServices, _periods.ClientTokens }.Min() / 4;
            return shortest < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : shortest > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : shortest;
        }
    }

    /// <summary>Removes everything due now, in bounded commits; returns how many items were removed.</summary>
    public async Task<int> ExpireAsync()
    {
        var total = 0;
        while (true)
        {
            var now = _time.GetUtcNow();
            var plan = Retention.Plan(_pipeline.Current, now, _periods);
            if (plan.IsEmpty)
            {
                return total;
            }

            var removed = await _pipeline.ExecuteAsync(state => Retention.Apply(state, plan, now, _periods));
            total += removed;
            if (plan.Count < Retention.MaxPerPlan || removed == 0)
            {
                return total;
            }
        }
    }

    /// <inheritdoc />
    protected override Task RunAsync(CancellationToken cancellationToken) =>
        EveryAsync(Interval, _time, ExpireAsync, removed => LogExpired(_logger, removed), ex => LogFailed(_logger, ex), cancellationToken);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Expired {Count} stopped tasks, inactive services and client tokens")]
    private static partial void LogExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Expiry pass failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
