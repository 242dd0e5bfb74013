using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Protocol.Json;

/// <summary>
/// AWS JSON 1.1 timestamps: seconds since the Unix epoch as a number, with millisecond precision.
/// </summary>
public sealed class EpochSecondsConverter : JsonConverter<DateTimeOffset>
{
    private static readonly double MinMilliseconds = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly double MaxMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            // A time no clock can hold (past year 9999, before year 1, or not finite) is the client's mistake.
            var milliseconds = Math.Round(reader.GetDouble() * 1000);
            if (!(milliseconds >= MinMilliseconds && milliseconds <= MaxMilliseconds))
            {
                throw new JsonException("The timestamp is outside the range of representable times.");
            }

            return DateTimeOffset.FromUnixTimeMilliseconds((long)milliseconds);
        }

        // Clients may send ISO 8601 strings; botocore accepts both on input.
        if (reader.TokenType == JsonTokenType.String
            && DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return parsed;
        }

        throw new JsonException("Expected a timestamp as epoch seconds.");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
        => writer.WriteNumberValue(value.ToUnixTimeMilliseconds() / 1000m);
}
