namespace Berth.Server.Metrics;

/// <summary>
/// Where a reader of a table numbered by a database sequence stands, when rows can become visible out of order (a
/// writer that took a lower number may commit after one that took a higher). Every number at or below
/// <see cref="Below"/> was taken or given up on; numbers above it that were taken are remembered, so a row read again
/// is not taken twice. A hole below a taken number is waited for <c>holeWait</c> after that number was taken: a
/// commit that late is not coming (its writer rolled back, or the sequence skipped the number).
/// </summary>
public sealed class FeedCursor(TimeSpan holeWait)
{
    private readonly SortedDictionary<long, DateTimeOffset> _taken = [];

    /// <summary>Every number at or below this is settled: read from here on.</summary>
    public long Below { get; private set; }

    /// <summary>How many numbers above <see cref="Below"/> are taken (held while a hole below them is open).</summary>
    public int Held => _taken.Count;

    /// <summary>
    /// A reader that never read: settles everything below <paramref name="first"/>, the lowest number the table
    /// holds when it first reads (what was below it was pruned).
    /// </summary>
    public void StartAt(long first)
    {
        if (Below == 0 && _taken.Count == 0)
        {
            Below = first - 1;
        }
    }

    /// <summary>Takes the row numbered <paramref name="id"/>: true the first time, false when it was taken before.</summary>
    public bool Take(long id, DateTimeOffset now)
    {
        if (id <= Below || _taken.ContainsKey(id))
        {
            return false;
        }

        _taken.Add(id, now);
        return true;
    }

    /// <summary>Moves <see cref="Below"/> over every number taken with no hole before it, and over holes waited for long enough.</summary>
    public void Settle(DateTimeOffset now)
    {
        while (_taken.Count > 0)
        {
            var (first, at) = _taken.First();
            if (first != Below + 1 && now - at < holeWait)
            {
                return;
            }

            Below = first;
            _taken.Remove(first);
        }
    }
}
