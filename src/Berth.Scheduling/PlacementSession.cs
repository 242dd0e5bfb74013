using Berth.Scheduling.Feasibility;

namespace Berth.Scheduling;

/// <summary>
/// A working copy of one cluster snapshot across any number of placement requests: what each placed task takes
/// is subtracted, so later requests see it. Pure apart from its own memory: the same snapshot, seed and requests
/// always give the same placements.
/// </summary>
/// <remarks>
/// Chains do not score every instance for every task. A lone binpack walks the active instances ordered by what is
/// left from the smallest amount that fits. Any other chain keeps a <see cref="ChainIndex"/>: instances split by
/// their spread attributes' values, each part sorted by the per-instance scores and the seeded rank; a placement
/// visits the parts whose attribute counts can still win and walks each from its best instance to the first that
/// passes every check. <c>random</c> counts the instances that fail a check (found through what is left, the
/// ports taken and the group's instances) and draws among the rest by position. A placement costs about
/// O(parts + log instances) plus the instances it has to skip. The full scan still runs when no instance can
/// take the task (its failures name every instance) and for random under a memberOf expression on task groups;
/// <see cref="FullScan"/> forces it, and is the reference every indexed path must choose exactly like.
/// </remarks>
public sealed partial class PlacementSession
{
    private const string NoValue = "\0";

