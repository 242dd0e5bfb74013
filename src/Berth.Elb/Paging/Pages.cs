using System.Globalization;

namespace Berth.Elb.Paging;

/// <summary>ELBv2's Marker/PageSize paging: the marker is the position of the next item, opaque to clients.</summary>
public static class Pages
{
    /// <summary>The page of <paramref name="items"/> at <paramref name="marker"/> (PageSize 1-400, all when absent) and the next marker.</summary>
    public static (List<T> Page, string? NextMarker) Take<T>(IReadOnlyList<T> items, string? marker, int? pageSize)
    {
        if (pageSize is < 1 or > 400)
        {
            throw ElbErrors.Validation($"1 validation error detected: Value '{pageSize}' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400");
        }

        var start = 0;
        if (marker is not null && (!marker.StartsWith('p')
            || !int.TryParse(marker.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out start) || start > items.Count))
        {
            throw ElbErrors.Validation("The marker is not valid");
        }

        var size = pageSize ?? 400;
        var page = items.Skip(start).Take(size).ToList();
        var next = start + page.Count;
        return (page, next < items.Count ? "p" + next.ToString(CultureInfo.InvariantCulture) : null);
    }
}
