using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;

namespace Berth.Protocol.RestJson;

/// <summary>Reads a rest-json input: the JSON body, with the members the model binds elsewhere taken from the request.</summary>
public static class RestInput
{
    /// <summary>
    /// The input of a request: its body (empty is <c>{}</c>) with each bound member set from the URI label, query
    /// parameter or header that carries it. A body that is not JSON, or a value of the wrong type, is SerializationException.
    /// </summary>
    public static T Read<T>(ReadOnlyMemory<byte> body, RestRequest request, IReadOnlyList<RestMember> members, JsonTypeInfo<T> typeInfo) where T : class, new()
    {
        if (members.Count == 0)
        {
            return WireInput.Read(body, typeInfo);
        }

        JsonObject json;
        var span = body.Span.Trim(" \t\r\n"u8);
        if (span.IsEmpty)
        {
            json = [];
        }
        else
        {
            try
            {
                json = JsonNode.Parse(span) as JsonObject ?? throw AwsException.Serialization("Start of structure or map found where not expected.");
            }
            catch (JsonException)
            {
                throw AwsException.Serialization("Malformed request body: not valid JSON.");
            }
        }

        foreach (var member in members)
        {
            var values = member.Location switch
            {
                RestLocation.Uri => request.Labels.TryGetValue(member.LocationName, out var label) ? [label] : null,
                RestLocation.Query => request.Query.TryGetValue(member.LocationName, out var query) ? query : null,
                _ => request.Headers.TryGetValue(member.LocationName, out var header) ? [header] : null,
            };
            if (values is null || values.Count == 0)
            {
                continue;
            }

            json[member.Member] = member.Kind switch
            {
                RestValueKind.List => new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]),
                RestValueKind.Integer => int.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                    ? JsonValue.Create(number)
                    : throw AwsException.Serialization($"Unexpected value type for member '{member.Member}'."),
                RestValueKind.Boolean => values[0] switch
                {
                    "true" => JsonValue.Create(true),
                    "false" => JsonValue.Create(false),
                    _ => throw AwsException.Serialization($"Unexpected value type for member '{member.Member}'."),
                },
                _ => JsonValue.Create(values[0]),
            };
        }

        return WireInput.Read(JsonSerializer.SerializeToUtf8Bytes(json, JsonObjectContext.Default.JsonObject), typeInfo);
    }
}
