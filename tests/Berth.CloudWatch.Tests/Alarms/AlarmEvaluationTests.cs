using Berth.CloudWatch.Alarms;

namespace Berth.CloudWatch.Tests.Alarms;

/// <summary>
/// Alarm evaluation as tables. Ranges are written oldest first as CloudWatch's documentation draws them: <c>X</c> a
/// breaching datapoint (90 against a threshold of 50), <c>0</c> a datapoint within it (10), <c>-</c> a period without data.
/// </summary>
public sealed class AlarmEvaluationTests
{
    private static double?[] Range(string pattern) => [.. pattern.Split(' ').Select(p => p switch { "X" => 90.0, "0" => 10.0, _ => (double?)null })];

    private static AlarmRule Rule(int m, int n, string missing, string comparison = "GreaterThanThreshold", double threshold = 50)
        => new(comparison, threshold, m, n, missing);

    public static TheoryData<string, int, int, string, AlarmState, AlarmState> Table => new()
    {
        // CloudWatch's own example, 3 of 3: with at least M real datapoints the M most recent decide, whatever the treatment.
        { "0 - X - X", 3, 3, "missing", AlarmState.Ok, AlarmState.Ok },
        { "0 - X - X", 3, 3, "ignore", AlarmState.Alarm, AlarmState.Ok },
        { "0 - X - X", 3, 3, "breaching", AlarmState.Ok, AlarmState.Ok },
        { "0 - X - X", 3, 3, "notBreaching", AlarmState.Ok, AlarmState.Ok },
        { "0 X X - X", 3, 3, "missing", AlarmState.Ok, AlarmState.Alarm },
        { "0 X X - X", 3, 3, "notBreaching", AlarmState.Ok, AlarmState.Alarm },

        // Nothing at all: missing → INSUFFICIENT_DATA, ignore keeps the state, the others fill every period.
        { "- - - - -", 3, 3, "missing", AlarmState.Ok, AlarmState.InsufficientData },
        { "- - - - -", 3, 3, "ignore", AlarmState.Alarm, AlarmState.Alarm },
        { "- - - - -", 3, 3, "ignore", AlarmState.InsufficientData, AlarmState.InsufficientData },
        { "- - - - -", 3, 3, "breaching", AlarmState.Ok, AlarmState.Alarm },
        { "- - - - -", 3, 3, "notBreaching", AlarmState.Alarm, AlarmState.Ok },

        // Too few datapoints: filled in as few times as make M, every real one counted.
        { "- - - - 0", 3, 3, "breaching", AlarmState.Ok, AlarmState.Ok },
        { "- - X - -", 3, 3, "breaching", AlarmState.Ok, AlarmState.Alarm },
        { "- - X - -", 3, 3, "notBreaching", AlarmState.Alarm, AlarmState.Ok },
        { "- - X - -", 3, 1, "missing", AlarmState.Ok, AlarmState.Alarm },
        { "- - X - -", 3, 3, "missing", AlarmState.Alarm, AlarmState.Ok },
        { "- - X - -", 3, 3, "ignore", AlarmState.InsufficientData, AlarmState.InsufficientData },

        // DatapointsToAlarm below EvaluationPeriods: N of the last M.
        { "X 0 X 0 X", 5, 3, "missing", AlarmState.Ok, AlarmState.Alarm },
        { "X 0 X 0 0", 5, 3, "missing", AlarmState.Alarm, AlarmState.Ok },
        { "X X X 0 0", 3, 2, "missing", AlarmState.Alarm, AlarmState.Ok },
        { "0 0 0 X X", 3, 2, "missing", AlarmState.Ok, AlarmState.Alarm },

        // Target tracking's shapes: scale-out on 3 of 3, scale-in on 15 of 15.
        { "0 X X X", 3, 3, "missing", AlarmState.Ok, AlarmState.Alarm },
        { "X X 0 X", 3, 3, "missing", AlarmState.Alarm, AlarmState.Ok },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void The_range_decides_the_state(string range, int m, int n, string missing, AlarmState current, AlarmState expected)
        => Assert.Equal(expected, AlarmEvaluation.Evaluate(Rule(m, n, missing), Range(range), current).State);

    [Theory]
    [InlineData("GreaterThanOrEqualToThreshold", 50, true)]
    [InlineData("GreaterThanOrEqualToThreshold", 49.9, false)]
    [InlineData("GreaterThanThreshold", 50, false)]
    [InlineData("GreaterThanThreshold", 50.1, true)]
    [InlineData("LessThanThreshold", 50, false)]
    [InlineData("LessThanThreshold", 49.9, true)]
    [InlineData("LessThanOrEqualToThreshold", 50, true)]
    [InlineData("LessThanOrEqualToThreshold", 50.1, false)]
    public void Each_operator_compares_as_named(string comparison, double value, bool breaches)
        => Assert.Equal(breaches, AlarmEvaluation.Breaches(Rule(1, 1, "missing", comparison), value));

    [Fact]
    public void Fifteen_of_fifteen_low_datapoints_scale_in_and_fourteen_do_not()
    {
        var rule = Rule(15, 15, "missing", "LessThanThreshold", 45);
        Assert.Equal(AlarmState.Alarm, AlarmEvaluation.Evaluate(rule, [.. Enumerable.Repeat<double?>(10, 15)], AlarmState.Ok).State);
        Assert.Equal(AlarmState.Ok, AlarmEvaluation.Evaluate(rule, [.. Enumerable.Repeat<double?>(10, 14), 50], AlarmState.Alarm).State);
    }

    [Fact]
    public void The_reason_says_what_crossed()
    {
        var verdict = AlarmEvaluation.Evaluate(Rule(3, 3, "missing"), Range("X X X"), AlarmState.Ok);
        Assert.Equal("Threshold Crossed: 3 out of the last 3 datapoints were greater than the threshold (50.0) (minimum 3 datapoints for OK -> ALARM transition).", verdict.Reason);
    }
}
