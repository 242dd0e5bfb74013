namespace Berth.CloudWatch.Store;

/// <summary>One period of a query's answer: its start, the combined statistics and the unit.</summary>
/// <param name="Start">The period's start.</param>
/// <param name="Values">The statistics of every stored period inside it.</param>
/// <param name="Unit">The unit the values were reported with.</param>
public sealed record QueryPeriod(DateTimeOffset Start, Statistics Values, string Unit);

/// <summary>
/// Stored periods regrouped into a query's periods (pure): every stored period whose start falls in a query period
/// (aligned to the epoch, as CloudWatch aligns them) is combined into it; periods without data are absent, as in
/// CloudWatch. A unit filter keeps only the values reported with that unit.
/// </summary>
public static class PeriodQuery
{
    /// <summary>The query periods of <paramref name="stored"/> (oldest first) that hold data, oldest first.</summary>
    public static IReadOnlyList<QueryPeriod> Group(IEnumerable<StoredPeriod> stored, TimeSpan period, string? unit)
    {
        var seconds = Math.Max(1, (long)period.TotalSeconds);
        var result = new List<QueryPeriod>();
        foreach (var item in stored)
        {
            if (unit is not null && item.Unit != unit)
            {
                continue;
            }

            var start = DateTimeOffset.FromUnixTimeSeconds((long)Math.Floor(item.Start.ToUnixTimeSeconds() / (double)seconds) * seconds);
            if (result.Count > 0 && result[^1].Start == start)
            {
                result[^1] = result[^1] with { Values = result[^1].Values.Merge(item.Values) };
            }
            else
            {
                result.Add(new QueryPeriod(start, item.Values, item.Unit));
            }
        }

        return result;
    }
}
