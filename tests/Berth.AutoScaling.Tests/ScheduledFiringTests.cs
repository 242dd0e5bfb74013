using Berth.AutoScaling.Scaling;
using Berth.AutoScaling.State;

namespace Berth.AutoScaling.Tests;

/// <summary>When scheduled actions run, and what they do to the target.</summary>
public class ScheduledFiringTests
{
    private static readonly DateTimeOffset Created = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    private static ScheduledActionRecord Action(string schedule, string? zone = null, DateTimeOffset? lastRun = null, int? min = 3, int? max = 6, DateTimeOffset? start = null, DateTimeOffset? end = null) => new()
    {
        Region = "us-east-1",
        ResourceId = "service/default/web",
        Dimension = "ecs:service:DesiredCount",
        Name = "a",
        Arn = "arn:a",
        Schedule = schedule,
        Timezone = zone,
        Min = min,
        Max = max,
        StartTime = start,
        EndTime = end,
        CreatedAt = Created,
        LastRun = lastRun ?? Created,
    };

    private static ScalableTargetRecord Target(int min = 1, int max = 4) => new()
    {
        Region = "us-east-1",
        ResourceId = "service/default/web",
        Dimension = "ecs:service:DesiredCount",
        Arn = "arn:t",
        Min = min,
        Max = max,
        CreatedAt = Created,
    };

    [Fact]
    public void At_runs_once_at_its_second()
    {
        var a = Action("at(2026-12-02T10:00:30)");
        Assert.Null(ScheduledFiring.Due(a, Created.AddSeconds(29)));
        Assert.Equal(Created.AddSeconds(30), ScheduledFiring.Due(a, Created.AddSeconds(31)));
        Assert.Null(ScheduledFiring.Due(a with { LastRun = Created.AddSeconds(30) }, Created.AddHours(1)));
    }

    [Fact]
    public void At_is_read_in_its_time_zone()
    {
        // 11:00:30 in Paris (UTC+1 in December) is 10:00:30 UTC.
        var a = Action("at(2026-12-02T11:00:30)", "Europe/Paris");
        Assert.Equal(Created.AddSeconds(30), ScheduledFiring.Due(a, Created.AddMinutes(1)));
    }

    [Fact]
    public void Missed_times_run_once_for_the_latest()
    {
        var a = Action("cron(0 * * * ? *)");
        Assert.Equal(Created.AddHours(5), ScheduledFiring.Due(a, Created.AddHours(5).AddMinutes(10)));
    }

    [Fact]
    public void The_window_and_the_range()
    {
        Assert.False(ScheduledFiring.InWindow(Action("rate(1 hour)", start: Created.AddHours(2)), Created.AddHours(1)));
        Assert.True(ScheduledFiring.InWindow(Action("rate(1 hour)", end: Created.AddHours(2)), Created.AddHours(1)));
        Assert.Equal((3, 6), ScheduledFiring.Apply(Target(), Action("rate(1 hour)")));
        Assert.Equal((5, 5), ScheduledFiring.Apply(Target(1, 4), Action("rate(1 hour)", min: 5, max: null)));
        Assert.Equal((0, 0), ScheduledFiring.Apply(Target(1, 4), Action("rate(1 hour)", min: null, max: 0)));
    }

    [Fact]
    public void Running_records_the_range_and_an_activity()
    {
        var target = Target();
        var key = AutoScalingState.TargetKey(target.Region, target.ResourceId, target.Dimension);
        var action = Action("at(2026-12-02T10:00:30)");
        var state = AutoScalingState.Empty with
        {
            Targets = AutoScalingState.Empty.Targets.Add(key, target),
            ScheduledActions = AutoScalingState.Empty.ScheduledActions.Add(AutoScalingCodec.KeyOf(action), action),
        };
        var ran = ScalingRecords.RunScheduled(state, action, Created.AddSeconds(30), "x", Created.AddSeconds(31));
        Assert.True(ran.Result);
        Assert.Equal((3, 6), (ran.State.Targets[key].Min, ran.State.Targets[key].Max));
        var activity = ran.State.Activities.Values.Single();
        Assert.Equal(("Setting min capacity to 3 and max capacity to 6", "scheduled action name a was triggered", "Successful"), (activity.Description, activity.Cause, activity.StatusCode));

        // Planned on an action that changed meanwhile: nothing.
        Assert.False(ScalingRecords.RunScheduled(state, action with { Min = 9 }, Created.AddSeconds(30), "y", Created.AddSeconds(31)).Result);

        // Suspended: the time passes, the range stays.
        var suspended = state with { Targets = state.Targets.SetItem(key, target with { Suspended = new Suspension(false, false, true) }) };
        var skipped = ScalingRecords.RunScheduled(suspended, action, Created.AddSeconds(30), "z", Created.AddSeconds(31));
        Assert.Equal((1, 4), (skipped.State.Targets[key].Min, skipped.State.Targets[key].Max));
        Assert.Empty(skipped.State.Activities);
    }
}
