namespace Berth.Scheduling.Capacity;

/// <summary>A capacity provider's managed scaling settings (ECS's <c>managedScaling</c>).</summary>
/// <param name="TargetCapacity">The reservation to track, percent (1–100).</param>
/// <param name="MinimumStep">Fewest instances one scale-out adds.</param>
/// <param name="MaximumStep">Most instances one scale-out adds.</param>
public sealed record ScalingSettings(int TargetCapacity, int MinimumStep, int MaximumStep);

/// <summary>
/// ECS cluster auto scaling's arithmetic, pure: the <c>CapacityProviderReservation</c> metric and the desired
/// capacity target tracking moves the group to.
/// </summary>
public static class ManagedScaling
{
    /// <summary>
    /// <c>CapacityProviderReservation</c> as ECS documents it: M / N × 100, where N is the instances the group runs
    /// and M the instances needed (those running tasks, plus what tasks waiting in PROVISIONING need). With N = 0 it is
    /// 200 when anything is needed, 100 when nothing is (no instances, nothing to run).
    /// </summary>
    public static double Reservation(int needed, int running)
    {
        if (running == 0)
        {
            return needed > 0 ? 200 : 100;
        }

        return needed * 100.0 / running;
    }

    /// <summary>
    /// M: the instances needed. Instances already running tasks count; while tasks wait, M is N plus the instances a
    /// first-fit packing of the waiting tasks onto empty instances of <paramref name="instanceSize"/> takes (largest
    /// first) beyond the <paramref name="launching"/> ones (instances with no task yet: launched, or registered and not
    /// yet given the waiting tasks; they take the first of them), so the reservation is above 100 only while more
    /// instances are needed than are coming. A
    /// task larger than an instance can never run there and adds nothing.
    /// </summary>
    public static int Needed(int running, int withTasks, int launching, IReadOnlyList<(int Cpu, int Memory)> waiting, (int Cpu, int Memory) instanceSize)
    {
        if (waiting.Count == 0)
        {
            return withTasks;
        }

        return Math.Max(running, withTasks) + Math.Max(0, InstancesFor(waiting, instanceSize) - launching);
    }

    /// <summary>How many empty instances of <paramref name="instanceSize"/> the <paramref name="tasks"/> fill, first fit, largest first.</summary>
    public static int InstancesFor(IReadOnlyList<(int Cpu, int Memory)> tasks, (int Cpu, int Memory) instanceSize)
    {
        var bins = new List<(int Cpu, int Memory)>();
        foreach (var task in tasks.Where(t => t.Cpu <= instanceSize.Cpu && t.Memory <= instanceSize.Memory).OrderByDescending(t => t.Memory).ThenByDescending(t => t.Cpu))
        {
            var at = bins.FindIndex(b => b.Cpu >= task.Cpu && b.Memory >= task.Memory);
            if (at < 0)
            {
                bins.Add((instanceSize.Cpu - task.Cpu, instanceSize.Memory - task.Memory));
            }
            else
            {
                bins[at] = (bins[at].Cpu - task.Cpu, bins[at].Memory - task.Memory);
            }
        }

        return bins.Count;
    }

    /// <summary>
    /// The group's next desired capacity, or null for no change. Above the target: scale out to the capacity that
    /// brings the metric to the target (ceil(M × 100 / target)), by at least the minimum and at most the maximum step,
    /// unless instances are still warming up. Below the target: scale in to that capacity once the metric has been
    /// below long enough (<paramref name="scaleInAllowed"/>: target tracking's 15 consecutive periods). Always
    /// within the group's bounds.
    /// </summary>
    public static int? NextDesired(int needed, int running, int desired, ScalingSettings settings, int minSize, int maxSize, bool warmingUp, bool scaleInAllowed)
    {
        var metric = Reservation(needed, running);
        var wanted = (int)Math.Ceiling(needed * 100.0 / settings.TargetCapacity);
        int next;
        if (metric > settings.TargetCapacity)
        {
            if (warmingUp)
            {
                return null;
            }

            var step = Math.Clamp(wanted - running, settings.MinimumStep, settings.MaximumStep);
            next = Math.Max(desired, running + step);
        }
        else if (metric < settings.TargetCapacity && running > 0)
        {
            if (!scaleInAllowed)
            {
                return null;
            }

            next = Math.Min(desired, wanted);
        }
        else
        {
            return null;
        }

        next = Math.Clamp(next, minSize, maxSize);
        return next == desired ? null : next;
    }
}
