using Berth.Scheduling.Feasibility;
using Berth.Scheduling.Ranking;

namespace Berth.Scheduling;

/// <summary>How a session chooses with a strategy chain without scoring every instance (see the class remarks).</summary>
public sealed partial class PlacementSession
{
    private readonly Dictionary<string, ChainPartitioning> _partitionings = new(StringComparer.Ordinal);
    private readonly List<int> _refused = [];
    private int[]? _marks;
    private int _mark;

    /// <summary>
    /// The index and counts one request's chain is chosen with; null when only the full scan can choose exactly
    /// (random over instances a memberOf on task groups may refuse: its refusals cannot be counted without
    /// asking every instance).
    /// </summary>
    private ChainPlan? PlanFor(StrategyChain chain, IReadOnlyList<IFeasibilityCheck> checks, FixedCheckSet fixedChecks, PlacementRequest request)
    {
        var levels = new List<ChainLevel>();
        var random = false;
        foreach (var strategy in chain.Strategies)
        {
            if (strategy is null)
            {
                // Strategies after random never decide anything.
                random = true;
                break;
            }

            levels.Add(strategy switch
            {
                BinpackStrategy binpack => new ChainLevel(binpack.OnCpu ? LevelScore.RemainingCpu : LevelScore.RemainingMemory),
                SpreadStrategy { Attribute: { } attribute } => new ChainLevel(LevelScore.AttributeCount, attribute),
                SpreadStrategy => new ChainLevel(LevelScore.InstanceCount),
                _ => throw new InvalidOperationException($"No index for strategy {strategy.GetType().Name}."),
            });
        }

        var perInstance = levels.Count(l => l.PerInstance);
        if (perInstance > ChainKey.Slots || (random && perInstance == 0 && checks.OfType<MemberOfCheck>().Any(c => !c.IsStatic)))
        {
            return null;
        }

        var signature = fixedChecks.Signature;
        var spreadsInstances = levels.Any(l => l.Score == LevelScore.InstanceCount);
        var group = spreadsInstances ? request.Group : null;
        var key = string.Join("\u0001", [signature, .. levels.Select(l => l.Score + ":" + l.Attribute), spreadsInstances ? group ?? NoValue : string.Empty]);
        if (!_chains.TryGetValue(key, out var index))
        {
            var attributes = levels.Where(l => !l.PerInstance).Select(l => l.Attribute!).ToArray();
            var partitionsKey = string.Join("\u0001", [signature, .. attributes]);
            if (!_partitionings.TryGetValue(partitionsKey, out var partitioning))
            {
                partitioning = new ChainPartitioning(attributes, Eligible(fixedChecks.Checks), _byRank!);
                _partitionings[partitionsKey] = partitioning;
            }

            index = new ChainIndex([.. levels], group, partitioning, _byRank!, group is null ? null : Holders(group));
            _chains[key] = index;
            if (index.DependsOnEveryTake)
            {
                _chainsOnEveryTake.Add(index);
            }
            else if (index.HasInstanceLevels && group is not null)
            {
                if (!_chainsByGroup.TryGetValue(group, out var list))
                {
                    _chainsByGroup[group] = list = [];
                }

                list.Add(index);
            }
        }

        var plan = new ChainPlan(index, random, [.. index.Attributes.Select(a => SpreadCounts(a, request.Group))]);
        if (random && !index.HasInstanceLevels)
        {
            plan.Cpu = IndexFor(true, fixedChecks);
            plan.Memory = IndexFor(false, fixedChecks);
            plan.Distinct = checks.Contains(DistinctInstanceCheck.Instance);
        }

        return plan;
    }

    /// <summary>What the full scan would choose, or null when no instance can take the task.</summary>
    private Candidate? Choose(ChainPlan plan, IReadOnlyList<IFeasibilityCheck> checks, PlacementRequest request, int generation)
    {
        plan.Refresh();
        if (plan.Random && !plan.Index.HasInstanceLevels)
        {
            return DrawByPosition(plan, checks, request);
        }

        var best = Best(plan, checks, request, generation, out var bestPartition, out var bestKey);
        if (best is null || !plan.Random)
        {
            return best;
        }

        // Random after per-instance strategies draws among every instance tied with the best, by snapshot position.
        var tied = new List<Candidate>();
        var index = plan.Index;
        for (var p = 0; p < index.Partitioning.Values.Length; p++)
        {
            if (!plan.AttributeScores(p).SequenceEqual(plan.AttributeScores(bestPartition)))
            {
                continue;
            }

            foreach (var key in index.Walk(p, bestKey.WithLowestRank(), request))
            {
                if (!key.SameScores(bestKey))
                {
                    break;
                }

                var candidate = _byRank![key.Rank];
                candidate.Touch(generation);
                if (FirstRefusal(candidate, checks, request) is null)
                {
                    tied.Add(candidate);
                }
            }
        }

        if (tied.Count == 1)
        {
            return tied[0];
        }

        tied.Sort((x, y) => x.Index.CompareTo(y.Index));
        return tied[_rng.Next(tied.Count)];
    }

