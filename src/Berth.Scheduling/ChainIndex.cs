namespace Berth.Scheduling;

/// <summary>What one strategy of a chain scores an instance by.</summary>
internal enum LevelScore
{
    /// <summary>A spread over an attribute: the tasks on every active instance with the instance's value.</summary>
    AttributeCount,

    /// <summary>CPU units left (binpack cpu).</summary>
    RemainingCpu,

    /// <summary>Memory left (binpack memory).</summary>
    RemainingMemory,

    /// <summary>Tasks on the instance (spread instanceId or host).</summary>
    InstanceCount,
}

/// <summary>One strategy of a chain as an index sees it; <paramref name="Attribute"/> only for attribute spreads.</summary>
internal readonly record struct ChainLevel(LevelScore Score, string? Attribute = null)
{
    public bool PerInstance => Score != LevelScore.AttributeCount;
}

/// <summary>
/// An instance's scores on the per-instance strategies of a chain (at most five) and its seeded rank, packed so
/// that comparing keys compares the scores in chain order, then the rank.
/// </summary>
internal readonly record struct ChainKey(long A, long B, long C) : IComparable<ChainKey>
{
    public const int Slots = 5;

    public static ChainKey Min { get; } = Of([int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue], int.MinValue);

    public int Rank => Low(C);

    public static ChainKey Of(ReadOnlySpan<int> scores, int rank) =>
        new(High(scores[0]) | Pack(scores[1]), High(scores[2]) | Pack(scores[3]), High(scores[4]) | Pack(rank));

    /// <summary>The smallest key whose first score is <paramref name="first"/>.</summary>
    public static ChainKey From(int first) => Of([first, int.MinValue, int.MinValue, int.MinValue, int.MinValue], int.MinValue);

    /// <summary>Score <paramref name="slot"/> (0 to 4).</summary>
    public int Score(int slot) => slot switch
    {
        0 => (int)(A >> 32),
        1 => Low(A),
        2 => (int)(B >> 32),
        3 => Low(B),
        _ => (int)(C >> 32),
    };

    /// <summary>Whether every score is the same (the ranks may differ).</summary>
    public bool SameScores(ChainKey other) => A == other.A && B == other.B && (C >> 32) == (other.C >> 32);

    /// <summary>This key with the lowest possible rank.</summary>
    public ChainKey WithLowestRank() => new(A, B, C & ~0xFFFFFFFFL);

    /// <summary>This key's scores with <paramref name="rank"/>.</summary>
    public ChainKey WithRank(int rank) => new(A, B, (C & ~0xFFFFFFFFL) | Pack(rank));

    public int CompareTo(ChainKey other)
    {
        var c = A.CompareTo(other.A);
        if (c != 0)
        {
            return c;
        }

        c = B.CompareTo(other.B);
        return c != 0 ? c : C.CompareTo(other.C);
    }

    // The high half compares as signed; the low half holds value ^ MinValue so it compares, unsigned, as signed.
    private static long High(int value) => (long)value << 32;

    private static long Pack(int value) => (uint)(value ^ int.MinValue);

    private static int Low(long half) => (int)(uint)half ^ int.MinValue;
}

