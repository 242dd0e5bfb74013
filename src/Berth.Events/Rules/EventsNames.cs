using System.Text.RegularExpressions;
using Berth.Events.State;

namespace Berth.Events.Rules;

/// <summary>Names and ARNs of rules and buses, checked against the model's patterns.</summary>
public static partial class EventsNames
{
    /// <summary>The ARN of a rule.</summary>
    public static string RuleArn(string region, string account, string bus, string name) =>
        bus == EventsState.DefaultBus ? $"arn:aws:events:{region}:{account}:rule/{name}" : $"arn:aws:events:{region}:{account}:rule/{bus}/{name}";

    /// <summary>The ARN of a bus.</summary>
    public static string BusArn(string region, string account, string bus) => $"arn:aws:events:{region}:{account}:event-bus/{bus}";

    /// <summary>A rule name (or target id) as the model constrains it: 1-64 of <c>[.\-_A-Za-z0-9]</c>.</summary>
    public static string Name(string? value, string member)
    {
        if (value is null)
        {
            throw EventsErrors.Constraint(null, member, "Member must not be null");
        }

        if (value.Length is < 1 or > 64)
        {
            throw EventsErrors.Constraint(value, member, "Member must have length less than or equal to 64");
        }

        return NamePattern().IsMatch(value)
            ? value
            : throw EventsErrors.Constraint(value, member, @"Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+");
    }

    /// <summary>The bus a request names (by name or ARN); <c>default</c> when it names none.</summary>
    public static string Bus(string? nameOrArn, string member = "eventBusName")
    {
        if (nameOrArn is null)
        {
            return EventsState.DefaultBus;
        }

        var m = BusPattern().Match(nameOrArn);
        return m.Success && nameOrArn.Length <= 1600
            ? m.Groups[1].Value
            : throw EventsErrors.Constraint(nameOrArn, member, @"Member must satisfy regular expression pattern: (arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/\.\-_A-Za-z0-9]+");
    }

    /// <summary>A new bus's own name: 1-256 of <c>[/.\-_A-Za-z0-9]</c>.</summary>
    public static string NewBus(string? value)
    {
        if (value is null)
        {
            throw EventsErrors.Constraint(null, "name", "Member must not be null");
        }

        return value.Length is >= 1 and <= 256 && BusNamePattern().IsMatch(value)
            ? value
            : throw EventsErrors.Constraint(value, "name", @"Member must satisfy regular expression pattern: [/\.\-_A-Za-z0-9]+");
    }

    /// <summary>The (bus, rule) a rule ARN names, or null when it is not a rule ARN.</summary>
    public static (string Region, string Bus, string Name)? ParseRuleArn(string arn)
    {
        var m = RuleArnPattern().Match(arn);
        if (!m.Success)
        {
            return null;
        }

        var path = m.Groups[2].Value;
        var slash = path.LastIndexOf('/');
        return slash < 0 ? (m.Groups[1].Value, EventsState.DefaultBus, path) : (m.Groups[1].Value, path[..slash], path[(slash + 1)..]);
    }

    /// <summary>The (region, bus) a bus ARN names, or null.</summary>
    public static (string Region, string Bus)? ParseBusArn(string arn)
    {
        var m = BusArnPattern().Match(arn);
        return m.Success ? (m.Groups[1].Value, m.Groups[2].Value) : null;
    }

    [GeneratedRegex(@"^[\.\-_A-Za-z0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[/\.\-_A-Za-z0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex BusNamePattern();

    [GeneratedRegex(@"^(?:arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/)?([/\.\-_A-Za-z0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex BusPattern();

    [GeneratedRegex(@"^arn:aws[\w-]*:events:([a-z0-9-]+):[0-9]{12}:rule/([/\.\-_A-Za-z0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex RuleArnPattern();

    [GeneratedRegex(@"^arn:aws[\w-]*:events:([a-z0-9-]+):[0-9]{12}:event-bus/([/\.\-_A-Za-z0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex BusArnPattern();
}
