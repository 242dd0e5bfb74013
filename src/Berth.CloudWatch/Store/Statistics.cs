namespace Berth.CloudWatch.Store;

/// <summary>
/// What CloudWatch keeps of the values of one period: their count, sum, minimum and maximum. Sets combine exactly
/// (counts and sums add, extremes compare), so a longer period is the combination of the shorter ones inside it.
/// </summary>
/// <param name="SampleCount">How many values.</param>
/// <param name="Sum">Their sum.</param>
/// <param name="Minimum">The smallest.</param>
/// <param name="Maximum">The largest.</param>
public readonly record struct Statistics(double SampleCount, double Sum, double Minimum, double Maximum)
{
    /// <summary>One value.</summary>
    public static Statistics Of(double value) => new(1, value, value, value);

    /// <summary><paramref name="value"/> counted <paramref name="count"/> times (PutMetricData's Values and Counts).</summary>
    public static Statistics Of(double value, double count) => new(count, value * count, value, value);

    /// <summary>The mean, <see cref="Sum"/> / <see cref="SampleCount"/>.</summary>
    public double Average => SampleCount == 0 ? 0 : Sum / SampleCount;

    /// <summary>Both sets as one.</summary>
    public Statistics Merge(Statistics other) => new(
        SampleCount + other.SampleCount,
        Sum + other.Sum,
        Math.Min(Minimum, other.Minimum),
        Math.Max(Maximum, other.Maximum));

    /// <summary>The value of a statistic by its CloudWatch name (<c>Average</c>, <c>Sum</c>, ...); null for another name.</summary>
    public double? Get(string statistic) => statistic switch
    {
        "Average" => Average,
        "Sum" => Sum,
        "Minimum" => Minimum,
        "Maximum" => Maximum,
        "SampleCount" => SampleCount,
        _ => null,
    };
}
