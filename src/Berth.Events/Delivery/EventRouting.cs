using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Events.Firing;
using Berth.Events.Patterns;
using Berth.Events.State;

namespace Berth.Events.Delivery;

/// <summary>An event on a bus: the envelope EventBridge delivers (version, id, detail-type, source, ..., detail).</summary>
/// <param name="Region">The bus's region.</param>
/// <param name="Bus">The bus's name.</param>
/// <param name="Json">The whole event, as JSON.</param>
public sealed record BusEvent(string Region, string Bus, string Json)
{
    /// <summary>
    /// EventBridge's envelope for an event: <c>version</c> 0, a new <c>id</c>, <c>time</c> in UTC to the second,
    /// <c>resources</c> (an empty list when none), and <c>detail</c> as the object it is.
    /// </summary>
    public static BusEvent Envelope(string region, string account, string bus, string id, DateTimeOffset time, string source, string detailType, IEnumerable<string> resources, JsonNode detail)
    {
        var envelope = new JsonObject
        {
            ["version"] = "0",
            ["id"] = id,
            ["detail-type"] = detailType,
            ["source"] = source,
            ["account"] = account,
            ["time"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["region"] = region,
            ["resources"] = new JsonArray([.. resources.Select(r => (JsonNode)JsonValue.Create(r))]),
            ["detail"] = detail,
        };
        return new BusEvent(region, bus, envelope.ToJsonString());
    }
}

/// <summary>
/// Which targets an event reaches, as a pure function of the rules: every ENABLED rule on the event's bus whose
/// event pattern matches it, each of its ECS targets once. The target's input is its <c>Input</c> as given, or the
/// part of the event its <c>InputPath</c> selects; with neither, ECS gets no overrides (the event itself is not a
/// task override).
/// </summary>
public static class EventRouting
{
    /// <summary>The RunTask calls <paramref name="event"/> makes; rules whose pattern does not parse are skipped.</summary>
    public static IReadOnlyList<RunTaskCall> Route(EventsState state, BusEvent @event, Func<string, EventPattern?>? patterns = null)
    {
        patterns ??= Parse;
        var calls = new List<RunTaskCall>();
        using var document = JsonDocument.Parse(@event.Json);
        var root = document.RootElement;
        foreach (var rule in state.Rules.Values)
        {
            if (rule.Region != @event.Region || rule.Bus != @event.Bus || rule.State != RuleState.Enabled || rule.Pattern is null)
            {
                continue;
            }

            if (patterns(rule.Pattern) is not { } pattern || !pattern.Matches(root))
            {
                continue;
            }

            foreach (var target in rule.Targets)
            {
                if (target.Ecs is { } ecs)
                {
                    calls.Add(new RunTaskCall(rule.Region, target.Arn, ecs, InputOf(target, root), "events-rule/" + rule.Name));
                }
            }
        }

        return calls;
    }

    /// <summary>The part of <paramref name="event"/> a JSONPath such as <c>$.detail.overrides</c> selects, as JSON; null when it selects nothing.</summary>
    public static string? Select(JsonElement @event, string path)
    {
        if (path == "$")
        {
            return @event.GetRawText();
        }

        if (!path.StartsWith("$.", StringComparison.Ordinal))
        {
            return null;
        }

        var node = @event;
        foreach (var name in path[2..].Split('.'))
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node))
            {
                return null;
            }
        }

        return node.GetRawText();
    }

    private static string? InputOf(TargetRecord target, JsonElement @event)
        => target.Input ?? (target.InputPath is { } path ? Select(@event, path) : null);

    private static EventPattern? Parse(string json)
    {
        try
        {
            return EventPattern.Parse(json);
        }
        catch (EventPatternException)
        {
            return null;
        }
    }
}
