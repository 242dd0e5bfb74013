namespace Berth.Storage.Commit;

/// <summary>
/// How commits sent chained on one another settle once the oldest of them failed: a pure function of which of them
/// write and which went through, table-tested.
/// </summary>
public static class ChainSettlement
{
    /// <summary>
    /// Of <paramref name="chain"/> (the commits in flight, oldest first, each chained on the one before), how many of
    /// the oldest are durable and which one failed for the rest. A commit that went through proves that every one it
    /// was chained on did (the database let it in only after them), whatever their callers heard; a batch that writes
    /// nothing was decided on the ones before it alone.
    /// </summary>
    /// <returns>
    /// <c>Durable</c>: that many of the oldest are durable and their commands answered; <c>Failed</c>: the index of the
    /// first commit that did not make it (whose failure is its commands' answer; every one after it was decided on what
    /// it would have written), or -1 when all are durable.
    /// </returns>
    public static (int Durable, int Failed) Of(IReadOnlyList<(bool Writes, bool WentThrough)> chain)
    {
        var proven = -1;
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            if (chain[i] is { Writes: true, WentThrough: true })
            {
                proven = i;
                break;
            }
        }

        for (var i = proven + 1; i < chain.Count; i++)
        {
            if (chain[i].Writes)
            {
                return (i, i);
            }
        }

        return (chain.Count, -1);
    }
}
