using System.Collections.Immutable;
using Berth.Elb.Model;
using Berth.Elb.State;

namespace Berth.Elb.Tagging;

/// <summary>Resource tags: ALB's limits and the wire mapping.</summary>
public static class Tags
{
    /// <summary>At most this many tags on a resource.</summary>
    public const int MaxPerResource = 50;

    /// <summary>The tags of <paramref name="current"/> with <paramref name="added"/> set (checked: keys, lengths, duplicates, count).</summary>
    public static ImmutableArray<ElbTag> Add(ImmutableArray<ElbTag> current, List<Tag>? added)
    {
        if (added is null || added.Count == 0)
        {
            return current;
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tag in added)
        {
            if (string.IsNullOrEmpty(tag.Key) || tag.Key.Length > 128)
            {
                throw ElbErrors.Validation($"The tag key '{tag.Key}' is not valid: it must be 1-128 characters");
            }

            if (tag.Key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw ElbErrors.Validation($"The tag key '{tag.Key}' is not valid: the 'aws:' prefix is reserved");
            }

            if (tag.Value is { Length: > 256 })
            {
                throw ElbErrors.Validation($"The value of tag '{tag.Key}' cannot be longer than 256 characters");
            }

            if (!keys.Add(tag.Key))
            {
                throw ElbErrors.Of(WireErrors.DuplicateTagKeysException, $"Tag key '{tag.Key}' is specified more than once");
            }
        }

        var result = current.Where(t => !keys.Contains(t.Key)).Concat(added.Select(t => new ElbTag(t.Key!, t.Value))).ToImmutableArray();
        if (result.Length > MaxPerResource)
        {
            throw ElbErrors.Of(WireErrors.TooManyTagsException, $"A resource can have at most '{MaxPerResource}' tags");
        }

        return result;
    }

    /// <summary>The tags of <paramref name="current"/> without <paramref name="keys"/> (absent keys are ignored).</summary>
    public static ImmutableArray<ElbTag> Remove(ImmutableArray<ElbTag> current, List<string> keys)
        => [.. current.Where(t => !keys.Contains(t.Key))];

    /// <summary>The wire shape of <paramref name="tags"/>.</summary>
    public static List<Tag> ToWire(ImmutableArray<ElbTag> tags) => [.. tags.Select(t => new Tag { Key = t.Key, Value = t.Value })];
}
