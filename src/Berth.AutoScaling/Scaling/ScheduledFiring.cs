using Berth.AutoScaling.Api;
using Berth.AutoScaling.State;
using Berth.Events.Schedules;

namespace Berth.AutoScaling.Scaling;

/// <summary>
/// When a scheduled action runs, as a pure function of (action, target, now): the latest due time of its schedule
/// (in its time zone) after the one it last ran for, not after now. Missed times (the server was down) run once, for
/// the latest; a time outside [StartTime, EndTime] is passed without changing the target.
/// </summary>
public static class ScheduledFiring
{
    /// <summary>The due time to run for now, or null.</summary>
    public static DateTimeOffset? Due(ScheduledActionRecord action, DateTimeOffset now)
    {
        if (!ScheduleExpression.TryParse(action.Schedule, ScheduleDialect.Scheduler, out var expression, out _))
        {
            return null;
        }

        var zone = action.Timezone is { } id ? ScalingDecisions.Zone(id) ?? TimeZoneInfo.Utc : TimeZoneInfo.Utc;
        var anchor = action.StartTime ?? action.CreatedAt;
        var after = action.LastRun ?? action.CreatedAt;
        DateTimeOffset? due = null;

        // Bounded catch-up: a rate(1 minute) missed for a week still costs at most this many steps per round.
        for (var i = 0; i < 10_000; i++)
        {
            var next = expression!.NextAfter(after, anchor, zone);
            if (next is not { } n || n > now)
            {
                break;
            }

            due = n;
            after = n;
        }

        return due;
    }

    /// <summary>Whether a due time lies in the action's [StartTime, EndTime].</summary>
    public static bool InWindow(ScheduledActionRecord action, DateTimeOffset due) =>
        (action.StartTime is not { } start || due >= start) && (action.EndTime is not { } end || due <= end);

    /// <summary>The range a target gets from an action: the given bounds replace the old, the other widened to fit.</summary>
    public static (int Min, int Max) Apply(ScalableTargetRecord target, ScheduledActionRecord action)
    {
        var min = action.Min ?? target.Min;
        var max = action.Max ?? target.Max;
        if (min > max)
        {
            // Only one bound was given and it crossed the other: the other follows it.
            if (action.Min is not null && action.Max is null)
            {
                max = min;
            }
            else
            {
                min = max;
            }
        }

        return (min, max);
    }

    /// <summary>The activity's description for the range it sets.</summary>
    public static string Describe(ScheduledActionRecord action) => (action.Min, action.Max) switch
    {
        ({ } min, { } max) => $"Setting min capacity to {min} and max capacity to {max}",
        ({ } min, null) => $"Setting min capacity to {min}",
        (null, { } max) => $"Setting max capacity to {max}",
        _ => "Setting capacity",
    };
}
