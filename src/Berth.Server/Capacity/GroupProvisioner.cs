using System.Collections.Concurrent;
using System.Security.Cryptography;
using Berth.Ec2AutoScaling.Provisioning;
using Berth.Ec2AutoScaling.State;
using Berth.Ecs.Arns;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;
using InstanceRecord = Berth.Ec2AutoScaling.State.InstanceRecord;

namespace Berth.Server.Capacity;

/// <summary>
/// Keeps each Auto Scaling group at its desired capacity. Every <c>interval</c> it plans on the snapshot
/// (<see cref="InstancePlan.Plan"/>, pure) and records the plan's launches and terminations first
/// (<see cref="ProvisionDecisions.Record"/>, re-checked by the writer): a launch is a Pending instance before any agent
/// starts and a termination a Terminating one before any stops, so a server killed in between finishes the very same
/// instances after its restart and never launches one twice. Then it acts on what is recorded: Pending instances are
/// started (then InService), Terminating ones drained in ECS (DRAINING when their provider has managed draining, else
/// their tasks stopped), stopped, deregistered, and removed. An InService instance hosted by another server whose agent
/// has been away longer than <c>lostAfter</c> (that server died) is replaced, as EC2's health check replaces a dead
/// instance (<see cref="InstanceHosts.Lost"/>); restarting the instances of this server is <see cref="InstanceHost"/>'s.
/// </summary>
public sealed partial class GroupProvisioner(
    CommitPipeline<AsgState> asg, CommitPipeline<EcsState> ecs, IInstanceLauncher launcher, TimeProvider time, TimeSpan interval, TimeSpan lostAfter, ILogger logger) : ControllerLoop
{
    private readonly ConcurrentDictionary<string, Task> _busy = new(StringComparer.Ordinal);

    // The leader's own count of how long each instance's agent has been away: it starts at zero with every term.
    private IReadOnlyDictionary<string, DateTimeOffset> _awaySince = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);

    /// <summary>One pass: record what the groups need, then start work on every instance that needs some.</summary>
    public async Task PassAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var plan = InstancePlan.Plan(asg.Current, now, NewInstanceId, () => Guid.NewGuid().ToString("D"));
        if (!plan.IsEmpty)
        {
            var recorded = await asg.ExecuteAsync(state => ProvisionDecisions.Record(state, plan, now));
            if (!recorded.IsEmpty)
            {
                LogRecorded(logger, recorded.Launches.Count, recorded.Terminations.Count);
            }
        }

        var carriersOf = InstanceHosts.CarriersOf(ecs.Current);
        var (lost, awaySince) = InstanceHosts.Lost(asg.Current, carriersOf, launcher.Hosting, _awaySince, now, lostAfter);
        _awaySince = awaySince;
        foreach (var instance in lost)
        {
            if (await asg.ExecuteAsync(s => ProvisionDecisions.ReplaceLost(s, instance, Guid.NewGuid().ToString("D"), now)))
            {
                LogLost(logger, instance.InstanceId, (now - awaySince[instance.InstanceId]).TotalSeconds);
            }
        }

        var state = asg.Current;
        foreach (var instance in state.Instances.Values)
        {
            if (_busy.ContainsKey(instance.InstanceId))
            {
                continue;
            }

            Func<Task>? work = instance.LifecycleState switch
            {
                // Launched by a leader that lost its term while the agent started: that agent is the instance.
                LifecycleState.Pending when carriersOf.GetValueOrDefault(instance.InstanceId)?.Any(c => c.Connected) == true
                    => () => asg.ExecuteAsync(s => ProvisionDecisions.Launched(s, instance.InstanceId, time.GetUtcNow())),
                LifecycleState.Pending => () => LaunchAsync(instance, cancellationToken),
                LifecycleState.Terminating => () => TerminateAsync(instance, cancellationToken),
                _ => null,
            };
            if (work is not null)
            {
                var id = instance.InstanceId;
                _busy[id] = Task.Run(async () =>
                {
                    try
                    {
                        await work();
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogWorkFailed(logger, id, ex.Message);
                    }
                    finally
                    {
                        _busy.TryRemove(id, out _);
                    }
                }, CancellationToken.None);
            }
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Task.WhenAll(_busy.Values.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        _awaySince = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                await PassAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private static string NewInstanceId() => "i-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9))[..17];

    private async Task LaunchAsync(InstanceRecord instance, CancellationToken cancellationToken)
    {
        if (InstanceSpec.Of(asg.Current, instance) is not { } spec)
        {
            return;
        }

        try
        {
            await launcher.LaunchAsync(spec, cancellationToken);
        }
        catch (LaunchFailedException ex)
        {
            await asg.ExecuteAsync(s => ProvisionDecisions.LaunchFailed(s, instance.InstanceId, ex.Message, time.GetUtcNow()));
            throw;
        }

        await asg.ExecuteAsync(s => ProvisionDecisions.Launched(s, instance.InstanceId, time.GetUtcNow()));
        LogLaunched(logger, instance.InstanceId, spec.GroupName, spec.Cluster);
    }

    private async Task TerminateAsync(InstanceRecord instance, CancellationToken cancellationToken)
    {
        var region = AsgState.RegionOf(instance.GroupKey);
        if (FindContainerInstance(instance.InstanceId) is { } container)
        {
            if (!container.AgentConnected && launcher.Hosting(instance.InstanceId) == InstanceHosting.Elsewhere)
            {
                // Its host went with its server: nothing there can drain or stop. Its tasks stop as a lost host's do,
                // and that server removes what is left when it comes back.
                var reason = $"its Auto Scaling instance was replaced after its agent was away for {lostAfter.TotalSeconds:0} s";
                await ecs.ExecuteAsync(s => ContainerInstanceDecisions.MarkLost(s, container.ContainerInstanceArn, time.GetUtcNow(), reason));
                await DeregisterAsync(container, cancellationToken);
            }
            else
            {
                // Managed draining: the instance takes no new tasks and its services move theirs; without it its tasks stop.
                var drain = asg.Current.Groups.TryGetValue(instance.GroupKey, out var group) && ecs.Current.CapacityProviders.Values.Any(p =>
                    GroupCapacity.GroupName(p.GroupArn) == group.Name && p.CapacityProviderArn.Contains(":" + region + ":", StringComparison.Ordinal)
                    && p.AutoScalingGroupProvider.Thaw(WireJsonContext.Default.AutoScalingGroupProvider).ManagedDraining != "DISABLED");
                await EmptyAsync(container, drain, cancellationToken);
            }
        }

        // Here, the agent stops; hosted by another server, that server stops it once the group no longer has it.
        await launcher.TerminateAsync(instance.InstanceId, cancellationToken);
        if (FindContainerInstance(instance.InstanceId) is { } stale)
        {
            await DeregisterAsync(stale, cancellationToken);
        }

        await asg.ExecuteAsync(s => ProvisionDecisions.Terminated(s, instance.InstanceId, time.GetUtcNow()));
        LogTerminated(logger, instance.InstanceId);
    }

    private async Task EmptyAsync(Ecs.ContainerInstances.InstanceRecord container, bool drain, CancellationToken cancellationToken)
    {
        if (!EcsArn.TryParse(container.ContainerInstanceArn, out var arn))
        {
            return;
        }

        var scope = new Scope(arn.Region, arn.AccountId);
        var cluster = arn.Resource.Split('/')[0];
        if (drain && container.Status == InstanceStatus.Active)
        {
            await ecs.ExecuteAsync(s => ContainerInstanceDecisions.UpdateState(s, scope, new UpdateContainerInstancesStateRequest
            {
                Cluster = cluster,
                ContainerInstances = [container.ContainerInstanceArn],
                Status = "DRAINING",
            }));
        }
        else if (!drain)
        {
            await DeregisterAsync(container, cancellationToken);
        }

        // Waits for the instance's tasks to stop (its agent stops them and reports); polled, as the agent's reports come.
        while (ecs.Current.LiveTasksOn(container.ContainerInstanceArn).Any())
        {
            await Task.Delay(interval, time, cancellationToken);
        }
    }

    private async Task DeregisterAsync(Ecs.ContainerInstances.InstanceRecord container, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (container.Status == InstanceStatus.Inactive || !EcsArn.TryParse(container.ContainerInstanceArn, out var arn))
        {
            return;
        }

        var scope = new Scope(arn.Region, arn.AccountId);
        await ecs.ExecuteAsync(s => ContainerInstanceDecisions.Deregister(s, scope, time.GetUtcNow(), new DeregisterContainerInstanceRequest
        {
            Cluster = arn.Resource.Split('/')[0],
            ContainerInstance = container.ContainerInstanceArn,
            Force = true,
        }));
    }

    private Ecs.ContainerInstances.InstanceRecord? FindContainerInstance(string instanceId)
        => ecs.Current.ContainerInstances.Values.FirstOrDefault(i => i.Status != InstanceStatus.Inactive
            && (i.Ec2InstanceId == instanceId || i.Attributes.Any(a => a.Name == InstanceSpec.InstanceAttribute && a.Value == instanceId)));

    [LoggerMessage(Level = LogLevel.Information, Message = "Auto Scaling recorded {Launches} launches and {Terminations} terminations")]
    private static partial void LogRecorded(ILogger logger, int launches, int terminations);

    [LoggerMessage(Level = LogLevel.Information, Message = "Auto Scaling instance {InstanceId} of group {Group} launched into cluster {Cluster}")]
    private static partial void LogLaunched(ILogger logger, string instanceId, string group, string cluster);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auto Scaling instance {InstanceId} replaced: its host's agent has been away for {AwaySeconds} s and no server runs it")]
    private static partial void LogLost(ILogger logger, string instanceId, double awaySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Auto Scaling instance {InstanceId} terminated")]
    private static partial void LogTerminated(ILogger logger, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auto Scaling instance {InstanceId}: {Reason}; tried again on the next pass")]
    private static partial void LogWorkFailed(ILogger logger, string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Auto Scaling provisioning pass failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
