using System.Globalization;
using System.Text.RegularExpressions;
using Berth.CloudWatch.Model;
using Berth.CloudWatch.Store;

namespace Berth.CloudWatch.Api;

/// <summary>A value of PutMetricData, checked and ready to store.</summary>
/// <param name="Key">Its metric.</param>
/// <param name="At">Its timestamp.</param>
/// <param name="Values">Its statistics.</param>
/// <param name="Unit">Its unit.</param>
public sealed record MetricPut(MetricKey Key, DateTimeOffset At, Statistics Values, string Unit);

/// <summary>A MetricStat query of GetMetricData, checked.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Label">Its label (the metric name unless given).</param>
/// <param name="Key">The metric.</param>
/// <param name="Period">The period.</param>
/// <param name="Stat">The statistic.</param>
/// <param name="Unit">The unit filter.</param>
/// <param name="ReturnData">Whether its data is returned.</param>
public sealed record StatQuery(string Id, string Label, MetricKey Key, TimeSpan Period, string Stat, string? Unit, bool ReturnData);

/// <summary>
/// CloudWatch's checks of the metric operations' input, as pure functions: each request is checked whole before
/// anything is stored, and a bad one gets CloudWatch's error naming the member as CloudWatch names it.
/// </summary>
public static partial class MetricRequests
{
    /// <summary>The most values one PutMetricData carries.</summary>
    public const int MaxMetricData = 1000;

    /// <summary>The most datapoints GetMetricStatistics answers.</summary>
    public const int MaxDatapoints = 1440;

    /// <summary>The most queries of one GetMetricData.</summary>
    public const int MaxQueries = 500;

    /// <summary>The statistics GetMetricStatistics and MetricStat know without percentiles.</summary>
    public static readonly string[] KnownStatistics = WireEnums.Statistic;

    // CloudWatch refuses values whose magnitude is beyond 2^360 or, other than zero, below 2^-260.
    private static readonly double Largest = Math.Pow(2, 360);
    private static readonly double Smallest = Math.Pow(2, -260);

    /// <summary>PutMetricData's values, each checked; <paramref name="now"/> bounds the timestamps (two weeks back, two hours ahead).</summary>
    public static IReadOnlyList<MetricPut> Put(PutMetricDataInput input, DateTimeOffset now)
    {
        var ns = RequireNamespace(input.Namespace, "Namespace");
        if (ns.StartsWith("AWS/", StringComparison.Ordinal))
        {
            throw CloudWatchErrors.InvalidValue("Namespace", ns);
        }

        if (input.EntityMetricData is { Count: > 0 })
        {
            throw CloudWatchErrors.InvalidValue("EntityMetricData is not supported by Berth.");
        }

        var data = input.MetricData;
        if (data is null || data.Count == 0)
        {
            throw CloudWatchErrors.Missing("MetricData");
        }

        if (data.Count > MaxMetricData)
        {
            throw CloudWatchErrors.InvalidValue($"The collection MetricData must not have a size greater than {MaxMetricData}.");
        }

        var puts = new List<MetricPut>();
        for (var i = 0; i < data.Count; i++)
        {
            var datum = data[i];
            var path = CloudWatchErrors.Item("MetricData", i);
            var name = RequireName(datum.MetricName, path + ".MetricName");
            var dimensions = Dimensions(datum.Dimensions, path + ".Dimensions");
            var at = datum.Timestamp ?? now;
            if (at < now - TimeSpan.FromDays(14))
            {
                throw CloudWatchErrors.InvalidValue($"The parameter {path}.Timestamp must specify a time no more than two weeks in the past.");
            }

            if (at > now + TimeSpan.FromHours(2))
            {
                throw CloudWatchErrors.InvalidValue($"The parameter {path}.Timestamp must specify a time no more than two hours in the future.");
            }

            var unit = Unit(datum.Unit, path + ".Unit") ?? "None";
            if (datum.StorageResolution is { } resolution && resolution is not (1 or 60))
            {
                throw CloudWatchErrors.InvalidValue(path + ".StorageResolution", resolution.ToString(CultureInfo.InvariantCulture));
            }

            var key = new MetricKey(ns, name, dimensions);
            foreach (var values in DatumValues(datum, path))
            {
                puts.Add(new MetricPut(key, at, values, unit));
            }
        }

        return puts;
    }

