using Berth.Ecs.Model;
using Berth.Protocol.Errors;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>ECS's limits on resource tags (count, key and value length, the reserved <c>aws:</c> prefix).</summary>
/// <remarks>Self-contained on purpose: it is shared by every operation that accepts tags.</remarks>
public static class TagRules
{
    /// <summary>Most tags one resource may carry.</summary>
    public const int MaxTags = 50;

    /// <summary>Longest tag key, in characters.</summary>
    public const int MaxKeyLength = 128;

    /// <summary>Longest tag value, in characters.</summary>
    public const int MaxValueLength = 256;

    /// <summary>Throws InvalidParameterException for the first tag ECS would refuse; null or empty is fine.</summary>
    public static void Validate(IReadOnlyList<Tag>? tags)
    {
        if (tags is null || tags.Count == 0)
            return;
        if (tags.Count > MaxTags)
            throw AwsException.InvalidParameter($"The maximum number of tags per resource is {MaxTags}. {tags.Count} tags were specified.");

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            var key = tag?.Key;
            if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength)
                throw AwsException.InvalidParameter($"Tag keys must be between 1 and {MaxKeyLength} characters in length.");
            if ((tag!.Value?.Length ?? 0) > MaxValueLength)
                throw AwsException.InvalidParameter($"Tag values must be between 0 and {MaxValueLength} characters in length.");
            // AWS reserves the prefix in any letter case.
            if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
                throw AwsException.InvalidParameter($"Invalid tag key '{key}'. Tag keys beginning with 'aws:' are reserved for AWS use.");
            if (!keys.Add(key))
                throw AwsException.InvalidParameter($"Duplicate tag key '{key}'. Each tag key must be unique.");
        }
    }
}
