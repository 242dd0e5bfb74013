using Berth.Ec2AutoScaling.Groups;
using Berth.Ec2AutoScaling.State;
using Berth.Storage.Commit;

namespace Berth.Ec2AutoScaling.Provisioning;

/// <summary>An instance to launch into a group.</summary>
/// <param name="GroupKey">The group's key.</param>
/// <param name="InstanceId">Its new id.</param>
/// <param name="AvailabilityZone">The zone with the fewest of the group's instances.</param>
/// <param name="ActivityId">The launch activity's id.</param>
public sealed record Launch(string GroupKey, string InstanceId, string AvailabilityZone, string ActivityId);

/// <summary>An instance to take out of a group.</summary>
/// <param name="Instance">The instance, as the plan read it.</param>
/// <param name="ActivityId">The termination activity's id.</param>
public sealed record Termination(InstanceRecord Instance, string ActivityId);

/// <summary>What the provisioner will record: launches and terminations, each checked again by the writer.</summary>
/// <param name="Launches">Instances to launch.</param>
/// <param name="Terminations">Instances to terminate.</param>
public sealed record ProvisionPlan(IReadOnlyList<Launch> Launches, IReadOnlyList<Termination> Terminations)
{
    /// <summary>Whether there is nothing to do.</summary>
    public bool IsEmpty => Launches.Count == 0 && Terminations.Count == 0;
}

/// <summary>
/// The provisioner's decision, pure: each group's live instances (not terminating) against its desired capacity.
/// Fewer: launch the difference, each in the zone with the fewest instances. More: terminate the difference as AWS's
/// default termination policy chooses, never a protected instance — the zone with the most unprotected instances,
/// then instances of a launch configuration the group no longer uses, then the one closest to its next billing hour,
/// then by id. A group being deleted terminates every instance.
/// </summary>
public static class InstancePlan
{
    /// <summary>Plans every group of <paramref name="state"/>.</summary>
    public static ProvisionPlan Plan(AsgState state, DateTimeOffset now, Func<string> newInstanceId, Func<string> newActivityId)
    {
        var launches = new List<Launch>();
        var terminations = new List<Termination>();
        foreach (var (key, group) in state.Groups)
        {
            var instances = state.InstancesOf(key).ToList();
            var live = instances.Where(i => i.Live).ToList();
            if (group.Deleting)
            {
                terminations.AddRange(live.Select(i => new Termination(i, newActivityId())));
                continue;
            }

            if (live.Count < group.DesiredCapacity)
            {
                var perZone = group.AvailabilityZones.ToDictionary(z => z, z => live.Count(i => i.AvailabilityZone == z), StringComparer.Ordinal);
                for (var n = live.Count; n < group.DesiredCapacity; n++)
                {
                    var zone = perZone.OrderBy(z => z.Value).ThenBy(z => z.Key, StringComparer.Ordinal).Select(z => z.Key).FirstOrDefault() ?? "local-1a";
                    perZone[zone] = perZone.GetValueOrDefault(zone) + 1;
                    launches.Add(new Launch(key, newInstanceId(), zone, newActivityId()));
                }
            }
            else if (live.Count > group.DesiredCapacity)
            {
                terminations.AddRange(ChooseForScaleIn(group, live, live.Count - group.DesiredCapacity, now).Select(i => new Termination(i, newActivityId())));
            }
        }

        return new ProvisionPlan(launches, terminations);
    }

    /// <summary>Up to <paramref name="count"/> of <paramref name="live"/> for scale-in, in the default termination policy's order.</summary>
    public static IReadOnlyList<InstanceRecord> ChooseForScaleIn(GroupRecord group, IReadOnlyList<InstanceRecord> live, int count, DateTimeOffset now)
    {
        var chosen = new List<InstanceRecord>();
        var candidates = live.Where(i => !i.ProtectedFromScaleIn).ToList();
        while (chosen.Count < count && candidates.Count > 0)
        {
            // Zones stay balanced: the zone with the most unprotected instances gives one up first.
            var zone = candidates.GroupBy(i => i.AvailabilityZone).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
            var next = candidates.Where(i => i.AvailabilityZone == zone)
                .OrderBy(i => i.LaunchConfigurationName == group.LaunchConfigurationName ? 1 : 0)
                .ThenBy(i => UntilBillingHour(i, now))
                .ThenBy(i => i.InstanceId, StringComparer.Ordinal)
                .First();
            chosen.Add(next);
            candidates.Remove(next);
        }

        return chosen;
    }

    private static TimeSpan UntilBillingHour(InstanceRecord instance, DateTimeOffset now)
    {
        var running = now - instance.LaunchedAt;
        var intoHour = TimeSpan.FromTicks(Math.Max(0, running.Ticks) % TimeSpan.TicksPerHour);
        return TimeSpan.FromHours(1) - intoHour;
    }
}