    /// <summary>GetMetricStatistics' request, checked: the metric, the period, the statistics asked for and the unit filter.</summary>
    public static (MetricKey Key, TimeSpan Period, IReadOnlyList<string> Statistics, string? Unit) StatisticsQuery(GetMetricStatisticsInput input)
    {
        var key = new MetricKey(
            RequireNamespace(input.Namespace, "Namespace"),
            RequireName(input.MetricName, "MetricName"),
            Dimensions(input.Dimensions, "Dimensions"));
        var (start, end) = Range(input.StartTime, input.EndTime);
        var period = Period(input.Period, "Period");
        var statistics = input.Statistics ?? [];
        if (statistics.Count == 0 && input.ExtendedStatistics is not { Count: > 0 })
        {
            throw CloudWatchErrors.Missing("Statistics");
        }

        if (statistics.Count > 5)
        {
            throw CloudWatchErrors.InvalidValue("The collection Statistics must not have a size greater than 5.");
        }

        for (var i = 0; i < statistics.Count; i++)
        {
            if (Array.IndexOf(KnownStatistics, statistics[i]) < 0)
            {
                throw CloudWatchErrors.InvalidValue(CloudWatchErrors.Item("Statistics", i), statistics[i]);
            }
        }

        if (input.ExtendedStatistics is { Count: > 0 } extended)
        {
            throw CloudWatchErrors.InvalidValue(CloudWatchErrors.Item("ExtendedStatistics", 0), extended[0]);
        }

        var requested = (long)Math.Ceiling((end - start).TotalSeconds / period.TotalSeconds);
        if (requested > MaxDatapoints)
        {
            throw CloudWatchErrors.Combination(
                $"You have requested up to {requested.ToString("N0", CultureInfo.InvariantCulture)} datapoints, which exceeds the limit of {MaxDatapoints.ToString("N0", CultureInfo.InvariantCulture)}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.");
        }

        return (key, period, statistics, Unit(input.Unit, "Unit"));
    }

    /// <summary>The time range of a query: both ends given and the start before the end.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Range(DateTimeOffset? start, DateTimeOffset? end)
    {
        var from = start ?? throw CloudWatchErrors.Missing("StartTime");
        var to = end ?? throw CloudWatchErrors.Missing("EndTime");
        if (from >= to)
        {
            throw CloudWatchErrors.InvalidValue("The parameter StartTime must be less than the parameter EndTime.");
        }

        return (from, to);
    }

