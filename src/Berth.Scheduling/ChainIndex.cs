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
/// The instances a strategy chain can choose from, kept in the chain's order so that a placement need not score
/// them all. Instances are split into partitions by their values of the chain's spread attributes (every
/// instance of a partition has the same attribute scores); inside a partition they are sorted by the per-instance
/// scores in chain order, then the seeded rank. Only instances that pass what cannot change in a session belong
/// (ACTIVE, agent connected, the memberOf expressions that read only attributes).
/// </summary>
internal sealed class ChainIndex
{
    private readonly ChainLevel[] _instanceLevels;

    public ChainIndex(ChainLevel[] levels, string? group, IEnumerable<Candidate> members, int instanceCount)
    {
        Levels = levels;
        Group = group;
        _instanceLevels = [.. levels.Where(l => l.PerInstance)];
        Attributes = [.. levels.Where(l => !l.PerInstance).Select(l => l.Attribute!)];
        PartitionOf = new int[instanceCount];
        Array.Fill(PartitionOf, -1);
        var byValues = new Dictionary<string[], int>(ValuesComparer.Instance);
        var keys = new List<List<ChainKey>>();
        var indices = new List<List<int>>();
        var values = new List<string[]>();
        foreach (var c in members)
        {
            var own = new string[Attributes.Length];
            for (var a = 0; a < own.Length; a++)
            {
                own[a] = PlacementSession.ValueOf(c, Attributes[a]);
            }

            if (!byValues.TryGetValue(own, out var p))
            {
                p = values.Count;
                byValues[own] = p;
                values.Add(own);
                keys.Add([]);
                indices.Add([]);
            }

            PartitionOf[c.Index] = p;
            keys[p].Add(KeyOf(c));
            indices[p].Add(c.Index);
        }

        Partitions = [.. values.Select((v, p) => new Partition(v, new SortedBlocks<ChainKey>(keys[p]), [.. indices[p].Order()]))];
        FirstIsBinpack = _instanceLevels.Length > 0 && _instanceLevels[0].Score is LevelScore.RemainingCpu or LevelScore.RemainingMemory;
        DependsOnEveryTake = _instanceLevels.Any(l => l.Score is LevelScore.RemainingCpu or LevelScore.RemainingMemory || (l.Score == LevelScore.InstanceCount && group is null));
    }

    /// <summary>The chain's strategies in order, up to a random one.</summary>
    public ChainLevel[] Levels { get; }

    /// <summary>The task group per-instance spreads count (null: every task).</summary>
    public string? Group { get; }

    /// <summary>The attributes spread over, in chain order.</summary>
    public string[] Attributes { get; }

    public Partition[] Partitions { get; }

    /// <summary>Each instance's partition by snapshot position; -1 for instances outside the index.</summary>
    public int[] PartitionOf { get; }

    /// <summary>Whether the chain has per-instance strategies at all (otherwise only the rank orders a partition).</summary>
    public bool HasInstanceLevels => _instanceLevels.Length > 0;

    /// <summary>Whether every placed task can move an instance's key (binpack, or spread counting every task).</summary>
    public bool DependsOnEveryTake { get; }

    private bool FirstIsBinpack { get; }

    public bool Contains(Candidate c) => PartitionOf[c.Index] >= 0;

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

    /// <summary>The instances with the same values of every spread attribute.</summary>
    internal sealed record Partition(string[] Values, SortedBlocks<ChainKey> Order, int[] ByIndex);

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