/// <summary>
/// The instances a set of chains can choose from (those that pass what cannot change in a session: ACTIVE, agent
/// connected, the memberOf expressions that read only attributes), split into partitions by their values of the
/// spread attributes: every instance of a partition has the same attribute scores. Shared by every chain index
/// over the same attributes, whatever its task group.
/// </summary>
internal sealed class ChainPartitioning
{
    public ChainPartitioning(string[] attributes, IEnumerable<Candidate> members, Candidate[] byRank)
    {
        var instanceCount = byRank.Length;
        Attributes = attributes;
        PartitionOf = new int[instanceCount];
        Array.Fill(PartitionOf, -1);
        var byValues = new Dictionary<string[], int>(ValuesComparer.Instance);
        var indices = new List<List<Candidate>>();
        var values = new List<string[]>();
        foreach (var c in members)
        {
            var own = new string[attributes.Length];
            for (var a = 0; a < own.Length; a++)
            {
                own[a] = PlacementSession.ValueOf(c, attributes[a]);
            }

            if (!byValues.TryGetValue(own, out var p))
            {
                p = values.Count;
                byValues[own] = p;
                values.Add(own);
                indices.Add([]);
            }

            PartitionOf[c.Index] = p;
            indices[p].Add(c);
        }

        Values = [.. values];
        ByIndex = [.. indices.Select(list => list.Select(c => c.Index).Order().ToArray())];
        ByRank = [.. indices.Select(list => list.Select(c => c.Rank).Order().ToArray())];
        PositionOf = new int[instanceCount];
        Capacity = new CapacityTree[ByRank.Length];
        for (var p = 0; p < ByRank.Length; p++)
        {
            Capacity[p] = new CapacityTree(ByRank[p].Length);
            for (var i = 0; i < ByRank[p].Length; i++)
            {
                var c = byRank[ByRank[p][i]];
                PositionOf[c.Index] = i;
                Capacity[p].Set(i, c.RemainingCpu, c.RemainingMemory);
            }
        }
    }

    /// <summary>What is left on each partition's instances, in rank order (positions of <see cref="ByRank"/>).</summary>
    public CapacityTree[] Capacity { get; }

    /// <summary>Each member's position in its partition's <see cref="ByRank"/>, by snapshot position.</summary>
    public int[] PositionOf { get; }

    /// <summary>The attributes spread over, in chain order.</summary>
    public string[] Attributes { get; }

    /// <summary>Each partition's values of <see cref="Attributes"/>.</summary>
    public string[][] Values { get; }

    /// <summary>Each partition's instances by snapshot position, ascending.</summary>
    public int[][] ByIndex { get; }

    /// <summary>Each partition's instances' ranks, ascending.</summary>
    public int[][] ByRank { get; }

    /// <summary>Each instance's partition by snapshot position; -1 for instances outside.</summary>
    public int[] PartitionOf { get; }

    /// <summary>Records what a placement left on <paramref name="c"/>.</summary>
    public void Update(Candidate c)
    {
        var p = PartitionOf[c.Index];
        if (p >= 0)
        {
            Capacity[p].Set(PositionOf[c.Index], c.RemainingCpu, c.RemainingMemory);
        }
    }

    private sealed class ValuesComparer : IEqualityComparer<string[]>
    {
        public static ValuesComparer Instance { get; } = new();

        public bool Equals(string[]? x, string[]? y) => x.AsSpan().SequenceEqual(y, StringComparer.Ordinal);

        public int GetHashCode(string[] obj)
        {
            var hash = default(HashCode);
            foreach (var value in obj)
            {
                hash.Add(value, StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }
    }
}

/// <summary>
/// One strategy chain's order over a <see cref="ChainPartitioning"/>: inside each partition, the instances sorted
/// by their per-instance scores in chain order, then the seeded rank, so that a placement need not score them all.
/// </summary>
internal sealed class ChainIndex
{
    private readonly ChainLevel[] _instanceLevels;

    /// <param name="levels">The chain's strategies in order, up to a random one.</param>
    /// <param name="group">The task group per-instance spreads count (null: every task).</param>
    /// <param name="partitioning">The partitions by the chain's attributes.</param>
    /// <param name="byRank">Every instance of the session by rank.</param>
    /// <param name="holders">The instances holding a task of <paramref name="group"/>, when the chain reads only that.</param>
    public ChainIndex(ChainLevel[] levels, string? group, ChainPartitioning partitioning, Candidate[] byRank, IReadOnlyList<Candidate>? holders)
    {
        Levels = levels;
        Group = group;
        Partitioning = partitioning;
        _instanceLevels = [.. levels.Where(l => l.PerInstance)];
        FirstIsBinpack = _instanceLevels.Length > 0 && _instanceLevels[0].Score is LevelScore.RemainingCpu or LevelScore.RemainingMemory;
        DependsOnEveryTake = _instanceLevels.Any(l => l.Score is LevelScore.RemainingCpu or LevelScore.RemainingMemory || (l.Score == LevelScore.InstanceCount && group is null));
        Orders = new IOrder<ChainKey>[partitioning.ByRank.Length];
        if (holders is not null && !DependsOnEveryTake)
        {
            // Only the group's counts order the instances: all but the group's holders score zero everywhere and
            // are in rank order already, shared by every group; only the holders need keys of their own.
            var held = new List<ChainKey>[Orders.Length];
            foreach (var c in holders)
            {
                var p = partitioning.PartitionOf[c.Index];
                if (p >= 0)
                {
                    (held[p] ??= []).Add(KeyOf(c));
                }
            }

            for (var p = 0; p < Orders.Length; p++)
            {
                Orders[p] = new HolderOrder(partitioning.ByRank[p], partitioning.Capacity[p], held[p] ?? []);
            }
        }
        else
        {
            for (var p = 0; p < Orders.Length; p++)
            {
                Orders[p] = new SortedBlocks<ChainKey>([.. partitioning.ByRank[p].Select(rank => KeyOf(byRank[rank]))]);
            }
        }
    }

