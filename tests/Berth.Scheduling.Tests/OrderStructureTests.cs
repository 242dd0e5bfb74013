namespace Berth.Scheduling.Tests;

/// <summary>The structures the indexed placement paths walk, each against the plain model it stands for.</summary>
public class OrderStructureTests
{
    [Fact]
    public void TheCapacityTreeFindsTheFirstPositionALinearScanFinds()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var r = new Random(seed);
            var count = r.Next(0, 300);
            var cpu = Enumerable.Range(0, count).Select(_ => r.Next(-50, 500)).ToArray();
            var memory = Enumerable.Range(0, count).Select(_ => r.Next(-50, 500)).ToArray();
            var tree = new CapacityTree(count);
            for (var i = 0; i < count; i++)
            {
                tree.Set(i, cpu[i], memory[i]);
            }

            for (var step = 0; step < 500; step++)
            {
                if (count > 0 && r.Next(2) == 0)
                {
                    var at = r.Next(count);
                    cpu[at] = r.Next(-50, 500);
                    memory[at] = r.Next(-50, 500);
                    tree.Set(at, cpu[at], memory[at]);
                }

                var (from, needCpu, needMemory) = (r.Next(0, count + 2), r.Next(-10, 520), r.Next(-10, 520));
                var expected = Enumerable.Range(0, count).Where(i => i >= from && cpu[i] >= needCpu && memory[i] >= needMemory).DefaultIfEmpty(-1).First();
                Assert.Equal(expected, tree.FirstFit(from, needCpu, needMemory));
            }
        }
    }

    [Fact]
    public void AHolderOrderWalksLikeOneSortedSetOfEveryKey()
    {
        // One group's counts on the per-instance level: zero for most instances, which the order keeps implicit.
        for (var seed = 0; seed < 50; seed++)
        {
            var r = new Random(seed);
            var ranks = Enumerable.Range(0, r.Next(0, 400)).Select(i => (i * 3) + r.Next(3)).ToArray();
            var counts = ranks.ToDictionary(rank => rank, _ => r.Next(4) == 0 ? r.Next(1, 4) : 0);
            var capacity = new CapacityTree(ranks.Length);
            for (var i = 0; i < ranks.Length; i++)
            {
                capacity.Set(i, int.MaxValue, int.MaxValue);
            }

            var order = new HolderOrder(ranks, capacity, [.. ranks.Where(rank => counts[rank] > 0).Select(rank => Key(counts[rank], rank))]);
            for (var step = 0; step < 300 && ranks.Length > 0; step++)
            {
                var rank = ranks[r.Next(ranks.Length)];
                order.Remove(Key(counts[rank], rank));
                counts[rank] = r.Next(5) == 0 ? 0 : counts[rank] + 1;
                order.Add(Key(counts[rank], rank));
                var reference = new SortedSet<ChainKey>(ranks.Select(k => Key(counts[k], k)));
                var lower = r.Next(3) switch
                {
                    0 => ChainKey.Min,
                    1 => Key(r.Next(0, 3), int.MinValue),
                    _ => Key(0, r.Next(0, ranks.Length * 3)),
                };
                Assert.Equal(reference.Where(k => k.CompareTo(lower) >= 0), order.From(lower));
            }
        }
    }

    [Fact]
    public void ChainKeysCompareTheirScoresInOrderThenTheRank()
    {
        var r = new Random(5);
        int[] values = [int.MinValue, -7, -1, 0, 1, 2, 1000, int.MaxValue];
        var tuples = Enumerable.Range(0, 2000).Select(_ => Enumerable.Range(0, ChainKey.Slots + 1).Select(_ => values[r.Next(values.Length)]).ToArray()).ToList();
        foreach (var x in tuples.Take(200))
        {
            foreach (var y in tuples.Skip(200).Take(200))
            {
                var expected = Math.Sign(((ReadOnlySpan<int>)x).SequenceCompareTo(y));
                var kx = ChainKey.Of(x.AsSpan(0, ChainKey.Slots), x[^1]);
                var ky = ChainKey.Of(y.AsSpan(0, ChainKey.Slots), y[^1]);
                Assert.Equal(expected, Math.Sign(kx.CompareTo(ky)));
                Assert.Equal(x[^1], kx.Rank);
                Assert.Equal(x[..ChainKey.Slots], Enumerable.Range(0, ChainKey.Slots).Select(kx.Score));
            }
        }
    }

    private static ChainKey Key(int count, int rank) => ChainKey.Of([count, 0, 0, 0, 0], rank);
}
