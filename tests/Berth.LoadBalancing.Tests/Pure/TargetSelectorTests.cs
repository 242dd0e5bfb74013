using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Health;
using Berth.LoadBalancing.Targets;
using CsCheck;

namespace Berth.LoadBalancing.Tests.Pure;

public class TargetSelectorTests
{
    private static int[] Pool(params TargetCandidate[] candidates)
    {
        var pool = new int[candidates.Length];
        return pool[..TargetSelector.Pool(candidates, pool)];
    }

    private static TargetCandidate C(TargetHealthState state, int outstanding = 0, double weight = 1) => new(state, outstanding, weight);

    [Fact]
    public void Only_healthy_targets_get_traffic_while_any_is_healthy()
    {
        Assert.Equal([1, 3], Pool(C(TargetHealthState.Unhealthy), C(TargetHealthState.Healthy), C(TargetHealthState.Initial), C(TargetHealthState.Healthy)));
    }

    [Fact]
    public void With_no_healthy_target_every_registered_one_gets_traffic_fail_open()
    {
        Assert.Equal([0, 1], Pool(C(TargetHealthState.Unhealthy), C(TargetHealthState.Initial), C(TargetHealthState.Draining), C(TargetHealthState.Unused)));
        Assert.Empty(Pool(C(TargetHealthState.Draining)));
    }

    [Fact]
    public void Round_robin_rotates_through_the_pool()
    {
        TargetCandidate[] candidates = [C(TargetHealthState.Healthy), C(TargetHealthState.Unhealthy), C(TargetHealthState.Healthy)];
        var pool = Pool(candidates);
        var chosen = Enumerable.Range(0, 4).Select(i => TargetSelector.Choose(candidates, pool, LoadBalancingAlgorithm.RoundRobin, (ulong)i, 0.5)).ToArray();
        Assert.Equal([0, 2, 0, 2], chosen);
        Assert.Equal(-1, TargetSelector.Choose(candidates, [], LoadBalancingAlgorithm.RoundRobin, 0, 0.5));
    }

    [Fact]
    public void Least_outstanding_requests_picks_the_least_busy()
    {
        TargetCandidate[] candidates = [C(TargetHealthState.Healthy, 5), C(TargetHealthState.Healthy, 1), C(TargetHealthState.Healthy, 3)];
        Assert.Equal(1, TargetSelector.Choose(candidates, Pool(candidates), LoadBalancingAlgorithm.LeastOutstandingRequests, 7, 0.5));
    }

    [Fact]
    public void Least_outstanding_requests_is_never_busier_than_any_other_choice() =>
        Gen.Int[0, 20].Array[1, 8].Select(Gen.ULong).Sample((outstanding, sequence) =>
        {
            var candidates = outstanding.Select(o => C(TargetHealthState.Healthy, o)).ToArray();
            var chosen = TargetSelector.Choose(candidates, Pool(candidates), LoadBalancingAlgorithm.LeastOutstandingRequests, sequence, 0.5);
            return candidates[chosen].Outstanding == outstanding.Min();
        });

    [Fact]
    public void Least_outstanding_ties_rotate()
    {
        TargetCandidate[] candidates = [C(TargetHealthState.Healthy, 2), C(TargetHealthState.Healthy, 2)];
        var chosen = Enumerable.Range(0, 4).Select(i => TargetSelector.Choose(candidates, Pool(candidates), LoadBalancingAlgorithm.LeastOutstandingRequests, (ulong)i, 0.5));
        Assert.Equal([0, 1, 0, 1], chosen);
    }

    [Theory]
    [InlineData(0, 0.01)]
    [InlineData(15, 0.25)]
    [InlineData(30, 0.5)]
    [InlineData(60, 1)]
    [InlineData(90, 1)]
    public void Slow_start_ramps_linearly(int secondsHealthy, double weight)
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(1);
        Assert.Equal(weight, TargetSelector.SlowStartWeight(now.AddSeconds(-secondsHealthy), TimeSpan.FromSeconds(60), now), 6);
        Assert.Equal(1, TargetSelector.SlowStartWeight(now, TimeSpan.Zero, now));
        Assert.Equal(1, TargetSelector.SlowStartWeight(null, TimeSpan.FromSeconds(60), now));
    }

    [Fact]
    public void A_target_in_slow_start_gets_its_share()
    {
        // One full target and one at a quarter: the new one gets 0.25 / 1.25 = 20 % of requests.
        TargetCandidate[] candidates = [C(TargetHealthState.Healthy), C(TargetHealthState.Healthy, weight: 0.25)];
        var pool = Pool(candidates);
        const int n = 10_000;
        var toNew = Enumerable.Range(0, n).Count(i => TargetSelector.Choose(candidates, pool, LoadBalancingAlgorithm.RoundRobin, (ulong)i, (i + 0.5) / n) == 1);
        Assert.InRange(toNew, 1_950, 2_050);
    }

    [Fact]
    public void When_every_target_ramps_they_share_equally()
    {
        TargetCandidate[] candidates = [C(TargetHealthState.Healthy, weight: 0.1), C(TargetHealthState.Healthy, weight: 0.3)];
        var chosen = Enumerable.Range(0, 4).Select(i => TargetSelector.Choose(candidates, Pool(candidates), LoadBalancingAlgorithm.RoundRobin, (ulong)i, 0.99));
        Assert.Equal([0, 1, 0, 1], chosen);
    }

    [Fact]
    public void Weighted_forward_follows_the_weights() =>
        // Over evenly spaced rolls each group gets its weight's share, to within one roll per group.
        Gen.Int[0, 999].Array[1, 5].Where(w => w.Sum() > 0).Sample(weights =>
        {
            const int rolls = 5_000;
            var counts = new int[weights.Length];
            for (var i = 0; i < rolls; i++)
                counts[TargetSelector.ChooseWeighted(weights, (i + 0.5) / rolls)]++;
            var total = weights.Sum();
            return weights.Select((w, i) => Math.Abs(counts[i] - (double)rolls * w / total) <= 1.0 + rolls / (double)total).All(ok => ok)
                && weights.Select((w, i) => w > 0 || counts[i] == 0).All(ok => ok);
        });

    [Fact]
    public void Weighted_forward_with_all_weights_zero_has_no_choice() =>
        Assert.Equal(-1, TargetSelector.ChooseWeighted([0, 0], 0.3));
}
