namespace Berth.Scheduling;

/// <summary>
/// Instances ordered by (what is left, seeded rank), with a lower-bound walk: a sorted list of small sorted
/// blocks. Finding where to start is a binary search over the blocks and one inside a block, and an update moves
/// at most one block's entries, so each costs O(log instances + block size) whatever the cluster's size.
/// (SortedSet's GetViewBetween counts its whole range, which made each placement O(instances).)
/// </summary>
internal sealed class RemainingOrder
{
    private const int MaxBlock = 256;

    private readonly List<List<long>> _blocks = [];

    /// <summary>Builds the order from (remaining, rank) pairs.</summary>
    public RemainingOrder(IEnumerable<(int Remaining, int Rank)> entries)
    {
        var keys = entries.Select(e => Key(e.Remaining, e.Rank)).ToList();
        keys.Sort();
        for (var i = 0; i < keys.Count; i += MaxBlock / 2)
        {
            _blocks.Add(keys.GetRange(i, Math.Min(MaxBlock / 2, keys.Count - i)));
        }
    }

    /// <summary>Adds an entry.</summary>
    public void Add(int remaining, int rank)
    {
        var key = Key(remaining, rank);
        if (_blocks.Count == 0)
        {
            _blocks.Add([key]);
            return;
        }

        var b = BlockFor(key);
        var block = _blocks[b];
        var at = block.BinarySearch(key);
        block.Insert(at < 0 ? ~at : at, key);
        if (block.Count > MaxBlock)
        {
            var upper = block.GetRange(MaxBlock / 2, block.Count - (MaxBlock / 2));
            block.RemoveRange(MaxBlock / 2, block.Count - (MaxBlock / 2));
            _blocks.Insert(b + 1, upper);
        }
    }

    /// <summary>Removes an entry if present.</summary>
    public void Remove(int remaining, int rank)
    {
        if (_blocks.Count == 0)
        {
            return;
        }

        var key = Key(remaining, rank);
        var b = BlockFor(key);
        var block = _blocks[b];
        var at = block.BinarySearch(key);
        if (at >= 0)
        {
            block.RemoveAt(at);
            if (block.Count == 0)
            {
                _blocks.RemoveAt(b);
            }
        }
    }

    /// <summary>Ranks of the entries with at least <paramref name="remaining"/> left, least left first.</summary>
    public IEnumerable<int> RanksFrom(int remaining)
    {
        if (_blocks.Count == 0)
        {
            yield break;
        }

        var key = Key(remaining, 0);
        var b = BlockFor(key);
        var at = _blocks[b].BinarySearch(key);
        at = at < 0 ? ~at : at;
        for (; b < _blocks.Count; b++, at = 0)
        {
            var block = _blocks[b];
            for (var i = at; i < block.Count; i++)
            {
                yield return (int)(block[i] & 0xFFFFFFFF);
            }
        }
    }

    // Remaining in the high half (signed, so over-committed instances sort first), rank in the low half.
    private static long Key(int remaining, int rank) => ((long)remaining << 32) | (uint)rank;

    // The first block whose last key is at least `key`, else the last block.
    private int BlockFor(long key)
    {
        int lo = 0, hi = _blocks.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            var block = _blocks[mid];
            if (block[^1] < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
