using Berth.CloudWatch.Alarms;
using Berth.CloudWatch.Model;
using Berth.CloudWatch.Store;
using Berth.Protocol.Errors;
using Microsoft.Extensions.Time.Testing;

namespace Berth.CloudWatch.Tests.Alarms;

/// <summary>PutMetricAlarm / DescribeAlarms / DeleteAlarms and the evaluation of alarms on stored metrics, on a fake clock.</summary>
public sealed class AlarmBookTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private readonly FakeTimeProvider _time = new(T0);
    private readonly MetricStore _store = new(TimeSpan.FromSeconds(10));
    private readonly AlarmBook _book;

    public AlarmBookTests() => _book = new AlarmBook(_store, _time);

    private static PutMetricAlarmInput HighCpu(string name = "high-cpu") => new()
    {
        AlarmName = name,
        Namespace = "AWS/ECS",
        MetricName = "CPUUtilization",
        Dimensions = [new Dimension { Name = "ClusterName", Value = "default" }, new Dimension { Name = "ServiceName", Value = "web" }],
        Statistic = "Average",
        Period = 10,
        EvaluationPeriods = 3,
        Threshold = 50,
        ComparisonOperator = "GreaterThanThreshold",
        AlarmActions = ["arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:x"],
    };

    private void Cpu(double value, int periodsAgo)
        => _store.Put(
            new MetricKey("AWS/ECS", "CPUUtilization", [new("ClusterName", "default"), new("ServiceName", "web")]),
            _time.GetUtcNow().AddSeconds(-10 * periodsAgo), Statistics.Of(value), "Percent", _time.GetUtcNow());

    private MetricAlarm Alarm(string name = "high-cpu") => Assert.Single(_book.Describe(new DescribeAlarmsInput { AlarmNames = [name] }).MetricAlarms!);

    [Fact]
    public void A_new_alarm_is_insufficient_data_then_follows_its_metric()
    {
        _book.Put(HighCpu(), "us-east-1", "000000000000");
        var alarm = Alarm();
        Assert.Equal(("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"), (alarm.StateValue, alarm.StateReason));
        Assert.Equal("arn:aws:cloudwatch:us-east-1:000000000000:alarm:high-cpu", alarm.AlarmArn);
        Assert.Equal("missing", alarm.TreatMissingData);

        // Three whole periods above 50: ALARM.
        _time.Advance(TimeSpan.FromSeconds(1));
        Cpu(90, 1);
        Cpu(80, 2);
        Cpu(70, 3);
        Assert.Equal(1, _book.EvaluateAll());
        Assert.Equal("ALARM", Alarm().StateValue);
        Assert.Equal(_time.GetUtcNow(), Alarm().StateTransitionedTimestamp);
        Assert.Equal(0, _book.EvaluateAll());

        // One period back under: OK (3 of 3 needed).
        _time.Advance(TimeSpan.FromSeconds(10));
        Cpu(10, 1);
        _book.EvaluateAll();
        Assert.Equal("OK", Alarm().StateValue);
        Assert.StartsWith("Threshold Crossed: 1 out of the last 3 datapoints were not greater than the threshold (50.0)", Alarm().StateReason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_period_in_progress_is_not_evaluated()
    {
        _book.Put(HighCpu(), "us-east-1", "000000000000");
        _time.Advance(TimeSpan.FromSeconds(1));
        Cpu(90, 0); // the period that has not ended
        Cpu(90, 1);
        Cpu(90, 2);
        _book.EvaluateAll();
        Assert.Equal("OK", Alarm().StateValue); // 2 of 3: the in-progress period does not count
    }

    [Fact]
    public void Describe_filters_by_prefix_state_and_action_and_pages()
    {
        foreach (var name in new[] { "a-1", "a-2", "b-1" })
        {
            _book.Put(HighCpu(name), "us-east-1", "000000000000");
        }

        Assert.Equal(["a-1", "a-2"], _book.Describe(new DescribeAlarmsInput { AlarmNamePrefix = "a-" }).MetricAlarms!.Select(a => a.AlarmName));
        Assert.Equal(3, _book.Describe(new DescribeAlarmsInput { StateValue = "INSUFFICIENT_DATA" }).MetricAlarms!.Count);
        Assert.Empty(_book.Describe(new DescribeAlarmsInput { StateValue = "ALARM" }).MetricAlarms!);
        Assert.Equal(3, _book.Describe(new DescribeAlarmsInput { ActionPrefix = "arn:aws:autoscaling:" }).MetricAlarms!.Count);
        Assert.Empty(_book.Describe(new DescribeAlarmsInput { AlarmTypes = ["CompositeAlarm"] }).MetricAlarms!);
        var first = _book.Describe(new DescribeAlarmsInput { MaxRecords = 2 });
        Assert.Equal(["a-1", "a-2"], first.MetricAlarms!.Select(a => a.AlarmName));
        Assert.Equal(["b-1"], _book.Describe(new DescribeAlarmsInput { MaxRecords = 2, NextToken = first.NextToken }).MetricAlarms!.Select(a => a.AlarmName));

        var both = Assert.Throws<AwsException>(() => _book.Describe(new DescribeAlarmsInput { AlarmNames = ["a-1"], AlarmNamePrefix = "a" }));
        Assert.Equal("InvalidParameterCombination", both.ErrorType);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => _book.Describe(new DescribeAlarmsInput { StateValue = "BROKEN" })).ErrorType);
        Assert.Equal("InvalidNextToken", Assert.Throws<AwsException>(() => _book.Describe(new DescribeAlarmsInput { NextToken = "x" })).ErrorType);
    }

    [Fact]
    public void Delete_removes_all_or_nothing()
    {
        _book.Put(HighCpu("a"), "us-east-1", "000000000000");
        _book.Put(HighCpu("b"), "us-east-1", "000000000000");
        var error = Assert.Throws<AwsException>(() => _book.Delete(new DeleteAlarmsInput { AlarmNames = ["a", "nope"] }));
        Assert.Equal(("ResourceNotFound", 404), (error.ErrorType, error.StatusCode));
        Assert.Equal(2, _book.Count);
        _book.Delete(new DeleteAlarmsInput { AlarmNames = ["a", "b"] });
        Assert.Equal(0, _book.Count);
    }

    [Fact]
    public void Reconfiguring_keeps_the_state()
    {
        _book.Put(HighCpu(), "us-east-1", "000000000000");
        _time.Advance(TimeSpan.FromSeconds(1));
        Cpu(90, 1);
        Cpu(90, 2);
        Cpu(90, 3);
        _book.EvaluateAll();
        var changed = HighCpu();
        changed.Threshold = 95;
        _book.Put(changed, "us-east-1", "000000000000");
        Assert.Equal(("ALARM", 95.0), (Alarm().StateValue, Alarm().Threshold!.Value));
        _book.EvaluateAll();
        Assert.Equal("OK", Alarm().StateValue);
    }

    public static TheoryData<string, string, Action<PutMetricAlarmInput>> BadAlarms => new()
    {
        { "MissingParameter", "The parameter Threshold is required.", a => a.Threshold = null },
        { "MissingParameter", "The parameter Statistic is required.", a => a.Statistic = null },
        { "InvalidParameterValue", "The value p99 for parameter ExtendedStatistic is invalid.", a => a.ExtendedStatistic = "p99" },
        { "InvalidParameterValue", "The value LessThanLowerOrGreaterThanUpperThreshold for parameter ComparisonOperator is invalid.", a => a.ComparisonOperator = "LessThanLowerOrGreaterThanUpperThreshold" },
        { "InvalidParameterValue", "The value sometimes for parameter TreatMissingData is invalid.", a => a.TreatMissingData = "sometimes" },
        { "InvalidParameterValue", "The parameter Period must be 10, 30 or a multiple of 60.", a => a.Period = 45 },
        { "InvalidParameterValue", "DatapointsToAlarm must be between 1 and EvaluationPeriods.", a => a.DatapointsToAlarm = 4 },
        { "InvalidParameterValue", "The value 0 for parameter EvaluationPeriods is invalid.", a => a.EvaluationPeriods = 0 },
        {
            "InvalidParameterValue", "Alarms on metric math, anomaly detection bands and PromQL criteria are not supported by Berth; name one metric with MetricName and Namespace.",
            a => a.Metrics = [new MetricDataQuery { Id = "m1", Expression = "m2*2" }]
        },
    };

    [Theory]
    [MemberData(nameof(BadAlarms))]
    public void A_bad_alarm_is_refused_and_nothing_is_stored(string code, string message, Action<PutMetricAlarmInput> spoil)
    {
        var input = HighCpu();
        spoil(input);
        var error = Assert.Throws<AwsException>(() => _book.Put(input, "us-east-1", "000000000000"));
        Assert.Equal((code, message), (error.ErrorType, error.Message));
        Assert.Equal(0, _book.Count);
    }

    [Fact]
    public void An_owned_alarm_shows_the_period_it_is_evaluated_over()
    {
        var input = HighCpu("owned");
        input.Period = 60;

        _book.PutOwned(input, "us-east-1", "000000000000", TimeSpan.FromSeconds(10));

        Assert.Equal(10, Alarm("owned").Period);
    }
}
