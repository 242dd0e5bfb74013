using Berth.Scheduling.Expressions;

namespace Berth.Scheduling.Feasibility;

/// <summary>
/// The <c>memberOf</c> constraint: the instance must match a cluster query expression. An expression that
/// reads only what placement does not change (attributes, IDs, the agent) is evaluated once per instance per
/// session and remembered; one that reads task groups or task counts is evaluated for every task.
/// </summary>
public sealed class MemberOfCheck : IFeasibilityCheck
{
    private readonly ClusterQuery _query;
    private readonly sbyte[]? _known;

    /// <summary>A check of <paramref name="query"/> over a session of <paramref name="instances"/> instances.</summary>
    public MemberOfCheck(ClusterQuery query, int instances)
    {
        _query = query;
        _known = query.UsesTaskGroups ? null : new sbyte[instances];
    }

    /// <summary>Whether the answer for an instance never changes within a session (nothing placed can change it).</summary>
    public bool IsStatic => _known is not null;

    /// <summary>The expression checked.</summary>
    public string Expression => _query.Text;

    /// <inheritdoc />
    public string Reason => "MemberOf placement constraint unsatisfied.";

    /// <inheritdoc />
    public bool Admits(Candidate candidate, PlacementRequest request)
    {
        if (_known is null)
        {
            return _query.Matches(candidate);
        }

        var known = _known[candidate.Index];
        if (known == 0)
        {
            known = _query.Matches(candidate) ? (sbyte)1 : (sbyte)-1;
            _known[candidate.Index] = known;
        }

        return known > 0;
    }
}