    /// <summary>
    /// The feasible instance with the lowest (scores in chain order, rank): partitions in order of what their
    /// attribute counts allow, each walked from its best key to its first feasible instance, until no partition
    /// left can beat the best found.
    /// </summary>
    private Candidate? Best(ChainPlan plan, IReadOnlyList<IFeasibilityCheck> checks, PlacementRequest request, int generation, out int bestPartition, out ChainKey bestKey)
    {
        var index = plan.Index;
        var width = index.Levels.Length + 1;
        Span<long> best = stackalloc long[width];
        Span<long> current = stackalloc long[width];
        Candidate? chosen = null;
        bestPartition = -1;
        bestKey = default;
        var lower = index.LowerBound(request);
        var heap = plan.Heap();
        while (heap.Count > 0)
        {
            var p = heap.Pop();
            if (chosen is not null && Compare(plan.Bound(p), best) >= 0)
            {
                break;
            }

            foreach (var key in index.Walk(p, lower, request))
            {
                index.FullKey(plan.AttributeScores(p), key, current);
                if (chosen is not null && Compare(current, best) >= 0)
                {
                    break;
                }

                var candidate = _byRank![key.Rank];
                candidate.Touch(generation);
                if (FirstRefusal(candidate, checks, request) is null)
                {
                    chosen = candidate;
                    current.CopyTo(best);
                    bestPartition = p;
                    bestKey = key;
                    break;
                }
            }
        }

        return chosen;
    }

    /// <summary>
    /// Random after attribute spreads (or alone): the instances that fail a check are found, not the ones that
    /// pass — through the order of what is left, the holders of each requested port and the group's instances —
    /// so the feasible ones of the best partitions are counted, and the one drawn is found by snapshot position.
    /// </summary>
    private Candidate? DrawByPosition(ChainPlan plan, IReadOnlyList<IFeasibilityCheck> checks, PlacementRequest request)
    {
        var index = plan.Index;
        var partitionOf = index.Partitioning.PartitionOf;
        _marks ??= new int[_all.Length];
        _mark++;
        var refused = _refused;
        refused.Clear();
        foreach (var rank in plan.Cpu!.Order.RanksBelow(request.Cpu))
        {
            Refuse(_byRank![rank].Index, partitionOf);
        }

        foreach (var rank in plan.Memory!.Order.RanksBelow(request.Memory))
        {
            Refuse(_byRank![rank].Index, partitionOf);
        }

        RefusePorts(false, request.TcpPorts, partitionOf);
        RefusePorts(true, request.UdpPorts, partitionOf);
        if (plan.Distinct)
        {
            foreach (var c in _placedByRequest)
            {
                Refuse(c.Index, partitionOf);
            }

            if (request.Group is { } group)
            {
                foreach (var c in Holders(group))
                {
                    Refuse(c.Index, partitionOf);
                }
            }
        }

        var partitioning = index.Partitioning;
        var refusedIn = new int[partitioning.Values.Length];
        foreach (var i in refused)
        {
            refusedIn[index.Partitioning.PartitionOf[i]]++;
        }

        // The partitions with the lowest attribute counts among those with a feasible instance.
        var drawn = new List<int>();
        var total = 0;
        for (var p = 0; p < partitioning.Values.Length; p++)
        {
            var feasible = partitioning.ByIndex[p].Length - refusedIn[p];
            if (feasible == 0)
            {
                continue;
            }

            var order = drawn.Count == 0 ? -1 : plan.AttributeScores(p).SequenceCompareTo(plan.AttributeScores(drawn[0]));
            if (order < 0)
            {
                drawn.Clear();
                total = 0;
            }

            if (order <= 0)
            {
                drawn.Add(p);
                total += feasible;
            }
        }

        if (total == 0)
        {
            return null;
        }

        var k = total == 1 ? 0 : _rng.Next(total);
        var inDrawn = new bool[partitioning.Values.Length];
        foreach (var p in drawn)
        {
            inDrawn[p] = true;
        }

        var skipped = new List<int>(refused.Count);
        foreach (var i in refused)
        {
            if (inDrawn[partitionOf[i]])
            {
                skipped.Add(i);
            }
        }

        skipped.Sort();

        // The lowest snapshot position with k + 1 feasible instances of the drawn partitions at or before it.
        int lo = 0, hi = _all.Length - 1;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var count = -AtOrBefore(skipped, mid);
            foreach (var p in drawn)
            {
                count += AtOrBefore(partitioning.ByIndex[p], mid);
            }

            if (count > k)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return _all[lo];
    }

