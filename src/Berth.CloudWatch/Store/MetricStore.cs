namespace Berth.CloudWatch.Store;

/// <summary>One stored period of a metric: its start and its statistics, with the unit they were reported in.</summary>
/// <param name="Start">The period's start.</param>
/// <param name="Values">The statistics of the values reported in it.</param>
/// <param name="Unit">The unit the values were reported with (<c>None</c> when none was given).</param>
public readonly record struct StoredPeriod(DateTimeOffset Start, Statistics Values, string Unit);

/// <summary>What one server added to one period of a metric since its changes were last taken (several servers share them).</summary>
/// <param name="Key">The metric.</param>
/// <param name="PeriodStart">The storage period's start, in Unix seconds.</param>
/// <param name="Unit">The unit the values were reported with.</param>
/// <param name="Values">The statistics of the values added.</param>
public readonly record struct MetricChange(MetricKey Key, long PeriodStart, string Unit, Statistics Values);

/// <summary>
/// The metrics, in memory: each metric keeps one statistic set per storage period (the metric period, 60 s as in
/// CloudWatch unless <c>BERTH_METRIC_PERIOD_SECONDS</c> shortens it), for <see cref="Retention"/> (15 days, as
/// CloudWatch keeps 1-minute data). Bounded: a metric holds at most retention / period sets, older ones are dropped as
/// new ones arrive and by <see cref="Sweep"/>, which also forgets metrics with nothing left. Not kept across a restart.
/// Readers and writers share one lock; every operation touches one metric's sets or walks the keys, never the data
/// of all metrics. With several servers each keeps its own store: what is put into one is also kept as a change
/// (<see cref="RecordsChanges"/>) that the server hands to the others, which <see cref="Merge"/> it into theirs.
/// </summary>
public sealed class MetricStore(TimeSpan period)
{
    /// <summary>How long data is kept: CloudWatch keeps 1-minute data for 15 days.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(15);

    private readonly Dictionary<MetricKey, Series> _series = [];
    private readonly Lock _lock = new();
    private readonly long _periodSeconds = Math.Max(1, (long)period.TotalSeconds);
    private Dictionary<(MetricKey Key, long Start, string Unit), Statistics> _changes = [];

    /// <summary>Whether <see cref="Put"/> also keeps what it adds for <see cref="TakeChanges"/> (several servers).</summary>
    public bool RecordsChanges { get; init; }

    /// <summary>The storage period.</summary>
    public TimeSpan Period => TimeSpan.FromSeconds(_periodSeconds);

