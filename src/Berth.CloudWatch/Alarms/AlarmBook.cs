using System.Globalization;
using Berth.CloudWatch.Api;
using Berth.CloudWatch.Model;
using Berth.CloudWatch.Store;

namespace Berth.CloudWatch.Alarms;

/// <summary>One metric alarm: its configuration as PutMetricAlarm gave it, checked, and its state.</summary>
/// <param name="Name">The alarm's name.</param>
/// <param name="Arn">Its ARN.</param>
/// <param name="Input">The request that configured it (kept for DescribeAlarms).</param>
/// <param name="Key">The metric it watches.</param>
/// <param name="Period">The metric's period.</param>
/// <param name="Rule">What it compares.</param>
/// <param name="ConfiguredAt">When it was last configured.</param>
/// <param name="State">Its state.</param>
/// <param name="Reason">Why.</param>
/// <param name="UpdatedAt">When its state was last evaluated into a change (or set).</param>
/// <param name="TransitionedAt">When its state last changed.</param>
public sealed record AlarmRecord(
    string Name,
    string Arn,
    PutMetricAlarmInput Input,
    MetricKey Key,
    TimeSpan Period,
    AlarmRule Rule,
    DateTimeOffset ConfiguredAt,
    AlarmState State,
    string Reason,
    DateTimeOffset UpdatedAt,
    DateTimeOffset TransitionedAt);

/// <summary>An alarm as another service reads it.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Arn">Its ARN.</param>
/// <param name="State">Its state after the last evaluation.</param>
/// <param name="Latest">The value of the most recent whole period with data in its evaluation range, if any.</param>
/// <param name="Threshold">Its threshold.</param>
public sealed record AlarmReading(string Name, string Arn, AlarmState State, double? Latest, double Threshold);

/// <summary>A change of one alarm's configuration made on one server, for the others (several servers).</summary>
/// <param name="Name">The alarm.</param>
/// <param name="Arn">Its ARN; null when it was deleted.</param>
/// <param name="Input">Its configuration; null when it was deleted.</param>
/// <param name="OwnedPeriod">For an alarm another service owns (<see cref="AlarmBook.PutOwned"/>), the period it is evaluated over.</param>
public sealed record AlarmChange(string Name, string? Arn, PutMetricAlarmInput? Input, TimeSpan? OwnedPeriod);

/// <summary>
/// The metric alarms, in memory beside the metrics (kept like them: not across a restart of a lone server), with
/// PutMetricAlarm's checks, DescribeAlarms, DeleteAlarms and the evaluation of every alarm on its metric
/// (<see cref="EvaluateAll"/>, run once per metric period by the server). Alarm actions are stored and shown, never
/// invoked. With several servers each keeps its own book: every configuration change is also kept as a change
/// (<see cref="RecordsChanges"/>) the server hands to the others, which <see cref="Apply"/> it; each evaluates its
/// alarms on the metrics they all share.
/// </summary>
public sealed class AlarmBook(MetricStore store, TimeProvider time)
{
    /// <summary>DescribeAlarms' default and largest page.</summary>
    public const int MaxRecords = 100;

    private readonly SortedDictionary<string, AlarmRecord> _alarms = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private List<AlarmChange> _changes = [];

    /// <summary>Whether configuration changes are also kept for <see cref="TakeChanges"/> (several servers).</summary>
    public bool RecordsChanges { get; init; }

