using System.Globalization;

namespace Berth.WebConsole.Html;

/// <summary>One datapoint of a chart: the start of its period and its value.</summary>
/// <param name="At">The period's start.</param>
/// <param name="Value">The value (a percentage on a percent chart).</param>
public readonly record struct ChartPoint(DateTimeOffset At, double Value);

/// <summary>One line of a chart.</summary>
/// <param name="Name">Its name in the legend and the accessible name.</param>
/// <param name="Class">Its CSS class (the line's colour in console.css).</param>
/// <param name="Points">Its datapoints, oldest first.</param>
public sealed record ChartSeries(string Name, string Class, IReadOnlyList<ChartPoint> Points);

/// <summary>
/// A line chart drawn on the server as inline SVG (no script, no inline style: the page's Content-Security-Policy
/// allows neither). Pure: the same series and window always make the same markup.
/// </summary>
public static class LineChart
{
    /// <summary>The chart's width in SVG units.</summary>
    public const double Width = 600;

    /// <summary>The chart's height in SVG units.</summary>
    public const double Height = 200;

    /// <summary>The left edge of the plot (the axis labels are left of it).</summary>
    public const double Left = 48;

    /// <summary>The right edge of the plot.</summary>
    public const double Right = 590;

    /// <summary>The top of the plot (100 %).</summary>
    public const double Top = 10;

    /// <summary>The bottom of the plot (0 %).</summary>
    public const double Bottom = 170;

    /// <summary>What a chart without a datapoint shows.</summary>
    public const string NoData = "No metrics yet.";

    /// <summary>
    /// A 0–100 % chart of <paramref name="series"/> over [<paramref name="from"/>, <paramref name="to"/>]: one line per
    /// series (values outside 0–100 drawn at the edge), the 0, 50 and 100 % lines labelled, the times at both ends,
    /// an accessible name (<c>role="img"</c>, <c>aria-label</c> and <c>title</c>) with each series' latest value, and
    /// a legend. "No metrics yet." when no series has a datapoint.
    /// </summary>
    public static Markup Percent(string title, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<ChartSeries> series)
    {
        if (series.All(s => s.Points.Count == 0))
        {
            return Markup.Of($"<p class=\"chart-empty\">{NoData}</p>");
        }

        var span = Math.Max(1, (to - from).Ticks);
        var times = $"{Clock(from, to - from)} to {Clock(to, to - from)} UTC";
        var latest = string.Join(", ", series.Select(s => s.Points.Count == 0 ? $"{s.Name} no data" : $"{s.Name} {Number(s.Points[^1].Value)} %"));
        var label = $"{title}, {times}: latest {latest}";
        var lines = new List<Markup>();
        foreach (var s in series.Where(s => s.Points.Count > 0))
        {
            var points = string.Join(" ", s.Points.Select(p => $"{Number(X(p.At, from, span))},{Number(Y(p.Value))}"));
            lines.Add(s.Points.Count == 1
                ? Markup.Of($"<circle class=\"series {s.Class}\" cx=\"{Number(X(s.Points[0].At, from, span))}\" cy=\"{Number(Y(s.Points[0].Value))}\" r=\"3\"/>")
                : Markup.Of($"<polyline class=\"series {s.Class}\" fill=\"none\" stroke-width=\"2\" points=\"{points}\"/>"));
        }

        var legend = series.Select(s => Markup.Of($"<li><span class=\"swatch {s.Class}\"></span>{s.Name}: {(s.Points.Count == 0 ? Format.None : Number(s.Points[^1].Value) + " %")}</li>"));
        return Markup.Of($"""
            <svg class="chart" viewBox="0 0 {Number(Width)} {Number(Height)}" role="img" aria-label="{label}"><title>{label}</title>
            <g class="grid"><line x1="{Number(Left)}" y1="{Number(Top)}" x2="{Number(Right)}" y2="{Number(Top)}"/><line x1="{Number(Left)}" y1="{Number(Y(50))}" x2="{Number(Right)}" y2="{Number(Y(50))}"/><line x1="{Number(Left)}" y1="{Number(Bottom)}" x2="{Number(Right)}" y2="{Number(Bottom)}"/></g>
            <g class="axis"><text x="{Number(Left - 6)}" y="{Number(Top + 4)}" text-anchor="end">100 %</text><text x="{Number(Left - 6)}" y="{Number(Y(50) + 4)}" text-anchor="end">50 %</text><text x="{Number(Left - 6)}" y="{Number(Bottom + 4)}" text-anchor="end">0 %</text>
            <text x="{Number(Left)}" y="{Number(Height - 8)}" text-anchor="start">{Clock(from, to - from)}</text><text x="{Number(Right)}" y="{Number(Height - 8)}" text-anchor="end">{Clock(to, to - from)} UTC</text></g>
            {Markup.Join(lines)}
            </svg>
            <ul class="legend">{Markup.Join(legend)}</ul>
            """);
    }

    // Time runs left to right across the window; a point outside it is drawn at the edge.
    private static double X(DateTimeOffset at, DateTimeOffset from, long span) =>
        Left + ((Right - Left) * Math.Clamp((at - from).Ticks / (double)span, 0, 1));

    private static double Y(double percent) => Bottom - ((Bottom - Top) * Math.Clamp(double.IsFinite(percent) ? percent : 0, 0, 100) / 100);

    private static string Number(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);

    // Seconds only matter in a window shorter than ten minutes (a server with a short metric period).
    private static string Clock(DateTimeOffset at, TimeSpan window) =>
        at.ToUniversalTime().ToString(window < TimeSpan.FromMinutes(10) ? "HH:mm:ss" : "HH:mm", CultureInfo.InvariantCulture);
}