/// <summary>The provisioner's writes, in the writer: record intents (checked again on the newest state), then their outcomes.</summary>
public static class ProvisionDecisions
{
    /// <summary>
    /// Records <paramref name="plan"/>: a launch becomes a Pending instance and its activity (before anything is started,
    /// so a restart finishes it and never launches it twice), a termination marks the instance Terminating. Each part
    /// is re-checked: a group still short of (or over) its desired capacity, an instance still the very record read.
    /// </summary>
    public static Decision<AsgState, ProvisionPlan> Record(AsgState state, ProvisionPlan plan, DateTimeOffset now)
    {
        var edit = new AsgEdit(state);
        var launched = new List<Launch>();
        var terminated = new List<Termination>();
        foreach (var launch in plan.Launches)
        {
            if (!edit.State.Groups.TryGetValue(launch.GroupKey, out var group) || group.Deleting
                || !edit.State.LaunchConfigurations.TryGetValue(AsgState.Key(AsgState.RegionOf(launch.GroupKey), group.LaunchConfigurationName), out var configuration))
            {
                continue;
            }

            var live = edit.State.InstancesOf(launch.GroupKey).Count(i => i.Live);
            if (live >= group.DesiredCapacity || edit.State.Instances.ContainsKey(launch.InstanceId))
            {
                continue;
            }

            var instance = new InstanceRecord
            {
                InstanceId = launch.InstanceId,
                GroupKey = launch.GroupKey,
                LaunchConfigurationName = configuration.Name,
                InstanceType = configuration.InstanceType,
                ImageId = configuration.ImageId,
                AvailabilityZone = launch.AvailabilityZone,
                LifecycleState = LifecycleState.Pending,
                ProtectedFromScaleIn = group.NewInstancesProtectedFromScaleIn,
                LaunchedAt = now,
                ActivityId = launch.ActivityId,
            };
            var cause = $"At {GroupDecisions.Stamp(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {live} to {group.DesiredCapacity}.";
            edit.Put(Activities.Launching(launch.GroupKey, group, instance, launch.ActivityId, cause, now));
            edit.Put(instance);
            launched.Add(launch);
        }

        foreach (var termination in plan.Terminations)
        {
            var read = termination.Instance;
            if (!edit.State.Instances.TryGetValue(read.InstanceId, out var instance) || !ReferenceEquals(instance, read) || !edit.State.Groups.TryGetValue(instance.GroupKey, out var group))
            {
                continue;
            }

            var live = edit.State.InstancesOf(instance.GroupKey).Count(i => i.Live);
            if (!group.Deleting && (live <= group.DesiredCapacity || instance.ProtectedFromScaleIn))
            {
                continue;
            }

            var cause = group.Deleting
                ? $"At {GroupDecisions.Stamp(now)} a user request delete the AutoScalingGroup."
                : $"At {GroupDecisions.Stamp(now)} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from {live} to {group.DesiredCapacity}.";
            edit.Put(Activities.Terminating(group, instance, termination.ActivityId, cause, now));
            edit.Put(instance with { LifecycleState = LifecycleState.Terminating, ActivityId = termination.ActivityId });
            terminated.Add(termination);
        }

        return edit.Done(new ProvisionPlan(launched, terminated));
    }

    /// <summary>
    /// An InService instance whose host is gone (its agent away longer than the limit, and no server hosting it): it is
    /// taken out of service as by EC2's health check, and the group launches a replacement (its desired capacity is
    /// unchanged). Re-checked: the instance must still be the very record the plan read.
    /// </summary>
    public static Decision<AsgState, bool> ReplaceLost(AsgState state, InstanceRecord read, string activityId, DateTimeOffset now)
    {
        var edit = new AsgEdit(state);
        if (!state.Instances.TryGetValue(read.InstanceId, out var instance) || !ReferenceEquals(instance, read)
            || instance.LifecycleState != LifecycleState.InService || !state.Groups.TryGetValue(instance.GroupKey, out var group))
        {
            return edit.Done(false);
        }

        var cause = $"At {GroupDecisions.Stamp(now)} an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.";
        edit.Put(Activities.Terminating(group, instance, activityId, cause, now));
        edit.Put(instance with { LifecycleState = LifecycleState.Terminating, ActivityId = activityId });
        return edit.Done(true);
    }

    /// <summary>A Pending instance's agent is running: it is InService and its launch activity successful.</summary>
    public static Decision<AsgState, bool> Launched(AsgState state, string instanceId, DateTimeOffset now)
    {
        var edit = new AsgEdit(state);
        if (!state.Instances.TryGetValue(instanceId, out var instance) || instance.LifecycleState != LifecycleState.Pending)
        {
            return edit.Done(false);
        }

        edit.Put(instance with { LifecycleState = LifecycleState.InService });
        Finish(edit, instance.ActivityId, now, null);
        return edit.Done(true);
    }

    /// <summary>A Terminating instance has stopped: it leaves the group (a deleted group goes once its last instance has).</summary>
    public static Decision<AsgState, bool> Terminated(AsgState state, string instanceId, DateTimeOffset now)
    {
        var edit = new AsgEdit(state);
        if (!state.Instances.TryGetValue(instanceId, out var instance) || instance.LifecycleState != LifecycleState.Terminating)
        {
            return edit.Done(false);
        }

        edit.RemoveInstance(instanceId);
        Finish(edit, instance.ActivityId, now, null);
        if (edit.State.Groups.TryGetValue(instance.GroupKey, out var group) && group.Deleting && !edit.State.InstancesOf(instance.GroupKey).Any())
        {
            edit.RemoveGroup(instance.GroupKey);
        }

        return edit.Done(true);
    }

    /// <summary>A launch that failed (the external provisioner refused it): the instance is gone, the activity Failed.</summary>
    public static Decision<AsgState, bool> LaunchFailed(AsgState state, string instanceId, string message, DateTimeOffset now)
    {
        var edit = new AsgEdit(state);
        if (!state.Instances.TryGetValue(instanceId, out var instance) || instance.LifecycleState != LifecycleState.Pending)
        {
            return edit.Done(false);
        }

        edit.RemoveInstance(instanceId);
        Finish(edit, instance.ActivityId, now, message);
        return edit.Done(true);
    }

    private static void Finish(AsgEdit edit, string? activityId, DateTimeOffset now, string? failure)
    {
        if (activityId is not null && edit.State.Activities.TryGetValue(activityId, out var activity) && activity.StatusCode == "InProgress")
        {
            edit.Put(activity with { StatusCode = failure is null ? "Successful" : "Failed", StatusMessage = failure, Progress = 100, EndTime = now });
        }
    }
}
