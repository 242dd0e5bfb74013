using System.Formats.Cbor;
using System.Text;
using Berth.Protocol.Cbor;
using Berth.Protocol.Errors;

namespace Berth.CloudWatch.Tests.Cbor;

/// <summary>The transcoder's own edges: empty bodies, nulls, tags, malformed input refused as SerializationException.</summary>
public sealed class CborJsonTests
{
    [Fact]
    public void An_empty_body_is_an_empty_input()
        => Assert.Equal("{}", Encoding.UTF8.GetString(CborJson.ToJson([])));

    [Fact]
    public void Null_members_are_absent_and_indefinite_lengths_read()
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(null);
        writer.WriteTextString("Namespace");
        writer.WriteTextString("App");
        writer.WriteTextString("NextToken");
        writer.WriteNull();
        writer.WriteTextString("Values");
        writer.WriteStartArray(null);
        writer.WriteHalf((Half)1.5);
        writer.WriteInt64(-3);
        writer.WriteEndArray();
        writer.WriteTextString("StartTime");
        writer.WriteTag(CborTag.UnixTimeSeconds);
        writer.WriteDouble(1700000000.25);
        writer.WriteEndMap();
        Assert.Equal("{\"Namespace\":\"App\",\"Values\":[1.5,-3],\"StartTime\":1700000000.25}", Encoding.UTF8.GetString(CborJson.ToJson(writer.Encode())));
    }

    [Theory]
    [InlineData("ff")] // a break outside any indefinite item
    [InlineData("a1")] // a map that ends early
    [InlineData("8101")] // an array, not a structure
    [InlineData("a10101")] // a key that is not text
    [InlineData("a16161c20101")] // an unsupported tag
    [InlineData("a0a0")] // two top-level values
    [InlineData("a161613bffffffffffffffff")] // an integer below -2^63
    [InlineData("a16161c11bffffffffffffffff")] // a timestamp above 2^63 seconds
    [InlineData("a16161c13bffffffffffffffff")] // a timestamp below -2^63 seconds
    [InlineData("a1616162c328")] // text that is not UTF-8
    [InlineData("a161ff01")] // a key that is not UTF-8
    [InlineData("a2616101616102")] // a key twice
    public void Malformed_CBOR_is_a_SerializationException(string hex)
    {
        var error = Assert.Throws<AwsException>(() => CborJson.ToJson(Convert.FromHexString(hex)));
        Assert.Equal("SerializationException", error.ErrorType);
    }

    [Fact]
    public void Numbers_outside_timestamp_and_double_members_stay_integers()
    {
        var cbor = CborJson.ToCbor("{\"MaxRecords\":5,\"Threshold\":5,\"Timestamp\":1700000000}"u8, BotocoreCborRoundTripTests.Members);
        var reader = new CborReader(cbor);
        reader.ReadStartMap();
        Assert.Equal("MaxRecords", reader.ReadTextString());
        Assert.Equal(CborReaderState.UnsignedInteger, reader.PeekState());
        Assert.Equal(5, reader.ReadInt32());
        Assert.Equal("Threshold", reader.ReadTextString());
        Assert.Equal(5.0, reader.ReadDouble());
        Assert.Equal("Timestamp", reader.ReadTextString());
        Assert.Equal(CborTag.UnixTimeSeconds, reader.ReadTag());
        Assert.Equal(1700000000, reader.ReadInt64());
    }
}
