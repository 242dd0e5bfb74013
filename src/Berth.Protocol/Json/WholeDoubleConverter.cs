using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Protocol.Json;

/// <summary>
/// Doubles as AWS writes them: a whole value keeps its fraction (<c>2.0</c>, not <c>2</c>), so a JSON client reads a
/// float where the model says double (botocore hands <c>2.0</c> to the caller, not the integer 2).
/// </summary>
public sealed class WholeDoubleConverter : JsonConverter<double>
{
    /// <inheritdoc />
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (!double.IsFinite(value))
        {
            // JSON has no NaN or Infinity; the stored values never hold them.
            writer.WriteNumberValue(0);
            return;
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.AsSpan().IndexOfAny('.', 'E') < 0)
        {
            text += ".0";
        }

        writer.WriteRawValue(text, skipInputValidation: true);
    }
}
