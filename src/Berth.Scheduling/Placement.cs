namespace Berth.Scheduling;

/// <summary>Why one instance was refused for one task: the instance's ARN and ECS's reason.</summary>
public sealed record PlacementFailure(string Arn, string Reason);

/// <summary>Where one task goes: an instance, or none, with the reason each instance refused it.</summary>
public sealed record TaskPlacement(InstanceSnapshot? Instance, IReadOnlyList<PlacementFailure> Failures)
{
    /// <summary>Whether an instance was found.</summary>
    public bool Placed => Instance is not null;
}

/// <summary>
/// ECS task placement as a pure function of (cluster snapshot, request, seed): feasibility checks that each name
/// their failure reason (<see cref="PlacementRules.ChecksFor"/>), then the strategy chain
/// (<see cref="PlacementRules.ChainFor"/>). Tasks of one request are placed one after another, each seeing
/// what the earlier ones took.
/// </summary>
public static class Placement
{
    /// <summary>Reason given for a pinned instance that is not in the cluster.</summary>
    public const string Missing = "MISSING";

    /// <summary>Reason given for a pinned instance that is not ACTIVE or DRAINING.</summary>
    public const string Inactive = "INACTIVE";

    /// <summary>Places every task of <paramref name="request"/>; one entry per task, in order.</summary>
    public static IReadOnlyList<TaskPlacement> Place(ClusterSnapshot snapshot, PlacementRequest request, Random rng) =>
        new PlacementSession(snapshot, rng).Place(request);

    /// <summary>Places every task of <paramref name="request"/> from <paramref name="seed"/>: the same seed gives the same placement.</summary>
    public static IReadOnlyList<TaskPlacement> Place(ClusterSnapshot snapshot, PlacementRequest request, int seed) =>
        Place(snapshot, request, new Random(seed));
}
