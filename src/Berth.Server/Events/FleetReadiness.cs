using Berth.Ecs.ContainerInstances;
using Berth.Ecs.State;
using Berth.Storage.Commit;

namespace Berth.Server.Events;

/// <summary>
/// Whether the fleet is back after a start: every ACTIVE or DRAINING container instance's agent has a channel open to
/// this server and the state says it is connected (after a kill -9 the stored flag can still say connected from
/// before). Until then a RunTask would fail with reason AGENT on instances that are only reconnecting, so scheduled
/// firings (missed ones and those a kill cut off) wait for it, at most <see cref="Grace"/>: an agent that never
/// returns must not hold every schedule.
/// </summary>
public static class FleetReadiness
{
    /// <summary>The longest firings wait for agents after a start.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(250);

    /// <summary>Whether every instance that takes or drains tasks has its agent connected, by the state and by <paramref name="hasChannel"/>.</summary>
    public static bool Settled(EcsState state, Func<string, bool> hasChannel) =>
        state.ContainerInstances.Values.All(i =>
            i.Status is not (InstanceStatus.Active or InstanceStatus.Draining) || (i.AgentConnected && hasChannel(i.ContainerInstanceArn)));

    /// <summary>Completes when <see cref="Settled"/> holds, or after <paramref name="grace"/>.</summary>
    public static async Task WaitAsync(CommitPipeline<EcsState> pipeline, Func<string, bool> hasChannel, TimeProvider time, TimeSpan grace, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + grace;
        var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnCommitted(EcsState state) => Volatile.Read(ref committed).TrySetResult();
        pipeline.Committed += OnCommitted;
        try
        {
            // A commit (a registration, a connection) is the usual wake-up; the re-check catches an agent whose channel
            // opened without changing the state.
            while (!Settled(pipeline.Current, hasChannel) && time.GetUtcNow() < until)
            {
                var wake = Volatile.Read(ref committed);
                await Task.WhenAny(wake.Task, Task.Delay(Recheck, time, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
                if (wake.Task.IsCompleted)
                {
                    Interlocked.CompareExchange(ref committed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
                }
            }
        }
        finally
        {
            pipeline.Committed -= OnCommitted;
        }
    }
}
