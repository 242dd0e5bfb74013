using Berth.Server.Metrics;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Server.Tests.Metrics;

/// <summary>The alarm evaluation's clock: just after each epoch-aligned period ends, whatever the start time.</summary>
public sealed class MetricPeriodTickerTests
{
    private static readonly DateTimeOffset Aligned = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void Runs_just_after_each_period_ends_whatever_the_start()
    {
        var time = new FakeTimeProvider(Aligned.AddSeconds(17));
        var ticks = new List<DateTimeOffset>();
        using var ticker = new MetricPeriodTicker(time, TimeSpan.FromMinutes(1), () => ticks.Add(time.GetUtcNow()));

        // FakeTimeProvider fires a timer at the end of an advance, so the clock moves a second at a time.
        for (var i = 0; i < 180; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal([Aligned.AddSeconds(62), Aligned.AddSeconds(122), Aligned.AddSeconds(182)], ticks);
    }

    [Theory]
    [InlineData(0, 60, 2)]
    [InlineData(1, 60, 1)]
    [InlineData(2, 60, 60)]
    [InlineData(59, 60, 3)]
    [InlineData(3, 5, 2.5)]
    [InlineData(0.5, 5, 5)]
    public void Due_at_the_next_period_end_plus_the_settle(double secondsIntoPeriod, int periodSeconds, double expected)
    {
        var due = MetricPeriodTicker.DueIn(Aligned.AddSeconds(secondsIntoPeriod), TimeSpan.FromSeconds(periodSeconds));

        Assert.Equal(TimeSpan.FromSeconds(expected), due);
    }

    [Fact]
    public void A_disposed_ticker_runs_no_more()
    {
        var time = new FakeTimeProvider(Aligned);
        var ticks = 0;
        var ticker = new MetricPeriodTicker(time, TimeSpan.FromSeconds(5), () => ticks++);
        time.Advance(TimeSpan.FromSeconds(6));
        ticker.Dispose();

        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(1, ticks);
    }
}
