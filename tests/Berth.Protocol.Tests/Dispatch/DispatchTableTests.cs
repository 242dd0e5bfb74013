using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;

namespace Berth.Protocol.Tests.Dispatch;

public sealed class EchoRequest
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("count")]
    public int? Count { get; set; }

    [JsonPropertyName("items")]
    public List<EchoItem>? Items { get; set; }

    [JsonPropertyName("names")]
    public List<string>? Names { get; set; }

    [JsonPropertyName("labels")]
    public Dictionary<string, string>? Labels { get; set; }

    [JsonPropertyName("since")]
    public DateTimeOffset? Since { get; set; }
}

public sealed class EchoItem
{
    [JsonPropertyName("key")]
    public string? Key { get; set; }
}

public sealed class EchoResponse
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("region")]
    public string? Region { get; set; }

    [JsonPropertyName("when")]
    public DateTimeOffset? When { get; set; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Converters = [typeof(Berth.Protocol.Json.EpochSecondsConverter)])]
[JsonSerializable(typeof(EchoRequest))]
[JsonSerializable(typeof(EchoResponse))]
internal sealed partial class EchoJsonContext : JsonSerializerContext
{
}

public class DispatchTableTests
{
    private static readonly RequestContext Context = new("us-east-1", "000000000000", "arn:aws:iam::000000000000:root", "r-1");

    private static DispatchTable Table()
    {
        var table = new DispatchTable();
        table.Add("Svc_1", "Echo", "svc", EchoJsonContext.Default.EchoRequest, EchoJsonContext.Default.EchoResponse,
            (context, request) => ValueTask.FromResult(new EchoResponse { Name = request.Name, Region = context.Region, When = DateTimeOffset.FromUnixTimeMilliseconds(1_600_000_000_123) }),
            new Dictionary<Type, string[]> { [typeof(EchoRequest)] = ["name"], [typeof(EchoItem)] = ["key"] });
        table.Freeze();
        return table;
    }

    private static async Task<string> Invoke(string body)
    {
        Assert.True(Table().TryGet("Svc_1.Echo", out var operation));
        Assert.Equal("svc", operation.SigningName);
        return Encoding.UTF8.GetString(await operation.Invoke(Context, Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public async Task DispatchesAndWritesTheWireShape()
    {
        var response = await Invoke("""{"name":"a","count":3,"unknownMember":true}""");
        Assert.Equal("""{"name":"a","region":"us-east-1","when":1600000000.123}""", response);
    }

    [Fact]
    public void UnknownTargetsAreNotFound()
    {
        var table = Table();
        Assert.False(table.TryGet("Svc_1.Nope", out _));
        Assert.False(table.TryGet(null, out _));
        Assert.False(table.TryGet("svc_1.echo", out _)); // targets are case-sensitive, as in AWS
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("not json")]
    [InlineData("""{"name":"a","count":"three"}""")]
    [InlineData("""{"name":5}""")]
    [InlineData("""{"name":"a","count":1.5}""")]
    [InlineData("""{"name":"a","count":99999999999}""")]
    [InlineData("""{"name":"a","items":{}}""")]
    [InlineData("""{"name":"a","items":[null]}""")]
    [InlineData("""{"name":"a","names":["x",null]}""")]
    [InlineData("""{"name":"a","labels":{"k":null}}""")]
    [InlineData("""{"name":"a","since":253402300800}""")]
    [InlineData("""{"name":"a","since":-62135596801}""")]
    [InlineData("""{"name":"a","since":1e300}""")]
    [InlineData("""{"name":"a","since":-1e300}""")]
    public async Task MalformedOrMistypedBodiesAreSerializationErrors(string body)
    {
        var ex = await Assert.ThrowsAsync<AwsException>(() => Invoke(body));
        Assert.Equal("SerializationException", ex.ErrorType);
        Assert.Equal(400, ex.StatusCode);
    }

    [Theory]
    [InlineData("", "name can not be null.")]
    [InlineData("{}", "name can not be null.")]
    [InlineData("""{"name":"a","items":[{"key":"k"},{}]}""", "items[1].key can not be null.")]
    public async Task MissingRequiredMembersAreNamed(string body, string message)
    {
        var ex = await Assert.ThrowsAsync<AwsException>(() => Invoke(body));
        Assert.Equal(("InvalidParameterException", message), (ex.ErrorType, ex.Message));
    }

    [Fact]
    public void AFrozenTableTakesNoMoreOperations()
    {
        var table = Table();
        Assert.Throws<InvalidOperationException>(() => table.Add("Svc_1", "Late", "svc", EchoJsonContext.Default.EchoRequest, EchoJsonContext.Default.EchoResponse,
            (_, r) => ValueTask.FromResult(new EchoResponse())));
    }

    [Fact]
    public void TimestampsReadEpochSecondsAndIsoStrings()
    {
        var options = new JsonSerializerOptions { Converters = { new Berth.Protocol.Json.EpochSecondsConverter() } };
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_500), JsonSerializer.Deserialize<DateTimeOffset>("1.5", options));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(0), JsonSerializer.Deserialize<DateTimeOffset>("\"1970-01-01T00:00:00Z\"", options));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(253402300799), JsonSerializer.Deserialize<DateTimeOffset>("253402300799", options));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DateTimeOffset>("253402300800", options));
    }
}