    /// <summary>The chain's strategies in order, up to a random one.</summary>
    public ChainLevel[] Levels { get; }

    /// <summary>The task group per-instance spreads count (null: every task).</summary>
    public string? Group { get; }

    public ChainPartitioning Partitioning { get; }

    /// <summary>Each partition's instances in chain order.</summary>
    public IOrder<ChainKey>[] Orders { get; }

    /// <summary>The attributes spread over, in chain order.</summary>
    public string[] Attributes => Partitioning.Attributes;

    /// <summary>Whether the chain has per-instance strategies at all (otherwise only the rank orders a partition).</summary>
    public bool HasInstanceLevels => _instanceLevels.Length > 0;

    /// <summary>Whether every placed task can move an instance's key (binpack, or spread counting every task).</summary>
    public bool DependsOnEveryTake { get; }

    private bool FirstIsBinpack { get; }

    public bool Contains(Candidate c) => Partitioning.PartitionOf[c.Index] >= 0;

    /// <summary>
    /// Partition <paramref name="p"/>'s instances from <paramref name="lower"/> in chain order; some that cannot
    /// fit <paramref name="request"/>'s CPU and memory may be left out.
    /// </summary>
    public IEnumerable<ChainKey> Walk(int p, ChainKey lower, PlacementRequest request) =>
        Orders[p] is HolderOrder holders ? holders.From(lower, request.Cpu, request.Memory) : Orders[p].From(lower);

    /// <summary>The order holding <paramref name="c"/> (which <see cref="Contains"/>).</summary>
    public IOrder<ChainKey> OrderOf(Candidate c) => Orders[Partitioning.PartitionOf[c.Index]];

    /// <summary>Where a walk may start: instances with less left than the task needs on a leading binpack cannot take it.</summary>
    public ChainKey LowerBound(PlacementRequest request) =>
        !FirstIsBinpack ? ChainKey.Min : ChainKey.From(_instanceLevels[0].Score == LevelScore.RemainingCpu ? request.Cpu : request.Memory);

    public ChainKey KeyOf(Candidate c)
    {
        Span<int> scores = stackalloc int[ChainKey.Slots];
        for (var i = 0; i < _instanceLevels.Length; i++)
        {
            scores[i] = _instanceLevels[i].Score switch
            {
                LevelScore.RemainingCpu => c.RemainingCpu,
                LevelScore.RemainingMemory => c.RemainingMemory,
                _ => Group is null ? c.RunningTasksCount : c.GroupCount(Group),
            };
        }

        return ChainKey.Of(scores, c.Rank);
    }

