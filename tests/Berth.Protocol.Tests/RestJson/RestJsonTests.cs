using System.Text;
using System.Text.Json.Serialization;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;
using Berth.Protocol.RestJson;

namespace Berth.Protocol.Tests.RestJson;

/// <summary>The shape of a rest-json input in these tests: one label, query members of each kind, a body member.</summary>
public sealed class SampleInput
{
    /// <summary>From the URI.</summary>
    [JsonPropertyName("Name")]
    public string? Name { get; set; }

    /// <summary>From the query.</summary>
    [JsonPropertyName("MaxResults")]
    public int? MaxResults { get; set; }

    /// <summary>From the query, repeated.</summary>
    [JsonPropertyName("TagKeys")]
    public List<string>? TagKeys { get; set; }

    /// <summary>From the query.</summary>
    [JsonPropertyName("Force")]
    public bool? Force { get; set; }

    /// <summary>From the body.</summary>
    [JsonPropertyName("Description")]
    public string? Description { get; set; }
}

/// <summary>The JSON context of <see cref="SampleInput"/>.</summary>
[JsonSerializable(typeof(SampleInput))]
public sealed partial class SampleContext : JsonSerializerContext
{
}

/// <summary>rest-json: URI templates, query strings, input binding and the dispatch table, as tables.</summary>
public sealed class RestJsonTests
{
    private static readonly RestMember[] Members =
    [
        new("Name", RestLocation.Uri, "Name", RestValueKind.String),
        new("MaxResults", RestLocation.Query, "maxResults", RestValueKind.Integer),
        new("TagKeys", RestLocation.Query, "TagKeys", RestValueKind.List),
        new("Force", RestLocation.Query, "force", RestValueKind.Boolean),
    ];

    [Theory]
    [InlineData("/schedules/{Name}", "/schedules/abc", "abc")]
    [InlineData("/schedules/{Name}", "/schedules/a%20b", "a b")]
    [InlineData("/tags/{ResourceArn}", "/tags/arn%3Aaws%3Ascheduler%3Aus-east-1%3A000000000000%3Aschedule-group%2Fg", "arn:aws:scheduler:us-east-1:000000000000:schedule-group/g")]
    [InlineData("/schedules/{Name}", "/schedules", null)]
    [InlineData("/schedules/{Name}", "/schedules/", null)]
    [InlineData("/schedules/{Name}", "/schedule-groups/abc", null)]
    [InlineData("/schedules/{Name}", "/schedules/a/b", null)]
    [InlineData("/schedules", "/schedules", "")]
    public void Uri_templates_match_one_decoded_segment_per_label(string template, string path, string? expected)
    {
        var matched = new UriTemplate(template).TryMatch(path, out var labels);
        Assert.Equal(expected is not null, matched);
        if (expected is { Length: > 0 })
        {
            Assert.Equal(expected, labels.Values.Single());
        }
    }

    [Fact]
    public void Query_strings_keep_repeated_parameters_and_decode_values()
    {
        var query = RestJsonDispatchTable.ParseQuery("TagKeys=a&TagKeys=b%2Fc&NamePrefix=x+y&empty");
        Assert.Equal(["a", "b/c"], query["TagKeys"]);
        Assert.Equal(["x y"], query["NamePrefix"]);
        Assert.Equal([""], query["empty"]);
    }

    [Fact]
    public void Input_members_come_from_the_uri_query_and_body()
    {
        var request = new RestRequest(
            new Dictionary<string, string> { ["Name"] = "s1" },
            RestJsonDispatchTable.ParseQuery("maxResults=5&TagKeys=a&TagKeys=b&force=true"),
            new Dictionary<string, string>());
        var input = RestInput.Read(Encoding.UTF8.GetBytes("""{"Description":"d","Name":"ignored"}"""), request, Members, SampleContext.Default.SampleInput);
        Assert.Equal(("s1", 5, "d", true), (input.Name, input.MaxResults, input.Description, input.Force));
        Assert.Equal(["a", "b"], input.TagKeys!);

        var empty = RestInput.Read(ReadOnlyMemory<byte>.Empty, new RestRequest(new Dictionary<string, string>(), new Dictionary<string, IReadOnlyList<string>>(), new Dictionary<string, string>()), Members, SampleContext.Default.SampleInput);
        Assert.Null(empty.Name);
    }

    [Theory]
    [InlineData("{", "maxResults=1")]
    [InlineData("[]", "maxResults=1")]
    [InlineData("""{"Description":5}""", "maxResults=1")]
    [InlineData("{}", "maxResults=ten")]
    [InlineData("{}", "force=yes")]
    public void Bad_bodies_and_query_values_are_SerializationException(string body, string query)
    {
        var request = new RestRequest(new Dictionary<string, string>(), RestJsonDispatchTable.ParseQuery(query), new Dictionary<string, string>());
        var e = Assert.ThrowsAny<AwsException>(() => RestInput.Read(Encoding.UTF8.GetBytes(body), request, Members, SampleContext.Default.SampleInput));
        Assert.Equal("SerializationException", e.ErrorType);
    }

    [Fact]
    public async Task The_table_finds_operations_by_method_and_template_and_checks_required_members()
    {
        var table = new RestJsonDispatchTable();
        var bindings = new Dictionary<Type, RestMember[]> { [typeof(SampleInput)] = Members };
        var required = new Dictionary<Type, string[]> { [typeof(SampleInput)] = ["Description"] };
        table.Add("svc", ("Get", "GET", "/things/{Name}", 200), SampleContext.Default.SampleInput, SampleContext.Default.SampleInput, (_, i) => ValueTask.FromResult(i), bindings, required, path => new AwsException("ValidationException", path + " is missing"));
        table.Add("svc", ("List", "GET", "/things", 200), SampleContext.Default.SampleInput, SampleContext.Default.SampleInput, (_, i) => ValueTask.FromResult(i), bindings);
        table.Freeze();

        Assert.True(table.HasService("svc"));
        Assert.False(table.HasService("ecs"));
        Assert.True(table.TryMatch("svc", "GET", "/things/t1", out var get, out var labels, out _));
        Assert.Equal(("Get", "t1"), (get.Name, labels["Name"]));
        Assert.True(table.TryMatch("svc", "GET", "/things", out var list, out _, out _));
        Assert.Equal("List", list.Name);
        Assert.False(table.TryMatch("svc", "DELETE", "/things/t1", out _, out _, out var known));
        Assert.True(known);
        Assert.False(table.TryMatch("svc", "GET", "/other", out _, out _, out known));
        Assert.False(known);

        var context = new RequestContext("us-east-1", "000000000000", "arn:aws:iam::000000000000:root", "r1");
        var request = new RestRequest(labels, new Dictionary<string, IReadOnlyList<string>>(), new Dictionary<string, string>());
        var e = await Assert.ThrowsAnyAsync<AwsException>(async () => await get.Invoke(context, request, "{}"u8.ToArray()));
        Assert.Equal("Description is missing", e.Message);
        var answer = await get.Invoke(context, request, """{"Description":"d"}"""u8.ToArray());
        Assert.Equal("""{"Name":"t1","MaxResults":null,"TagKeys":null,"Force":null,"Description":"d"}""", Encoding.UTF8.GetString(answer));
    }
}
