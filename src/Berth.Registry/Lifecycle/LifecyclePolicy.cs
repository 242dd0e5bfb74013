using System.Text.Json;
using Berth.Protocol.Errors;
using Berth.Registry.State;

namespace Berth.Registry.Lifecycle;

/// <summary>Which images a rule selects.</summary>
public enum TagStatus
{
    /// <summary>Images with at least one tag (filtered by prefixes or patterns).</summary>
    Tagged,

    /// <summary>Images without tags.</summary>
    Untagged,

    /// <summary>Every image.</summary>
    Any,
}

/// <summary>One lifecycle rule, validated.</summary>
/// <param name="Priority">rulePriority: lower runs first.</param>
/// <param name="TagStatus">What it selects.</param>
/// <param name="Prefixes">tagPrefixList: every prefix must match one of the image's tags.</param>
/// <param name="Patterns">tagPatternList (<c>*</c> wildcards): every pattern must match one of the image's tags.</param>
/// <param name="CountMoreThan">imageCountMoreThan: keep the newest N of what it selects.</param>
/// <param name="OlderThanDays">sinceImagePushed: expire what was pushed more than N days ago.</param>
public sealed record LifecycleRule(int Priority, TagStatus TagStatus, IReadOnlyList<string> Prefixes, IReadOnlyList<string> Patterns, int? CountMoreThan, int? OlderThanDays);

