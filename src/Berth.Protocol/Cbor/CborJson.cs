using System.Buffers;
using System.Collections.Frozen;
using System.Formats.Cbor;
using System.Globalization;
using System.Text.Json;
using Berth.Protocol.Errors;

namespace Berth.Protocol.Cbor;

/// <summary>
/// What the transcoding needs to know of a model's members: CBOR has a timestamp tag and separate integer and float
/// types, JSON only numbers. Names are member names (in any structure) whose values, or whose list's items, are of
/// that kind; they come from the generated <c>WireCbor</c> of the model.
/// </summary>
/// <param name="Timestamps">Members holding timestamps (epoch seconds in JSON, tag 1 in CBOR).</param>
/// <param name="Doubles">Members holding doubles (a whole double is still written as a CBOR float).</param>
/// <param name="Blobs">Members holding blobs (base64 text in JSON, byte strings in CBOR).</param>
public sealed record CborMembers(FrozenSet<string> Timestamps, FrozenSet<string> Doubles, FrozenSet<string> Blobs);

/// <summary>
/// Smithy RPC v2 CBOR bodies as the AWS JSON the dispatch table reads and writes: requests are transcoded to JSON
/// before the generated shapes read them, answers from JSON to CBOR, so a CBOR service shares the JSON operations.
/// </summary>
public static class CborJson
{
    private const int MaxDepth = 64;

    /// <summary>
    /// A CBOR request body as JSON (an empty body is <c>{}</c>); a malformed one is a SerializationException, and so
    /// is text that is not UTF-8, a map with a key twice, and an integer or timestamp no 64-bit integer holds.
    /// </summary>
    public static byte[] ToJson(ReadOnlySpan<byte> cbor)
    {
        if (cbor.IsEmpty)
        {
            return "{}"u8.ToArray();
        }

        var buffer = new ArrayBufferWriter<byte>(cbor.Length * 2 + 16);
        try
        {
            var reader = new CborReader(cbor.ToArray(), CborConformanceMode.Strict, allowMultipleRootLevelValues: false);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                if (reader.PeekState() != CborReaderState.StartMap)
                {
                    throw AwsException.Serialization("Start of structure or map found where not expected.");
                }

                WriteValue(reader, writer, 0);
            }

            if (reader.BytesRemaining != 0)
            {
                throw AwsException.Serialization("Malformed request body: data after the top-level value.");
            }
        }
        catch (CborContentException ex)
        {
            throw AwsException.Serialization("Malformed request body: not valid CBOR (" + ex.Message + ")");
        }
        catch (InvalidOperationException ex)
        {
            throw AwsException.Serialization("Malformed request body: not valid CBOR (" + ex.Message + ")");
        }
        catch (OverflowException)
        {
            throw AwsException.Serialization("Malformed request body: an integer or timestamp out of range.");
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A JSON answer as CBOR: numbers of timestamp members as tag 1, of double members as floats.</summary>
    public static byte[] ToCbor(ReadOnlySpan<byte> json, CborMembers members)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var writer = new CborWriter(CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false, allowMultipleRootLevelValues: false);
        WriteCbor(document.RootElement, writer, null, members);
        return writer.Encode();
    }

    /// <summary>A CBOR map of text keys and text values (error bodies).</summary>
    public static byte[] Map(params (string Key, string Value)[] entries)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(entries.Length);
        foreach (var (key, value) in entries)
        {
            writer.WriteTextString(key);
            writer.WriteTextString(value);
        }

