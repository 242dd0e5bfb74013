namespace Berth.Server.Metrics;

/// <summary>
/// Runs an action once per metric period, just after each period ends: the periods are aligned to the epoch, as the
/// metric store's are, and the action runs <see cref="Settle"/> after a period's end, so the samples taken at its
/// very end are in. Alarms evaluated this way see a period as soon as it is whole: a target-tracking AlarmHigh goes
/// to ALARM at the end of its third breaching period, as AWS's rule says, not up to a period later as a timer started
/// at an arbitrary time would (its phase against the periods is the server's start time).
/// </summary>
public sealed class MetricPeriodTicker : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _period;
    private readonly Action _tick;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>Starts ticking: the first run is just after the current period ends.</summary>
    public MetricPeriodTicker(TimeProvider time, TimeSpan period, Action tick)
    {
        _time = time;
        _period = period;
        _tick = tick;
        _timer = time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(DueIn(time.GetUtcNow(), period), Timeout.InfiniteTimeSpan);
    }

    /// <summary>How long after a period's end the action runs: 2 s, or a tenth of a period shorter than 20 s.</summary>
    public static TimeSpan Settle(TimeSpan period) => period < TimeSpan.FromSeconds(20) ? period / 10 : TimeSpan.FromSeconds(2);

    /// <summary>The time from <paramref name="now"/> to the next run: the next period end (aligned to the epoch) plus <see cref="Settle"/>.</summary>
    public static TimeSpan DueIn(DateTimeOffset now, TimeSpan period)
    {
        var settle = Settle(period).Ticks;
        var since = now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks - settle;
        var next = ((since / period.Ticks) + 1) * period.Ticks;
        return TimeSpan.FromTicks(next - since);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    private void OnTimer()
    {
        try
        {
            _tick();
        }
        finally
        {
            // Re-armed from the clock each time, so a slow action or a late timer never drifts the phase.
            lock (_lock)
            {
                if (!_disposed)
                {
                    _timer.Change(DueIn(_time.GetUtcNow(), _period), Timeout.InfiniteTimeSpan);
                }
            }
        }
    }
}
