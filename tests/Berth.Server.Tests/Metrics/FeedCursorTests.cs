using Berth.Server.Metrics;

namespace Berth.Server.Tests.Metrics;

/// <summary>A reader of a sequence-numbered table whose rows become visible out of order.</summary>
public sealed class FeedCursorTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    // Each step: the ids a read returns (in id order) at a second after T0; then the settled Below and which ids
    // were new. A row read again is not new; a hole holds Below until its wait is over, and a late row fills it.
    public static TheoryData<string, (int At, long[] Read)[], long, long[]> Cases => new()
    {
        { "in order", [(0, [1, 2, 3])], 3, [1, 2, 3] },
        { "read again", [(0, [1, 2]), (1, [1, 2, 3])], 3, [1, 2, 3] },
        { "a hole holds", [(0, [1, 3, 4])], 1, [1, 3, 4] },
        { "a hole filled late", [(0, [1, 3, 4]), (2, [2, 3, 4, 5])], 5, [1, 3, 4, 2, 5] },
        { "a hole given up after its wait", [(0, [1, 3]), (5, [3, 4]), (10, [3, 4])], 4, [1, 3, 4] },
        { "a row of a hole after its wait is lost", [(0, [1, 3]), (10, []), (11, [2, 4])], 4, [1, 3, 4] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Takes_each_row_once_and_settles_past_holes(string name, (int At, long[] Read)[] steps, long expectedBelow, long[] expectedNew)
    {
        _ = name;
        var cursor = new FeedCursor(Wait);
        var taken = new List<long>();
        foreach (var (at, read) in steps)
        {
            var now = T0.AddSeconds(at);
            taken.AddRange(read.Where(id => cursor.Take(id, now)));
            cursor.Settle(now);
        }

        Assert.Equal(expectedNew, taken);
        Assert.Equal(expectedBelow, cursor.Below);
    }

    [Fact]
    public void A_first_read_starts_at_the_lowest_row_the_table_holds()
    {
        var cursor = new FeedCursor(Wait);
        cursor.StartAt(500);
        Assert.True(cursor.Take(500, T0));
        cursor.Settle(T0);
        Assert.Equal(500, cursor.Below);

        // Only a cursor that never read moves so.
        cursor.StartAt(900);
        Assert.Equal(500, cursor.Below);
    }
}
