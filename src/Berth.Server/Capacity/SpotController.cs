using Berth.Ecs.Capacity;
using Berth.Ecs.State;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Capacity;

/// <summary>
/// On-demand pressure on FARGATE_SPOT: every <see cref="Interval"/>, the services whose on-demand Fargate tasks
/// found no room are planned against the spot tasks holding it (<see cref="SpotInterruptions.PlanPressure"/>, on the
/// snapshot, off the writer), and the writer interrupts the chosen ones (<see cref="SpotInterruptions.Apply"/>,
/// re-checking each). Room already coming free counts, so a need is never paid for twice.
/// </summary>
public sealed partial class SpotController(CommitPipeline<EcsState> pipeline, TimeProvider time, TimeSpan interval, ILogger logger) : ControllerLoop
{
    /// <summary>How often the controller looks.</summary>
    public TimeSpan Interval => interval;

    /// <summary>One look: interrupts what the current needs call for; returns how many tasks were interrupted.</summary>
    public async Task<int> PassAsync()
    {
        var planned = SpotInterruptions.PlanPressure(pipeline.Current);
        if (planned.Count == 0)
        {
            return 0;
        }

        var done = await pipeline.ExecuteAsync(state => SpotInterruptions.Apply(state, planned, time.GetUtcNow()));
        return done.Count;
    }

    /// <inheritdoc />
    protected override Task RunAsync(CancellationToken cancellationToken) =>
        EveryAsync(interval, time, PassAsync, interrupted => LogInterrupted(logger, interrupted), ex => LogFailed(logger, ex), cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Interrupted {Count} FARGATE_SPOT tasks for on-demand tasks that need their room")]
    private static partial void LogInterrupted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Spot pressure pass failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