    /// <summary>
    /// Writes the full score tuple (every level in chain order, then the rank) of an instance of partition
    /// <paramref name="attributeScores"/> with key <paramref name="key"/>; no key gives the partition's lower bound.
    /// </summary>
    public void FullKey(ReadOnlySpan<long> attributeScores, ChainKey? key, Span<long> into)
    {
        int a = 0, s = 0;
        for (var l = 0; l < Levels.Length; l++)
        {
            into[l] = Levels[l].PerInstance ? (key is { } k ? k.Score(s++) : long.MinValue) : attributeScores[a++];
        }

        into[Levels.Length] = key is { } last ? last.Rank : long.MinValue;
    }
}

/// <summary>
/// A partition's order for a chain that reads only one group's counts: the instances without a task of the group
/// (all scores zero) are the partition's static rank order minus the group's holders, and the holders are kept
/// apart; a walk merges the two. Memory and building cost follow the group's holders, not the partition's size.
/// </summary>
internal sealed class HolderOrder : IOrder<ChainKey>
{
    private static readonly ChainKey Zero = ChainKey.Of(new int[ChainKey.Slots], 0);

    private readonly int[] _ranks;
    private readonly CapacityTree _capacity;
    private readonly SortedBlocks<ChainKey> _held;
    private readonly HashSet<int> _hidden = [];
    private int _cursor;

    /// <param name="ranks">The partition's ranks, ascending (shared, never changed).</param>
    /// <param name="capacity">What is left on them, by the same positions (shared, kept up to date by the session).</param>
    /// <param name="held">The keys of the partition's instances that hold a task of the group.</param>
    public HolderOrder(int[] ranks, CapacityTree capacity, List<ChainKey> held)
    {
        _ranks = ranks;
        _capacity = capacity;
        var nonZero = held.Where(k => !k.SameScores(Zero)).ToList();
        foreach (var key in nonZero)
        {
            _hidden.Add(key.Rank);
        }

        _held = new SortedBlocks<ChainKey>(nonZero);
    }

    public void Add(ChainKey key)
    {
        if (key.SameScores(Zero))
        {
            // Back among the zeros: the cursor must not have passed it.
            _hidden.Remove(key.Rank);
            _cursor = Math.Min(_cursor, LowerBound(key.Rank));
        }
        else
        {
            _held.Add(key);
            _hidden.Add(key.Rank);
        }
    }

    public void Remove(ChainKey key)
    {
        if (key.SameScores(Zero))
        {
            _hidden.Add(key.Rank);
        }
        else
        {
            _held.Remove(key);
        }
    }

    public IEnumerable<ChainKey> From(ChainKey lower) => From(lower, int.MinValue, int.MinValue);

    /// <summary>
    /// The entries not below <paramref name="lower"/>, smallest first, leaving out instances without a group task
    /// that have less than <paramref name="cpu"/> or <paramref name="memory"/> left: every placement of the
    /// session's groups starts at the same lowest ranks, so those fill up first and would be stepped over again and
    /// again.
    /// </summary>
    public IEnumerable<ChainKey> From(ChainKey lower, int cpu, int memory)
    {
        // Hidden ranks at the front stay hidden until one comes back (which moves the cursor back): skip them once.
        while (_cursor < _ranks.Length && _hidden.Contains(_ranks[_cursor]))
        {
            _cursor++;
        }

        var z = lower.CompareTo(Zero.WithLowestRank()) <= 0 ? _cursor
            : lower.SameScores(Zero) ? Math.Max(_cursor, LowerBound(lower.Rank))
            : _ranks.Length;
        using var held = _held.From(lower).GetEnumerator();
        var hasHeld = held.MoveNext();
        while (true)
        {
            while (z < _ranks.Length)
            {
                z = _capacity.FirstFit(z, cpu, memory);
                if (z < 0 || z >= _ranks.Length)
                {
                    z = _ranks.Length;
                }
                else if (_hidden.Contains(_ranks[z]))
                {
                    z++;
                }
                else
                {
                    break;
                }
            }

            if (z < _ranks.Length)
            {
                var zero = Zero.WithRank(_ranks[z]);
                if (!hasHeld || zero.CompareTo(held.Current) < 0)
                {
                    yield return zero;
                    z++;
                    continue;
                }
            }

            if (!hasHeld)
            {
                yield break;
            }

            yield return held.Current;
            hasHeld = held.MoveNext();
        }
    }

    private int LowerBound(int rank)
    {
        var at = Array.BinarySearch(_ranks, rank);
        return at >= 0 ? at : ~at;
    }
}
