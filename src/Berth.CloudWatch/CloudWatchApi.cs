using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using Berth.CloudWatch.Alarms;
using Berth.CloudWatch.Api;
using Berth.CloudWatch.Model;
using Berth.CloudWatch.Store;
using Berth.Protocol.Dispatch;

namespace Berth.CloudWatch;

/// <summary>
/// CloudWatch's metric operations on the dispatch table (target prefix <c>GraniteServiceVersion20100801</c>, signing
/// name <c>monitoring</c>): PutMetricData, GetMetricStatistics, GetMetricData (MetricStat queries) and ListMetrics over
/// one <see cref="MetricStore"/>, and PutMetricAlarm, DescribeAlarms and DeleteAlarms over an <see cref="AlarmBook"/>. The Smithy RPC v2 CBOR edge and AWS JSON 1.0 both reach them through the table.
/// </summary>
public sealed class CloudWatchApi(MetricStore store, TimeProvider time)
{
    /// <summary>GetMetricData's default MaxDatapoints.</summary>
    public const int DefaultMaxDatapoints = 100_800;

    /// <summary>ListMetrics' page size.</summary>
    public const int ListPageSize = 500;

    private static readonly WireJsonContext Json = WireJsonContext.Default;

    /// <summary>The alarms; without them the alarm operations are not registered.</summary>
    public AlarmBook? Alarms { get; init; }

    /// <summary>Adds the operations to <paramref name="table"/>.</summary>
    public void Register(DispatchTable table)
    {
        Add(table, "PutMetricData", Json.PutMetricDataInput, EmptyResultJsonContext.Default.EmptyResult, (_, input) => ValueTask.FromResult(PutMetricData(input)));
        Add(table, "GetMetricStatistics", Json.GetMetricStatisticsInput, Json.GetMetricStatisticsOutput, (_, input) => ValueTask.FromResult(GetMetricStatistics(input)));
        Add(table, "GetMetricData", Json.GetMetricDataInput, Json.GetMetricDataOutput, (_, input) => ValueTask.FromResult(GetMetricData(input)));
        Add(table, "ListMetrics", Json.ListMetricsInput, Json.ListMetricsOutput, (_, input) => ValueTask.FromResult(ListMetrics(input)));
        if (Alarms is { } alarms)
        {
            var empty = EmptyResultJsonContext.Default.EmptyResult;
            Add(table, "PutMetricAlarm", Json.PutMetricAlarmInput, empty, (context, input) => ValueTask.FromResult(alarms.Put(input, context.Region, context.AccountId)));
            Add(table, "DescribeAlarms", Json.DescribeAlarmsInput, Json.DescribeAlarmsOutput, (_, input) => ValueTask.FromResult(alarms.Describe(input)));
            Add(table, "DeleteAlarms", Json.DeleteAlarmsInput, empty, (_, input) => ValueTask.FromResult(alarms.Delete(input)));
        }
    }

    /// <summary>PutMetricData: every value checked first, then all stored.</summary>
    public EmptyResult PutMetricData(PutMetricDataInput input)
    {
        var now = time.GetUtcNow();
        foreach (var put in MetricRequests.Put(input, now))
        {
            store.Put(put.Key, put.At, put.Values, put.Unit, now);
        }

        return new EmptyResult();
    }

    /// <summary>GetMetricStatistics: the asked statistics of each period with data, oldest first.</summary>
    public GetMetricStatisticsOutput GetMetricStatistics(GetMetricStatisticsInput input)
    {
        var (key, period, statistics, unit) = MetricRequests.StatisticsQuery(input);
        var (start, end) = MetricRequests.Range(input.StartTime, input.EndTime);
        var datapoints = new List<Datapoint>();
        foreach (var group in PeriodQuery.Group(store.Read(key, start, end), period, unit))
        {
            var point = new Datapoint { Timestamp = group.Start, Unit = group.Unit };
            foreach (var statistic in statistics)
            {
                var value = group.Values.Get(statistic);
                switch (statistic)
                {
                    case "Average": point.Average = value; break;
                    case "Sum": point.Sum = value; break;
                    case "Minimum": point.Minimum = value; break;
                    case "Maximum": point.Maximum = value; break;
                    case "SampleCount": point.SampleCount = value; break;
                }
            }

            datapoints.Add(point);
        }

        return new GetMetricStatisticsOutput { Label = key.MetricName, Datapoints = datapoints };
    }

