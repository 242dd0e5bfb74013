using Berth.Storage.Commit;
using CsCheck;

namespace Berth.Storage.Tests;

/// <summary>
/// How chained commits settle once the oldest failed. A chain is written oldest first: <c>W+</c> a commit that went
/// through, <c>W-</c> one that failed, <c>N</c> a batch with nothing to write.
/// </summary>
public sealed class ChainSettlementTests
{
    [Theory]
    [InlineData("W+", 1, -1)]
    [InlineData("W-", 0, 0)]
    [InlineData("W- W-", 0, 0)]
    [InlineData("W- N", 0, 0)]
    // The second went in only after the first: the first is durable though its caller heard otherwise (a connection
    // lost after the commit).
    [InlineData("W- W+", 2, -1)]
    [InlineData("W- W+ N", 3, -1)]
    [InlineData("W+ W-", 1, 1)]
    // Nothing to write, decided on durable commits alone: answered; the one after the failure is decided again.
    [InlineData("N W-", 1, 1)]
    [InlineData("W+ N W- N", 2, 2)]
    [InlineData("W- W+ W-", 2, 2)]
    [InlineData("W- W+ N W- W-", 3, 3)]
    public void TheOnesAWentThroughCommitProvesAreDurableAndTheFirstFailureAfterThemDecidesTheRest(string chain, int durable, int failed)
    {
        var parsed = chain.Split(' ').Select(c => (Writes: c != "N", WentThrough: c == "W+")).ToArray();
        Assert.Equal((durable, failed), ChainSettlement.Of(parsed));
    }

    [Fact]
    public void EveryCommitUpToTheLastThatWentThroughIsDurableAndTheFailureIsTheFirstWriteAfterIt()
        => Gen.Select(Gen.Bool, Gen.Bool).Array[0, 8].Sample(chain =>
        {
            var (durable, failed) = ChainSettlement.Of([.. chain.Select(c => (Writes: c.Item1, WentThrough: c.Item1 && c.Item2))]);
            var lastWentThrough = Array.FindLastIndex(chain, c => c.Item1 && c.Item2);
            return durable == (failed < 0 ? chain.Length : failed)
                && durable > lastWentThrough
                && !chain[(lastWentThrough + 1)..durable].Any(c => c.Item1)
                && (failed < 0 || (chain[failed].Item1 && !chain[failed].Item2));
        });

    [Fact]
    public void AChainThatAllWentThroughIsDurableWhole()
    {
        Assert.Equal((3, -1), ChainSettlement.Of([(true, true), (false, true), (true, true)]));
        Assert.Equal((0, -1), ChainSettlement.Of([]));
    }
}
