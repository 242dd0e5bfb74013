using System.Globalization;

namespace Berth.Scheduling.Expressions;

/// <summary>Dotted version numbers such as <c>1.14.5</c>.</summary>
internal static class Versions
{
    /// <summary>Parses a literal: numbers separated by dots, optionally after a <c>v</c>; nothing else.</summary>
    public static bool TryParseLiteral(string text, out int[] version)
    {
        version = [];
        var span = text.AsSpan();
        if (span.Length > 0 && (span[0] == 'v' || span[0] == 'V'))
        {
            span = span[1..];
        }

        var parts = new List<int>();
        foreach (var range in span.Split('.'))
        {
            if (!int.TryParse(span[range], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            parts.Add(number);
        }

        version = [.. parts];
        return true;
    }

    /// <summary>
    /// Compares an instance's version with a literal without allocating. The instance's version is read up to the
    /// first character that is neither a digit nor a dot (so <c>1.82.1-dev</c> is 1.82.1); false when it has no number.
    /// </summary>
    public static bool TryCompare(string? actual, int[] literal, out int order)
    {
        order = 0;
        if (actual is null)
        {
            return false;
        }

        var i = actual.Length > 0 && (actual[0] == 'v' || actual[0] == 'V') ? 1 : 0;
        if (i >= actual.Length || !char.IsAsciiDigit(actual[i]))
        {
            return false;
        }

        var part = 0;
        while (true)
        {
            var number = 0L;
            var digits = 0;
            while (i < actual.Length && char.IsAsciiDigit(actual[i]))
            {
                number = Math.Min((number * 10) + (actual[i] - '0'), int.MaxValue);
                i++;
                digits++;
            }

            if (digits == 0)
            {
                break;
            }

            var expected = part < literal.Length ? literal[part] : 0;
            if (number != expected)
            {
                order = number < expected ? -1 : 1;
                return true;
            }

            part++;
            if (i + 1 < actual.Length && actual[i] == '.' && char.IsAsciiDigit(actual[i + 1]))
            {
                i++;
            }
            else
            {
                break;
            }
        }

        // The instance's version ran out: any non-zero part left in the literal makes the literal larger.
        for (; part < literal.Length; part++)
        {
            if (literal[part] != 0)
            {
                order = -1;
                return true;
            }
        }

        return true;
    }
}

/// <summary>registeredAt literals in the formats the ECS guide lists.</summary>
internal static class Dates
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    /// <summary>
    /// Parses a date or time and returns the span it names: a whole day for a date, a second for a time without
    /// fractions, and the last written fractional digit otherwise. A time without a zone is UTC.
    /// </summary>
    public static bool TryParse(string text, out DateTimeOffset from, out DateTimeOffset until)
    {
        until = default;
        if (!DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out from))
        {
            return false;
        }

        var time = text.IndexOf('T', StringComparison.Ordinal);
        TimeSpan width;
        if (time < 0)
        {
            width = TimeSpan.FromDays(1);
        }
        else
        {
            var dot = text.IndexOf('.', time);
            var digits = 0;
            while (dot >= 0 && dot + 1 + digits < text.Length && char.IsAsciiDigit(text[dot + 1 + digits]))
            {
                digits++;
            }

            width = TimeSpan.FromTicks(digits == 0 ? TimeSpan.TicksPerSecond : (long)Math.Pow(10, 7 - digits));
        }

        until = from + width;
        return true;
    }
}
