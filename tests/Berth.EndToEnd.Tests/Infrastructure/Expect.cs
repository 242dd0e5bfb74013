using System.Text.Json.Nodes;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>Assertions over what the scripts report for one call.</summary>
public static class Expect
{
    /// <summary>The call failed as a user sees it: the HTTP status, the exact error code, a request id, and (optionally) the message.</summary>
    public static void Error(JsonNode? result, string code, string? message = null, int status = 400, string? messageContains = null)
    {
        Assert.NotNull(result);
        var shown = result.ToJsonString();
        Assert.True(result["status"]?.GetValue<int>() == status, $"expected HTTP {status}: {shown}");
        Assert.True((string?)result["code"] == code, $"expected {code}: {shown}");
        Assert.False(string.IsNullOrEmpty((string?)result["requestId"]), $"no x-amzn-RequestId: {shown}");
        if (message is not null)
        {
            Assert.Equal(message, (string?)result["message"]);
        }

        if (messageContains is not null)
        {
            Assert.Contains(messageContains, (string?)result["message"] ?? string.Empty, StringComparison.Ordinal);
        }
    }

    /// <summary>The call succeeded with 200 and a request id; returns its response.</summary>
    public static JsonNode Ok(JsonNode? result)
    {
        Assert.NotNull(result);
        var shown = result.ToJsonString();
        Assert.True(result["status"]?.GetValue<int>() == 200, $"expected HTTP 200: {shown}");
        Assert.False(string.IsNullOrEmpty((string?)result["requestId"]), $"no x-amzn-RequestId: {shown}");
        return result["response"] ?? result["json"] ?? new JsonObject();
    }

    /// <summary>Every member of <paramref name="expected"/> is in <paramref name="actual"/> with the same value (arrays element by element).</summary>
    public static void Subset(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{path}: expected null, got {actual?.ToJsonString()}");
                break;
            case JsonObject obj:
                var members = Assert.IsType<JsonObject>(actual, exactMatch: false);
                foreach (var (name, value) in obj)
                {
                    Assert.True(members.ContainsKey(name), $"{path}.{name} is missing from {members.ToJsonString()}");
                    Subset(value, members[name], $"{path}.{name}");
                }

                break;
            case JsonArray array:
                var other = Assert.IsType<JsonArray>(actual, exactMatch: false);
                Assert.True(array.Count == other.Count, $"{path}: expected {array.Count} items, got {other.ToJsonString()}");
                for (var i = 0; i < array.Count; i++)
                {
                    Subset(array[i], other[i], $"{path}[{i}]");
                }

                break;
            default:
                Assert.True(actual is JsonValue, $"{path}: expected {expected.ToJsonString()}, got {actual?.ToJsonString()}");
                Assert.True(JsonNode.DeepEquals(expected, actual), $"{path}: expected {expected.ToJsonString()}, got {actual!.ToJsonString()}");
                break;
        }
    }

    /// <summary>The strings of a JSON array.</summary>
    public static List<string> Strings(JsonNode? array) => array?.AsArray().Select(n => (string)n!).ToList() ?? [];
}