    /// <summary>How many metrics are kept.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _series.Count;
            }
        }
    }

    /// <summary>The start of the storage period <paramref name="at"/> falls in.</summary>
    public DateTimeOffset PeriodStart(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(Floor(at.ToUnixTimeSeconds(), _periodSeconds));

    /// <summary>Adds <paramref name="values"/> to the storage period of <paramref name="at"/> of metric <paramref name="key"/>; <paramref name="now"/> bounds what is kept.</summary>
    public void Put(MetricKey key, DateTimeOffset at, Statistics values, string unit, DateTimeOffset now)
        => Add(key, Floor(at.ToUnixTimeSeconds(), _periodSeconds), values, unit, now, RecordsChanges);

    /// <summary>Adds another server's change: as <see cref="Put"/>, but not kept as a change of this one.</summary>
    public void Merge(MetricChange change, DateTimeOffset now)
        => Add(change.Key, Floor(change.PeriodStart, _periodSeconds), change.Values, change.Unit, now, record: false);

    /// <summary>What was put since the last call, one set per metric, period and unit (empty unless <see cref="RecordsChanges"/>).</summary>
    public IReadOnlyList<MetricChange> TakeChanges()
    {
        Dictionary<(MetricKey Key, long Start, string Unit), Statistics> taken;
        lock (_lock)
        {
            if (_changes.Count == 0)
            {
                return [];
            }

            taken = _changes;
            _changes = [];
        }

        return [.. taken.Select(c => new MetricChange(c.Key.Key, c.Key.Start, c.Key.Unit, c.Value))];
    }

    /// <summary>Gives back changes taken but not delivered, to be taken again (with whatever was put meanwhile).</summary>
    public void ReturnChanges(IEnumerable<MetricChange> changes)
    {
        lock (_lock)
        {
            foreach (var change in changes)
            {
                var key = (change.Key, change.PeriodStart, change.Unit);
                _changes[key] = _changes.TryGetValue(key, out var existing) ? existing.Merge(change.Values) : change.Values;
            }
        }
    }

    private void Add(MetricKey key, long start, Statistics values, string unit, DateTimeOffset now, bool record)
    {
        var oldest = (now - Retention).ToUnixTimeSeconds();
        if (start < oldest)
        {
            return;
        }

        lock (_lock)
        {
            if (record)
            {
                var change = (key, start, unit);
                _changes[change] = _changes.TryGetValue(change, out var existing) ? existing.Merge(values) : values;
            }

            if (!_series.TryGetValue(key, out var series))
            {
                series = new Series();
                _series.Add(key, series);
            }

            series.LastPut = now;
            if (!series.Periods.TryGetValue(start, out var units))
            {
                units = [];
                series.Periods.Add(start, units);
            }

            // Values reported with different units stay apart, as CloudWatch keeps them (a unit filter picks one).
            var index = units.FindIndex(u => u.Unit == unit);
            if (index < 0)
            {
                units.Add((values, unit));
            }
            else
            {
                units[index] = (units[index].Values.Merge(values), unit);
            }
            while (series.Periods.Count > 0 && series.Periods.Keys[0] < oldest)
            {
                series.Periods.RemoveAt(0);
            }
        }
    }

    /// <summary>The stored periods of <paramref name="key"/> that start in [<paramref name="start"/>, <paramref name="end"/>), oldest first.</summary>
    public IReadOnlyList<StoredPeriod> Read(MetricKey key, DateTimeOffset start, DateTimeOffset end)
    {
        var from = start.ToUnixTimeSeconds();
        var to = end.ToUnixTimeSeconds();
        lock (_lock)
        {
            if (!_series.TryGetValue(key, out var series))
            {
                return [];
            }

            var result = new List<StoredPeriod>();
            var keys = series.Periods.Keys;
            var index = LowerBound(keys, from);
            for (; index < keys.Count && keys[index] < to; index++)
            {
                foreach (var (values, unit) in series.Periods.Values[index])
                {
                    result.Add(new StoredPeriod(DateTimeOffset.FromUnixTimeSeconds(keys[index]), values, unit));
                }
            }

            return result;
        }
    }

    /// <summary>Every metric kept, ordered by namespace, name and dimensions, with the last time data was put in it.</summary>
    public IReadOnlyList<(MetricKey Key, DateTimeOffset LastPut)> Metrics()
    {
        lock (_lock)
        {
            return [.. _series.Select(s => (s.Key, s.Value.LastPut)).OrderBy(s => s.Key.Text, StringComparer.Ordinal)];
        }
    }

    /// <summary>Drops the periods older than the retention and the metrics left empty.</summary>
    public void Sweep(DateTimeOffset now)
    {
        var oldest = (now - Retention).ToUnixTimeSeconds();
        lock (_lock)
        {
            foreach (var (key, series) in _series.ToList())
            {
                while (series.Periods.Count > 0 && series.Periods.Keys[0] < oldest)
                {
                    series.Periods.RemoveAt(0);
                }

                if (series.Periods.Count == 0)
                {
                    _series.Remove(key);
                }
            }
        }
    }

    private static long Floor(long value, long step) => value >= 0 ? value / step * step : -((-value + step - 1) / step * step);

    private static int LowerBound(IList<long> keys, long value)
    {
        int low = 0, high = keys.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (keys[middle] < value)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private sealed class Series
    {
        public SortedList<long, List<(Statistics Values, string Unit)>> Periods { get; } = [];

        public DateTimeOffset LastPut { get; set; }
    }
}
