using Berth.Logs.Filtering;
using Berth.Protocol.Errors;

namespace Berth.Logs.Tests;

/// <summary>Filter patterns against the events of AWS's "Filter pattern syntax" documentation, with the matches it lists.</summary>
public sealed class FilterPatternTests
{
    // AWS's unstructured example events.
    private static readonly string[] Errors =
    [
        "[ERROR 400] BAD REQUEST",
        "[ERROR 401] UNAUTHORIZED REQUEST",
        "[ERROR 419] MISSING ARGUMENTS",
        "[ERROR 420] INVALID ARGUMENTS",
    ];

    // AWS's JSON example event.
    private const string Trail = """
        {"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"],
         "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": null, "cluster.name": "c1", "ThisFlag": true,
         "bandwidth": 80, "latency": 500}
        """;

    [Theory]
    [InlineData("", new[] { 0, 1, 2, 3 })]
    [InlineData("ERROR", new[] { 0, 1, 2, 3 })]
    [InlineData("ERROR ARGUMENTS", new[] { 2, 3 })]
    [InlineData("?ERROR ?ARGUMENTS", new[] { 0, 1, 2, 3 })]
    [InlineData("?MISSING ?INVALID", new[] { 2, 3 })]
    [InlineData("\"INVALID ARGUMENTS\"", new[] { 3 })]
    [InlineData("ERROR -ARGUMENTS", new[] { 0, 1 })]
    [InlineData("ERROR -ARGUMENTS -BAD", new[] { 1 })]
    [InlineData("error", new int[0])]
    [InlineData("%ERROR 4[01]9%", new[] { 2 })]
    [InlineData("\"ERROR 42\"", new[] { 3 })]
    public void Terms_match_as_AWS_documents(string pattern, int[] expected)
    {
        var parsed = FilterPattern.Parse(pattern);
        var matched = Enumerable.Range(0, Errors.Length).Where(i => parsed.Matches(Errors[i])).ToArray();
        Assert.Equal(expected, matched);
    }

    [Theory]
    [InlineData("{ $.eventType = \"UpdateTrail\" }", true)]
    [InlineData("{ $.eventType = UpdateTrail }", true)]
    [InlineData("{ $.eventType = \"Update*\" }", true)]
    [InlineData("{ $.eventType = \"DeleteTrail\" }", false)]
    [InlineData("{ $.sourceIPAddress != 123.123.* }", true)]
    [InlineData("{ $.sourceIPAddress = 111.111.* }", true)]
    [InlineData("{ $.arrayKey[0] = \"value\" }", true)]
    [InlineData("{ $.arrayKey[1] = \"value\" }", false)]
    [InlineData("{ $.objectList[1].id = 2 }", true)]
    [InlineData("{ $.objectList[0].id = 2 }", false)]
    [InlineData("{ $.SomeObject IS NULL }", true)]
    [InlineData("{ $.SomeOtherObject NOT EXISTS }", true)]
    [InlineData("{ $.eventType NOT EXISTS }", false)]
    [InlineData("{ $.ThisFlag IS TRUE }", true)]
    [InlineData("{ $.ThisFlag IS FALSE }", false)]
    [InlineData("{ $.bandwidth > 75 }", true)]
    [InlineData("{ $.bandwidth >= 80 }", true)]
    [InlineData("{ $.bandwidth < 80 }", false)]
    [InlineData("{ $.latency <= 500 }", true)]
    [InlineData("{ $.latency = 500 }", true)]
    [InlineData("{ $.latency != 500 }", false)]
    [InlineData("{ ($.eventType = \"UpdateTrail\") && ($.sourceIPAddress != 123.123.*) }", true)]
    [InlineData("{ ($.eventType = \"DeleteTrail\") || ($.bandwidth > 75) }", true)]
    [InlineData("{ ($.eventType = \"DeleteTrail\") || ($.bandwidth > 90) }", false)]
    [InlineData("{ $.eventType = \"UpdateTrail\" && $.latency > 600 }", false)]
    [InlineData("{ $.['cluster.name'] = \"c1\" }", true)]
    public void JSON_patterns_match_as_AWS_documents(string pattern, bool expected)
        => Assert.Equal(expected, FilterPattern.Parse(pattern).Matches(Trail));

    [Theory]
    [InlineData("{ $.level = \"error\" }", "{\"level\":\"error\",\"msg\":\"boom\"}", true)]
    [InlineData("{ $.level = \"error\" }", "{\"level\":\"info\"}", false)]
    [InlineData("{ $.level = \"error\" }", "level=error plain text", false)]
    [InlineData("{ $.level = \"error\" }", "{ not json", false)]
    [InlineData("{ $.n > 1 }", "{\"n\":\"5\"}", false)]
    public void JSON_patterns_need_a_JSON_message_with_the_field(string pattern, string message, bool expected)
        => Assert.Equal(expected, FilterPattern.Parse(pattern).Matches(message));

    [Theory]
    [InlineData("\"unclosed")]
    [InlineData("{ $.level = \"error\" ")]
    [InlineData("{ level = \"error\" }")]
    [InlineData("{ $.n > abc }")]
    [InlineData("{ $.a IS MAYBE }")]
    [InlineData("{ ($.a = 1 }")]
    [InlineData("%[unclosed%")]
    [InlineData("?")]
    public void A_pattern_that_does_not_parse_is_InvalidParameterException(string pattern)
    {
        var error = Assert.Throws<AwsException>(() => FilterPattern.Parse(pattern));
        Assert.Equal("InvalidParameterException", error.ErrorType);
    }
}
