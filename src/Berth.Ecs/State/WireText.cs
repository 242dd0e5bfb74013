using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Berth.Ecs.State;

/// <summary>
/// The text ECS writes for a domain enum value, and back: each member names its wire text with
/// <see cref="JsonStringEnumMemberNameAttribute"/>, which the stored JSON uses too.
/// </summary>
public static class WireText
{
    /// <summary>The wire text of <paramref name="value"/>.</summary>
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum => Table<TEnum>.ToText[value];

    /// <summary>The wire text of <paramref name="value"/>, or null.</summary>
    public static string? Of<TEnum>(TEnum? value)
        where TEnum : struct, Enum => value is { } v ? Table<TEnum>.ToText[v] : null;

    /// <summary>The value whose wire text is <paramref name="text"/>, or null when no member has it.</summary>
    public static TEnum? Parse<TEnum>(string? text)
        where TEnum : struct, Enum => text is not null && Table<TEnum>.FromText.TryGetValue(text, out var value) ? value : null;

    private static class Table<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly FrozenDictionary<TEnum, string> ToText = typeof(TEnum)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToFrozenDictionary(f => (TEnum)f.GetValue(null)!, f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name);

        public static readonly FrozenDictionary<string, TEnum> FromText = ToText.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }
}