    /// <summary>GetMetricData's queries, checked: ids unique and well formed, MetricStat queries only (metric math and Metrics Insights refused).</summary>
    public static IReadOnlyList<StatQuery> Queries(GetMetricDataInput input)
    {
        var queries = input.MetricDataQueries;
        if (queries is null || queries.Count == 0)
        {
            throw CloudWatchErrors.Missing("MetricDataQueries");
        }

        if (queries.Count > MaxQueries)
        {
            throw CloudWatchErrors.InvalidValue($"The collection MetricDataQueries must not have a size greater than {MaxQueries}.");
        }

        if (input.ScanBy is { } scan && Array.IndexOf(WireEnums.ScanBy, scan) < 0)
        {
            throw CloudWatchErrors.InvalidValue("ScanBy", scan);
        }

        if (input.MaxDatapoints is < 1)
        {
            throw CloudWatchErrors.InvalidValue("MaxDatapoints", input.MaxDatapoints.Value.ToString(CultureInfo.InvariantCulture));
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<StatQuery>();
        for (var i = 0; i < queries.Count; i++)
        {
            var query = queries[i];
            var path = CloudWatchErrors.Item("MetricDataQueries", i);
            var id = query.Id ?? throw CloudWatchErrors.Missing(path + ".Id");
            if (!IdPattern().IsMatch(id) || id.Length > 255)
            {
                throw CloudWatchErrors.InvalidValue($"The value {id} for parameter {path}.Id is invalid. It must start with a lowercase letter and contain only letters, numbers and underscores.");
            }

            if (!ids.Add(id))
            {
                throw CloudWatchErrors.InvalidValue($"The values for parameter id in MetricDataQueries are not unique.");
            }

            if (query.Expression is not null && query.MetricStat is not null)
            {
                throw CloudWatchErrors.Combination($"The parameters {path}.Expression and {path}.MetricStat are mutually exclusive and you have specified both.");
            }

            if (query.Expression is { } expression)
            {
                throw CloudWatchErrors.InvalidValue($"The value {expression} for parameter {path}.Expression is invalid: metric math and Metrics Insights queries are not supported by Berth; use MetricStat.");
            }

            var stat = query.MetricStat ?? throw CloudWatchErrors.Combination($"Exactly one of {path}.MetricStat and {path}.Expression must be specified.");
            var metric = stat.Metric ?? throw CloudWatchErrors.Missing(path + ".MetricStat.Metric");
            var key = new MetricKey(
                RequireNamespace(metric.Namespace, path + ".MetricStat.Metric.Namespace"),
                RequireName(metric.MetricName, path + ".MetricStat.Metric.MetricName"),
                Dimensions(metric.Dimensions, path + ".MetricStat.Metric.Dimensions"));
            var period = Period(stat.Period, path + ".MetricStat.Period");
            var statistic = stat.Stat ?? throw CloudWatchErrors.Missing(path + ".MetricStat.Stat");
            if (Array.IndexOf(KnownStatistics, statistic) < 0)
            {
                throw CloudWatchErrors.InvalidValue($"The value {statistic} for parameter {path}.MetricStat.Stat is invalid: Berth answers Average, Minimum, Maximum, Sum and SampleCount.");
            }

            result.Add(new StatQuery(id, query.Label ?? key.MetricName, key, period, statistic, Unit(stat.Unit, path + ".MetricStat.Unit"), query.ReturnData ?? true));
        }

        return result;
    }

    /// <summary>ListMetrics' dimension filters, checked: a name each, at most 10.</summary>
    public static IReadOnlyList<(string Name, string? Value)> Filters(ListMetricsInput input)
    {
        var filters = input.Dimensions ?? [];
        if (filters.Count > 10)
        {
            throw CloudWatchErrors.InvalidValue("The collection Dimensions must not have a size greater than 10.");
        }

        if (input.Namespace is { } ns)
        {
            RequireNamespace(ns, "Namespace");
        }

        if (input.MetricName is { } name)
        {
            RequireName(name, "MetricName");
        }

        if (input.RecentlyActive is { } active && active != "PT3H")
        {
            throw CloudWatchErrors.InvalidValue("RecentlyActive", active);
        }

        var result = new List<(string, string?)>();
        for (var i = 0; i < filters.Count; i++)
        {
            var path = CloudWatchErrors.Item("Dimensions", i);
            var filterName = RequireName(filters[i].Name, path + ".Name");
            if (filters[i].Value is { } value && (value.Length == 0 || value.Length > 1024))
            {
                throw CloudWatchErrors.InvalidValue(path + ".Value", value);
            }

            result.Add((filterName, filters[i].Value));
        }

        return result;
    }

    /// <summary>A period: 1, 5, 10, 30 or a multiple of 60 seconds, as CloudWatch allows.</summary>
    public static TimeSpan Period(int? value, string member)
    {
        var seconds = value ?? throw CloudWatchErrors.Missing(member);
        if (seconds < 1 || (seconds is not (1 or 5 or 10 or 30) && seconds % 60 != 0))
        {
            throw CloudWatchErrors.InvalidValue($"The parameter {member} must be a multiple of 60, or one of 1, 5, 10 and 30 for a high-resolution metric.");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static List<Statistics> DatumValues(MetricDatum datum, string path)
    {
        var given = (datum.Value is not null ? 1 : 0) + (datum.StatisticValues is not null ? 1 : 0) + (datum.Values is not null ? 1 : 0);
        if (given > 1)
        {
            var names = new[] { ("Value", datum.Value is not null), ("StatisticValues", datum.StatisticValues is not null), ("Values", datum.Values is not null) }
                .Where(n => n.Item2).Select(n => $"{path}.{n.Item1}").ToArray();
            throw CloudWatchErrors.Combination($"The parameters {names[0]} and {names[1]} are mutually exclusive and you have specified both.");
        }

        if (datum.Counts is not null && datum.Values is null)
        {
            throw CloudWatchErrors.Combination($"The parameter {path}.Counts must be specified with {path}.Values.");
        }

        if (datum.Value is { } value)
        {
            Finite(value, path + ".Value");
            return [Store.Statistics.Of(value)];
        }

        if (datum.StatisticValues is { } set)
        {
            var count = set.SampleCount ?? throw CloudWatchErrors.Missing(path + ".StatisticValues.SampleCount");
            var sum = set.Sum ?? throw CloudWatchErrors.Missing(path + ".StatisticValues.Sum");
            var min = set.Minimum ?? throw CloudWatchErrors.Missing(path + ".StatisticValues.Minimum");
            var max = set.Maximum ?? throw CloudWatchErrors.Missing(path + ".StatisticValues.Maximum");
            Finite(count, path + ".StatisticValues.SampleCount");
            Finite(sum, path + ".StatisticValues.Sum");
            Finite(min, path + ".StatisticValues.Minimum");
            Finite(max, path + ".StatisticValues.Maximum");
            if (count <= 0)
            {
                throw CloudWatchErrors.InvalidValue(path + ".StatisticValues.SampleCount", count.ToString(CultureInfo.InvariantCulture));
            }

            if (min > max)
            {
                throw CloudWatchErrors.InvalidValue($"The parameter {path}.StatisticValues.Maximum must be greater than or equal to the parameter {path}.StatisticValues.Minimum.");
            }

            return [new Statistics(count, sum, min, max)];
        }

        if (datum.Values is { } values)
        {
            if (values.Count > 150)
            {
                throw CloudWatchErrors.InvalidValue($"The collection {path}.Values must not have a size greater than 150.");
            }

            var counts = datum.Counts;
            if (counts is not null && counts.Count != values.Count)
            {
                throw CloudWatchErrors.InvalidValue($"The parameters {path}.Values and {path}.Counts must be of the same size.");
            }

            var result = new List<Statistics>(values.Count);
            for (var i = 0; i < values.Count; i++)
            {
                Finite(values[i], CloudWatchErrors.Item(path + ".Values", i));
                var weight = counts?[i] ?? 1;
                if (weight <= 0 || !double.IsFinite(weight))
                {
                    throw CloudWatchErrors.InvalidValue(CloudWatchErrors.Item(path + ".Counts", i), weight.ToString(CultureInfo.InvariantCulture));
                }

                result.Add(Store.Statistics.Of(values[i], weight));
            }

            return result;
        }

        throw CloudWatchErrors.Missing(path + ".Value");
    }

    private static void Finite(double value, string member)
    {
        var magnitude = Math.Abs(value);
        if (!double.IsFinite(value) || magnitude > Largest || (magnitude != 0 && magnitude < Smallest))
        {
            throw CloudWatchErrors.InvalidValue(member, value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static string RequireNamespace(string? value, string member)
    {
        if (value is null)
        {
            throw CloudWatchErrors.Missing(member);
        }

        if (value.Length is 0 or > 255 || value[0] == ':' || value.Any(char.IsControl))
        {
            throw CloudWatchErrors.InvalidValue(member, value);
        }

        return value;
    }

    private static string RequireName(string? value, string member)
    {
        if (value is null)
        {
            throw CloudWatchErrors.Missing(member);
        }

        if (value.Length is 0 or > 255)
        {
            throw CloudWatchErrors.InvalidValue(member, value);
        }

        return value;
    }

    private static List<KeyValuePair<string, string>> Dimensions(List<Dimension>? dimensions, string member)
    {
        var list = dimensions ?? [];
        if (list.Count > 30)
        {
            throw CloudWatchErrors.InvalidValue($"The collection {member} must not have a size greater than 30.");
        }

        var result = new List<KeyValuePair<string, string>>(list.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var path = CloudWatchErrors.Item(member, i);
            var name = RequireName(list[i].Name, path + ".Name");
            var value = list[i].Value ?? throw CloudWatchErrors.Missing(path + ".Value");
            if (value.Length is 0 or > 1024)
            {
                throw CloudWatchErrors.InvalidValue(path + ".Value", value);
            }

            if (!names.Add(name))
            {
                throw CloudWatchErrors.InvalidValue($"No metric may have more than one dimension named {name}: {member} repeats it.");
            }

            result.Add(new(name, value));
        }

        return result;
    }

    private static string? Unit(string? unit, string member)
    {
        if (unit is not null && Array.IndexOf(WireEnums.StandardUnit, unit) < 0)
        {
            throw CloudWatchErrors.InvalidValue(member, unit);
        }

        return unit;
    }

    [GeneratedRegex("^[a-z][a-zA-Z0-9_]*$")]
    private static partial Regex IdPattern();
}
