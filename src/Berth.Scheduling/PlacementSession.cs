using Berth.Scheduling.Feasibility;
using Berth.Scheduling.Ranking;

namespace Berth.Scheduling;

/// <summary>
/// A working copy of one cluster snapshot across any number of placement requests: what each placed task takes
/// is subtracted, so later requests see it. Pure apart from its own memory: the same snapshot, seed and requests
/// always give the same placements.
/// </summary>
/// <remarks>
/// A lone binpack strategy (the common, and benchmarked, case) does not score every instance: the session keeps
/// the active instances ordered by what is left and walks from the smallest amount that fits, so a placement costs
/// O(log instances) plus the instances it has to skip. Any other chain checks every active instance.
/// </remarks>
public sealed class PlacementSession
{
    private const string NoValue = "\0";

    private readonly Candidate[] _all;
    private readonly List<Candidate> _active;
    private readonly Random _rng;
    private readonly Dictionary<string, MemberOfCheck> _memberOf = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Attribute, string Group), Dictionary<string, int>> _spread = [];
    private readonly Dictionary<string, BinpackIndex> _binpack = new(StringComparer.Ordinal);
    private Candidate[]? _byRank;
    private int _generation;

    /// <summary>A session over <paramref name="snapshot"/>; <paramref name="rng"/> draws the tie-break order and random choices.</summary>
    public PlacementSession(ClusterSnapshot snapshot, Random rng)
    {
        _rng = rng;
        var ranks = Enumerable.Range(0, snapshot.Instances.Count).ToArray();
        rng.Shuffle(ranks);
        _all = new Candidate[snapshot.Instances.Count];
        for (var i = 0; i < _all.Length; i++)
        {
            _all[i] = new Candidate(snapshot.Instances[i], i, ranks[i]);
        }

        // DRAINING and INACTIVE instances are not candidates at all: ECS names no failure for them.
        _active = [.. _all.Where(c => c.Instance.Status == "ACTIVE")];
    }

    /// <summary>Every instance of the snapshot, in snapshot order, with what the session has placed on it.</summary>
    public IReadOnlyList<Candidate> Candidates => _all;

    /// <summary>Places every task of <paramref name="request"/>; one entry per task, in order.</summary>
    public IReadOnlyList<TaskPlacement> Place(PlacementRequest request)
    {
        var generation = ++_generation;
        var checks = PlacementRules.ChecksFor(request, MemberOf);
        if (request.PinnedInstances is { } pinned)
        {
            return [.. pinned.Select(target => PlacePinned(target, checks, request, generation))];
        }

        var chain = PlacementRules.ChainFor(request);
        var placements = new List<TaskPlacement>(request.Count);
        for (var i = 0; i < request.Count; i++)
        {
            var chosen = chain.SingleBinpack is { } binpack ? FirstInBinpackOrder(binpack, checks, request, generation) : null;
            if (chosen is null)
            {
                var feasible = new List<Candidate>(_active.Count);
                var failures = new List<PlacementFailure>();
                foreach (var candidate in _active)
                {
                    candidate.Touch(generation);
                    if (FirstRefusal(candidate, checks, request) is { } refusal)
                    {
                        failures.Add(new PlacementFailure(candidate.Instance.Arn, refusal));
                    }
                    else
                    {
                        feasible.Add(candidate);
                    }
                }

                if (feasible.Count == 0)
                {
                    placements.Add(new TaskPlacement(null, failures));
                    continue;
                }

                chosen = chain.Choose(feasible, this, request, _rng);
            }

            Take(chosen, request, generation);
            placements.Add(new TaskPlacement(chosen.Instance, []));
        }

        return placements;
    }

    /// <summary>Tasks of <paramref name="group"/> (every task when null) on the active instances that share the candidate's value of <paramref name="attribute"/>.</summary>
    public int SpreadCount(string attribute, string? group, Candidate candidate)
    {
        var key = (attribute, group ?? NoValue);
        if (!_spread.TryGetValue(key, out var counts))
        {
            counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var c in _active)
            {
                var value = ValueOf(c, attribute);
                counts[value] = (counts.TryGetValue(value, out var n) ? n : 0) + (group is null ? c.RunningTasksCount : c.GroupCount(group));
            }

            _spread[key] = counts;
        }

        return counts.TryGetValue(ValueOf(candidate, attribute), out var count) ? count : 0;
    }

    private static string ValueOf(Candidate candidate, string attribute) =>
        candidate.TryGetAttribute(attribute, out var value) ? value ?? string.Empty : NoValue;

    private static string? FirstRefusal(Candidate candidate, IReadOnlyList<IFeasibilityCheck> checks, PlacementRequest request)
    {
        foreach (var check in checks)
        {
            if (!check.Admits(candidate, request))
            {
                return check.Reason;
            }
        }

        return null;
    }

    private MemberOfCheck MemberOf(string expression)
    {
        if (!_memberOf.TryGetValue(expression, out var check))
        {
            check = new MemberOfCheck(PlacementRules.Parse(expression), _all.Length);
            _memberOf[expression] = check;
        }

        return check;
    }

    private Candidate? FirstInBinpackOrder(BinpackStrategy binpack, IReadOnlyList<IFeasibilityCheck> checks, PlacementRequest request, int generation)
    {
        var index = IndexFor(binpack.OnCpu, checks);
        var need = binpack.OnCpu ? request.Cpu : request.Memory;
        foreach (var rank in index.Order.RanksFrom(need))
        {
            var candidate = _byRank![rank];
            candidate.Touch(generation);
            if (FirstRefusal(candidate, checks, request) is null)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// The binpack order over the instances that pass what cannot change in this session (a connected agent, the
    /// memberOf expressions that read only attributes): the walk then never steps over an instance that could
    /// not take the task anyway, however many of them the cluster has.
    /// </summary>
    private BinpackIndex IndexFor(bool onCpu, IReadOnlyList<IFeasibilityCheck> checks)
    {
        if (_byRank is null)
        {
            _byRank = new Candidate[_all.Length];
            foreach (var c in _all)
            {
                _byRank[c.Rank] = c;
            }
        }

        var fixedChecks = checks.OfType<MemberOfCheck>().Where(c => c.IsStatic).ToList();
        var key = (onCpu ? "cpu" : "memory") + "\n" + string.Join("\n", fixedChecks.Select(c => c.Expression).Order(StringComparer.Ordinal));
        if (!_binpack.TryGetValue(key, out var index))
        {
            var members = new bool[_all.Length];
            var entries = new List<(int, int)>();
            foreach (var c in _active)
            {
                if (c.AgentConnected && fixedChecks.All(check => check.Admits(c, PlacementRequest.None)))
                {
                    members[c.Index] = true;
                    entries.Add((onCpu ? c.RemainingCpu : c.RemainingMemory, c.Rank));
                }
            }

            index = new BinpackIndex(onCpu, new RemainingOrder(entries), members);
            _binpack[key] = index;
        }

        return index;
    }

    private void Take(Candidate chosen, PlacementRequest request, int generation)
    {
        foreach (var index in _binpack.Values)
        {
            if (index.Members[chosen.Index])
            {
                index.Order.Remove(index.OnCpu ? chosen.RemainingCpu : chosen.RemainingMemory, chosen.Rank);
            }
        }

        foreach (var ((attribute, group), counts) in _spread)
        {
            if (group == NoValue || group == request.Group)
            {
                var value = ValueOf(chosen, attribute);
                counts[value] = (counts.TryGetValue(value, out var n) ? n : 0) + 1;
            }
        }

        chosen.Take(request, generation);
        foreach (var index in _binpack.Values)
        {
            if (index.Members[chosen.Index])
            {
                index.Order.Add(index.OnCpu ? chosen.RemainingCpu : chosen.RemainingMemory, chosen.Rank);
            }
        }
    }

    private TaskPlacement PlacePinned(string target, IReadOnlyList<IFeasibilityCheck> checks, PlacementRequest request, int generation)
    {
        var candidate = Array.Find(_all, c => c.Instance.Arn == target || c.Instance.Id == target);
        if (candidate is null)
        {
            return new TaskPlacement(null, [new PlacementFailure(target, Placement.Missing)]);
        }

        // Manual placement may use a DRAINING instance: draining only stops the schedulers from choosing it.
        if (candidate.Instance.Status is not ("ACTIVE" or "DRAINING"))
        {
            return new TaskPlacement(null, [new PlacementFailure(candidate.Instance.Arn, Placement.Inactive)]);
        }

        candidate.Touch(generation);
        if (FirstRefusal(candidate, checks, request) is { } refusal)
        {
            return new TaskPlacement(null, [new PlacementFailure(candidate.Instance.Arn, refusal)]);
        }

        Take(candidate, request, generation);
        return new TaskPlacement(candidate.Instance, []);
    }

    private sealed record BinpackIndex(bool OnCpu, RemainingOrder Order, bool[] Members);
}
