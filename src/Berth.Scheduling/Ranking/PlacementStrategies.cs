namespace Berth.Scheduling.Ranking;

/// <summary>
/// One strategy of a chain: a score per feasible instance, lower is better. The chain keeps the instances
/// with the best score and hands them to the next strategy, as ECS applies strategies in order.
/// </summary>
public interface IScoringStrategy
{
    /// <summary>The instance's score for one more task of <paramref name="request"/>.</summary>
    long Score(Candidate candidate, PlacementSession session, PlacementRequest request);
}

/// <summary><c>binpack</c> on cpu or memory: the instance with the least of it left (that still fits) first.</summary>
public sealed class BinpackStrategy(bool onCpu) : IScoringStrategy
{
    /// <summary>Whether the strategy packs by CPU (otherwise by memory).</summary>
    public bool OnCpu { get; } = onCpu;

    /// <inheritdoc />
    public long Score(Candidate candidate, PlacementSession session, PlacementRequest request) =>
        OnCpu ? candidate.RemainingCpu : candidate.RemainingMemory;
}

/// <summary>
/// <c>spread</c> on instanceId (or host) or on an attribute: the instance whose value holds the fewest tasks
/// of the request's task group (every task when the request has no group) first.
/// </summary>
public sealed class SpreadStrategy : IScoringStrategy
{
    /// <summary>A spread over <paramref name="field"/> as ECS names it: instanceId, host or attribute:NAME.</summary>
    public SpreadStrategy(string field)
    {
        Field = field;
        Attribute = field.StartsWith(PlacementRules.AttributePrefix, StringComparison.Ordinal) ? field[PlacementRules.AttributePrefix.Length..] : null;
    }

    /// <summary>The field as given.</summary>
    public string Field { get; }

    /// <summary>The attribute spread over; null for instanceId and host.</summary>
    public string? Attribute { get; }

    /// <inheritdoc />
    public long Score(Candidate candidate, PlacementSession session, PlacementRequest request) =>
        Attribute is null
            ? (request.Group is null ? candidate.RunningTasksCount : candidate.GroupCount(request.Group))
            : session.SpreadCount(Attribute, request.Group, candidate);
}

/// <summary>
/// Chooses among the instances every feasibility check admitted: each strategy in turn keeps its best-scoring
/// instances; <c>random</c> draws one of what is left; ties that remain go to the lowest seeded rank.
/// </summary>
public sealed class StrategyChain(IReadOnlyList<IScoringStrategy?> strategies)
{
    /// <summary>The strategies in order; null stands for <c>random</c>.</summary>
    public IReadOnlyList<IScoringStrategy?> Strategies { get; } = strategies;

    /// <summary>
    /// The chain is a single binpack: the session can then walk its instances in binpack order and stop at the
    /// first feasible one instead of checking them all.
    /// </summary>
    public BinpackStrategy? SingleBinpack => Strategies is [BinpackStrategy binpack] ? binpack : null;

    /// <summary>The chosen instance; <paramref name="feasible"/> is never empty.</summary>
    public Candidate Choose(List<Candidate> feasible, PlacementSession session, PlacementRequest request, Random rng)
    {
        var set = feasible;
        foreach (var strategy in Strategies)
        {
            if (set.Count == 1)
            {
                return set[0];
            }

            if (strategy is null)
            {
                return set[rng.Next(set.Count)];
            }

            var best = long.MaxValue;
            var kept = new List<Candidate>();
            foreach (var candidate in set)
            {
                var score = strategy.Score(candidate, session, request);
                if (score < best)
                {
                    best = score;
                    kept.Clear();
                }

                if (score == best)
                {
                    kept.Add(candidate);
                }
            }

            set = kept;
        }

        var chosen = set[0];
        foreach (var candidate in set)
        {
            if (candidate.Rank < chosen.Rank)
            {
                chosen = candidate;
            }
        }

        return chosen;
    }
}
