using Berth.Scheduling.Capacity;
using CsCheck;

namespace Berth.Scheduling.Tests.Capacity;

/// <summary>Which spot tasks make room for on-demand ones.</summary>
public class SpotPreemptionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

    private static SpotTask Spot(string arn, string host, int cpu = 256, int memory = 512, bool interrupting = false, int age = 0)
        => new(arn, host, cpu, memory, interrupting, T0.AddSeconds(-age));

    [Fact]
    public void Free_room_interrupts_nothing()
    {
        Assert.Empty(SpotPreemption.Choose([new SpotHost("h1", 512, 1024)], [Spot("s1", "h1")], 256, 512, 2));
    }

    [Fact]
    public void Just_enough_spot_tasks_go_and_the_host_needing_fewest_is_taken()
    {
        var hosts = new[] { new SpotHost("h1", 0, 0), new SpotHost("h2", 256, 512) };
        var spot = new[] { Spot("a", "h1"), Spot("b", "h1"), Spot("c", "h2") };

        // One 512/1024 task: h2 needs one interruption (c), h1 two.
        Assert.Equal(["c"], SpotPreemption.Choose(hosts, spot, 512, 1024, 1));

        // Two: c on h2, then a and b on h1.
        Assert.Equal(["c", "a", "b"], SpotPreemption.Choose(hosts, spot, 512, 1024, 2));
    }

    [Fact]
    public void Larger_then_younger_spot_tasks_go_first()
    {
        var hosts = new[] { new SpotHost("h1", 0, 0) };
        Assert.Equal(["big"], SpotPreemption.Choose(hosts, [Spot("small", "h1"), Spot("big", "h1", 1024, 2048)], 512, 1024, 1));
        Assert.Equal(["young"], SpotPreemption.Choose(hosts, [Spot("old", "h1", age: 100), Spot("young", "h1", age: 1)], 256, 512, 1));
    }

    [Fact]
    public void Room_already_coming_free_counts_and_nothing_is_interrupted_twice()
    {
        var hosts = new[] { new SpotHost("h1", 0, 0) };
        Assert.Empty(SpotPreemption.Choose(hosts, [Spot("going", "h1", interrupting: true), Spot("other", "h1")], 256, 512, 1));
        Assert.Equal(["other"], SpotPreemption.Choose(hosts, [Spot("going", "h1", interrupting: true), Spot("other", "h1")], 256, 512, 2));
    }

    [Fact]
    public void What_cannot_fit_anyway_interrupts_nothing_and_unusable_hosts_are_not_used()
    {
        Assert.Empty(SpotPreemption.Choose([new SpotHost("h1", 0, 0)], [Spot("s", "h1")], 4096, 8192, 1));
        Assert.Empty(SpotPreemption.Choose([new SpotHost("h1", 0, 0, Usable: false)], [Spot("s", "h1")], 256, 512, 1));
    }

    [Fact]
    public void Properties_hold()
    {
        var genHost = Gen.Select(Gen.Int[0, 4], Gen.Int[0, 4], Gen.Int[0, 6]);
        Gen.Select(genHost.Array[1, 4], Gen.Int[1, 4], Gen.Int[0, 6]).Sample((shape, size, count) =>
        {
            var hosts = shape.Select((h, i) => new SpotHost("h" + i, h.Item1 * 256, h.Item2 * 512)).ToList();
            var spot = shape.SelectMany((h, i) => Enumerable.Range(0, h.Item3).Select(j => Spot($"s{i}-{j}", "h" + i, age: j))).ToList();
            var chosen = SpotPreemption.Choose(hosts, spot, size * 256, size * 512, count);

            // Each chosen once, and only spot tasks that exist.
            Assert.Equal(chosen.Count, chosen.Distinct().Count());
            Assert.All(chosen, c => Assert.Contains(spot, s => s.TaskArn == c));

            // Never more than the on-demand tasks could need: each needs at most `size` spot tasks of one unit.
            Assert.True(chosen.Count <= count * size);

            // With the chosen gone, at least as many on-demand tasks fit as without any interruption.
            int Fits(IEnumerable<string> gone)
            {
                var free = hosts.ToDictionary(h => h.Id, h => (Cpu: h.FreeCpu / 256, Memory: h.FreeMemory / 512));
                foreach (var s in spot.Where(s => gone.Contains(s.TaskArn)))
                {
                    free[s.Host] = (free[s.Host].Cpu + 1, free[s.Host].Memory + 1);
                }

                return free.Values.Sum(f => Math.Min(f.Cpu, f.Memory) / size);
            }

            Assert.True(Fits(chosen) >= Math.Min(count, Fits(spot.Select(s => s.TaskArn))) || Fits(chosen) >= count);
        });
    }
}
