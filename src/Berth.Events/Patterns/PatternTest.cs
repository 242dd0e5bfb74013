using System.Globalization;
using System.Text.Json;

namespace Berth.Events.Patterns;

/// <summary>An event TestEventPattern refuses: not a JSON object with the envelope fields EventBridge requires.</summary>
public sealed class InvalidEventException(string message) : Exception(message);

/// <summary>TestEventPattern's semantics: the event must be a full EventBridge envelope; then the pattern is applied.</summary>
public static class PatternTest
{
    /// <summary>The fields every event given to TestEventPattern must carry.</summary>
    public static readonly IReadOnlyList<string> RequiredFields = ["id", "account", "source", "time", "region", "resources", "detail-type"];

    /// <summary>
    /// Whether <paramref name="eventJson"/> matches <paramref name="pattern"/>. Throws <see cref="EventPatternException"/> for
    /// a bad pattern and <see cref="InvalidEventException"/> for an event without the envelope.
    /// </summary>
    public static bool Run(string pattern, string eventJson)
    {
        var parsed = EventPattern.Parse(pattern);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(eventJson);
        }
        catch (JsonException)
        {
            throw new InvalidEventException("Parameter Event is not valid.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || RequiredFields.Any(f => !root.TryGetProperty(f, out _))
                || root.GetProperty("resources").ValueKind != JsonValueKind.Array
                || root.GetProperty("time") is not { ValueKind: JsonValueKind.String } time
                || !DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                throw new InvalidEventException("Parameter Event is not valid.");
            }

            return parsed.Matches(root);
        }
    }
}
