namespace Berth.Scheduling;

/// <summary>
/// Instances ordered by (what is left, seeded rank), with a lower-bound walk (<see cref="SortedBlocks{T}"/>):
/// O(log instances + block size) per update or start of a walk.
/// </summary>
internal sealed class RemainingOrder
{
    private readonly SortedBlocks<long> _order;

    /// <summary>Builds the order from (remaining, rank) pairs.</summary>
    public RemainingOrder(IEnumerable<(int Remaining, int Rank)> entries) =>
        _order = new SortedBlocks<long>([.. entries.Select(e => Key(e.Remaining, e.Rank))]);

    /// <summary>Adds an entry.</summary>
    public void Add(int remaining, int rank) => _order.Add(Key(remaining, rank));

    /// <summary>Removes an entry if present.</summary>
    public void Remove(int remaining, int rank) => _order.Remove(Key(remaining, rank));

    /// <summary>Ranks of the entries with at least <paramref name="remaining"/> left, least left first.</summary>
    public IEnumerable<int> RanksFrom(int remaining) => _order.From(Key(remaining, 0)).Select(k => (int)(k & 0xFFFFFFFF));

    /// <summary>Ranks of the entries with less than <paramref name="remaining"/> left, least left first.</summary>
    public IEnumerable<int> RanksBelow(int remaining)
    {
        var bound = Key(remaining, 0);
        foreach (var key in _order.All())
        {
            if (key >= bound)
            {
                yield break;
            }

            yield return (int)(key & 0xFFFFFFFF);
        }
    }

    // Remaining in the high half (signed, so over-committed instances sort first), rank in the low half.
    private static long Key(int remaining, int rank) => ((long)remaining << 32) | (uint)rank;
}
