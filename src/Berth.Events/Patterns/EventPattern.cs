using System.Net;
using System.Text.Json;

namespace Berth.Events.Patterns;

/// <summary>An event pattern EventBridge would refuse; <see cref="Exception.Message"/> is the reason it gives.</summary>
public sealed class EventPatternException(string message) : Exception(message);

/// <summary>
/// A parsed EventBridge event pattern: each field of the pattern must match (nested objects recursively, <c>$or</c>
/// as alternatives), a leaf is a list of which any may match, and an array in the event matches when any element does.
/// Matchers: exact values (strings, numbers, booleans, null), <c>prefix</c>, <c>suffix</c> (both also with
/// <c>equals-ignore-case</c>), <c>anything-but</c> (values, prefix, suffix, equals-ignore-case, wildcard),
/// <c>numeric</c> ranges, <c>exists</c>, <c>wildcard</c>, <c>equals-ignore-case</c>, <c>cidr</c>.
/// </summary>
public sealed class EventPattern
{
    // EventBridge compares numbers in this range only.
    private const double NumericLimit = 5.0e9;

    private readonly ObjectRule _root;

    private EventPattern(ObjectRule root) => _root = root;

    /// <summary>Reads a pattern; throws <see cref="EventPatternException"/> with EventBridge's kind of reason.</summary>
    public static EventPattern Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new EventPatternException($"Filter is not valid JSON: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new EventPatternException("Filter is not an object");
            }