    /// <summary>How many alarms there are.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _alarms.Count;
            }
        }
    }

    /// <summary>PutMetricAlarm: creates the alarm (INSUFFICIENT_DATA) or replaces its configuration, keeping its state.</summary>
    public EmptyResult Put(PutMetricAlarmInput input, string region, string accountId)
    {
        var (name, key, period, rule) = Check(input);
        lock (_lock)
        {
            Configure(name, $"arn:aws:cloudwatch:{region}:{accountId}:alarm:{name}", input, key, period, rule);
            Record(new AlarmChange(name, _alarms[name].Arn, input, null));
        }

        return new EmptyResult();
    }

    /// <summary>
    /// Puts an alarm another service owns (Application Auto Scaling's target-tracking alarms): PutMetricAlarm's checks,
    /// but evaluated over <paramref name="evaluationPeriod"/> instead of its Period (the metric period
    /// BERTH_METRIC_PERIOD_SECONDS sets, where the alarm says 60 s), and shown with that Period, so DescribeAlarms
    /// says what is evaluated. Its state is kept when it exists.
    /// </summary>
    public void PutOwned(PutMetricAlarmInput input, string region, string accountId, TimeSpan evaluationPeriod)
    {
        var (name, key, _, rule) = Check(input);
        input.Period = (int)evaluationPeriod.TotalSeconds;
        lock (_lock)
        {
            Configure(name, $"arn:aws:cloudwatch:{region}:{accountId}:alarm:{name}", input, key, evaluationPeriod, rule);
            Record(new AlarmChange(name, _alarms[name].Arn, input, evaluationPeriod));
        }
    }

    /// <summary>Another server's change: configured (its state kept when it exists) or removed, not kept as a change of this one.</summary>
    public void Apply(AlarmChange change)
    {
        lock (_lock)
        {
            if (change.Input is null || change.Arn is null)
            {
                _alarms.Remove(change.Name);
                return;
            }

            var (name, key, period, rule) = Check(change.Input);
            Configure(name, change.Arn, change.Input, key, change.OwnedPeriod ?? period, rule);
        }
    }

    /// <summary>Whether a change of <paramref name="name"/> made here waits in <see cref="TakeChanges"/> (another server's older one must not undo it).</summary>
    public bool HasChangeOf(string name)
    {
        lock (_lock)
        {
            return _changes.Exists(c => c.Name == name);
        }
    }

    /// <summary>The configuration changes made here since the last call, oldest first (empty unless <see cref="RecordsChanges"/>).</summary>
    public IReadOnlyList<AlarmChange> TakeChanges()
    {
        lock (_lock)
        {
            var taken = _changes;
            _changes = [];
            return taken;
        }
    }

    /// <summary>Gives back changes taken but not delivered, before any made since.</summary>
    public void ReturnChanges(IReadOnlyList<AlarmChange> changes)
    {
        lock (_lock)
        {
            _changes = [.. changes, .. _changes];
        }
    }

    // Under the lock.
    private void Configure(string name, string arn, PutMetricAlarmInput input, MetricKey key, TimeSpan period, AlarmRule rule)
    {
        var now = time.GetUtcNow();
        _alarms[name] = _alarms.TryGetValue(name, out var had)
            ? had with { Input = input, Key = key, Period = period, Rule = rule, ConfiguredAt = now }
            : new AlarmRecord(name, arn, input, key, period, rule, now, AlarmState.InsufficientData, "Unchecked: Initial alarm creation", now, now);
    }

    // Under the lock.
    private void Record(AlarmChange change)
    {
        if (RecordsChanges)
        {
            _changes.Add(change);
        }
    }

    /// <summary>Removes the named alarms that exist (an owner deleting its own; no error for one already gone).</summary>
    public void DeleteOwned(IEnumerable<string> names)
    {
        lock (_lock)
        {
            foreach (var name in names)
            {
                if (_alarms.Remove(name))
                {
                    Record(new AlarmChange(name, null, null, null));
                }
            }
        }
    }

    /// <summary>The alarm's state, threshold and most recent datapoint, or null when there is no such alarm.</summary>
    public AlarmReading? Read(string name)
    {
        AlarmRecord? alarm;
        lock (_lock)
        {
            _alarms.TryGetValue(name, out alarm);
        }

        return alarm is null ? null : Reading(alarm);
    }

    /// <summary>The alarms whose AlarmActions name <paramref name="arn"/> (a step scaling policy's alarms).</summary>
    public IReadOnlyList<AlarmReading> WithAction(string arn)
    {
        List<AlarmRecord> alarms;
        lock (_lock)
        {
            alarms = [.. _alarms.Values.Where(a => a.Input.AlarmActions?.Contains(arn) == true)];
        }

        return [.. alarms.Select(Reading)];
    }

    private AlarmReading Reading(AlarmRecord alarm)
    {
        var range = Range(alarm, time.GetUtcNow());
        var latest = range.LastOrDefault(v => v is not null);
        return new AlarmReading(alarm.Name, alarm.Arn, alarm.State, latest, alarm.Rule.Threshold);
    }

    /// <summary>DescribeAlarms: by names or name prefix, state and action prefix, in name order, paged.</summary>
    public DescribeAlarmsOutput Describe(DescribeAlarmsInput input)
    {
        if (input.AlarmNames is { Count: > 0 } && input.AlarmNamePrefix is not null)
        {
            throw CloudWatchErrors.Combination("The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both.");
        }

        if (input.AlarmNames is { Count: > MaxRecords })
        {
            throw CloudWatchErrors.InvalidValue($"The collection AlarmNames must not have a size greater than {MaxRecords}.");
        }

        if (input.StateValue is { } state && Array.IndexOf(WireEnums.StateValue, state) < 0)
        {
            throw CloudWatchErrors.InvalidValue("StateValue", state);
        }

        if (input.MaxRecords is { } max && max is < 1 or > MaxRecords)
        {
            throw CloudWatchErrors.InvalidValue("MaxRecords", max.ToString(CultureInfo.InvariantCulture));
        }

        if (input.ChildrenOfAlarmName is not null || input.ParentsOfAlarmName is not null)
        {
            throw CloudWatchErrors.InvalidValue("ChildrenOfAlarmName and ParentsOfAlarmName name composite alarms, which Berth does not have.");
        }

        var metricAlarms = input.AlarmTypes is not { Count: > 0 } types || types.Contains("MetricAlarm");
        List<AlarmRecord> matching;
        lock (_lock)
        {
            matching = [.. _alarms.Values.Where(a =>
                metricAlarms
                && (input.AlarmNames is not { Count: > 0 } names || names.Contains(a.Name))
                && (input.AlarmNamePrefix is not { } prefix || a.Name.StartsWith(prefix, StringComparison.Ordinal))
                && (input.StateValue is not { } wanted || AlarmEvaluation.Wire(a.State) == wanted)
                && (input.ActionPrefix is not { } action || Actions(a.Input).Any(x => x.StartsWith(action, StringComparison.Ordinal))))];
        }

        var offset = 0;
        if (input.NextToken is { } token && (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset > matching.Count))
        {
            throw CloudWatchErrors.NextToken();
        }

        var page = matching.Skip(offset).Take(input.MaxRecords ?? MaxRecords).ToList();
        var end = offset + page.Count;
        return new DescribeAlarmsOutput
        {
            MetricAlarms = [.. page.Select(Wire)],
            CompositeAlarms = [],
            NextToken = end < matching.Count ? end.ToString(CultureInfo.InvariantCulture) : null,
        };
    }

    /// <summary>DeleteAlarms: every named alarm, or none when one of them does not exist.</summary>
    public EmptyResult Delete(DeleteAlarmsInput input)
    {
        var names = input.AlarmNames ?? throw CloudWatchErrors.Missing("AlarmNames");
        if (names.Count > MaxRecords)
        {
            throw CloudWatchErrors.InvalidValue($"The collection AlarmNames must not have a size greater than {MaxRecords}.");
        }

        lock (_lock)
        {
            var missing = names.Where(n => !_alarms.ContainsKey(n)).ToList();
            if (missing.Count > 0)
            {
                throw new Berth.Protocol.Errors.AwsException("ResourceNotFound", $"Alarm(s) not found: {string.Join(", ", missing)}", 404);
            }

            foreach (var name in names)
            {
                _alarms.Remove(name);
                Record(new AlarmChange(name, null, null, null));
            }
        }

        return new EmptyResult();
    }

    /// <summary>Evaluates every alarm on the periods of its metric that have ended by now; returns how many changed state.</summary>
    public int EvaluateAll()
    {
        var now = time.GetUtcNow();
        List<AlarmRecord> alarms;
        lock (_lock)
        {
            alarms = [.. _alarms.Values];
        }

        var changed = 0;
        foreach (var alarm in alarms)
        {
            var verdict = AlarmEvaluation.Evaluate(alarm.Rule, Range(alarm, now), alarm.State);
            lock (_lock)
            {
                // Reconfigured or deleted meanwhile: the next round evaluates the new one.
                if (!_alarms.TryGetValue(alarm.Name, out var current) || !ReferenceEquals(current, alarm) || verdict.State == alarm.State)
                {
                    continue;
                }

                _alarms[alarm.Name] = alarm with { State = verdict.State, Reason = verdict.Reason, UpdatedAt = now, TransitionedAt = now };
                changed++;
            }
        }

        return changed;
    }

    /// <summary>An alarm's evaluation range, oldest first: the last M + 2 whole periods before now (CloudWatch looks at more periods than M when data is missing).</summary>
    internal IReadOnlyList<double?> Range(AlarmRecord alarm, DateTimeOffset now)
    {
        var seconds = (long)alarm.Period.TotalSeconds;
        var end = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() / seconds * seconds);
        var count = alarm.Rule.EvaluationPeriods + 2;
        var start = end - (alarm.Period * count);
        var statistic = alarm.Input.Statistic!;
        var groups = PeriodQuery.Group(store.Read(alarm.Key, start, end), alarm.Period, alarm.Input.Unit)
            .ToDictionary(g => g.Start, g => g.Values.Get(statistic));
        return [.. Enumerable.Range(0, count).Select(i => groups.GetValueOrDefault(start + (alarm.Period * i)))];
    }

    private static IEnumerable<string> Actions(PutMetricAlarmInput input)
        => (input.AlarmActions ?? []).Concat(input.OKActions ?? []).Concat(input.InsufficientDataActions ?? []);

    private static MetricAlarm Wire(AlarmRecord alarm)
    {
        var input = alarm.Input;
        return new MetricAlarm
        {
            AlarmName = alarm.Name,
            AlarmArn = alarm.Arn,
            AlarmDescription = input.AlarmDescription,
            AlarmConfigurationUpdatedTimestamp = alarm.ConfiguredAt,
            ActionsEnabled = input.ActionsEnabled ?? true,
            OKActions = input.OKActions ?? [],
            AlarmActions = input.AlarmActions ?? [],
            InsufficientDataActions = input.InsufficientDataActions ?? [],
            StateValue = AlarmEvaluation.Wire(alarm.State),
            StateReason = alarm.Reason,
            StateUpdatedTimestamp = alarm.UpdatedAt,
            StateTransitionedTimestamp = alarm.TransitionedAt,
            MetricName = input.MetricName,
            Namespace = input.Namespace,
            Statistic = input.Statistic,
            Dimensions = input.Dimensions ?? [],
            Period = input.Period,
            Unit = input.Unit,
            EvaluationPeriods = input.EvaluationPeriods,
            DatapointsToAlarm = input.DatapointsToAlarm,
            Threshold = input.Threshold,
            ComparisonOperator = input.ComparisonOperator,
            TreatMissingData = input.TreatMissingData ?? "missing",
        };
    }

    // PutMetricAlarm's checks: a single metric with a plain statistic and one of the four static comparisons.
    private static (string Name, MetricKey Key, TimeSpan Period, AlarmRule Rule) Check(PutMetricAlarmInput input)
    {
        var name = input.AlarmName ?? throw CloudWatchErrors.Missing("AlarmName");
        if (name.Length is 0 or > 255)
        {
            throw CloudWatchErrors.InvalidValue("AlarmName", name);
        }

        if (input.Metrics is { Count: > 0 } || input.ThresholdMetricId is not null || input.EvaluationCriteria is not null)
        {
            throw CloudWatchErrors.InvalidValue("Alarms on metric math, anomaly detection bands and PromQL criteria are not supported by Berth; name one metric with MetricName and Namespace.");
        }

        var metricName = input.MetricName ?? throw CloudWatchErrors.Missing("MetricName");
        var ns = input.Namespace ?? throw CloudWatchErrors.Missing("Namespace");
        if (input.ExtendedStatistic is { } extended)
        {
            throw CloudWatchErrors.InvalidValue("ExtendedStatistic", extended);
        }

        var statistic = input.Statistic ?? throw CloudWatchErrors.Missing("Statistic");
        if (Array.IndexOf(MetricRequests.KnownStatistics, statistic) < 0)
        {
            throw CloudWatchErrors.InvalidValue("Statistic", statistic);
        }

        var periodSeconds = input.Period ?? throw CloudWatchErrors.Missing("Period");
        if (periodSeconds is not (10 or 30) && (periodSeconds < 60 || periodSeconds % 60 != 0))
        {
            throw CloudWatchErrors.InvalidValue("The parameter Period must be 10, 30 or a multiple of 60.");
        }

        var m = input.EvaluationPeriods ?? throw CloudWatchErrors.Missing("EvaluationPeriods");
        if (m < 1)
        {
            throw CloudWatchErrors.InvalidValue("EvaluationPeriods", m.ToString(CultureInfo.InvariantCulture));
        }

        if ((long)m * periodSeconds > 86_400 * 7)
        {
            throw CloudWatchErrors.InvalidValue("Metrics cannot be checked across more than a week (EvaluationPeriods * Period must be <= 604800).");
        }

        var n = input.DatapointsToAlarm ?? m;
        if (n < 1 || n > m)
        {
            throw CloudWatchErrors.InvalidValue("DatapointsToAlarm must be between 1 and EvaluationPeriods.");
        }

        var threshold = input.Threshold ?? throw CloudWatchErrors.Missing("Threshold");
        var comparison = input.ComparisonOperator ?? throw CloudWatchErrors.Missing("ComparisonOperator");
        if (Array.IndexOf(AlarmEvaluation.Operators, comparison) < 0)
        {
            throw CloudWatchErrors.InvalidValue("ComparisonOperator", comparison);
        }

        var missing = input.TreatMissingData ?? "missing";
        if (Array.IndexOf(AlarmEvaluation.MissingDataTreatments, missing) < 0)
        {
            throw CloudWatchErrors.InvalidValue("TreatMissingData", missing);
        }

        if (input.Unit is { } unit && Array.IndexOf(WireEnums.StandardUnit, unit) < 0)
        {
            throw CloudWatchErrors.InvalidValue("Unit", unit);
        }

        var dimensions = (input.Dimensions ?? []).Select((d, i) => new KeyValuePair<string, string>(
            d.Name ?? throw CloudWatchErrors.Missing(CloudWatchErrors.Item("Dimensions", i) + ".Name"),
            d.Value ?? throw CloudWatchErrors.Missing(CloudWatchErrors.Item("Dimensions", i) + ".Value"))).ToList();
        if (dimensions.Count > 30)
        {
            throw CloudWatchErrors.InvalidValue("The collection Dimensions must not have a size greater than 30.");
        }

        return (name, new MetricKey(ns, metricName, dimensions), TimeSpan.FromSeconds(periodSeconds), new AlarmRule(comparison, threshold, m, n, missing));
    }
}
