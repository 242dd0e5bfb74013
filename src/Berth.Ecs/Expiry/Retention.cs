using Berth.Ecs.Capacity;
using Berth.Ecs.State;
using Berth.Storage.Commit;

namespace Berth.Ecs.Expiry;

/// <summary>How long what ECS forgets stays visible.</summary>
/// <param name="StoppedTasks">A stopped task stays visible to DescribeTasks and ListTasks this long after it stopped (ECS: at least an hour).</param>
/// <param name="InactiveServices">An INACTIVE service stays describable this long.</param>
/// <param name="ClientTokens">A RunTask client token replays its tasks this long (its tasks are gone after <paramref name="StoppedTasks"/> anyway).</param>
public sealed record RetentionPeriods(TimeSpan StoppedTasks, TimeSpan InactiveServices, TimeSpan ClientTokens)
{
    /// <summary>ECS's documented minimum for stopped tasks, used for all three.</summary>
    public static RetentionPeriods Default { get; } = Of(TimeSpan.FromHours(1));

    /// <summary>One period for all three.</summary>
    public static RetentionPeriods Of(TimeSpan period) => new(period, period, period);
}

/// <summary>What one expiry pass removes: planned on a snapshot, each item checked again when applied.</summary>
/// <param name="Tasks">Stopped tasks past retention.</param>
/// <param name="Services">INACTIVE services past retention.</param>
/// <param name="ClientTokens">Client tokens past retention.</param>
public sealed record ExpiryPlan(IReadOnlyList<string> Tasks, IReadOnlyList<string> Services, IReadOnlyList<string> ClientTokens)
{
    /// <summary>Whether there is nothing to remove.</summary>
    public bool IsEmpty => Tasks.Count == 0 && Services.Count == 0 && ClientTokens.Count == 0;

    /// <summary>How many items the plan removes.</summary>
    public int Count => Tasks.Count + Services.Count + ClientTokens.Count;
}

/// <summary>
/// Bounded growth as ECS bounds it: stopped tasks, INACTIVE services and client tokens are removed once their
/// retention has passed. <see cref="Plan"/> reads only the fronts of the time-ordered indexes (never every task);
/// <see cref="Apply"/> runs in the single writer and re-checks each item, so a task that changed since the plan
/// is left for the next pass. FARGATE usage of an expired task is folded into its cluster's metered totals first.
/// </summary>
public static class Retention
{
    /// <summary>At most this many items per plan, so one commit stays short and other writes interleave.</summary>
    public const int MaxPerPlan = 2_000;

    /// <summary>What is due for removal at <paramref name="now"/>, oldest first, at most <paramref name="limit"/> items.</summary>
    public static ExpiryPlan Plan(EcsState state, DateTimeOffset now, RetentionPeriods periods, int limit = MaxPerPlan)
    {
        var tasks = new List<string>();
        var taskCutoff = now - periods.StoppedTasks;
        foreach (var (at, arn) in state.StoppedTasks)
        {
            if (at > taskCutoff || tasks.Count >= limit)
            {
                break;
            }

            tasks.Add(arn);
        }

        var tokens = new List<string>();
        var tokenCutoff = now - periods.ClientTokens;
        foreach (var (at, key) in state.ClientTokensByTime)
        {
            if (at > tokenCutoff || tasks.Count + tokens.Count >= limit)
            {
                break;
            }

            tokens.Add(key);
        }

        // Services are few next to tasks; only INACTIVE ones are looked at closely.
        var services = new List<string>();
        var serviceCutoff = now - periods.InactiveServices;
        foreach (var (arn, stored) in state.Services)
        {
            if (tasks.Count + tokens.Count + services.Count >= limit)
            {
                break;
            }

            if (stored.Status == Services.ServiceStatus.Inactive && (stored.InactiveAt ?? DateTimeOffset.UnixEpoch) <= serviceCutoff)
            {
                services.Add(arn);
            }
        }

        return new ExpiryPlan(tasks, services, tokens);
    }

    /// <summary>
    /// Removes what <paramref name="plan"/> names that is still due on <paramref name="state"/> (the writer's newest
    /// state); the result is how many items were removed.
    /// </summary>
    public static Decision<EcsState, int> Apply(EcsState state, ExpiryPlan plan, DateTimeOffset now, RetentionPeriods periods)
    {
        var edit = new StateEdit(state);
        var removed = 0;
        foreach (var arn in plan.Tasks)
        {
            if (state.Tasks.TryGetValue(arn, out var task) && EcsState.StoppedAt(task) is { } at && at <= now - periods.StoppedTasks)
            {
                if (FargateCapacity.Runs(task))
                {
                    edit.Put(MeterTotals.Add(edit.State, task));
                }

                edit.RemoveTask(arn);
                removed++;
            }
        }

        foreach (var arn in plan.Services)
        {
            if (state.Services.TryGetValue(arn, out var stored) && stored.Status == Services.ServiceStatus.Inactive && (stored.InactiveAt ?? DateTimeOffset.UnixEpoch) <= now - periods.InactiveServices)
            {
                edit.RemoveService(arn);
                removed++;
            }
        }

        foreach (var key in plan.ClientTokens)
        {
            if (state.ClientTokens.TryGetValue(key, out var token) && EcsState.MadeAt(token) <= now - periods.ClientTokens)
            {
                edit.RemoveClientToken(key);
                removed++;
            }
        }

        return edit.Done(removed);
    }
}
