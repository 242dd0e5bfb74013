using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Protocol.Errors;

namespace Berth.Protocol.Dispatch;

/// <summary>Reads a request body into its input shape, turning every JSON or type error into SerializationException.</summary>
public static class WireInput
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    /// <summary>Deserializes <paramref name="body"/>; an empty body is an empty input, as AWS treats it.</summary>
    public static T Read<T>(ReadOnlyMemory<byte> body, JsonTypeInfo<T> typeInfo) where T : class, new()
    {
        var span = body.Span.Trim(" \t\r\n"u8);
        if (span.IsEmpty)
        {
            span = EmptyObject;
        }

        if (span[0] != (byte)'{')
        {
            throw AwsException.Serialization("Start of structure or map found where not expected.");
        }

        try
        {
            return JsonSerializer.Deserialize(span, typeInfo) ?? new T();
        }
        catch (JsonException ex)
        {
            throw AwsException.Serialization(Describe(ex));
        }
        catch (InvalidOperationException ex)
        {
            throw AwsException.Serialization(ex.Message);
        }
    }

    private static string Describe(JsonException ex)
    {
        // System.Text.Json's messages name .NET types; say what the client sent wrong in wire terms.
        var path = ex.Path is { Length: > 1 } p ? p.TrimStart('$', '.') : null;
        if (ex.InnerException is FormatException || ex.Message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return path is null
                ? "Unexpected value type in request body."
                : $"Unexpected value type for member '{path}'.";
        }

        return path is null ? "Malformed request body: not valid JSON." : $"Malformed request body at '{path}'.";
    }
}
