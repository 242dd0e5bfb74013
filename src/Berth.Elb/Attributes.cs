using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;

namespace Berth.Elb;

/// <summary>An attribute key's default and the values it takes.</summary>
/// <param name="Default">Its value until set.</param>
/// <param name="Valid">True for a value it takes.</param>
/// <param name="Expected">What it takes, for the error message.</param>
public sealed record AttributeRule(string Default, Func<string, bool> Valid, string Expected)
{
    /// <summary><c>true</c> or <c>false</c>.</summary>
    public static AttributeRule Boolean(bool value) => new(value ? "true" : "false", v => v is "true" or "false", "true or false");

    /// <summary>An integer from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static AttributeRule Range(int value, int min, int max)
        => new(value.ToString(CultureInfo.InvariantCulture), v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max, $"an integer from {min} to {max}");

    /// <summary>One of <paramref name="values"/> (the first is the default).</summary>
    public static AttributeRule OneOf(params string[] values) => new(values[0], values.Contains, string.Join(", ", values));

    /// <summary>Any string (kept and reported).</summary>
    public static AttributeRule Any(string value) => new(value, _ => true, "a string");
}

/// <summary>Applies ModifyXAttributes: checks every key and value, then sets them (all or nothing).</summary>
public static class AttributeSet
{
    /// <summary>The attributes after setting <paramref name="changes"/>; a key not in <paramref name="rules"/> or a value it does not take is a ValidationError.</summary>
    public static ImmutableSortedDictionary<string, string> Apply(
        ImmutableSortedDictionary<string, string> current,
        IEnumerable<(string? Key, string? Value)> changes,
        FrozenDictionary<string, AttributeRule> rules,
        string what)
    {
        var result = current;
        foreach (var (key, value) in changes)
        {
            if (key is null || !rules.TryGetValue(key, out var rule))
            {
                throw ElbErrors.Validation($"{what} attribute key '{key}' is not recognized");
            }

            if (value is null || !rule.Valid(value))
            {
                throw ElbErrors.Validation($"{what} attribute '{key}' cannot be set to '{value}': it must be {rule.Expected}");
            }

            result = value == rule.Default ? result.Remove(key) : result.SetItem(key, value);
        }

        return result;
    }

    /// <summary>Every attribute with its value (the default where not set), in key order.</summary>
    public static IEnumerable<(string Key, string Value)> All(ImmutableSortedDictionary<string, string> set, FrozenDictionary<string, AttributeRule> rules)
        => rules.Keys.Order(StringComparer.Ordinal).Select(k => (k, set.TryGetValue(k, out var v) ? v : rules[k].Default));
}
