using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Docker;

/// <summary>The source-generated serializers of every Docker API body Berth reads or writes.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContainerSpec))]
[JsonSerializable(typeof(CreateContainerResponse))]
[JsonSerializable(typeof(WaitContainerResponse))]
[JsonSerializable(typeof(ContainerInspect))]
[JsonSerializable(typeof(List<ContainerSummary>))]
[JsonSerializable(typeof(StatsWire))]
[JsonSerializable(typeof(ImageInspect))]
[JsonSerializable(typeof(RegistryAuth))]
[JsonSerializable(typeof(ProgressMessage))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(DockerVersion))]
[JsonSerializable(typeof(EventWire))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
[JsonSerializable(typeof(NetworkSpec))]
[JsonSerializable(typeof(CreateNetworkResponse))]
[JsonSerializable(typeof(NetworkInspect))]
[JsonSerializable(typeof(NetworkConnectRequest))]
[JsonSerializable(typeof(NetworkDisconnectRequest))]
[JsonSerializable(typeof(VolumeSpec))]
[JsonSerializable(typeof(VolumeInfo))]
internal sealed partial class DockerJsonContext : JsonSerializerContext;

/// <summary>Docker's port sets (<c>{"80/tcp": {}}</c>) as a list of port keys.</summary>
internal sealed class PortSetConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("Expected a port set object.");
        var ports = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            ports.Add(reader.GetString()!);
            reader.Read();
            reader.Skip();
        }
        return ports;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var port in value)
        {
            writer.WriteStartObject(port);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }
}

/// <summary>Docker's RFC 3339 timestamps (nanosecond precision); the zero time <c>0001-01-01T00:00:00Z</c> reads as null.</summary>
internal sealed class DockerTimeConverter : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => true;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }
        return Parse(reader.GetString());
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } time)
            writer.WriteStringValue(time.ToString("O", CultureInfo.InvariantCulture));
        else
            writer.WriteNullValue();
    }

    internal static DateTimeOffset? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.StartsWith("0001-01-01", StringComparison.Ordinal))
            return null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
    }
}
