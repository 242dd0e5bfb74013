using System.Text;
using Berth.Protocol.Errors;

namespace Berth.Ecs.Paging;

/// <summary>
/// ECS pagination over items in a stable key order: at most <c>maxResults</c> items and an opaque
/// <c>nextToken</c> that resumes after the last key returned (so items added or removed meanwhile
/// never make a page repeat or skip a survivor).
/// </summary>
public static class Page
{
    /// <summary>Checks maxResults against the operation's range and returns the page size to use.</summary>
    public static int Size(int? maxResults, int max, int min = 1)
    {
        if (maxResults is null)
        {
            return max;
        }

        if (maxResults < min || maxResults > max)
        {
            throw AwsException.InvalidParameter($"maxResults must be between {min} and {max}.");
        }

        return maxResults.Value;
    }

    /// <summary>
    /// Takes one page of <paramref name="ordered"/> (sorted by key, ascending unless <paramref name="descending"/>).
    /// <paramref name="operation"/> is bound into the token so a token from one listing is refused by another.
    /// </summary>
    public static (List<T> Items, string? NextToken) Take<T>(
        IEnumerable<(string Key, T Item)> ordered, int size, string? nextToken, string operation, bool descending = false)
    {
        var after = nextToken is null ? null : Decode(nextToken, operation);
        var items = new List<T>(Math.Min(size, 128));
        string? lastKey = null;
        foreach (var (key, item) in ordered)
        {
            if (after is not null)
            {
                var cmp = string.CompareOrdinal(key, after);
                if (descending ? cmp >= 0 : cmp <= 0)
                {
                    continue;
                }
            }

            if (items.Count == size)
            {
                return (items, Encode(lastKey!, operation));
            }

            items.Add(item);
            lastKey = key;
        }

        return (items, null);
    }

    private static string Encode(string key, string operation)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes(operation + "\n" + key));

    private static string Decode(string token, string operation)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            if (newline > 0 && text.AsSpan(0, newline).SequenceEqual(operation))
            {
                return text[(newline + 1)..];
            }
        }
        catch (FormatException)
        {
        }

        throw AwsException.InvalidParameter("Invalid nextToken.");
    }
}
