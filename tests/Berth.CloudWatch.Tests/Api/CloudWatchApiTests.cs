using Berth.CloudWatch.Model;
using Berth.CloudWatch.Store;
using Berth.Protocol.Errors;
using Microsoft.Extensions.Time.Testing;

namespace Berth.CloudWatch.Tests.Api;

/// <summary>Each operation's answers and CloudWatch's errors for bad input (and that a refused put stores nothing).</summary>
public sealed class CloudWatchApiTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly MetricStore _store = new(TimeSpan.FromSeconds(60));

    private CloudWatchApi Api => new(_store, _time);

    private static MetricDatum Datum(string name, double? value = null, params (string Name, string Value)[] dimensions) => new()
    {
        MetricName = name,
        Value = value,
        Dimensions = [.. dimensions.Select(d => new Dimension { Name = d.Name, Value = d.Value })],
    };

    private static void Refused(string code, string message, Action action)
    {
        var error = Assert.ThrowsAny<AwsException>(action);
        Assert.Equal((code, message), (error.ErrorType, error.Message));
    }

    [Fact]
    public void A_put_value_comes_back_with_every_statistic()
    {
        Api.PutMetricData(new PutMetricDataInput
        {
            Namespace = "App",
            MetricData =
            [
                Datum("Latency", 10, ("Svc", "a")),
                new MetricDatum { MetricName = "Latency", Dimensions = [new Dimension { Name = "Svc", Value = "a" }], Values = [1, 2], Counts = [1, 3], Unit = "Milliseconds" },
                new MetricDatum { MetricName = "Latency", Dimensions = [new Dimension { Name = "Svc", Value = "a" }], StatisticValues = new StatisticSet { SampleCount = 4, Sum = 40, Minimum = 5, Maximum = 15 }, Timestamp = Now.AddMinutes(1) },
            ],
        });
        var all = Api.GetMetricStatistics(new GetMetricStatisticsInput
        {
            Namespace = "App",
            MetricName = "Latency",
            Dimensions = [new Dimension { Name = "Svc", Value = "a" }],
            StartTime = Now.AddMinutes(-5),
            EndTime = Now.AddMinutes(5),
            Period = 300,
            Statistics = ["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
        });
        Assert.Equal("Latency", all.Label);
        var point = Assert.Single(all.Datapoints!);
        Assert.Equal((9.0, 57.0, 1.0, 15.0), (point.SampleCount!.Value, point.Sum!.Value, point.Minimum!.Value, point.Maximum!.Value));
        Assert.Equal(57 / 9.0, point.Average!.Value, 9);
        Assert.Equal(Now, point.Timestamp);

        var perMinute = Api.GetMetricStatistics(new GetMetricStatisticsInput
        {
            Namespace = "App",
            MetricName = "Latency",
            Dimensions = [new Dimension { Name = "Svc", Value = "a" }],
            StartTime = Now.AddMinutes(-5),
            EndTime = Now.AddMinutes(5),
            Period = 60,
            Statistics = ["Sum"],
            Unit = "Milliseconds",
        });
        Assert.Equal(7.0, Assert.Single(perMinute.Datapoints!).Sum);
        Assert.Null(perMinute.Datapoints![0].Average);
    }

    public static TheoryData<string, string, PutMetricDataInput> BadPuts => new()
    {
        { "MissingParameter", "The parameter MetricData is required.", new PutMetricDataInput { Namespace = "App" } },
        { "InvalidParameterValue", "The value AWS/ECS for parameter Namespace is invalid.", new PutMetricDataInput { Namespace = "AWS/ECS", MetricData = [Datum("M", 1)] } },
        { "MissingParameter", "The parameter MetricData.member.2.MetricName is required.", new PutMetricDataInput { Namespace = "App", MetricData = [Datum("M", 1), new MetricDatum { Value = 1 }] } },
        { "MissingParameter", "The parameter MetricData.member.1.Value is required.", new PutMetricDataInput { Namespace = "App", MetricData = [Datum("M")] } },
        {
            "InvalidParameterCombination", "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both.",
            new PutMetricDataInput { Namespace = "App", MetricData = [new MetricDatum { MetricName = "M", Value = 1, StatisticValues = new StatisticSet { SampleCount = 1, Sum = 1, Minimum = 1, Maximum = 1 } }] }
        },
        {
            "InvalidParameterValue", "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.",
            new PutMetricDataInput { Namespace = "App", MetricData = [new MetricDatum { MetricName = "M", Values = [1, 2], Counts = [1] }] }
        },
        {
            "InvalidParameterValue", "The parameter MetricData.member.1.Timestamp must specify a time no more than two weeks in the past.",
            new PutMetricDataInput { Namespace = "App", MetricData = [new MetricDatum { MetricName = "M", Value = 1, Timestamp = Now.AddDays(-15) }] }
        },
        {
            "InvalidParameterValue", "The parameter MetricData.member.1.Timestamp must specify a time no more than two hours in the future.",
            new PutMetricDataInput { Namespace = "App", MetricData = [new MetricDatum { MetricName = "M", Value = 1, Timestamp = Now.AddHours(3) }] }
        },
        { "InvalidParameterValue", "The value Parsecs for parameter MetricData.member.1.Unit is invalid.", new PutMetricDataInput { Namespace = "App", MetricData = [Datum("M", 1)] } },
        {
            "InvalidParameterValue", "The parameter MetricData.member.1.StatisticValues.Maximum must be greater than or equal to the parameter MetricData.member.1.StatisticValues.Minimum.",
            new PutMetricDataInput { Namespace = "App", MetricData = [new MetricDatum { MetricName = "M", StatisticValues = new StatisticSet { SampleCount = 1, Sum = 1, Minimum = 2, Maximum = 1 } }] }
        },
        { "InvalidParameterValue", "The value 1E+200 for parameter MetricData.member.1.Value is invalid.", new PutMetricDataInput { Namespace = "App", MetricData = [Datum("M", 1e200)] } },
        { "MissingParameter", "The parameter MetricData.member.1.Dimensions.member.1.Value is required.", new PutMetricDataInput { Namespace = "App", MetricData = [new MetricDatum { MetricName = "M", Value = 1, Dimensions = [new Dimension { Name = "A" }] }] } },
        { "InvalidParameterValue", "The value 7 for parameter MetricData.member.1.StorageResolution is invalid.", new PutMetricDataInput { Namespace = "App", MetricData = [new MetricDatum { MetricName = "M", Value = 1, StorageResolution = 7 }] } },
    };

    [Theory]
    [MemberData(nameof(BadPuts))]
    public void A_bad_put_is_refused_whole(string code, string message, PutMetricDataInput input)
    {
        if (message.Contains("Parsecs", StringComparison.Ordinal))
        {
            input.MetricData![0].Unit = "Parsecs";
        }

        // A good value before the bad one: nothing of the request is stored.
        input.MetricData?.Insert(0, Datum("Good", 1));
        var shifted = message.Replace("MetricData.member.2.", "MetricData.member.3.", StringComparison.Ordinal).Replace("MetricData.member.1.", "MetricData.member.2.", StringComparison.Ordinal);
        Refused(code, input.MetricData is null ? message : shifted, () => Api.PutMetricData(input));
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public void Bad_statistics_requests_get_CloudWatchs_errors()
    {
        Refused("MissingParameter", "The parameter Statistics is required.", () => Api.GetMetricStatistics(Query()));
        Refused("InvalidParameterValue", "The value p99 for parameter Statistics.member.1 is invalid.", () => Api.GetMetricStatistics(Query("p99")));
        var backwards = Query("Average");
        backwards.EndTime = backwards.StartTime;
        Refused("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.", () => Api.GetMetricStatistics(backwards));
        var odd = Query("Average");
        odd.Period = 90;
        Refused("InvalidParameterValue", "The parameter Period must be a multiple of 60, or one of 1, 5, 10 and 30 for a high-resolution metric.", () => Api.GetMetricStatistics(odd));
        var many = Query("Average");
        many.StartTime = Now.AddDays(-2);
        many.EndTime = Now;
        Refused(
            "InvalidParameterCombination",
            "You have requested up to 2,880 datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
            () => Api.GetMetricStatistics(many));
        var percentile = Query();
        percentile.ExtendedStatistics = ["p99"];
        Refused("InvalidParameterValue", "The value p99 for parameter ExtendedStatistics.member.1 is invalid.", () => Api.GetMetricStatistics(percentile));
    }

    [Fact]
    public void GetMetricData_pages_by_MaxDatapoints_newest_first_and_refuses_metric_math()
    {
        for (var minute = 0; minute < 5; minute++)
        {
            Api.PutMetricData(new PutMetricDataInput { Namespace = "App", MetricData = [new MetricDatum { MetricName = "Hits", Value = minute, Timestamp = Now.AddMinutes(-minute) }] });
        }

        GetMetricDataInput Request(string? token) => new()
        {
            MetricDataQueries =
            [
                new MetricDataQuery { Id = "hits", MetricStat = new MetricStat { Metric = new Metric { Namespace = "App", MetricName = "Hits" }, Period = 60, Stat = "Sum" } },
                new MetricDataQuery { Id = "count", Label = "n", MetricStat = new MetricStat { Metric = new Metric { Namespace = "App", MetricName = "Hits" }, Period = 120, Stat = "SampleCount" } },
            ],
            StartTime = Now.AddMinutes(-10),
            EndTime = Now.AddMinutes(1),
            MaxDatapoints = 3,
            NextToken = token,
        };
        var first = Api.GetMetricData(Request(null));
        var hits = Assert.Single(first.MetricDataResults!);
        Assert.Equal(("hits", "Hits", "PartialData"), (hits.Id, hits.Label, hits.StatusCode));
        Assert.Equal([0.0, 1, 2], hits.Values);
        Assert.Equal([Now, Now.AddMinutes(-1), Now.AddMinutes(-2)], hits.Timestamps!.Select(t => t));
        Assert.NotNull(first.NextToken);

        var second = Api.GetMetricData(Request(first.NextToken));
        Assert.Equal(["hits", "count"], second.MetricDataResults!.Select(r => r.Id));
        Assert.Equal([3.0, 4], second.MetricDataResults![0].Values);
        Assert.Equal("Complete", second.MetricDataResults[0].StatusCode);
        Assert.Equal(("n", "PartialData"), (second.MetricDataResults[1].Label, second.MetricDataResults[1].StatusCode));
        Assert.Equal([1.0], second.MetricDataResults[1].Values);

        var third = Api.GetMetricData(Request(second.NextToken));
        Assert.Equal([2.0, 2], Assert.Single(third.MetricDataResults!).Values);
        Assert.Null(third.NextToken);

        Refused("InvalidNextToken", "The service couldn't process the provided next token.", () => Api.GetMetricData(Request("nonsense")));
        var math = Request(null);
        math.MetricDataQueries![1] = new MetricDataQuery { Id = "total", Expression = "SUM(METRICS())" };
        Refused(
            "InvalidParameterValue",
            "The value SUM(METRICS()) for parameter MetricDataQueries.member.2.Expression is invalid: metric math and Metrics Insights queries are not supported by Berth; use MetricStat.",
            () => Api.GetMetricData(math));
        var twice = Request(null);
        twice.MetricDataQueries![1].Id = "hits";
        Refused("InvalidParameterValue", "The values for parameter id in MetricDataQueries are not unique.", () => Api.GetMetricData(twice));
        var badId = Request(null);
        badId.MetricDataQueries![0].Id = "Hits";
        Refused("InvalidParameterValue", "The value Hits for parameter MetricDataQueries.member.1.Id is invalid. It must start with a lowercase letter and contain only letters, numbers and underscores.", () => Api.GetMetricData(badId));
        var percentile = Request(null);
        percentile.MetricDataQueries![0].MetricStat!.Stat = "p90";
        Refused("InvalidParameterValue", "The value p90 for parameter MetricDataQueries.member.1.MetricStat.Stat is invalid: Berth answers Average, Minimum, Maximum, Sum and SampleCount.", () => Api.GetMetricData(percentile));
    }

    [Fact]
    public void ListMetrics_filters_by_namespace_name_and_dimensions()
    {
        Api.PutMetricData(new PutMetricDataInput
        {
            Namespace = "App",
            MetricData = [Datum("Hits", 1, ("Svc", "a")), Datum("Hits", 1, ("Svc", "b"), ("Az", "1")), Datum("Errors", 1, ("Svc", "a"))],
        });
        Api.PutMetricData(new PutMetricDataInput { Namespace = "Other", MetricData = [Datum("Hits", 1)] });

        string Names(ListMetricsInput input) => string.Join(" ", Api.ListMetrics(input).Metrics!.Select(m => $"{m.Namespace}/{m.MetricName}[{string.Join(",", m.Dimensions!.Select(d => d.Name + "=" + d.Value))}]"));
        Assert.Equal("App/Errors[Svc=a] App/Hits[Az=1,Svc=b] App/Hits[Svc=a] Other/Hits[]", Names(new ListMetricsInput()));
        Assert.Equal("App/Hits[Az=1,Svc=b] App/Hits[Svc=a]", Names(new ListMetricsInput { Namespace = "App", MetricName = "Hits" }));
        Assert.Equal("App/Errors[Svc=a] App/Hits[Svc=a]", Names(new ListMetricsInput { Dimensions = [new DimensionFilter { Name = "Svc", Value = "a" }] }));
        Assert.Equal("App/Hits[Az=1,Svc=b]", Names(new ListMetricsInput { Dimensions = [new DimensionFilter { Name = "Az" }] }));
        Assert.Equal("App/Errors[Svc=a] App/Hits[Az=1,Svc=b] App/Hits[Svc=a] Other/Hits[]", Names(new ListMetricsInput { RecentlyActive = "PT3H" }));
        Refused("InvalidParameterValue", "The value P1D for parameter RecentlyActive is invalid.", () => Api.ListMetrics(new ListMetricsInput { RecentlyActive = "P1D" }));
        Refused("InvalidNextToken", "The service couldn't process the provided next token.", () => Api.ListMetrics(new ListMetricsInput { NextToken = "x" }));
    }

    private static GetMetricStatisticsInput Query(params string[] statistics) => new()
    {
        Namespace = "App",
        MetricName = "Latency",
        StartTime = Now.AddMinutes(-5),
        EndTime = Now,
        Period = 60,
        Statistics = statistics.Length == 0 ? null : [.. statistics],
    };
}
