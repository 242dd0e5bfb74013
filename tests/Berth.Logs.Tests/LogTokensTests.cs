using Berth.Logs.Paging;
using Berth.Protocol.Errors;

namespace Berth.Logs.Tests;

/// <summary>Paging tokens round-trip in AWS's shapes, and a token that is not one is InvalidParameterException.</summary>
public sealed class LogTokensTests
{
    public static TheoryData<long, long> Positions => new()
    {
        { 0, 0 },
        { 1_800_000_000_123, 42 },
        { long.MaxValue, long.MaxValue },
        { -5, 7 },
    };

    [Theory]
    [MemberData(nameof(Positions))]
    public void Stream_tokens_carry_direction_and_position(long timestamp, long seq)
    {
        var position = new EventPosition(timestamp, seq);
        var forward = LogTokens.Forward(position);
        var backward = LogTokens.Backward(position);
        Assert.Matches("^f/[0-9]{40}/s$", forward);
        Assert.Matches("^b/[0-9]{40}/s$", backward);
        Assert.Equal((true, position), LogTokens.ReadStreamToken(forward));
        Assert.Equal((false, position), LogTokens.ReadStreamToken(backward));
        Assert.Equal(position, LogTokens.ReadFilterToken(LogTokens.Filter(position)));
    }

    [Fact]
    public void Event_ids_are_56_digits_in_position_order()
    {
        var a = new EventPosition(1_800_000_000_000, 9).EventId;
        var b = new EventPosition(1_800_000_000_000, 10).EventId;
        var c = new EventPosition(1_800_000_000_001, 1).EventId;
        Assert.Equal(56, a.Length);
        Assert.True(string.CompareOrdinal(a, b) < 0 && string.CompareOrdinal(b, c) < 0);
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(1_800_000_000_000L, 1L)]
    [InlineData(long.MaxValue, long.MaxValue)]
    [InlineData(long.MinValue, long.MinValue)]
    [InlineData(5L, -1L)]
    public void An_event_id_is_the_timestamp_in_20_digits_then_the_sequence_in_36(long timestamp, long seq) =>
        Assert.Equal(
            timestamp.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + seq.ToString("D36", System.Globalization.CultureInfo.InvariantCulture),
            new EventPosition(timestamp, seq).EventId);

    [Theory]
    [InlineData("f/123/s")]
    [InlineData("x/0000000000000000000000000000000000000000/s")]
    [InlineData("f/000000000000000000000000000000000000000a/s")]
    [InlineData("")]
    public void A_stream_token_that_is_not_one_is_refused(string token)
        => Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => LogTokens.ReadStreamToken(token)).ErrorType);

    [Theory]
    [InlineData("o")]
    [InlineData("o-1")]
    [InlineData("12")]
    public void An_offset_token_that_is_not_one_is_refused(string token)
        => Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => LogTokens.ReadOffset(token)).ErrorType);
}
