using System.Globalization;
using Berth.Protocol.Errors;

namespace Berth.Protocol.Query;

/// <summary>
/// Reads typed members out of a query-protocol form, as botocore's query serializer flattens them: structure members
/// as <c>Prefix.Member</c>, lists as <c>Prefix.member.N</c> (N from 1; <c>Prefix=</c> alone is an empty list),
/// maps as <c>Prefix.entry.N.key</c> / <c>.value</c>. A value of the wrong type is a <c>ValidationError</c>.
/// </summary>
public sealed class QueryReader
{
    private readonly IReadOnlyDictionary<string, string> _parameters;
    private readonly HashSet<string> _prefixes = new(StringComparer.Ordinal);

    /// <summary>Reads from the decoded form <paramref name="parameters"/>.</summary>
    public QueryReader(IReadOnlyDictionary<string, string> parameters)
    {
        _parameters = parameters;
        foreach (var key in parameters.Keys)
        {
            // Every dotted prefix of a key, so "is anything of this structure or list here?" is one lookup.
            for (var dot = key.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = key.IndexOf('.', dot + 1))
            {
                _prefixes.Add(key[..dot]);
            }
        }
    }

    /// <summary>The error code of a value that does not fit its member.</summary>
    public const string ValidationError = "ValidationError";

    /// <summary>The key of member <paramref name="name"/> under <paramref name="prefix"/>.</summary>
    public static string Key(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>True when the form holds <paramref name="key"/> itself or anything under it.</summary>
    public bool Has(string key) => _parameters.ContainsKey(key) || _prefixes.Contains(key);

    /// <summary>A string member, or null when absent.</summary>
    public string? String(string key) => _parameters.TryGetValue(key, out var value) ? value : null;

    /// <summary>An integer member.</summary>
    public int? Int(string key) => Parse(key, static s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : (int?)null, "an integer");

    /// <summary>A long member.</summary>
    public long? Long(string key) => Parse(key, static s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : (long?)null, "an integer");

    /// <summary>A double member: a finite number (NaN, infinities and what overflows to them are refused).</summary>
    public double? Double(string key) => Parse(key, static s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : (double?)null, "a number");

    /// <summary>A boolean member (<c>true</c> / <c>false</c>, as botocore writes them).</summary>
    public bool? Bool(string key) => Parse(key, static s => s.ToLowerInvariant() switch { "true" => true, "false" => false, _ => (bool?)null }, "a boolean");

    /// <summary>A timestamp member: ISO 8601 (botocore's default) or epoch seconds within years 1 to 9999.</summary>
    public DateTimeOffset? Timestamp(string key) => Parse(key, static s =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v) ? v
        : double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? FromEpochSeconds(seconds)
        : null, "a timestamp");

    /// <summary>A blob member (base64).</summary>
    public byte[]? Blob(string key)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw Invalid(key, text, "base64 data");
        }
    }

    /// <summary>A list at <paramref name="key"/>: items at <c>key.member.N</c> from 1 while present.</summary>
    public List<T>? List<T>(string key, string memberName, Func<QueryReader, string, T> item)
    {
        var itemPrefix = key + "." + memberName + ".";
        if (!_prefixes.Contains(key + "." + memberName))
        {
            // botocore sends an empty list as "Key=".
            return _parameters.ContainsKey(key) ? [] : null;
        }

        var result = new List<T>();
        for (var n = 1; Has(itemPrefix + n.ToString(CultureInfo.InvariantCulture)); n++)
        {
            result.Add(item(this, itemPrefix + n.ToString(CultureInfo.InvariantCulture)));
        }

        return result;
    }

    /// <summary>A map at <paramref name="key"/>: entries at <c>key.entry.N.key</c> / <c>key.entry.N.value</c> from 1 while present.</summary>
    public Dictionary<string, TValue>? Map<TValue>(string key, string keyName, string valueName, Func<QueryReader, string, TValue> value)
    {
        if (!_prefixes.Contains(key + ".entry"))
        {
            return _parameters.ContainsKey(key) ? [] : null;
        }

        var result = new Dictionary<string, TValue>(StringComparer.Ordinal);
        for (var n = 1; ; n++)
        {
            var entry = key + ".entry." + n.ToString(CultureInfo.InvariantCulture);
            if (!Has(entry))
            {
                return result;
            }

            var name = String(entry + "." + keyName) ?? throw Missing(entry + "." + keyName);
            result[name] = value(this, entry + "." + valueName);
        }
    }

    /// <summary>Throws a <c>ValidationError</c> when a member the model requires is absent.</summary>
    public void Require(object? value, string key)
    {
        if (value is null)
        {
            throw Missing(key);
        }
    }

    private static AwsException Missing(string key)
        => new(ValidationError, $"1 validation error detected: Value null at '{Camel(key)}' failed to satisfy constraint: Member must not be null");

    private static AwsException Invalid(string key, string text, string what)
        => new(ValidationError, $"1 validation error detected: Value '{text}' at '{Camel(key)}' failed to satisfy constraint: Member must be {what}");

    // AWS names members in validation messages by their camel-cased path (e.g. 'targets.1.id').
    private static string Camel(string key) => string.Join('.', key.Split('.').Where(p => p != "member").Select(p => p.Length > 0 && char.IsUpper(p[0]) ? char.ToLowerInvariant(p[0]) + p[1..] : p));

    private static DateTimeOffset? FromEpochSeconds(double seconds)
        => double.IsFinite(seconds) && seconds >= MinEpochSeconds && seconds <= MaxEpochSeconds ? DateTimeOffset.UnixEpoch.AddSeconds(seconds) : null;

    private static readonly double MinEpochSeconds = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly double MaxEpochSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    private T? Parse<T>(string key, Func<string, T?> parse, string what) where T : struct
    {
        if (!_parameters.TryGetValue(key, out var text))
        {
            return null;
        }

        return parse(text.Trim()) ?? throw Invalid(key, text, what);
    }
}
