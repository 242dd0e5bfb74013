namespace Berth.Scheduling.Ranking;

/// <summary>Chooses one instance among those every feasibility check admitted.</summary>
public interface IRanking
{
    /// <summary>The chosen instance; <paramref name="feasible"/> is never empty.</summary>
    Candidate Choose(IReadOnlyList<Candidate> feasible, PlacementRequest request, Random rng);
}

/// <summary>ECS's <c>random</c> strategy, and the default: any feasible instance, drawn from the seeded generator.</summary>
public sealed class RandomRanking : IRanking
{
    /// <summary>The one instance (it holds no state).</summary>
    public static RandomRanking Instance { get; } = new();

    /// <inheritdoc />
    public Candidate Choose(IReadOnlyList<Candidate> feasible, PlacementRequest request, Random rng) => feasible[rng.Next(feasible.Count)];
}