        writer.WriteEndMap();
        return writer.Encode();
    }

    private static void WriteValue(CborReader reader, Utf8JsonWriter writer, int depth)
    {
        if (depth > MaxDepth)
        {
            throw AwsException.Serialization("Malformed request body: nested too deeply.");
        }

        switch (reader.PeekState())
        {
            case CborReaderState.StartMap:
                reader.ReadStartMap();
                writer.WriteStartObject();
                while (reader.PeekState() != CborReaderState.EndMap)
                {
                    if (reader.PeekState() != CborReaderState.TextString)
                    {
                        throw AwsException.Serialization("Malformed request body: a map key that is not text.");
                    }

                    var key = reader.ReadTextString();
                    if (IsNull(reader))
                    {
                        // A null member is an absent member, as in JSON input.
                        continue;
                    }

                    writer.WritePropertyName(key);
                    WriteValue(reader, writer, depth + 1);
                }

                reader.ReadEndMap();
                writer.WriteEndObject();
                break;
            case CborReaderState.StartArray:
                reader.ReadStartArray();
                writer.WriteStartArray();
                while (reader.PeekState() != CborReaderState.EndArray)
                {
                    WriteValue(reader, writer, depth + 1);
                }

                reader.ReadEndArray();
                writer.WriteEndArray();
                break;
            case CborReaderState.TextString:
            case CborReaderState.StartIndefiniteLengthTextString:
                writer.WriteStringValue(reader.ReadTextString());
                break;
            case CborReaderState.ByteString:
            case CborReaderState.StartIndefiniteLengthByteString:
                writer.WriteBase64StringValue(reader.ReadByteString());
                break;
            case CborReaderState.UnsignedInteger:
                writer.WriteNumberValue(reader.ReadUInt64());
                break;
            case CborReaderState.NegativeInteger:
                writer.WriteNumberValue(reader.ReadInt64());
                break;
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                WriteDouble(writer, reader.ReadDouble());
                break;
            case CborReaderState.Boolean:
                writer.WriteBooleanValue(reader.ReadBoolean());
                break;
            case CborReaderState.Null:
                reader.ReadNull();
                writer.WriteNullValue();
                break;
            case CborReaderState.SimpleValue:
                reader.ReadSimpleValue();
                writer.WriteNullValue();
                break;
            case CborReaderState.Tag:
                var tag = reader.ReadTag();
                if (tag != CborTag.UnixTimeSeconds)
                {
                    throw AwsException.Serialization($"Malformed request body: unsupported CBOR tag {(ulong)tag}.");
                }

                // Epoch seconds, integral or not: AWS JSON timestamps are the same numbers.
                switch (reader.PeekState())
                {
                    case CborReaderState.UnsignedInteger:
                    case CborReaderState.NegativeInteger:
                        writer.WriteNumberValue(reader.ReadInt64());
                        break;
                    case CborReaderState.HalfPrecisionFloat:
                    case CborReaderState.SinglePrecisionFloat:
                    case CborReaderState.DoublePrecisionFloat:
                        WriteDouble(writer, reader.ReadDouble());
                        break;
                    default:
                        throw AwsException.Serialization("Malformed request body: a timestamp that is not a number.");
                }

                break;
            default:
                throw AwsException.Serialization($"Malformed request body: unexpected CBOR item {reader.PeekState()}.");
        }
    }

    private static bool IsNull(CborReader reader)
    {
        if (reader.PeekState() is CborReaderState.Null)
        {
            reader.ReadNull();
            return true;
        }

        return false;
    }

    private static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            // JSON has no NaN or Infinity: the shape reader refuses this text where it wants a number, as AWS
            // refuses such values.
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteCbor(JsonElement element, CborWriter writer, string? member, CborMembers members)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var count = 0;
                foreach (var _ in element.EnumerateObject())
                {
                    count++;
                }

                writer.WriteStartMap(count);
                foreach (var property in element.EnumerateObject())
                {
                    writer.WriteTextString(property.Name);
                    WriteCbor(property.Value, writer, property.Name, members);
                }

                writer.WriteEndMap();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    // A list's items are of the kind its member names.
                    WriteCbor(item, writer, member, members);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                if (member is not null && members.Blobs.Contains(member) && element.TryGetBytesFromBase64(out var bytes))
                {
                    writer.WriteByteString(bytes);
                }
                else
                {
                    writer.WriteTextString(element.GetString()!);
                }

                break;
            case JsonValueKind.Number:
                if (member is not null && members.Timestamps.Contains(member))
                {
                    writer.WriteTag(CborTag.UnixTimeSeconds);
                    if (element.TryGetInt64(out var whole))
                    {
                        writer.WriteInt64(whole);
                    }
                    else
                    {
                        writer.WriteDouble(element.GetDouble());
                    }
                }
                else if (member is not null && members.Doubles.Contains(member))
                {
                    writer.WriteDouble(element.GetDouble());
                }
                else if (element.TryGetInt64(out var integer))
                {
                    writer.WriteInt64(integer);
                }
                else
                {
                    writer.WriteDouble(element.GetDouble());
                }

                break;
            case JsonValueKind.True:
                writer.WriteBoolean(true);
                break;
            case JsonValueKind.False:
                writer.WriteBoolean(false);
                break;
            default:
                writer.WriteNull();
                break;
        }
    }
}
