using System.Globalization;

namespace Berth.Ec2AutoScaling;

/// <summary>Auto Scaling's NextToken/MaxRecords paging; the token is the position of the next item, opaque to clients.</summary>
public static class Paging
{
    /// <summary>The page of <paramref name="items"/> at <paramref name="token"/> (MaxRecords 1–<paramref name="max"/>, default <paramref name="fallback"/>) and the next token.</summary>
    public static (List<T> Page, string? NextToken) Take<T>(IReadOnlyList<T> items, string? token, int? maxRecords, int max = 100, int fallback = 50)
    {
        if (maxRecords is { } m && (m < 1 || m > max))
        {
            throw AsgErrors.Validation($"1 validation error detected: Value '{m}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to {max}");
        }

        var start = 0;
        if (!string.IsNullOrEmpty(token) && (!token.StartsWith('p')
            || !int.TryParse(token.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out start) || start > items.Count))
        {
            throw AsgErrors.InvalidNextToken();
        }

        var page = items.Skip(start).Take(maxRecords ?? fallback).ToList();
        var next = start + page.Count;
        return (page, next < items.Count ? "p" + next.ToString(CultureInfo.InvariantCulture) : null);
    }
}
