namespace Berth.CloudWatch.Alarms;

/// <summary>An alarm's state, as CloudWatch names it.</summary>
public enum AlarmState
{
    /// <summary><c>INSUFFICIENT_DATA</c>: not enough data to decide (every alarm's first state).</summary>
    InsufficientData,

    /// <summary><c>OK</c>: within the threshold.</summary>
    Ok,

    /// <summary><c>ALARM</c>: breaching.</summary>
    Alarm,
}

/// <summary>What an alarm compares, and how it treats periods without data.</summary>
/// <param name="ComparisonOperator">GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold.</param>
/// <param name="Threshold">The threshold.</param>
/// <param name="EvaluationPeriods">M: how many of the most recent periods are evaluated.</param>
/// <param name="DatapointsToAlarm">N: how many of those must breach for ALARM (M when not given).</param>
/// <param name="TreatMissingData">missing (the default), ignore, breaching or notBreaching.</param>
public sealed record AlarmRule(string ComparisonOperator, double Threshold, int EvaluationPeriods, int DatapointsToAlarm, string TreatMissingData);

/// <summary>The outcome of one evaluation: the state and CloudWatch's kind of reason.</summary>
/// <param name="State">The new state (the current one when the rule says to keep it).</param>
/// <param name="Reason">Why, in words like CloudWatch's StateReason.</param>
public sealed record AlarmVerdict(AlarmState State, string Reason);

/// <summary>
/// CloudWatch's alarm evaluation as a pure function of the periods' values (oldest first, null for a period without
/// data) over the evaluation range, as CloudWatch documents it: when at least M periods have data, the M most recent
/// of them decide and missing ones are not looked at; with fewer, the missing periods nearest the present are filled
/// in, as few as needed to make M, by TreatMissingData — <c>breaching</c> and <c>notBreaching</c> as such,
/// <c>ignore</c> keeps the current state, <c>missing</c> decides on the data there is and goes INSUFFICIENT_DATA when
/// there is none. ALARM when at least N of the M breach, OK otherwise.
/// </summary>
public static class AlarmEvaluation
{
    /// <summary>The comparison operators evaluated here (anomaly-detection bands are not).</summary>
    public static readonly string[] Operators = ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"];

    /// <summary>The TreatMissingData values.</summary>
    public static readonly string[] MissingDataTreatments = ["missing", "ignore", "breaching", "notBreaching"];

    /// <summary>The state <paramref name="rule"/> gives <paramref name="range"/> (oldest first) when the alarm is in <paramref name="current"/>.</summary>
    public static AlarmVerdict Evaluate(AlarmRule rule, IReadOnlyList<double?> range, AlarmState current)
    {
        var m = rule.EvaluationPeriods;
        var n = rule.DatapointsToAlarm;
        var present = range.Where(v => v is not null).Select(v => v!.Value).ToList();
        List<bool> breaches;
        if (present.Count >= m)
        {
            breaches = [.. present.Skip(present.Count - m).Select(v => Breaches(rule, v))];
        }
        else
        {
            switch (rule.TreatMissingData)
            {
                case "ignore":
                    return new AlarmVerdict(current, $"{Describe(present.Count, m)}: missing data is ignored, the state is kept.");
                case "missing" when present.Count == 0:
                    return new AlarmVerdict(AlarmState.InsufficientData, $"Insufficient Data: {m} datapoint{(m == 1 ? "" : "s")} were unknown.");
                case "missing":
                    breaches = [.. present.Select(v => Breaches(rule, v))];
                    break;
                default:
                    // Fill in as few missing periods as make M, every real datapoint counted.
                    var filled = rule.TreatMissingData == "breaching";
                    breaches = [.. present.Select(v => Breaches(rule, v)), .. Enumerable.Repeat(filled, m - present.Count)];
                    break;
            }
        }

        var breaching = breaches.Count(b => b);
        return breaching >= n
            ? new AlarmVerdict(AlarmState.Alarm, $"Threshold Crossed: {breaching} out of the last {breaches.Count} datapoints {Verb(rule.ComparisonOperator, true)} the threshold ({Format(rule.Threshold)}) (minimum {n} datapoint{(n == 1 ? "" : "s")} for OK -> ALARM transition).")
            : new AlarmVerdict(AlarmState.Ok, $"Threshold Crossed: {breaches.Count - breaching} out of the last {breaches.Count} datapoints {Verb(rule.ComparisonOperator, false)} the threshold ({Format(rule.Threshold)}) (minimum {breaches.Count - n + 1} datapoint{(breaches.Count - n + 1 == 1 ? "" : "s")} for ALARM -> OK transition).");
    }

    /// <summary>Whether <paramref name="value"/> breaches the rule's threshold.</summary>
    public static bool Breaches(AlarmRule rule, double value) => rule.ComparisonOperator switch
    {
        "GreaterThanOrEqualToThreshold" => value >= rule.Threshold,
        "GreaterThanThreshold" => value > rule.Threshold,
        "LessThanThreshold" => value < rule.Threshold,
        "LessThanOrEqualToThreshold" => value <= rule.Threshold,
        _ => throw new ArgumentException($"Unknown comparison operator {rule.ComparisonOperator}.", nameof(rule)),
    };

    /// <summary>The state's name on the wire.</summary>
    public static string Wire(AlarmState state) => state switch
    {
        AlarmState.Ok => "OK",
        AlarmState.Alarm => "ALARM",
        _ => "INSUFFICIENT_DATA",
    };

    private static string Describe(int present, int m) => $"{present} of {m} datapoints";

    private static string Verb(string comparison, bool breaching) => (comparison, breaching) switch
    {
        ("GreaterThanOrEqualToThreshold", true) => "were greater than or equal to",
        ("GreaterThanOrEqualToThreshold", false) => "were not greater than or equal to",
        ("GreaterThanThreshold", true) => "were greater than",
        ("GreaterThanThreshold", false) => "were not greater than",
        ("LessThanThreshold", true) => "were less than",
        ("LessThanThreshold", false) => "were not less than",
        ("LessThanOrEqualToThreshold", true) => "were less than or equal to",
        _ => "were not less than or equal to",
    };

    private static string Format(double value) => value.ToString("0.0##############", System.Globalization.CultureInfo.InvariantCulture);
}
