using Berth.AutoScaling.State;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.AutoScaling.Scaling;

/// <summary>The writes that record what the controller did, as decisions on the Application Auto Scaling state.</summary>
public static class ScalingRecords
{
    /// <summary>
    /// Records a change applied to a service: the activity, the target's last scale-out or scale-in time and the step
    /// policies' last scaling. Nothing when the target is gone meanwhile.
    /// </summary>
    public static Decision<AutoScalingState, bool> Scaled(AutoScalingState state, string targetKey, ScalingChange change, string activityId, DateTimeOffset now)
    {
        if (!state.Targets.TryGetValue(targetKey, out var target))
        {
            return new(state, [], false);
        }

        var mutations = new List<Mutation>();
        var next = change.Direction switch
        {
            ScalingDirection.Out => target with { ScaledOutAt = now },
            ScalingDirection.In => target with { ScaledInAt = now },
            _ => target,
        };
        var policies = state.Policies;
        foreach (var name in change.PolicyNames)
        {
            var key = AutoScalingState.ChildKey(targetKey, name);
            if (policies.TryGetValue(key, out var policy))
            {
                var updated = policy with { LastScaledAt = now };
                policies = policies.SetItem(key, updated);
                mutations.Add(AutoScalingCodec.Put(updated));
            }
        }

        if (!ReferenceEquals(next, target))
        {
            mutations.Add(AutoScalingCodec.Put(next));
        }

        var activity = new ActivityRecord
        {
            Id = activityId,
            Region = target.Region,
            ResourceId = target.ResourceId,
            Dimension = target.Dimension,
            Description = change.Description,
            Cause = change.Cause,
            StartTime = now,
            EndTime = now,
            StatusCode = "Successful",
            StatusMessage = change.StatusMessage,
        };
        var s = state with { Targets = state.Targets.SetItem(targetKey, next), Policies = policies };
        s = AddActivity(s, targetKey, activity, mutations);
        return new(s, mutations, true);
    }

    /// <summary>
    /// Runs a scheduled action for <paramref name="due"/>: the target's new range and the activity (when in its
    /// window), and the action's last run. Nothing when the action changed or went meanwhile (re-planned next round).
    /// </summary>
    public static Decision<AutoScalingState, bool> RunScheduled(AutoScalingState state, ScheduledActionRecord planned, DateTimeOffset due, string activityId, DateTimeOffset now)
    {
        var key = AutoScalingCodec.KeyOf(planned);
        var targetKey = AutoScalingState.TargetKey(planned.Region, planned.ResourceId, planned.Dimension);
        if (!state.ScheduledActions.TryGetValue(key, out var action) || !ReferenceEquals(action, planned) || !state.Targets.TryGetValue(targetKey, out var target))
        {
            return new(state, [], false);
        }

        var ran = action with { LastRun = due };
        var mutations = new List<Mutation> { AutoScalingCodec.Put(ran) };
        var s = state with { ScheduledActions = state.ScheduledActions.SetItem(key, ran) };
        if (!target.Suspended.Scheduled && ScheduledFiring.InWindow(action, due))
        {
            var (min, max) = ScheduledFiring.Apply(target, action);
            var next = target with { Min = min, Max = max };
            mutations.Add(AutoScalingCodec.Put(next));
            s = s with { Targets = s.Targets.SetItem(targetKey, next) };
            var activity = new ActivityRecord
            {
                Id = activityId,
                Region = target.Region,
                ResourceId = target.ResourceId,
                Dimension = target.Dimension,
                Description = ScheduledFiring.Describe(action),
                Cause = $"scheduled action name {action.Name} was triggered",
                StartTime = now,
                EndTime = now,
                StatusCode = "Successful",
                StatusMessage = $"Successfully set min capacity to {min} and max capacity to {max}",
            };
            s = AddActivity(s, targetKey, activity, mutations);
        }

        return new(s, mutations, true);
    }

    // Keeps a target's most recent activities; the oldest beyond the bound are deleted with the same commit.
    private static AutoScalingState AddActivity(AutoScalingState state, string targetKey, ActivityRecord activity, List<Mutation> mutations)
    {
        var activities = state.Activities.SetItem(AutoScalingState.ActivityKey(activity), activity);
        mutations.Add(AutoScalingCodec.Put(activity));
        var mine = activities.Where(p => p.Key.StartsWith(targetKey + "|", StringComparison.Ordinal)).Select(p => p.Key).ToList();
        foreach (var old in mine.Take(Math.Max(0, mine.Count - AutoScalingState.ActivitiesPerTarget)))
        {
            activities = activities.Remove(old);
            mutations.Add(Mutation.Delete(AutoScalingCodec.ActivityKind, old));
        }

        return state with { Activities = activities };
    }
}
