using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Health;

namespace Berth.LoadBalancing.Targets;

/// <summary>What target choice looks at for one registered target.</summary>
/// <param name="State">Its health state (draining targets are never candidates).</param>
/// <param name="Outstanding">Requests in flight to it.</param>
/// <param name="Weight">Its slow-start share in (0, 1]; 1 outside slow start.</param>
public readonly record struct TargetCandidate(TargetHealthState State, int Outstanding, double Weight);

/// <summary>ALB's target choice: healthy targets (all of them when none is: fail-open), round robin or least outstanding requests, slow start. Pure.</summary>
public static class TargetSelector
{
    /// <summary>The smallest share a target in slow start gets, so it gets its first requests at once.</summary>
    public const double MinimumSlowStartWeight = 0.01;

    /// <summary>
    /// The indexes of <paramref name="candidates"/> that may receive a request: the healthy ones, or — when none is
    /// healthy — every registered one (ALB fails open rather than dropping traffic). Draining and unused targets never.
    /// </summary>
    public static int Pool(ReadOnlySpan<TargetCandidate> candidates, Span<int> pool)
    {
        var count = 0;
        for (var i = 0; i < candidates.Length; i++)
        {
            if (candidates[i].State == TargetHealthState.Healthy)
                pool[count++] = i;
        }
        if (count > 0)
            return count;
        for (var i = 0; i < candidates.Length; i++)
        {
            if (candidates[i].State is TargetHealthState.Initial or TargetHealthState.Unhealthy)
                pool[count++] = i;
        }
        return count;
    }

    /// <summary>
    /// Chooses one index of <paramref name="candidates"/> among <paramref name="pool"/>; -1 when the pool is empty.
    /// <paramref name="sequence"/> is a per-group request counter (round robin's position and LOR's tie break),
    /// <paramref name="roll"/> a uniform draw in [0, 1) used only when slow-start weights differ.
    /// </summary>
    public static int Choose(ReadOnlySpan<TargetCandidate> candidates, ReadOnlySpan<int> pool, LoadBalancingAlgorithm algorithm, ulong sequence, double roll)
    {
        if (pool.Length == 0)
            return -1;
        // Slow start only matters next to a target at full share; when every target ramps, they are equal.
        var weighted = false;
        var anyFull = false;
        foreach (var i in pool)
        {
            if (candidates[i].Weight < 1)
                weighted = true;
            else
                anyFull = true;
        }
        weighted &= anyFull;

        if (algorithm == LoadBalancingAlgorithm.LeastOutstandingRequests)
        {
            var start = (int)(sequence % (ulong)pool.Length);
            var best = -1;
            var bestScore = double.MaxValue;
            for (var k = 0; k < pool.Length; k++)
            {
                var i = pool[(start + k) % pool.Length];
                var weight = weighted ? candidates[i].Weight : 1;
                var score = (candidates[i].Outstanding + 1) / weight;
                if (score < bestScore)
                {
                    best = i;
                    bestScore = score;
                }
            }
            return best;
        }

        if (!weighted)
            return pool[(int)(sequence % (ulong)pool.Length)];
        var total = 0.0;
        foreach (var i in pool)
            total += candidates[i].Weight;
        var point = roll * total;
        foreach (var i in pool)
        {
            point -= candidates[i].Weight;
            if (point < 0)
                return i;
        }
        return pool[^1];
    }

    /// <summary>A target's slow-start share: linear from <see cref="MinimumSlowStartWeight"/> to 1 over <paramref name="slowStart"/> since it became healthy.</summary>
    public static double SlowStartWeight(DateTimeOffset? healthySince, TimeSpan slowStart, DateTimeOffset now)
    {
        if (slowStart <= TimeSpan.Zero || healthySince is not { } since)
            return 1;
        var share = (now - since) / slowStart;
        return share >= 1 ? 1 : Math.Max(MinimumSlowStartWeight, share);
    }

    /// <summary>Chooses an index by weight with a uniform <paramref name="roll"/> in [0, 1); -1 when every weight is 0.</summary>
    public static int ChooseWeighted(IReadOnlyList<int> weights, double roll)
    {
        long total = 0;
        foreach (var w in weights)
            total += Math.Max(0, w);
        if (total == 0)
            return -1;
        var point = (long)(roll * total);
        for (var i = 0; i < weights.Count; i++)
        {
            point -= Math.Max(0, weights[i]);
            if (point < 0)
                return i;
        }
        return weights.Count - 1;
    }
}
