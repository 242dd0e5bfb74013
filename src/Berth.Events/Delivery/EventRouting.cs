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

/// <summary>What an event makes: RunTask calls for ECS targets and writes for log group targets.</summary>
/// <param name="Calls">The RunTask calls.</param>
/// <param name="Logs">The log group writes.</param>
public sealed record Routed(IReadOnlyList<RunTaskCall> Calls, IReadOnlyList<LogDelivery> Logs);

/// <summary>
/// Which targets an event reaches, as a pure function of the rules: every ENABLED rule on the event's bus whose
/// event pattern matches it, each of its ECS and log group targets once, with the input <see cref="InputOf"/> gives
/// (with none, ECS gets no overrides: the event itself is not a task override; a log group gets the whole event).
/// </summary>
public static class EventRouting
{
    /// <summary>The RunTask calls <paramref name="event"/> makes; rules whose pattern does not parse are skipped.</summary>
    public static IReadOnlyList<RunTaskCall> Route(EventsState state, BusEvent @event, Func<string, EventPattern?>? patterns = null) =>
        RouteAll(state, @event, patterns).Calls;

    /// <summary>Everything <paramref name="event"/> makes: RunTask calls for ECS targets and writes for log group targets.</summary>
    public static Routed RouteAll(EventsState state, BusEvent @event, Func<string, EventPattern?>? patterns = null)
    {
        patterns ??= Parse;
        var calls = new List<RunTaskCall>();
        var logs = new List<LogDelivery>();
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

            var source = new InvocationSource(InvocationKind.Rule, rule.Name, rule.Bus);
            foreach (var target in rule.Targets)
            {
                if (target.Ecs is { } ecs)
                {
                    calls.Add(new RunTaskCall(rule.Region, target.Arn, ecs, InputOf(target, rule, root), "events-rule/" + rule.Name) { Source = source });
                }
                else if (LogDeliveryOf(target, rule, root, @event.Json, source) is { } delivery)
                {
                    logs.Add(delivery);
                }
            }
        }

        return new Routed(calls, logs);
    }

    /// <summary>
    /// What a log group target gets for an event: its input as for any target, else the whole event, in a stream named
    /// by the event's id, timestamped with the event's time; null when the target is not a log group.
    /// </summary>
    public static LogDelivery? LogDeliveryOf(TargetRecord target, RuleRecord rule, JsonElement @event, string eventJson, InvocationSource source)
    {
        if (LogGroupTargets.Parse(target.Arn) is not { } group)
        {
            return null;
        }

        var id = @event.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString()! : "events";
        var time = @event.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(t.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : DateTimeOffset.UnixEpoch;
        return new LogDelivery(group.Region, group.LogGroup, id, InputOf(target, rule, @event) ?? eventJson, time, source);
    }

    /// <summary>What a scheduled rule's firing due at <paramref name="due"/> writes to a log group target (null when the target is not one).</summary>
    public static LogDelivery? ScheduledLogDelivery(RuleRecord rule, TargetRecord target, DateTimeOffset due)
    {
        if (LogGroupTargets.Parse(target.Arn) is null)
        {
            return null;
        }

        var scheduled = ScheduledEvent(rule, due);
        using var document = JsonDocument.Parse(scheduled.Json);
        return LogDeliveryOf(target, rule, document.RootElement, scheduled.Json, new InvocationSource(InvocationKind.Rule, rule.Name, rule.Bus));
    }

    /// <summary>
    /// What a target of a scheduled rule gets for the firing due at <paramref name="due"/>: as <see cref="InputOf"/>,
    /// over EventBridge's "Scheduled Event" (source <c>aws.events</c>, the rule as its resource, an empty detail).
    /// </summary>
    public static string? ScheduledInput(RuleRecord rule, TargetRecord target, DateTimeOffset due)
    {
        if (target.Input is not null || (target.InputPath is null && target.InputTransformer is null))
        {
            return target.Input;
        }

        using var document = JsonDocument.Parse(ScheduledEvent(rule, due).Json);
        return InputOf(target, rule, document.RootElement);
    }

    /// <summary>EventBridge's "Scheduled Event" for a rule's firing due at <paramref name="due"/>.</summary>
    public static BusEvent ScheduledEvent(RuleRecord rule, DateTimeOffset due)
    {
        var account = rule.Arn.Split(':') is { Length: > 4 } parts ? parts[4] : string.Empty;

        // The event's id is made from the firing, so the same firing gives the same input (and RunTask request) again.
        var id = new Guid(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(FiringPlan.Token(rule.Arn, "", due)))[..16]);
        return BusEvent.Envelope(rule.Region, account, rule.Bus, id.ToString(), due, "aws.events", "Scheduled Event", [rule.Arn], new JsonObject());
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
        foreach (var step in path[2..].Split('.'))
        {
            // A step is a member name, optionally followed by array indices: items[0][1].
            var bracket = step.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? step : step[..bracket];
            if (name.Length > 0 && (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node)))
            {
                return null;
            }

            for (var rest = bracket < 0 ? string.Empty : step[bracket..]; rest.Length > 0;)
            {
                var end = rest.IndexOf(']', StringComparison.Ordinal);
                if (rest[0] != '[' || end < 0 || !int.TryParse(rest[1..end], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
                    || node.ValueKind != JsonValueKind.Array || index >= node.GetArrayLength())
                {
                    return null;
                }

                node = node[index];
                rest = rest[(end + 1)..];
            }
        }

        return node.GetRawText();
    }

    /// <summary>
    /// What <paramref name="target"/> of <paramref name="rule"/> gets for <paramref name="event"/>: its Input as given,
    /// the part of the event its InputPath selects, its input transformer's template filled in, or nothing.
    /// </summary>
    public static string? InputOf(TargetRecord target, RuleRecord rule, JsonElement @event)
    {
        if (target.Input is { } input)
        {
            return input;
        }

        if (target.InputPath is { } path)
        {
            return Select(@event, path);
        }

        if (target.InputTransformer is { } transformer)
        {
            var time = @event.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(t.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : DateTimeOffset.UnixEpoch;
            return InputTransform.Apply(transformer, @event, rule.Arn, rule.Name, time);
        }

        return null;
    }

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
