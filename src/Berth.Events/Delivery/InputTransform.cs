using System.Globalization;
using System.Text;
using System.Text.Json;
using Berth.Events.State;

namespace Berth.Events.Delivery;

/// <summary>
/// EventBridge's input transformer: each <c>&lt;name&gt;</c> of the template is replaced by the part of the event its
/// path selects, or by a predefined variable (<c>aws.events.rule-arn</c>, <c>aws.events.rule-name</c>,
/// <c>aws.events.event.ingestion-time</c>, <c>aws.events.event</c> / <c>aws.events.event.json</c>). Inside a JSON
/// string a value goes in as text (a string without its quotes); outside it goes in as JSON (a string with its
/// quotes). A path that selects nothing gives <c>null</c> outside a string and nothing inside one. Unknown names stay
/// as they are written.
/// </summary>
public static class InputTransform
{
    /// <summary>The most variables a transformer may define (EventBridge's limit).</summary>
    public const int MaxPaths = 100;

    /// <summary>The longest template (EventBridge's limit).</summary>
    public const int MaxTemplate = 8192;

    /// <summary>The template of <paramref name="transformer"/> filled in from <paramref name="event"/>.</summary>
    public static string Apply(InputTransformerRecord transformer, JsonElement @event, string ruleArn, string ruleName, DateTimeOffset ingestion)
    {
        var template = transformer.Template;
        var output = new StringBuilder(template.Length + 64);
        var inString = false;
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '\\' && inString && i + 1 < template.Length)
            {
                output.Append(c).Append(template[++i]);
                continue;
            }

            if (c == '"')
            {
                inString = !inString;
                output.Append(c);
                continue;
            }

            var close = c == '<' ? template.IndexOf('>', i + 1) : -1;
            if (close > i + 1 && Value(transformer, template[(i + 1)..close], @event, ruleArn, ruleName, ingestion, out var value))
            {
                output.Append(Render(value, inString));
                i = close;
                continue;
            }

            output.Append(c);
        }

        return output.ToString();
    }

    // A variable's value as JSON text, or null when its path selects nothing; false when the name is not a variable.
    private static bool Value(InputTransformerRecord transformer, string name, JsonElement @event, string ruleArn, string ruleName, DateTimeOffset ingestion, out string? json)
    {
        json = name switch
        {
            "aws.events.rule-arn" => JsonSerializer.Serialize(ruleArn),
            "aws.events.rule-name" => JsonSerializer.Serialize(ruleName),
            "aws.events.event.ingestion-time" => JsonSerializer.Serialize(ingestion.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
            "aws.events.event" or "aws.events.event.json" => @event.GetRawText(),
            _ => null,
        };
        if (json is not null)
        {
            return true;
        }

        if (!transformer.Paths.TryGetValue(name, out var path))
        {
            return false;
        }

        json = EventRouting.Select(@event, path);
        return true;
    }

    private static string Render(string? json, bool inString)
    {
        if (json is null)
        {
            return inString ? string.Empty : "null";
        }

        if (!inString)
        {
            return json;
        }

        // Inside a string: a string's text (escaped as it stands in JSON, so the result stays valid), other values as written.
        return json.Length >= 2 && json[0] == '"' ? json[1..^1] : json.Replace("\"", "\\\"", StringComparison.Ordinal);
    }
}
