using System.Globalization;
using System.Text;

namespace Berth.WebConsole.Html;

/// <summary>One page of a list: its items, which page of how many, and how many items matched in all.</summary>
/// <param name="Items">The items on this page.</param>
/// <param name="Number">The page's number, from 1 (a number past the last page is the last page).</param>
/// <param name="Pages">How many pages the matching items fill (at least 1).</param>
/// <param name="Total">How many items matched.</param>
/// <param name="First">The position of the first item on this page among all that matched, from 0.</param>
public sealed record ListPage<T>(IReadOnlyList<T> Items, int Number, int Pages, int Total, int First);

/// <summary>
/// Lists that page and filter through the address's query, so every page of a list has a link and a live page keeps
/// its place when it refetches itself. Each list on a page has its own keys; links keep every other key.
/// </summary>
public static class Paging
{
    /// <summary>How many items a page of a list shows.</summary>
    public const int PageSize = 50;

    /// <summary>The page number the query asks for with <paramref name="key"/>: 1 when absent or not a positive whole number.</summary>
    public static int Number(IReadOnlyDictionary<string, string> query, string key)
        => query.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= 1 ? number : 1;

    /// <summary>The filter text the query gives with <paramref name="key"/>, trimmed; null when absent or blank.</summary>
    public static string? Filter(IReadOnlyDictionary<string, string> query, string key)
        => query.TryGetValue(key, out var text) && !string.IsNullOrWhiteSpace(text) ? text.Trim() : null;

    /// <summary>Whether <paramref name="value"/> contains <paramref name="filter"/> ignoring case (no filter matches everything).</summary>
    public static bool Matches(string? filter, string? value)
        => filter is null || (value is not null && value.Contains(filter, StringComparison.OrdinalIgnoreCase));

    /// <summary>Page <paramref name="number"/> of <paramref name="ordered"/> (already matched and in order).</summary>
    public static ListPage<T> Of<T>(IReadOnlyList<T> ordered, int number, int size = PageSize)
    {
        var pages = Math.Max(1, (ordered.Count + size - 1) / size);
        number = Math.Clamp(number, 1, pages);
        var first = (number - 1) * size;
        var items = new List<T>(Math.Min(size, Math.Max(0, ordered.Count - first)));
        for (var i = first; i < ordered.Count && i < first + size; i++)
        {
            items.Add(ordered[i]);
        }

        return new ListPage<T>(items, number, pages, ordered.Count, first);
    }

    /// <summary>
    /// Page <paramref name="number"/> of <paramref name="items"/>, largest <paramref name="key"/> first (newest first for
    /// a time's ticks), equal keys in <paramref name="tie"/>'s order. Sorts an array of the keys rather than the items
    /// through a comparer: a cluster page orders 10,000 tasks on every refetch.
    /// </summary>
    public static ListPage<T> Largest<T>(IEnumerable<T> items, Func<T, long> key, Comparison<T> tie, int number, int size = PageSize)
    {
        var array = items.ToArray();
        var keys = new long[array.Length];
        for (var i = 0; i < array.Length; i++)
        {
            keys[i] = -key(array[i]);
        }

        Array.Sort(keys, array);
        var comparer = Comparer<T>.Create(tie);
        for (var start = 0; start < array.Length;)
        {
            var end = start + 1;
            while (end < array.Length && keys[end] == keys[start])
            {
                end++;
            }

            if (end - start > 1)
            {
                Array.Sort(array, start, end - start, comparer);
            }

            start = end;
        }

        return Of(array, number, size);
    }

    /// <summary>
    /// The address <paramref name="path"/> with the query's values, <paramref name="changes"/> applied (a null value
    /// removes its key); keys in a fixed order so one state of a page has one address.
    /// </summary>
    public static string Link(string path, IReadOnlyDictionary<string, string> query, params (string Key, string? Value)[] changes)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in query)
        {
            values[key] = value;
        }

        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                values.Remove(key);
            }
            else
            {
                values[key] = value;
            }
        }

        if (values.Count == 0)
        {
            return path;
        }

        var text = new StringBuilder(path).Append('?');
        foreach (var (key, value) in values)
        {
            text.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value)).Append('&');
        }

        return text.ToString(0, text.Length - 1);
    }

    /// <summary>
    /// "51–100 of 1,000" with Previous and Next links (page 1 drops its key from the address); nothing when the list
    /// fits one page.
    /// </summary>
    public static Markup Nav<T>(ListPage<T> page, string label, string path, IReadOnlyDictionary<string, string> query, string key)
    {
        if (page.Pages <= 1)
        {
            return Markup.Empty;
        }

        var previous = page.Number > 1
            ? Markup.Of($"<a rel=\"prev\" href=\"{Link(path, query, (key, page.Number == 2 ? null : (page.Number - 1).ToString(CultureInfo.InvariantCulture)))}\">Previous</a>")
            : Markup.Raw("<span class=\"off\">Previous</span>");
        var next = page.Number < page.Pages
            ? Markup.Of($"<a rel=\"next\" href=\"{Link(path, query, (key, (page.Number + 1).ToString(CultureInfo.InvariantCulture)))}\">Next</a>")
            : Markup.Raw("<span class=\"off\">Next</span>");
        var shown = string.Create(CultureInfo.InvariantCulture, $"{page.First + 1:N0}–{page.First + page.Items.Count:N0} of {page.Total:N0}");
        return Markup.Of($"""
            <nav class="pages" aria-label="{label} pages">{previous}<span>{shown} · page {page.Number} of {page.Pages}</span>{next}</nav>
            """);
    }

    /// <summary>
    /// The body of a page that is one list (its keys <c>q</c> and <c>page</c>): the heading, the filter form, the table
    /// and the page links.
    /// </summary>
    public static Markup Listing<T>(Markup heading, string list, string path, IReadOnlyDictionary<string, string> query, ListPage<T> page, Markup table) => Markup.Of($"""
        {heading}
        {FilterForm(list, path, query, "q", "page")}
        {table}
        {Nav(page, char.ToUpperInvariant(list[0]) + list[1..], path, query, "page")}
        """);

    /// <summary>What an empty list says: <paramref name="noneYet"/> (trusted markup: how to make one), or that nothing matches the filter.</summary>
    public static Markup None(string? filter, string list, string noneYet) => filter is null ? Markup.Raw(noneYet) : Markup.Of($"<p>No {list} match.</p>");

    /// <summary>
    /// A search form for one list (<paramref name="list"/>, e.g. "services": the box is labelled "Filter services"):
    /// a text box under <paramref name="key"/> (and <paramref name="extra"/> controls), sent by GET to the same page with
    /// the other lists' keys kept and this list back on its first page.
    /// </summary>
    public static Markup FilterForm(string list, string path, IReadOnlyDictionary<string, string> query, string key, string pageKey, Markup extra = default, params string[] ownKeys)
    {
        var hidden = query
            .Where(q => q.Key != key && q.Key != pageKey && !ownKeys.Contains(q.Key))
            .OrderBy(q => q.Key, StringComparer.Ordinal)
            .Select(q => Markup.Of($"<input type=\"hidden\" name=\"{q.Key}\" value=\"{q.Value}\">"));
        var id = "filter-" + key;
        return Markup.Of($"""
            <form method="get" action="{path}" class="filter" role="search" aria-label="Search {list}">
            {Markup.Join(hidden)}<label for="{id}">Filter {list}</label>
            <input id="{id}" type="search" name="{key}" value="{Filter(query, key)}">{extra}
            <button type="submit">Filter</button>
            </form>
            """);
    }
}