            return new EventPattern(ParseObject(document.RootElement, ""));
        }
    }

    /// <summary>Whether the event (a JSON object) matches.</summary>
    public bool Matches(JsonElement @event) => _root.Matches(@event);

    /// <summary>Whether the event, as JSON text, matches.</summary>
    public bool Matches(string eventJson)
    {
        using var document = JsonDocument.Parse(eventJson);
        return Matches(document.RootElement);
    }

    private static ObjectRule ParseObject(JsonElement element, string path)
    {
        var fields = new List<(string Name, Rule Rule)>();
        var alternatives = new List<ObjectRule[]>();
        foreach (var property in element.EnumerateObject())
        {
            var at = path.Length == 0 ? property.Name : path + "." + property.Name;
            if (property.Name == "$or")
            {
                if (property.Value.ValueKind != JsonValueKind.Array || property.Value.GetArrayLength() < 2
                    || property.Value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Object))
                {
                    throw new EventPatternException($"$or at {path} must be an array of at least two objects");
                }

                alternatives.Add([.. property.Value.EnumerateArray().Select(e => ParseObject(e, path))]);
                continue;
            }

            fields.Add((property.Name, property.Value.ValueKind switch
            {
                JsonValueKind.Object => ParseObject(property.Value, at),
                JsonValueKind.Array => ParseLeaf(property.Value, at),
                _ => throw new EventPatternException($"\"{property.Name}\" must be an object or an array"),
            }));
        }

        return new ObjectRule([.. fields], [.. alternatives]);
    }

    private static LeafRule ParseLeaf(JsonElement array, string path)
    {
        if (array.GetArrayLength() == 0)
        {
            throw new EventPatternException($"Empty arrays are not allowed at {path}");
        }

        var matchers = new List<Matcher>();
        foreach (var item in array.EnumerateArray())
        {
            matchers.Add(item.ValueKind switch
            {
                JsonValueKind.Object => ParseOperator(item, path),
                JsonValueKind.Array => throw new EventPatternException($"Match value must be String, number, true, false, or null at {path}"),
                _ => Exact(item),
            });
        }

        return new LeafRule([.. matchers]);
    }

    private static Matcher Exact(JsonElement literal) => literal.ValueKind switch
    {
        JsonValueKind.String => new ExactString(literal.GetString()!),
        JsonValueKind.Number => new ExactNumber(literal.GetDouble()),
        JsonValueKind.True => new ExactKind(JsonValueKind.True),
        JsonValueKind.False => new ExactKind(JsonValueKind.False),
        _ => new ExactKind(JsonValueKind.Null),
    };

    private static Matcher ParseOperator(JsonElement item, string path)
    {
        var properties = item.EnumerateObject().ToList();
        if (properties.Count != 1)
        {
            throw new EventPatternException($"Only one key allowed in match expression at {path}");
        }

        var (name, value) = (properties[0].Name, properties[0].Value);
        switch (name)
        {
            case "prefix":
            case "suffix":
                var (text, ignoreCase) = AffixValue(name, value, path);
                return name == "prefix" ? new Prefix(text, ignoreCase) : new Suffix(text, ignoreCase);
            case "equals-ignore-case":
                return new IgnoreCase(StringValue(name, value, path));
            case "wildcard":
                return new Wildcard(WildcardValue(value, path));
            case "exists":
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? new Exists(value.GetBoolean())
                    : throw new EventPatternException($"exists match pattern must be either true or false at {path}");
            case "numeric":
                return ParseNumeric(value, path);
            case "cidr":
                return IPNetwork.TryParse(StringValue(name, value, path), out var network)
                    ? new Cidr(network)
                    : throw new EventPatternException($"Malformed CIDR at {path}");
            case "anything-but":
                return new AnythingBut(ParseAnythingBut(value, path));
            default:
                throw new EventPatternException($"Unrecognized match type {name} at {path}");
        }
    }

    private static (string Text, bool IgnoreCase) AffixValue(string name, JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            var inner = value.EnumerateObject().ToList();
            if (inner.Count == 1 && inner[0].Name == "equals-ignore-case")
            {
                return (StringValue(name, inner[0].Value, path), true);
            }

            throw new EventPatternException($"Unsupported {name} pattern at {path}");
        }

        return (StringValue(name, value, path), false);
    }

    private static string StringValue(string name, JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new EventPatternException($"{name} match pattern must be a string at {path}");

    private static string WildcardValue(JsonElement value, string path)
    {
        var text = StringValue("wildcard", value, path);
        if (text.Contains("**", StringComparison.Ordinal))
        {
            throw new EventPatternException($"Consecutive wildcard characters at {path}");
        }

        return text;
    }

    private static Numeric ParseNumeric(JsonElement value, string path)
    {
        var items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [];
        if (items.Count is not (2 or 4))
        {
            throw new EventPatternException($"Value of numeric must be an array of an operator and a number, or two of them, at {path}");
        }

        double? lower = null, upper = null, equal = null;
        bool lowerOpen = false, upperOpen = false;
        for (var i = 0; i < items.Count; i += 2)
        {
            if (items[i].ValueKind != JsonValueKind.String || items[i + 1].ValueKind != JsonValueKind.Number)
            {
                throw new EventPatternException($"Value of numeric must be an array of an operator and a number, or two of them, at {path}");
            }

            var bound = items[i + 1].GetDouble();
            if (Math.Abs(bound) > NumericLimit)
            {
                throw new EventPatternException($"Value of numeric must be between -5.0E9 and 5.0E9 at {path}");
            }

            switch (items[i].GetString())
            {
                case "=" when items.Count == 2:
                    equal = bound;
                    break;
                case ">" or ">=" when lower is null:
                    (lower, lowerOpen) = (bound, items[i].GetString() == ">");
                    break;
                case "<" or "<=" when upper is null:
                    (upper, upperOpen) = (bound, items[i].GetString() == "<");
                    break;
                default:
                    throw new EventPatternException($"Bad numeric range operator at {path}");
            }
        }

        if (lower is { } lo && upper is { } hi && lo >= hi)
        {
            throw new EventPatternException($"Bad numeric range: the bottom must be less than the top at {path}");
        }

        return new Numeric(equal, lower, lowerOpen, upper, upperOpen);
    }

    private static Matcher[] ParseAnythingBut(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
            case JsonValueKind.Number:
                return [Exact(value)];
            case JsonValueKind.Array:
                if (value.GetArrayLength() == 0 || value.EnumerateArray().Any(e => e.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)))
                {
                    throw new EventPatternException($"Inside anything but list, start|null|boolean is not supported at {path}");
                }

                return [.. value.EnumerateArray().Select(Exact)];
            case JsonValueKind.Object:
                var inner = value.EnumerateObject().ToList();
                if (inner.Count != 1)
                {
                    throw new EventPatternException($"Only one key allowed in anything-but at {path}");
                }

                var (name, operand) = (inner[0].Name, inner[0].Value);
                IEnumerable<JsonElement> operands = operand.ValueKind == JsonValueKind.Array ? [.. operand.EnumerateArray()] : [operand];
                return name switch
                {
                    "prefix" => [.. operands.Select(o => new Prefix(StringValue(name, o, path), false))],
                    "suffix" => [.. operands.Select(o => new Suffix(StringValue(name, o, path), false))],
                    "equals-ignore-case" => [.. operands.Select(o => new IgnoreCase(StringValue(name, o, path)))],
                    "wildcard" => [.. operands.Select(o => new Wildcard(WildcardValue(o, path)))],
                    _ => throw new EventPatternException($"Unsupported anything-but pattern: {name} at {path}"),
                };
            default:
                throw new EventPatternException($"Value of anything-but must be an array or single string/number value at {path}");
        }
    }

    private abstract class Rule
    {
        /// <summary>Whether the event's value here (null when the field is absent) matches.</summary>
        public abstract bool Matches(JsonElement? value);
    }

    private sealed class ObjectRule((string Name, Rule Rule)[] fields, ObjectRule[][] alternatives) : Rule
    {
        public override bool Matches(JsonElement? value)
        {
            // An array of objects in the event matches when one of its objects does.
            if (value is { ValueKind: JsonValueKind.Array } array)
            {
                return array.EnumerateArray().Any(e => Matches(e));
            }

            var obj = value is { ValueKind: JsonValueKind.Object } o ? o : (JsonElement?)null;
            foreach (var (name, rule) in fields)
            {
                JsonElement? field = obj is { } present && present.TryGetProperty(name, out var f) ? f : null;
                if (!rule.Matches(field))
                {
                    return false;
                }
            }

            return alternatives.All(alternative => alternative.Any(a => a.Matches(value)));
        }
    }

    private sealed class LeafRule(Matcher[] matchers) : Rule
    {
        public override bool Matches(JsonElement? value)
        {
            var values = new List<JsonElement>();
            if (value is { } v)
            {
                Flatten(v, values);
            }

            return matchers.Any(m => m.Matches(value is not null, values));
        }

        private static void Flatten(JsonElement value, List<JsonElement> into)
        {
            if (value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in value.EnumerateArray())
                {
                    Flatten(item, into);
                }
            }
            else
            {
                into.Add(value);
            }
        }
    }

    private abstract class Matcher
    {
        /// <summary>Whether the field (present or not, with its leaf values) matches; by default any value that matches.</summary>
        public virtual bool Matches(bool present, List<JsonElement> values) => values.Any(Matches);

        public abstract bool Matches(JsonElement value);
    }

    private sealed class ExactString(string text) : Matcher
    {
        public override bool Matches(JsonElement value) => value.ValueKind == JsonValueKind.String && value.ValueEquals(text);
    }

    private sealed class ExactNumber(double number) : Matcher
    {
        public override bool Matches(JsonElement value) =>
            value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && d.Equals(number);
    }

    private sealed class ExactKind(JsonValueKind kind) : Matcher
    {
        public override bool Matches(JsonElement value) => value.ValueKind == kind;
    }

    private sealed class Prefix(string text, bool ignoreCase) : Matcher
    {
        public override bool Matches(JsonElement value) => value.ValueKind == JsonValueKind.String
            && value.GetString()!.StartsWith(text, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    private sealed class Suffix(string text, bool ignoreCase) : Matcher
    {
        public override bool Matches(JsonElement value) => value.ValueKind == JsonValueKind.String
            && value.GetString()!.EndsWith(text, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    private sealed class IgnoreCase(string text) : Matcher
    {
        public override bool Matches(JsonElement value) => value.ValueKind == JsonValueKind.String
            && string.Equals(value.GetString(), text, StringComparison.OrdinalIgnoreCase);
    }

    private sealed class Wildcard(string pattern) : Matcher
    {
        public override bool Matches(JsonElement value) => value.ValueKind == JsonValueKind.String && Glob(pattern, 0, value.GetString()!, 0);

        // '*' is any run of characters; '\*' a literal star and '\\' a literal backslash.
        private static bool Glob(string p, int pi, string s, int si)
        {
            while (pi < p.Length)
            {
                var c = p[pi];
                if (c == '*')
                {
                    for (var k = si; k <= s.Length; k++)
                    {
                        if (Glob(p, pi + 1, s, k))
                        {
                            return true;
                        }
                    }

                    return false;
                }

                if (c == '\\' && pi + 1 < p.Length)
                {
                    c = p[++pi];
                }

                if (si >= s.Length || s[si] != c)
                {
                    return false;
                }

                pi++;
                si++;
            }

            return si == s.Length;
        }
    }

    private sealed class Exists(bool expected) : Matcher
    {
        // Exists looks at leaves only: a field holding an object does not count as existing.
        public override bool Matches(bool present, List<JsonElement> values) =>
            expected == (present && values.Any(v => v.ValueKind != JsonValueKind.Object));

        public override bool Matches(JsonElement value) => throw new NotSupportedException();
    }

    private sealed class Numeric(double? equal, double? lower, bool lowerOpen, double? upper, bool upperOpen) : Matcher
    {
        public override bool Matches(JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var d))
            {
                return false;
            }

            if (equal is { } e)
            {
                return d.Equals(e);
            }

            return (lower is not { } lo || (lowerOpen ? d > lo : d >= lo)) && (upper is not { } hi || (upperOpen ? d < hi : d <= hi));
        }
    }

    private sealed class Cidr(IPNetwork network) : Matcher
    {
        public override bool Matches(JsonElement value) =>
            value.ValueKind == JsonValueKind.String && IPAddress.TryParse(value.GetString(), out var address) && network.Contains(address);
    }

    private sealed class AnythingBut(Matcher[] excluded) : Matcher
    {
        // Only a present value can be "anything but"; for an array, some element must be outside the excluded set.
        public override bool Matches(JsonElement value) => !excluded.Any(m => m.Matches(value));
    }
}
