using Berth.Ec2AutoScaling.State;
using Berth.Ecs.State;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Capacity;

/// <summary>
/// Every server, leader or not: the Auto Scaling instances hosted here. Every <c>interval</c> it decides on the
/// snapshots what to do with each (<see cref="InstanceHosts.Next"/>, pure): an InService instance that ran here before
/// a restart is started again, one the group no longer has (or that another server now runs) is stopped and removed
/// with its containers. The leader's <see cref="GroupProvisioner"/> launches, terminates and replaces; this only keeps
/// the hosts in this process in step with what the group says.
/// </summary>
public sealed partial class InstanceHost(
    CommitPipeline<AsgState> asg, CommitPipeline<EcsState> ecs, IInstanceLauncher launcher, TimeProvider time, TimeSpan interval, ILogger logger) : ControllerLoop
{
    /// <summary>One pass; returns how many instances it started or stopped.</summary>
    public async Task<int> PassAsync(CancellationToken cancellationToken)
    {
        var hosted = launcher.Hosted();
        if (hosted.Count == 0)
        {
            return 0;
        }

        var groups = asg.Current;
        var carriersOf = InstanceHosts.CarriersOf(ecs.Current);
        var acted = 0;
        foreach (var id in hosted)
        {
            var instance = groups.Instances.GetValueOrDefault(id);
            var action = InstanceHosts.Next(
                launcher.Hosting(id) == InstanceHosting.Running, instance, launcher.ContainerInstanceArnOf(id), carriersOf.GetValueOrDefault(id) ?? []);
            try
            {
                switch (action)
                {
                    case HostAction.Resume when InstanceSpec.Of(groups, instance!) is { } spec:
                        await launcher.LaunchAsync(spec, cancellationToken);
                        LogResumed(logger, id);
                        acted++;
                        break;
                    case HostAction.Stop:
                        await launcher.TerminateAsync(id, cancellationToken);
                        LogRemoved(logger, id);
                        acted++;
                        break;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogInstanceFailed(logger, id, ex.Message);
            }
        }

        return acted;
    }

    /// <inheritdoc />
    protected override Task RunAsync(CancellationToken cancellationToken) =>
        EveryAsync(interval, time, () => PassAsync(cancellationToken), _ => { }, ex => LogFailed(logger, ex), cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Auto Scaling instance {InstanceId} started again in this server")]
    private static partial void LogResumed(ILogger logger, string instanceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Auto Scaling instance {InstanceId} is not this server's any more: its agent, containers and data removed")]
    private static partial void LogRemoved(ILogger logger, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auto Scaling instance {InstanceId}: {Reason}; tried again on the next pass")]
    private static partial void LogInstanceFailed(ILogger logger, string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Auto Scaling host pass failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
