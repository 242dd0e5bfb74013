namespace Berth.Scheduling.Capacity;

/// <summary>One capacity provider of a strategy, as ECS reads it.</summary>
/// <param name="Provider">The provider's name.</param>
/// <param name="Weight">Its share of the tasks beyond the base (0: it gets none of them).</param>
/// <param name="Base">How many tasks at least run on it (at most one provider of a strategy has one).</param>
public sealed record ProviderTerm(string Provider, int Weight, int Base);

/// <summary>
/// ECS's capacity provider strategy as a pure function: which provider each new task goes to, given how many
/// tasks of the same service (or RunTask) each provider already runs. First the provider with a <c>base</c> is
/// filled up to it; every task beyond that goes to the provider whose share would stay lowest against its weight
/// (so 1:4 puts one task on A for every four on B, counting the tasks beyond the base that already run);
/// providers of weight 0 get none. A strategy of one provider runs everything there, whatever its weight.
/// </summary>
public static class ProviderStrategy
{
    /// <summary>
    /// The provider of each of <paramref name="count"/> new tasks, in order. <paramref name="existing"/> counts the
    /// tasks each provider already runs (missing: none). Empty when the strategy can place nothing (every weight
    /// 0 and the base met).
    /// </summary>
    public static IReadOnlyList<string> Assign(IReadOnlyList<ProviderTerm> strategy, IReadOnlyDictionary<string, int> existing, int count)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(existing);
        var result = new List<string>(Math.Max(0, count));
        if (strategy.Count == 0 || count <= 0)
        {
            return result;
        }

        var running = new long[strategy.Count];
        for (var i = 0; i < strategy.Count; i++)
        {
            running[i] = existing.TryGetValue(strategy[i].Provider, out var n) ? Math.Max(0, n) : 0;
        }

        var single = strategy.Count == 1;
        while (result.Count < count)
        {
            var chosen = -1;

            // The base first: the provider that has one is filled up to it before any weight counts.
            for (var i = 0; i < strategy.Count && chosen < 0; i++)
            {
                if (strategy[i].Base > 0 && running[i] < strategy[i].Base)
                {
                    chosen = i;
                }
            }

            if (chosen < 0)
            {
                chosen = single ? 0 : ByWeight(strategy, running);
            }

            if (chosen < 0)
            {
                break;
            }

            running[chosen]++;
            result.Add(strategy[chosen].Provider);
        }

        return result;
    }

    /// <summary>
    /// The weighted provider furthest behind its share once one more task is counted: the largest
    /// (T + 1) × w − beyond × W, where T counts the weighted providers' tasks beyond their base and W sums their
    /// weights (exact integers). Ties go to the larger weight, then to the strategy's order.
    /// </summary>
    private static int ByWeight(IReadOnlyList<ProviderTerm> strategy, long[] running)
    {
        long total = 0;
        long weights = 0;
        for (var i = 0; i < strategy.Count; i++)
        {
            if (strategy[i].Weight > 0)
            {
                total += Beyond(strategy[i], running[i]);
                weights += strategy[i].Weight;
            }
        }

        var best = -1;
        long bestLag = 0;
        for (var i = 0; i < strategy.Count; i++)
        {
            if (strategy[i].Weight <= 0)
            {
                continue;
            }

            var lag = ((total + 1) * strategy[i].Weight) - (Beyond(strategy[i], running[i]) * weights);
            if (best < 0 || lag > bestLag || (lag == bestLag && strategy[i].Weight > strategy[best].Weight))
            {
                best = i;
                bestLag = lag;
            }
        }

        return best;
    }

    // Only the tasks beyond a provider's base count towards its weighted share.
    private static long Beyond(ProviderTerm term, long running) => Math.Max(0, running - term.Base);
}
