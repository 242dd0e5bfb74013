using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Berth.Ecs.State;

/// <summary>
/// A wire value the control plane carries but never looks inside (a task's overrides): kept as its JSON, so it
/// cannot change once in the state, stored as that same JSON, and thawed into a fresh wire object at the edge.
/// </summary>
[JsonConverter(typeof(FrozenJsonConverter))]
public sealed class FrozenJson
{
    private readonly byte[] _utf8;

    private FrozenJson(byte[] utf8) => _utf8 = utf8;

    /// <summary>The JSON of <paramref name="value"/>, frozen.</summary>
    public static FrozenJson Of<T>(T value, JsonTypeInfo<T> info) => new(JsonSerializer.SerializeToUtf8Bytes(value, info));

    /// <summary>A new wire object with the frozen value.</summary>
    public T Thaw<T>(JsonTypeInfo<T> info) => JsonSerializer.Deserialize(_utf8, info)!;

    /// <summary>Reads and writes the value as the JSON it is (not as a string).</summary>
    public sealed class FrozenJsonConverter : JsonConverter<FrozenJson>
    {
        /// <inheritdoc/>
        public override FrozenJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            return new FrozenJson(JsonSerializer.SerializeToUtf8Bytes(document.RootElement));
        }

        /// <inheritdoc/>
        public override void Write(Utf8JsonWriter writer, FrozenJson value, JsonSerializerOptions options) => writer.WriteRawValue(value._utf8, skipInputValidation: true);
    }
}