    private readonly Candidate[] _all;
    private readonly List<Candidate> _active;
    private readonly Random _rng;
    private readonly Dictionary<string, MemberOfCheck> _memberOf = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Attribute, string Group), Dictionary<string, int>> _spread = [];
    private readonly Dictionary<string, List<(string Attribute, Dictionary<string, int> Counts)>> _spreadByGroup = new(StringComparer.Ordinal);
    private readonly Dictionary<(bool OnCpu, string Signature), BinpackIndex> _binpack = [];
    private readonly Dictionary<string, ChainIndex> _chains = new(StringComparer.Ordinal);
    private readonly List<ChainIndex> _chainsOnEveryTake = [];
    private readonly Dictionary<string, List<ChainIndex>> _chainsByGroup = new(StringComparer.Ordinal);
    private readonly List<Candidate> _placedByRequest = [];
    private Dictionary<string, List<Candidate>>? _holders;
    private Dictionary<(bool Udp, int Port), HashSet<int>>? _portHolders;
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

    /// <summary>
    /// Score every active instance for every task (the reference the indexed paths are tested against, and
    /// benchmarked beside) instead of walking the session's indexes. Both choose the same instances.
    /// </summary>
    public bool FullScan { get; init; }

    /// <summary>Places every task of <paramref name="request"/>; one entry per task, in order.</summary>
    public IReadOnlyList<TaskPlacement> Place(PlacementRequest request)
    {
        var generation = ++_generation;
        _placedByRequest.Clear();
        var checks = PlacementRules.ChecksFor(request, MemberOf);
        if (request.PinnedInstances is { } pinned)
        {
            return [.. pinned.Select(target => PlacePinned(target, checks, request, generation))];
        }

        var chain = PlacementRules.ChainFor(request);
        var fixedChecks = FixedChecks(checks);
        var binpack = FullScan || chain.SingleBinpack is not { } single ? null : IndexFor(single.OnCpu, fixedChecks);
        var plan = FullScan || binpack is not null ? null : PlanFor(chain, checks, fixedChecks, request);
        var placements = new List<TaskPlacement>(request.Count);
        for (var i = 0; i < request.Count; i++)
        {
            var chosen = binpack is not null ? FirstInBinpackOrder(binpack, checks, request, generation)
                : plan is not null ? Choose(plan, checks, request, generation)
                : null;

            // Nothing found by an index means no instance can take the task: the scan names each one's reason.
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
    public int SpreadCount(string attribute, string? group, Candidate candidate) =>
        SpreadCounts(attribute, group).TryGetValue(ValueOf(candidate, attribute), out var count) ? count : 0;

    /// <summary>The value a spread over <paramref name="attribute"/> groups the candidate by: instances without it share one.</summary>
    internal static string ValueOf(Candidate candidate, string attribute) =>
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

    /// <summary>
    /// Tasks per value of <paramref name="attribute"/> over the active instances, counted once and then kept up to
    /// date by every placement (on an active instance) of the group.
    /// </summary>
    private Dictionary<string, int> SpreadCounts(string attribute, string? group)
    {
        var key = (attribute, group ?? NoValue);
        if (!_spread.TryGetValue(key, out var counts))
        {
            counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var c in group is null ? _active : Holders(group))
            {
                if (c.Instance.Status == "ACTIVE")
                {
                    var value = ValueOf(c, attribute);
                    counts[value] = (counts.TryGetValue(value, out var n) ? n : 0) + (group is null ? c.RunningTasksCount : c.GroupCount(group));
                }
            }

            _spread[key] = counts;
            if (!_spreadByGroup.TryGetValue(key.Item2, out var list))
            {
                _spreadByGroup[key.Item2] = list = [];
            }

            list.Add((attribute, counts));
        }

        return counts;
    }

    /// <summary>The instances holding at least one task of <paramref name="group"/>, in no particular order.</summary>
    private List<Candidate> Holders(string group)
    {
        if (_holders is null)
        {
            _holders = new Dictionary<string, List<Candidate>>(StringComparer.Ordinal);
            foreach (var c in _all)
            {
                foreach (var name in c.HeldGroups())
                {
                    HoldersOf(name).Add(c);
                }
            }
        }

        return HoldersOf(group);
    }

    private List<Candidate> HoldersOf(string group)
    {
        if (!_holders!.TryGetValue(group, out var list))
        {
            _holders[group] = list = [];
        }

        return list;
    }

    /// <summary>The instances where a static host port is not free (reserved, bound, or taken in the session).</summary>
    private HashSet<int> PortHolders(bool udp, int port)
    {
        _portHolders ??= [];
        if (!_portHolders.TryGetValue((udp, port), out var set))
        {
            set = [.. _all.Where(c => udp ? !c.UdpPortFree(port) : !c.TcpPortFree(port)).Select(c => c.Index)];
            _portHolders[(udp, port)] = set;
        }

        return set;
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

    private Candidate? FirstInBinpackOrder(BinpackIndex index, IReadOnlyList<IFeasibilityCheck> checks, PlacementRequest request, int generation)
    {
        var need = index.OnCpu ? request.Cpu : request.Memory;
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
    private BinpackIndex IndexFor(bool onCpu, FixedCheckSet fixedChecks)
    {
        var key = (onCpu, fixedChecks.Signature);
        if (!_binpack.TryGetValue(key, out var index))
        {
            var members = new bool[_all.Length];
            var entries = new List<(int, int)>();
            foreach (var c in Eligible(fixedChecks.Checks))
            {
                members[c.Index] = true;
                entries.Add((onCpu ? c.RemainingCpu : c.RemainingMemory, c.Rank));
            }

            index = new BinpackIndex(onCpu, new RemainingOrder(entries), members);
            _binpack[key] = index;
        }

        return index;
    }

    /// <summary>The memberOf checks whose answers never change in a session, and a name for that set.</summary>
    private readonly record struct FixedCheckSet(IReadOnlyList<MemberOfCheck> Checks, string Signature);

    private static readonly FixedCheckSet NoFixedChecks = new([], string.Empty);

    // Once per request: most requests have no memberOf at all, and they share one empty set.
    private static FixedCheckSet FixedChecks(IReadOnlyList<IFeasibilityCheck> checks)
    {
        List<MemberOfCheck>? fixedChecks = null;
        foreach (var check in checks)
        {
            if (check is MemberOfCheck { IsStatic: true } memberOf)
            {
                (fixedChecks ??= []).Add(memberOf);
            }
        }

        return fixedChecks is null
            ? NoFixedChecks
            : new(fixedChecks, string.Join("\n", fixedChecks.Select(c => c.Expression).Distinct().Order(StringComparer.Ordinal)));
    }

    /// <summary>The active instances that pass <paramref name="fixedChecks"/> and have a connected agent, in snapshot order.</summary>
    private IEnumerable<Candidate> Eligible(IReadOnlyList<MemberOfCheck> fixedChecks)
    {
        if (_byRank is null)
        {
            _byRank = new Candidate[_all.Length];
            foreach (var c in _all)
            {
                _byRank[c.Rank] = c;
            }
        }

        return _active.Where(c => c.AgentConnected && fixedChecks.All(check => check.Admits(c, PlacementRequest.None)));
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

        var byGroup = request.Group is { } moved && _chainsByGroup.TryGetValue(moved, out var list) ? list : null;
        MoveInChains(_chainsOnEveryTake, chosen, add: false);
        MoveInChains(byGroup, chosen, add: false);

        // Counts cover the active instances only, whenever they were first counted.
        if (chosen.Instance.Status == "ACTIVE")
        {
            CountSpread(NoValue, chosen);
            if (request.Group is { } counted)
            {
                CountSpread(counted, chosen);
            }
        }

        if (_holders is not null && request.Group is { } group && chosen.GroupCount(group) == 0)
        {
            HoldersOf(group).Add(chosen);
        }

        if (_portHolders is not null)
        {
            foreach (var port in request.TcpPorts)
            {
                if (port != 0 && _portHolders.TryGetValue((false, port), out var holders))
                {
                    holders.Add(chosen.Index);
                }
            }

            foreach (var port in request.UdpPorts)
            {
                if (port != 0 && _portHolders.TryGetValue((true, port), out var holders))
                {
                    holders.Add(chosen.Index);
                }
            }
        }

        chosen.Take(request, generation);
        _placedByRequest.Add(chosen);
        foreach (var index in _binpack.Values)
        {
            if (index.Members[chosen.Index])
            {
                index.Order.Add(index.OnCpu ? chosen.RemainingCpu : chosen.RemainingMemory, chosen.Rank);
            }
        }

        MoveInChains(_chainsOnEveryTake, chosen, add: true);
        MoveInChains(byGroup, chosen, add: true);
        foreach (var partitioning in _partitionings.Values)
        {
            partitioning.Update(chosen);
        }
    }

    // A placement moves the chosen instance in the chain indexes whose keys it changes: out before, back after.
    private static void MoveInChains(List<ChainIndex>? indexes, Candidate chosen, bool add)
    {
        if (indexes is null)
        {
            return;
        }

        foreach (var index in indexes)
        {
            if (index.Contains(chosen))
            {
                var order = index.OrderOf(chosen);
                if (add)
                {
                    order.Add(index.KeyOf(chosen));
                }
                else
                {
                    order.Remove(index.KeyOf(chosen));
                }
            }
        }
    }

    private void CountSpread(string group, Candidate chosen)
    {
        if (_spreadByGroup.TryGetValue(group, out var list))
        {
            foreach (var (attribute, counts) in list)
            {
                var value = ValueOf(chosen, attribute);
                counts[value] = (counts.TryGetValue(value, out var n) ? n : 0) + 1;
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
