using Berth.Ecs.Capacity;
using Berth.Ecs.State;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Capacity;

/// <summary>
/// Tasks waiting in PROVISIONING for an Auto Scaling group provider's scale-out: every interval, the waiting tasks
/// are planned on the snapshot, off the writer (<see cref="TaskProvisioning.Plan"/>: instances of their group with
/// room, or the stop once <c>timeout</c> has passed), and the writer applies what still holds
/// (<see cref="TaskProvisioning.Apply"/>); what it skipped is planned again at once on the newer state.
/// </summary>
public sealed partial class ProvisioningController(CommitPipeline<EcsState> pipeline, TimeProvider time, TimeSpan interval, TimeSpan timeout, ILogger logger) : ControllerLoop
{
    private readonly Random _rng = new(Environment.TickCount);

    /// <summary>One look; returns how many waiting tasks were placed or stopped.</summary>
    public async Task<int> PassAsync()
    {
        var done = 0;
        for (var round = 0; round < 3; round++)
        {
            var plan = TaskProvisioning.Plan(pipeline.Current, time.GetUtcNow(), timeout, _rng);
            if (plan.Empty)
            {
                break;
            }

            var changed = await pipeline.ExecuteAsync(state => TaskProvisioning.Apply(state, plan, time.GetUtcNow()));
            done += changed;
            if (changed == plan.Placements.Count + plan.Expired.Count)
            {
                break;
            }
        }

        return done;
    }

    /// <inheritdoc />
    protected override Task RunAsync(CancellationToken cancellationToken) =>
        EveryAsync(interval, time, PassAsync, changed => LogPlaced(logger, changed), ex => LogFailed(logger, ex), cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placed or timed out {Count} tasks waiting in PROVISIONING")]
    private static partial void LogPlaced(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Provisioning pass failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
