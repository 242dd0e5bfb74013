namespace Berth.Scheduling;

/// <summary>Entries kept in order, walked from a lower bound.</summary>
/// <typeparam name="T">The entry; entries are distinct.</typeparam>
internal interface IOrder<T>
{
    /// <summary>Adds an entry.</summary>
    void Add(T key);

    /// <summary>Removes an entry if present.</summary>
    void Remove(T key);

    /// <summary>The entries not below <paramref name="lower"/>, smallest first.</summary>
    IEnumerable<T> From(T lower);
}

/// <summary>
/// A sorted list of small sorted blocks: finding where to start is a binary search over the blocks and one inside
/// a block, and an update moves at most one block's entries, so each costs O(log n + block size) whatever n is.
/// (SortedSet's GetViewBetween counts its whole range, which made each placement O(instances).)
/// </summary>
/// <typeparam name="T">The entry; entries are distinct.</typeparam>
internal sealed class SortedBlocks<T> : IOrder<T>
    where T : struct, IComparable<T>
{
    private const int MaxBlock = 256;

    private readonly List<List<T>> _blocks = [];

    /// <summary>Builds the order from <paramref name="entries"/>, sorting them unless they are <paramref name="sorted"/> already.</summary>
    public SortedBlocks(List<T> entries, bool sorted = false)
    {
        if (!sorted)
        {
            entries.Sort();
        }

        for (var i = 0; i < entries.Count; i += MaxBlock / 2)
        {
            _blocks.Add(entries.GetRange(i, Math.Min(MaxBlock / 2, entries.Count - i)));
        }
    }

    /// <summary>Adds an entry.</summary>
    public void Add(T key)
    {
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
    public void Remove(T key)
    {
        if (_blocks.Count == 0)
        {
            return;
        }

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

    /// <summary>The entries not below <paramref name="lower"/>, smallest first.</summary>
    public IEnumerable<T> From(T lower)
    {
        if (_blocks.Count == 0)
        {
            yield break;
        }

        var b = BlockFor(lower);
        var at = _blocks[b].BinarySearch(lower);
        at = at < 0 ? ~at : at;
        for (; b < _blocks.Count; b++, at = 0)
        {
            var block = _blocks[b];
            for (var i = at; i < block.Count; i++)
            {
                yield return block[i];
            }
        }
    }

    /// <summary>Every entry, smallest first.</summary>
    public IEnumerable<T> All()
    {
        foreach (var block in _blocks)
        {
            foreach (var key in block)
            {
                yield return key;
            }
        }
    }

    // The first block whose last entry is at least `key`, else the last block.
    private int BlockFor(T key)
    {
        int lo = 0, hi = _blocks.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_blocks[mid][^1].CompareTo(key) < 0)
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
