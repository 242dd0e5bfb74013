using Berth.Ecs.Paging;
using Berth.Protocol.Errors;

namespace Berth.Ecs.Tests.Paging;

public class PageTests
{
    private static readonly (string, string)[] Items = [.. Enumerable.Range(0, 7).Select(i => ($"k{i}", $"v{i}"))];

    [Theory]
    [InlineData(null, 100)]
    [InlineData(1, 1)]
    [InlineData(100, 100)]
    public void SizeAcceptsTheRange(int? requested, int expected) => Assert.Equal(expected, Page.Size(requested, 100));

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    [InlineData(-5)]
    public void SizeRefusesOutsideTheRange(int requested)
    {
        var ex = Assert.Throws<AwsException>(() => Page.Size(requested, 100));
        Assert.Equal("InvalidParameterException", ex.ErrorType);
        Assert.Equal("maxResults must be between 1 and 100.", ex.Message);
    }

    [Fact]
    public void PagesWalkEveryItemOnce()
    {
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            (var items, token) = Page.Take(Items, 3, token, "Op");
            seen.AddRange(items);
            pages++;
        }
        while (token is not null);

        Assert.Equal(Items.Select(i => i.Item2), seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public void ExactMultipleHasNoDanglingToken()
    {
        var (items, token) = Page.Take(Items.Take(6), 3, null, "Op");
        (items, token) = Page.Take(Items.Take(6), 3, token, "Op");
        Assert.Equal(["v3", "v4", "v5"], items);
        Assert.Null(token);
    }

    [Fact]
    public void ItemsRemovedMeanwhileDoNotShiftThePage()
    {
        var (_, token) = Page.Take(Items, 3, null, "Op");
        var (items, _) = Page.Take(Items.Where(i => i.Item1 != "k1"), 3, token, "Op");
        Assert.Equal(["v3", "v4", "v5"], items);
    }

    [Fact]
    public void DescendingResumesBelowTheLastKey()
    {
        var reversed = Items.Reverse().ToArray();
        var (first, token) = Page.Take(reversed, 2, null, "Op", descending: true);
        var (second, _) = Page.Take(reversed, 2, token, "Op", descending: true);
        Assert.Equal(["v6", "v5"], first);
        Assert.Equal(["v4", "v3"], second);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("T3RoZXIKazE=")] // "Other\nk1": a token of another listing
    public void ForeignOrCorruptTokensAreRefused(string token)
    {
        var ex = Assert.Throws<AwsException>(() => Page.Take(Items, 3, token, "Op"));
        Assert.Equal("InvalidParameterException", ex.ErrorType);
    }
}