/// <summary>ECR lifecycle policies: parsing with ECR's validation, and evaluation as a pure function of the repository and time.</summary>
public static class LifecyclePolicy
{
    /// <summary>Parses and validates a policy text; throws InvalidParameterException as ECR does.</summary>
    public static IReadOnlyList<LifecycleRule> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw Invalid("Lifecycle policy text must not be empty");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw Invalid("Lifecycle policy text is not valid JSON");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("rules", out var rules) || rules.ValueKind != JsonValueKind.Array || rules.GetArrayLength() == 0)
            {
                throw Invalid("object has missing required properties ([\"rules\"])");
            }

            var result = new List<LifecycleRule>();
            foreach (var rule in rules.EnumerateArray())
            {
                result.Add(ParseRule(rule));
            }

            if (result.Select(r => r.Priority).Distinct().Count() != result.Count)
            {
                throw Invalid("rulePriority must be unique");
            }

            result.Sort((a, b) => a.Priority.CompareTo(b.Priority));
            var any = result.FindIndex(r => r.TagStatus == TagStatus.Any);
            if (any >= 0 && any != result.Count - 1)
            {
                throw Invalid("The rule with tagStatus 'any' must have the highest rulePriority");
            }

            return result;
        }
    }

    /// <summary>
    /// The digests the policy expires in <paramref name="repository"/> at <paramref name="now"/>. Rules run by priority; an
    /// image selected by a rule is never considered by a later one (whether or not that rule expired it), as in ECR.
    /// Images an index in the repository lists are left alone: they go when their index goes.
    /// </summary>
    public static List<string> Evaluate(IReadOnlyList<LifecycleRule> rules, RepositoryRecord repository, DateTimeOffset now)
    {
        var tagsByDigest = repository.ImageTags.GroupBy(t => t.Value, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(t => t.Key).ToList(), StringComparer.Ordinal);
        var children = repository.Images.Values.SelectMany(i => i.Children).ToHashSet(StringComparer.Ordinal);
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var expired = new List<string>();
        foreach (var rule in rules)
        {
            var selected = repository.Images.Values
                .Where(i => !claimed.Contains(i.Digest) && !children.Contains(i.Digest))
                .Where(i => Selects(rule, tagsByDigest.TryGetValue(i.Digest, out var tags) ? tags : []))
                .OrderByDescending(i => i.PushedAt).ThenBy(i => i.Digest, StringComparer.Ordinal)
                .ToList();
            claimed.UnionWith(selected.Select(i => i.Digest));
            if (rule.CountMoreThan is { } keep)
            {
                expired.AddRange(selected.Skip(keep).Select(i => i.Digest));
            }
            else if (rule.OlderThanDays is { } days)
            {
                var cutoff = now - TimeSpan.FromDays(days);
                expired.AddRange(selected.Where(i => i.PushedAt < cutoff).Select(i => i.Digest));
            }
        }

        return expired;
    }

    /// <summary>True when <paramref name="rule"/> selects an image with <paramref name="tags"/>.</summary>
    public static bool Selects(LifecycleRule rule, IReadOnlyCollection<string> tags) => rule.TagStatus switch
    {
        TagStatus.Any => true,
        TagStatus.Untagged => tags.Count == 0,
        _ => tags.Count > 0
            && rule.Prefixes.All(p => tags.Any(t => t.StartsWith(p, StringComparison.Ordinal)))
            && rule.Patterns.All(p => tags.Any(t => Wildcard(p, t))),
    };

    /// <summary>Matches <paramref name="value"/> against <paramref name="pattern"/> where <c>*</c> is any run of characters.</summary>
    public static bool Wildcard(string pattern, string value)
    {
        var parts = pattern.Split('*');
        if (parts.Length == 1)
        {
            return pattern == value;
        }

        if (!value.StartsWith(parts[0], StringComparison.Ordinal) || !value.EndsWith(parts[^1], StringComparison.Ordinal)
            || value.Length < parts[0].Length + parts[^1].Length)
        {
            return false;
        }

        var position = parts[0].Length;
        var end = value.Length - parts[^1].Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var found = value.IndexOf(parts[i], position, StringComparison.Ordinal);
            if (found < 0 || found + parts[i].Length > end)
            {
                return false;
            }

            position = found + parts[i].Length;
        }

        return true;
    }

    /// <summary>The most days a sinceImagePushed rule may count: the days from year 1 to 1970.</summary>
    public const int MaxDays = 719162;

    private static LifecycleRule ParseRule(JsonElement rule)
    {
        if (rule.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("each rule must be an object");
        }

        if (!rule.TryGetProperty("rulePriority", out var p) || p.ValueKind != JsonValueKind.Number || !p.TryGetInt32(out var priority) || priority < 1)
        {
            throw Invalid("rulePriority must be an integer of at least 1");
        }

        if (!rule.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.Object
            || !action.TryGetProperty("type", out var type) || type.GetString() != "expire")
        {
            throw Invalid("action.type must be 'expire'");
        }

        if (!rule.TryGetProperty("selection", out var selection) || selection.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("object has missing required properties ([\"selection\"])");
        }

        var status = Text(selection, "tagStatus") switch
        {
            "tagged" => TagStatus.Tagged,
            "untagged" => TagStatus.Untagged,
            "any" => TagStatus.Any,
            _ => throw Invalid("tagStatus must be one of tagged, untagged, any"),
        };
        var prefixes = Strings(selection, "tagPrefixList");
        var patterns = Strings(selection, "tagPatternList");
        if (status == TagStatus.Tagged && prefixes.Count == 0 && patterns.Count == 0)
        {
            throw Invalid("tagPrefixList or tagPatternList is required when tagStatus is 'tagged'");
        }

        if (status == TagStatus.Tagged && prefixes.Count > 0 && patterns.Count > 0)
        {
            throw Invalid("tagPrefixList and tagPatternList cannot both be used in one rule");
        }

        if (status != TagStatus.Tagged && (prefixes.Count > 0 || patterns.Count > 0))
        {
            throw Invalid("tagPrefixList and tagPatternList can only be used when tagStatus is 'tagged'");
        }

        if (!selection.TryGetProperty("countNumber", out var n) || n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out var count) || count < 1)
        {
            throw Invalid("countNumber must be an integer of at least 1");
        }

        var unit = Text(selection, "countUnit");
        switch (Text(selection, "countType"))
        {
            case "imageCountMoreThan":
                if (unit is not null)
                {
                    throw Invalid("countUnit cannot be used with countType 'imageCountMoreThan'");
                }

                return new LifecycleRule(priority, status, prefixes, patterns, count, null);
            case "sinceImagePushed":
                if (unit != "days")
                {
                    throw Invalid("countUnit must be 'days' with countType 'sinceImagePushed'");
                }

                // Further back than the Unix epoch's distance from year 1 is a cutoff no clock can compute.
                if (count > MaxDays)
                {
                    throw Invalid($"countNumber must be at most {MaxDays} with countUnit 'days'");
                }

                return new LifecycleRule(priority, status, prefixes, patterns, null, count);
            default:
                throw Invalid("countType must be imageCountMoreThan or sinceImagePushed");
        }
    }

    private static string? Text(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static List<string> Strings(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(v.GetString())))
        {
            throw Invalid($"{name} must be a list of non-empty strings");
        }

        return [.. value.EnumerateArray().Select(v => v.GetString()!)];
    }

    private static AwsException Invalid(string detail)
        => AwsException.InvalidParameter($"Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: {detail}'");
}
