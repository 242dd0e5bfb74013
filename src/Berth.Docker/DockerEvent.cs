using System.Globalization;
using System.Text.Json.Serialization;

namespace Berth.Docker;

/// <summary>One engine event from <c>GET /events</c>.</summary>
/// <param name="Type"><c>container</c>, <c>image</c>, <c>network</c>, <c>volume</c>...</param>
/// <param name="Action">
/// <c>create</c>, <c>start</c>, <c>die</c>, <c>oom</c>, <c>kill</c>, <c>stop</c>, <c>destroy</c>...; health events read
/// <c>health_status: healthy</c> (see <see cref="HealthStatus"/>).
/// </param>
/// <param name="ActorId">The container (image, network...) id.</param>
/// <param name="Attributes">Labels of the container plus <c>name</c>, <c>image</c>, <c>exitCode</c>, <c>signal</c>...</param>
/// <param name="Time">When the engine emitted the event.</param>
public sealed record DockerEvent(string Type, string Action, string ActorId, IReadOnlyDictionary<string, string> Attributes, DateTimeOffset Time)
{
    private const string HealthPrefix = "health_status: ";

    /// <summary>The container name (<c>name</c> attribute), without a leading slash.</summary>
    public string? Name => Attributes.GetValueOrDefault("name");

    /// <summary>The <c>exitCode</c> attribute of a <c>die</c> event.</summary>
    public int? ExitCode =>
        Attributes.TryGetValue("exitCode", out var value) && int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code : null;

    /// <summary><c>healthy</c> / <c>unhealthy</c> / <c>starting</c> for a health event, otherwise null.</summary>
    public string? HealthStatus => Action.StartsWith(HealthPrefix, StringComparison.Ordinal) ? Action[HealthPrefix.Length..] : null;
}

internal sealed record EventWire
{
    public string? Type { get; init; }
    public string? Action { get; init; }
    public EventActorWire? Actor { get; init; }

    [JsonPropertyName("time")]
    public long Time { get; init; }

    [JsonPropertyName("timeNano")]
    public long TimeNano { get; init; }
}

internal sealed record EventActorWire
{
    public string? ID { get; init; }
    public Dictionary<string, string>? Attributes { get; init; }
}
