namespace Berth.Scheduling.Tests;

public class RemainingOrderTests
{
    [Fact]
    public void WalksLikeASortedSetUnderRandomAddsAndRemoves()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var r = new Random(seed);
            var initial = Enumerable.Range(0, r.Next(0, 2000)).Select(rank => (Remaining: r.Next(-5, 300), Rank: rank)).ToList();
            var order = new RemainingOrder(initial);
            var reference = new SortedSet<(int Remaining, int Rank)>(initial);
            var nextRank = initial.Count;
            for (var step = 0; step < 2000; step++)
            {
                if (r.Next(3) == 0 && reference.Count > 0)
                {
                    var victim = reference.ElementAt(r.Next(reference.Count));
                    order.Remove(victim.Remaining, victim.Rank);
                    reference.Remove(victim);
                }
                else
                {
                    var entry = (r.Next(-5, 300), nextRank++);
                    order.Add(entry.Item1, entry.Item2);
                    reference.Add(entry);
                }

                if (step % 100 == 0)
                {
                    var from = r.Next(-10, 310);
                    Assert.Equal(reference.Where(e => e.Remaining >= from).Select(e => e.Rank), order.RanksFrom(from));
                }
            }
        }
    }
}
