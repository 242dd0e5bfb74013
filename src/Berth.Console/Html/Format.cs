using System.Globalization;
using Berth.Ecs.Model;

namespace Berth.WebConsole.Html;

/// <summary>How values read on a page: times in UTC, sizes in binary units, absent values as a dash.</summary>
public static class Format
{
    /// <summary>What an absent value shows.</summary>
    public const string None = "—";

    /// <summary>A time as <c>2026-12-03 07:01:02 UTC</c>.</summary>
    public static string Time(DateTimeOffset? at) => at is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : None;

    /// <summary>A time in milliseconds since the epoch (CloudWatch Logs), with milliseconds.</summary>
    public static string Millis(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>Bytes as B, KiB, MiB or GiB with one decimal.</summary>
    public static string Bytes(long? bytes)
    {
        if (bytes is not { } b)
        {
            return None;
        }

        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = b;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{b} B" : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>A value or the dash.</summary>
    public static string Or(string? value) => string.IsNullOrEmpty(value) ? None : value;

    /// <summary>A number or the dash.</summary>
    public static string Or(int? value) => value is { } v ? v.ToString(CultureInfo.InvariantCulture) : None;

    /// <summary>The last part of an ARN (a task's or instance's ID).</summary>
    public static string IdOf(string? arn) => arn is null ? None : arn[(arn.LastIndexOf('/') + 1)..];

    /// <summary>An ECS resource's value (<c>CPU</c>, <c>MEMORY</c>, <c>PORTS</c>...) as text.</summary>
    public static string Resource(IEnumerable<Resource>? resources, string name)
    {
        var found = resources?.FirstOrDefault(r => r.Name == name);
        if (found is null)
        {
            return None;
        }

        return found.Type switch
        {
            "INTEGER" => Or(found.IntegerValue),
            "LONG" => found.LongValue?.ToString(CultureInfo.InvariantCulture) ?? None,
            "DOUBLE" => found.DoubleValue?.ToString(CultureInfo.InvariantCulture) ?? None,
            "STRINGSET" => found.StringSetValue is { Count: > 0 } set ? string.Join(", ", set) : None,
            _ => None,
        };
    }
}
