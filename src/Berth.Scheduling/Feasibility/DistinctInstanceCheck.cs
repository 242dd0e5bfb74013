namespace Berth.Scheduling.Feasibility;

/// <summary>
/// The <c>distinctInstance</c> constraint: no two tasks of the request, nor a task of the same group already
/// there, share an instance.
/// </summary>
public sealed class DistinctInstanceCheck : IFeasibilityCheck
{
    /// <summary>The one instance (it holds no state).</summary>
    public static DistinctInstanceCheck Instance { get; } = new();

    /// <inheritdoc />
    public string Reason => "DistinctInstance placement constraint unsatisfied.";

    /// <inheritdoc />
    public bool Admits(Candidate candidate, PlacementRequest request) =>
        candidate.PlacedByRequest == 0 && (request.Group is null || candidate.GroupCount(request.Group) == 0);
}
