using Berth.CloudWatch.Store;
using Berth.Ec2AutoScaling.Groups;
using Berth.Ec2AutoScaling.LaunchConfigurations;
using Berth.Ec2AutoScaling.State;
using Berth.Ecs.Arns;
using Berth.Ecs.Capacity;
using Berth.Ecs.State;
using Berth.Scheduling.Capacity;
using Berth.Server.Hosting;
using Berth.Storage.Commit;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Capacity;

/// <summary>
/// ECS cluster auto scaling, once per metric period: for each Auto Scaling group provider, what its clusters ask of it
/// (<see cref="GroupDemand.Of"/>, on the ECS snapshot) against its group's instances gives the
/// <c>CapacityProviderReservation</c> metric (<see cref="ManagedScaling.Reservation"/>), put in the metric store
/// (AWS/ECS/ManagedScaling, dimensions CapacityProviderName and ClusterName). With managed scaling ENABLED, target
/// tracking moves the group's desired capacity (<see cref="ManagedScaling.NextDesired"/>; scale-in only after
/// <see cref="ScaleInPeriods"/> consecutive periods below the target, as target tracking's alarm); with managed
/// termination protection ENABLED, instances running non-daemon tasks are protected from scale-in and the others not.
/// The Auto Scaling writer re-checks each change against the group and instances the plan read.
/// </summary>
public sealed partial class ManagedScalingController(
    CommitPipeline<EcsState> ecs, CommitPipeline<AsgState> asg, MetricStore metrics, TimeProvider time, TimeSpan period, ILogger logger) : ControllerLoop
{
    /// <summary>Consecutive periods below the target before a scale-in (target tracking's 15 datapoints).</summary>
    public const int ScaleInPeriods = 15;

    /// <summary>The metric's namespace.</summary>
    public const string Namespace = "AWS/ECS/ManagedScaling";

    /// <summary>The metric's name.</summary>
    public const string MetricName = "CapacityProviderReservation";

    private readonly Dictionary<string, int> _below = new(StringComparer.Ordinal);

    /// <summary>One period's look at every provider.</summary>
    public async Task PassAsync()
    {
        var now = time.GetUtcNow();
        var state = asg.Current;
        foreach (var demand in GroupDemand.Of(ecs.Current))
        {
            if (!EcsArn.TryParse(demand.Provider.CapacityProviderArn, out var arn) || GroupDecisions.Find(state, arn.Region, demand.Provider.GroupArn) is not { } found
                || !state.LaunchConfigurations.TryGetValue(AsgState.Key(arn.Region, found.Group.LaunchConfigurationName), out var configuration)
                || InstanceSizes.Of(configuration.InstanceType) is not { } size)
            {
                continue;
            }

            var instances = state.InstancesOf(found.Key).Where(i => i.Live).ToList();
            var busy = instances.Where(i => demand.InstancesWithTasks.Contains(i.InstanceId)).ToList();
            // Instances with no task yet (launching, or registered and not yet given the waiting tasks) take those first.
            var idle = instances.Count - busy.Count;
            var needed = ManagedScaling.Needed(instances.Count, busy.Count, idle, demand.Waiting, (size.CpuUnits, size.MemoryMiB));
            var metric = ManagedScaling.Reservation(needed, instances.Count);
            foreach (var cluster in demand.Clusters)
            {
                var key = new MetricKey(Namespace, MetricName, [new("CapacityProviderName", demand.Provider.Name), new("ClusterName", cluster)]);
                metrics.Put(key, now, Statistics.Of(metric), "Percent", now);
            }

            var settings = demand.Settings;
            var scaling = settings.ManagedScaling;
            if (scaling?.Status == "ENABLED")
            {
                var target = scaling.TargetCapacity ?? 100;
                _below[demand.Provider.CapacityProviderArn] = metric < target ? _below.GetValueOrDefault(demand.Provider.CapacityProviderArn) + 1 : 0;
                var warmup = TimeSpan.FromSeconds(scaling.InstanceWarmupPeriod ?? 300);
                var warming = instances.Any(i => i.LifecycleState == LifecycleState.Pending || now - i.LaunchedAt < warmup);
                var next = ManagedScaling.NextDesired(
                    needed, instances.Count, found.Group.DesiredCapacity,
                    new ScalingSettings(target, scaling.MinimumScalingStepSize ?? 1, scaling.MaximumScalingStepSize ?? 10000),
                    found.Group.MinSize, found.Group.MaxSize, warming, _below[demand.Provider.CapacityProviderArn] >= ScaleInPeriods);
                if (next is { } desired && await asg.ExecuteAsync(s => GroupDecisions.SetDesiredIfUnchanged(s, found.Key, found.Group, desired)))
                {
                    LogScaled(logger, demand.Provider.Name, found.Group.Name, found.Group.DesiredCapacity, desired, metric);
                    _below[demand.Provider.CapacityProviderArn] = 0;
                }
            }

            if (settings.ManagedTerminationProtection == "ENABLED")
            {
                var changes = instances.Where(i => i.ProtectedFromScaleIn != busy.Contains(i)).ToList();
                if (changes.Count > 0)
                {
                    await asg.ExecuteAsync(s => ProtectIfUnchanged(s, changes));
                }
            }
        }
    }

    /// <summary>Flips the protection of each of <paramref name="read"/> still the very record the plan read.</summary>
    internal static Decision<AsgState, int> ProtectIfUnchanged(AsgState state, IReadOnlyList<InstanceRecord> read)
    {
        var edit = new AsgEdit(state);
        var count = 0;
        foreach (var instance in read)
        {
            if (state.Instances.TryGetValue(instance.InstanceId, out var now) && ReferenceEquals(now, instance))
            {
                edit.Put(instance with { ProtectedFromScaleIn = !instance.ProtectedFromScaleIn });
                count++;
            }
        }

        return edit.Done(count);
    }

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await PassAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Managed scaling of {Provider}: group {Group} desired capacity {From} -> {To} (reservation {Reservation}%)")]
    private static partial void LogScaled(ILogger logger, string provider, string group, int from, int to, double reservation);

    [LoggerMessage(Level = LogLevel.Error, Message = "Managed scaling pass failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