    private static int AtOrBefore(int[] sorted, int value)
    {
        var at = Array.BinarySearch(sorted, value);
        return at >= 0 ? at + 1 : ~at;
    }

    private static int AtOrBefore(List<int> sorted, int value)
    {
        var at = sorted.BinarySearch(value);
        return at >= 0 ? at + 1 : ~at;
    }

    // An instance of the index found to fail a check, counted once however many checks it fails.
    private void Refuse(int i, int[] partitionOf)
    {
        if (partitionOf[i] >= 0 && _marks![i] != _mark)
        {
            _marks[i] = _mark;
            _refused.Add(i);
        }
    }

    private void RefusePorts(bool udp, IReadOnlyList<int> ports, int[] partitionOf)
    {
        foreach (var port in ports)
        {
            if (port != 0)
            {
                foreach (var i in PortHolders(udp, port))
                {
                    Refuse(i, partitionOf);
                }
            }
        }
    }

    private static int Compare(ReadOnlySpan<long> x, ReadOnlySpan<long> y) => x.SequenceCompareTo(y);

    /// <summary>One request's view of a chain index: the attribute counts of its group, per partition.</summary>
    private sealed class ChainPlan(ChainIndex index, bool random, Dictionary<string, int>[] counts)
    {
        private readonly long[] _scores = new long[index.Partitioning.Values.Length * index.Attributes.Length];
        private readonly long[] _bounds = new long[index.Partitioning.Values.Length * (index.Levels.Length + 1)];
        private readonly int[] _heap = new int[index.Partitioning.Values.Length];

        public ChainIndex Index { get; } = index;

        /// <summary>Whether the chain ends in random (after the levels of <see cref="Index"/>).</summary>
        public bool Random { get; } = random;

        /// <summary>For random: the index's instances by CPU left.</summary>
        public BinpackIndex? Cpu { get; set; }

        /// <summary>For random: the index's instances by memory left.</summary>
        public BinpackIndex? Memory { get; set; }

        /// <summary>For random: whether distinctInstance applies.</summary>
        public bool Distinct { get; set; }

        public ReadOnlySpan<long> AttributeScores(int partition) =>
            _scores.AsSpan(partition * Index.Attributes.Length, Index.Attributes.Length);

        /// <summary>The least full key any instance of the partition can have.</summary>
        public ReadOnlySpan<long> Bound(int partition) =>
            _bounds.AsSpan(partition * (Index.Levels.Length + 1), Index.Levels.Length + 1);

        /// <summary>Reads the counts as they are now (every placement changes them).</summary>
        public void Refresh()
        {
            var attributes = Index.Attributes.Length;
            var width = Index.Levels.Length + 1;
            for (var p = 0; p < Index.Partitioning.Values.Length; p++)
            {
                var values = Index.Partitioning.Values[p];
                for (var a = 0; a < attributes; a++)
                {
                    _scores[(p * attributes) + a] = counts[a].TryGetValue(values[a], out var n) ? n : 0;
                }

                Index.FullKey(AttributeScores(p), null, _bounds.AsSpan(p * width, width));
            }
        }

        /// <summary>The partitions, least bound first.</summary>
        public PartitionHeap Heap()
        {
            for (var p = 0; p < _heap.Length; p++)
            {
                _heap[p] = p;
            }

            var heap = new PartitionHeap(_heap, this);
            heap.Build();
            return heap;
        }
    }

    /// <summary>A binary min-heap of partitions by bound: O(partitions) to build, O(log) per partition visited.</summary>
    private ref struct PartitionHeap(int[] items, ChainPlan plan)
    {
        private readonly int[] _items = items;
        private readonly ChainPlan _plan = plan;

        public int Count { get; private set; } = items.Length;

        public void Build()
        {
            for (var i = (Count / 2) - 1; i >= 0; i--)
            {
                Down(i);
            }
        }

        public int Pop()
        {
            var top = _items[0];
            _items[0] = _items[--Count];
            Down(0);
            return top;
        }

        private readonly bool Less(int i, int j) => Compare(_plan.Bound(_items[i]), _plan.Bound(_items[j])) < 0;

        private void Down(int i)
        {
            while (true)
            {
                var least = i;
                var left = (2 * i) + 1;
                if (left < Count && Less(left, least))
                {
                    least = left;
                }

                if (left + 1 < Count && Less(left + 1, least))
                {
                    least = left + 1;
                }

                if (least == i)
                {
                    return;
                }

                (_items[i], _items[least]) = (_items[least], _items[i]);
                i = least;
            }
        }
    }
}