    /// <summary>GetMetricData: each MetricStat query's values per period, at most MaxDatapoints values per page.</summary>
    public GetMetricDataOutput GetMetricData(GetMetricDataInput input)
    {
        var queries = MetricRequests.Queries(input);
        var (start, end) = MetricRequests.Range(input.StartTime, input.EndTime);
        var ascending = input.ScanBy == "TimestampAscending";
        var (first, offset) = ParseToken(input.NextToken, queries.Count);
        var room = input.MaxDatapoints ?? DefaultMaxDatapoints;
        var results = new List<MetricDataResult>();
        string? next = null;
        for (var q = first; q < queries.Count; q++)
        {
            var query = queries[q];
            if (!query.ReturnData)
            {
                continue;
            }

            var groups = PeriodQuery.Group(store.Read(query.Key, start, end), query.Period, query.Unit);
            var points = ascending ? groups : groups.Reverse().ToList();
            var skip = q == first ? offset : 0;
            if (skip > points.Count)
            {
                throw CloudWatchErrors.NextToken();
            }

            var take = Math.Min(room, points.Count - skip);
            var page = points.Skip(skip).Take(take).ToList();
            var complete = skip + take == points.Count;
            results.Add(new MetricDataResult
            {
                Id = query.Id,
                Label = query.Label,
                Timestamps = [.. page.Select(p => p.Start)],
                Values = [.. page.Select(p => p.Values.Get(query.Stat)!.Value)],
                StatusCode = complete ? "Complete" : "PartialData",
                Messages = [],
            });
            room -= take;
            if (!complete)
            {
                next = $"v1.{q}.{skip + take}";
                break;
            }
        }

        return new GetMetricDataOutput { MetricDataResults = results, NextToken = next, Messages = [] };
    }

    /// <summary>ListMetrics: the metrics matching the filters, 500 per page, ordered by namespace, name and dimensions.</summary>
    public ListMetricsOutput ListMetrics(ListMetricsInput input)
    {
        var filters = MetricRequests.Filters(input);
        var now = time.GetUtcNow();
        var matching = store.Metrics()
            .Where(m => input.Namespace is null || m.Key.Namespace == input.Namespace)
            .Where(m => input.MetricName is null || m.Key.MetricName == input.MetricName)
            .Where(m => input.RecentlyActive is null || m.LastPut >= now - TimeSpan.FromHours(3))
            .Where(m => filters.All(f => m.Key.Dimensions.Any(d => d.Key == f.Name && (f.Value is null || d.Value == f.Value))))
            .ToList();
        var (_, offset) = ParseToken(input.NextToken is null ? null : "v1.0." + input.NextToken, 1);
        if (offset > matching.Count)
        {
            throw CloudWatchErrors.NextToken();
        }

        var page = matching.Skip(offset).Take(ListPageSize).Select(m => new Metric
        {
            Namespace = m.Key.Namespace,
            MetricName = m.Key.MetricName,
            Dimensions = [.. m.Key.Dimensions.Select(d => new Dimension { Name = d.Key, Value = d.Value })],
        }).ToList();
        var end = offset + page.Count;
        return new ListMetricsOutput { Metrics = page, NextToken = end < matching.Count ? end.ToString(CultureInfo.InvariantCulture) : null };
    }

    // Tokens are "v1.QUERY.OFFSET": the query and the position in its values where the next page starts.
    private static (int Query, int Offset) ParseToken(string? token, int queries)
    {
        if (token is null)
        {
            return (0, 0);
        }

        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0] != "v1"
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var query)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            || query >= queries)
        {
            throw CloudWatchErrors.NextToken();
        }

        return (query, offset);
    }

    private static void Add<TIn, TOut>(DispatchTable table, string name, JsonTypeInfo<TIn> input, JsonTypeInfo<TOut> output, Func<RequestContext, TIn, ValueTask<TOut>> handler)
        where TIn : class, new()
        => table.Add(WireOperations.TargetPrefix, name, WireOperations.SigningName, input, output, (context, request) =>
        {
            // CloudWatch names a missing member MissingParameter, not ECS's InvalidParameterException.
            RequiredMembers.Check(request, input, WireRequired.ByType, missing: path => CloudWatchErrors.Missing(CloudWatchErrors.MemberName(path)));
            return handler(context, request);
        });
}
