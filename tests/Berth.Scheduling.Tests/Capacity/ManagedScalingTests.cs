using Berth.Scheduling.Capacity;

namespace Berth.Scheduling.Tests.Capacity;

/// <summary>ECS cluster auto scaling's arithmetic as tables: the reservation metric, instances needed, target tracking steps.</summary>
public class ManagedScalingTests
{
    private static readonly ScalingSettings Default = new(100, 1, 10000);

    public static TheoryData<string, int, int, double> Reservations => new()
    {
        // ECS: "CapacityProviderReservation = M / N × 100" ...
        { "half the instances busy", 1, 2, 50 },
        { "every instance busy", 3, 3, 100 },
        { "waiting tasks need more than run", 5, 2, 250 },
        { "nothing runs, nothing needed", 0, 0, 100 },
        { "tasks wait and N = 0", 2, 0, 200 },
        { "one needed of none", 1, 0, 200 },
        { "idle instances", 0, 4, 0 },
    };

    [Theory]
    [MemberData(nameof(Reservations))]
    public void Reservation_as_ECS_documents_it(string why, int needed, int running, double expected)
        => Assert.True(expected == ManagedScaling.Reservation(needed, running), why);

    public static TheoryData<string, (int, int)[], (int, int), int> Packings => new()
    {
        { "nothing waits", [], (2048, 1024), 0 },
        { "four 256 MiB tasks fill one 1 GiB instance", [(256, 256), (256, 256), (256, 256), (256, 256)], (2048, 1024), 1 },
        { "five need two", [(256, 256), (256, 256), (256, 256), (256, 256), (256, 256)], (2048, 1024), 2 },
        { "CPU binds too", [(1024, 128), (1024, 128), (1024, 128)], (2048, 1024), 2 },
        { "largest first packs tighter", [(128, 300), (128, 700), (128, 300), (128, 700)], (2048, 1024), 2 },
        { "a task larger than an instance adds nothing", [(256, 4096)], (2048, 1024), 0 },
    };

    [Theory]
    [MemberData(nameof(Packings))]
    public void Instances_for_waiting_tasks(string why, (int, int)[] tasks, (int, int) size, int expected)
        => Assert.True(expected == ManagedScaling.InstancesFor(tasks, size), why + ": " + ManagedScaling.InstancesFor(tasks, size));

    public static TheoryData<string, int, int, int, (int, int)[], int> Needs => new()
    {
        { "busy instances only", 3, 1, 0, [], 1 },
        { "from zero: what the waiting tasks fill", 0, 0, 0, [(256, 256), (256, 256), (256, 256), (256, 256), (256, 256)], 2 },
        { "tasks wait while N run: above N", 3, 2, 0, [(256, 256)], 4 },
        { "instances still launching take the waiting tasks first", 2, 0, 2, [(256, 256), (256, 256), (256, 256), (256, 256)], 2 },
        { "more waiting than launching instances take", 2, 0, 1, [(256, 256), (256, 256), (256, 256), (256, 256), (256, 256)], 3 },
        { "a waiting task that fits no instance: nothing more", 2, 2, 0, [(256, 4096)], 2 },
    };

    [Theory]
    [MemberData(nameof(Needs))]
    public void Needed_counts_busy_instances_and_what_waits_beyond_what_is_launching(string why, int running, int withTasks, int launching, (int, int)[] waiting, int expected)
    {
        var got = ManagedScaling.Needed(running, withTasks, launching, waiting, (2048, 1024));
        Assert.True(expected == got, $"{why}: {got}");
    }

    public static TheoryData<string, int, int, int, ScalingSettings, int, int, bool, bool, int?> Steps => new()
    {
        { "from zero: straight to what the waiting tasks need", 3, 0, 0, Default, 0, 10, false, false, 3 },
        { "from zero: at least the minimum step", 1, 0, 0, new(100, 2, 10), 0, 10, false, false, 2 },
        { "at most the maximum step", 8, 0, 0, new(100, 1, 3), 0, 10, false, false, 3 },
        { "never above the group's maximum", 8, 0, 0, Default, 0, 5, false, false, 5 },
        { "target 50: twice the needed", 2, 2, 2, new(50, 1, 100), 0, 10, false, false, 4 },
        { "no scale-out while instances warm up", 5, 2, 2, Default, 0, 10, true, false, null },
        { "at the target: nothing", 2, 2, 2, Default, 0, 10, false, true, null },
        { "below the target, not long enough: nothing", 1, 3, 3, Default, 0, 10, false, false, null },
        { "below the target long enough: scale in to the needed", 1, 3, 3, Default, 0, 10, false, true, 1 },
        { "idle: scale in to the minimum", 0, 3, 3, Default, 1, 10, false, true, 1 },
        { "idle with minimum 0: to zero", 0, 3, 3, Default, 0, 10, false, true, 0 },
        { "N = 0 and nothing needed: nothing", 0, 0, 0, Default, 0, 10, false, true, null },
        { "a desired capacity already raised is kept", 2, 1, 3, Default, 0, 10, false, false, null },
    };

    [Theory]
    [MemberData(nameof(Steps))]
    public void Target_tracking_steps(string why, int needed, int running, int desired, ScalingSettings settings, int min, int max, bool warming, bool scaleIn, int? expected)
    {
        var got = ManagedScaling.NextDesired(needed, running, desired, settings, min, max, warming, scaleIn);
        Assert.True(expected == got, $"{why}: got {got?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no change"}");
    }
}
