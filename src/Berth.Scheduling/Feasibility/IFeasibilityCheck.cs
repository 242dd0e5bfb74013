namespace Berth.Scheduling.Feasibility;

/// <summary>
/// One rule an instance must pass to take a task. Each names the reason ECS reports in <c>failures</c>
/// when an instance is refused by it.
/// </summary>
public interface IFeasibilityCheck
{
    /// <summary>ECS's failure reason, e.g. <c>RESOURCE:CPU</c>.</summary>
    string Reason { get; }

    /// <summary>Whether <paramref name="candidate"/> can take one more task of <paramref name="request"/>.</summary>
    bool Admits(Candidate candidate, PlacementRequest request);
}
