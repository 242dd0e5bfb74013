using System.Globalization;
using Berth.Events.Schedules;

namespace Berth.Events.Tests;

/// <summary>EventBridge's schedule grammar: what it accepts, what it refuses, and when each expression fires next.</summary>
public sealed class ScheduleExpressionTests
{
    private static readonly DateTimeOffset Anchor = At("2026-12-02T10:02:30Z");

    private static DateTimeOffset At(string iso) =>
        DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    [Theory]
    // AWS's documented examples.
    [InlineData("rate(1 minute)")]
    [InlineData("rate(5 minutes)")]
    [InlineData("rate(1 hour)")]
    [InlineData("rate(12 hours)")]
    [InlineData("rate(1 day)")]
    [InlineData("rate(7 days)")]
    [InlineData("cron(0 10 * * ? *)")]
    [InlineData("cron(15 12 * * ? *)")]
    [InlineData("cron(0 18 ? * MON-FRI *)")]
    [InlineData("cron(0 8 1 * ? *)")]
    [InlineData("cron(0/15 * * * ? *)")]
    [InlineData("cron(0/10 * ? * MON-FRI *)")]
    [InlineData("cron(0/5 8-17 ? * MON-FRI *)")]
    [InlineData("cron(0 9 ? * 2#1 *)")]
    [InlineData("cron(0 9 ? * MON#1 *)")]
    // The other wildcards.
    [InlineData("cron(0 0 L * ? *)")]
    [InlineData("cron(0 0 LW * ? *)")]
    [InlineData("cron(0 0 15W * ? *)")]
    [InlineData("cron(0 0 ? * 6L *)")]
    [InlineData("cron(0 0 ? * L *)")]
    [InlineData("cron(0 0 1 JAN,jul ? 2030-2035)")]
    [InlineData("cron(*/20 1,3,5-7 1-15/2 2-12/3 ? 1970/10)")]
    [InlineData("cron(0 0 ? * SUN-SAT 2199)")]
    [InlineData("cron(59 23 31 DEC ? 1970)")]
    public void Accepts(string text)
    {
        var parsed = ScheduleExpression.Parse(text);
        Assert.Equal(text, parsed.Text);
    }

    [Theory]
    [InlineData("rate(1 minutes)")]
    [InlineData("rate(5 minute)")]
    [InlineData("rate(2 hour)")]
    [InlineData("rate(1 days)")]
    [InlineData("rate(0 minutes)")]
    [InlineData("rate(-1 minutes)")]
    [InlineData("rate(1.5 minutes)")]
    [InlineData("rate(1 second)")]
    [InlineData("rate(1 week)")]
    [InlineData("rate(1  minute)")]
    [InlineData("rate(1 Minute)")]
    [InlineData("rate(minute)")]
    [InlineData("rate 1 minute")]
    [InlineData("cron(0 10 * * * *)")]
    [InlineData("cron(0 10 ? * ? *)")]
    [InlineData("cron(0 10 * * ?)")]
    [InlineData("cron(0 10 * * ? * *)")]
    [InlineData("cron(60 * * * ? *)")]
    [InlineData("cron(0 24 * * ? *)")]
    [InlineData("cron(0 0 0 * ? *)")]
    [InlineData("cron(0 0 32 * ? *)")]
    [InlineData("cron(0 0 1 13 ? *)")]
    [InlineData("cron(0 0 1 0 ? *)")]
    [InlineData("cron(0 0 ? * 0 *)")]
    [InlineData("cron(0 0 ? * 8 *)")]
    [InlineData("cron(0 0 1 * ? 1969)")]
    [InlineData("cron(0 0 1 * ? 2200)")]
    [InlineData("cron(0/0 * * * ? *)")]
    [InlineData("cron(5-1 * * * ? *)")]
    [InlineData("cron(0 0 ? * 2#6 *)")]
    [InlineData("cron(0 0 ? * 2#0 *)")]
    [InlineData("cron(0 0 32W * ? *)")]
    [InlineData("cron(0 0 ? FOO * *)")]
    [InlineData("cron(? 0 1 * ? *)")]
    [InlineData("cron(0 0 1 * ? *")]
    [InlineData("at(2030-01-01T00:00:00)")]
    [InlineData("")]
    public void Refuses_for_rules(string text)
    {
        Assert.Throws<ScheduleExpressionException>(() => ScheduleExpression.Parse(text));
        Assert.False(ScheduleExpression.TryParse(text, ScheduleDialect.Rule, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("at(2030-01-01T00:00:00)", true)]
    [InlineData("at(2030-02-29T00:00:00)", false)]
    [InlineData("at(2030-01-01T24:00:00)", false)]
    [InlineData("at(2030-01-01 00:00:00)", false)]
    [InlineData("at(2030-01-01T00:00)", false)]
    [InlineData("rate(1 minute)", true)]
    [InlineData("cron(0 0 L * ? *)", true)]
    public void Scheduler_also_reads_at(string text, bool valid) =>
        Assert.Equal(valid, ScheduleExpression.TryParse(text, ScheduleDialect.Scheduler, out _, out _));

    [Theory]
    [InlineData("cron(0 10 * * ? *)", "2026-12-02T09:59:59Z", "2026-12-02T10:00:00Z")]
    [InlineData("cron(0 10 * * ? *)", "2026-12-02T10:00:00Z", "2026-12-03T10:00:00Z")]
    [InlineData("cron(0/15 * * * ? *)", "2026-12-02T10:07:30Z", "2026-12-02T10:15:00Z")]
    [InlineData("cron(0/15 * * * ? *)", "2026-12-02T23:50:00Z", "2026-12-03T00:00:00Z")]
    [InlineData("cron(0 18 ? * MON-FRI *)", "2026-12-04T18:00:00Z", "2026-12-07T18:00:00Z")]
    [InlineData("cron(0/5 8-17 ? * MON-FRI *)", "2026-12-04T17:55:00Z", "2026-12-07T08:00:00Z")]
    [InlineData("cron(0 8 1 * ? *)", "2026-12-02T00:00:00Z", "2027-01-01T08:00:00Z")]
    [InlineData("cron(0 0 ? * 1 *)", "2026-12-02T00:00:00Z", "2026-12-06T00:00:00Z")]
    [InlineData("cron(0 0 ? * SAT *)", "2026-12-02T00:00:00Z", "2026-12-05T00:00:00Z")]
    [InlineData("cron(0 0 ? * L *)", "2026-12-02T00:00:00Z", "2026-12-05T00:00:00Z")]
    // L: the last day of the month, leap years included.
    [InlineData("cron(0 0 L * ? *)", "2028-02-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("cron(0 0 L * ? *)", "2027-02-01T00:00:00Z", "2027-02-28T00:00:00Z")]
    [InlineData("cron(0 0 L * ? *)", "2027-04-30T00:00:00Z", "2027-05-31T00:00:00Z")]
    // LW: the last weekday (Jan 31 2027 is a Sunday).
    [InlineData("cron(0 0 LW * ? *)", "2027-01-02T00:00:00Z", "2027-01-29T00:00:00Z")]
    // nW: the weekday nearest the nth, within the month.
    [InlineData("cron(0 0 15W * ? *)", "2027-05-01T00:00:00Z", "2027-05-14T00:00:00Z")]
    [InlineData("cron(0 0 15W * ? *)", "2027-08-01T00:00:00Z", "2027-08-16T00:00:00Z")]
    [InlineData("cron(0 0 15W * ? *)", "2026-12-02T00:00:00Z", "2026-12-15T00:00:00Z")]
    [InlineData("cron(0 0 1W * ? *)", "2027-04-30T00:00:00Z", "2027-05-03T00:00:00Z")]
    [InlineData("cron(0 0 31W * ? *)", "2027-10-02T00:00:00Z", "2027-10-29T00:00:00Z")]
    [InlineData("cron(0 0 31W * ? *)", "2027-11-01T00:00:00Z", "2027-12-31T00:00:00Z")]
    // nL: the last given weekday of the month; n#k: the kth one.
    [InlineData("cron(0 0 ? * 6L *)", "2026-12-02T00:00:00Z", "2026-12-25T00:00:00Z")]
    [InlineData("cron(0 0 ? * FRIL *)", "2026-12-26T00:00:00Z", "2027-01-29T00:00:00Z")]
    [InlineData("cron(0 9 ? * 2#1 *)", "2026-12-08T00:00:00Z", "2027-01-04T09:00:00Z")]
    [InlineData("cron(0 9 ? * MON#1 *)", "2026-12-08T00:00:00Z", "2027-01-04T09:00:00Z")]
    [InlineData("cron(0 9 ? * 6#5 *)", "2026-12-02T00:00:00Z", "2027-01-29T09:00:00Z")]
    // Years and impossible dates.
    [InlineData("cron(0 0 1 JAN ? 2030-2035)", "2026-12-02T00:00:00Z", "2030-01-01T00:00:00Z")]
    [InlineData("cron(0 0 1 JAN ? 2030-2035)", "2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z")]
    [InlineData("cron(0 0 1 JAN ? 2030-2035)", "2035-01-01T00:00:00Z", null)]
    [InlineData("cron(0 0 1 * ? 2026/2)", "2026-12-02T00:00:00Z", "2028-01-01T00:00:00Z")]
    [InlineData("cron(0 12 29 FEB ? *)", "2025-03-01T00:00:00Z", "2028-02-29T12:00:00Z")]
    [InlineData("cron(0 0 30 2 ? *)", "2026-12-02T00:00:00Z", null)]
    [InlineData("cron(59 23 31 DEC ? 2199)", "2199-12-31T23:58:00Z", "2199-12-31T23:59:00Z")]
    [InlineData("cron(59 23 31 DEC ? 2199)", "2199-12-31T23:59:00Z", null)]
    [InlineData("cron(0 0 1 1 ? 1970)", "2026-12-02T00:00:00Z", null)]
    // rate(): every period from the rule's creation, to the minute (created 10:02:30).
    [InlineData("rate(1 minute)", "2026-12-02T10:02:30Z", "2026-12-02T10:03:00Z")]
    [InlineData("rate(5 minutes)", "2026-12-02T10:02:30Z", "2026-12-02T10:07:00Z")]
    [InlineData("rate(5 minutes)", "2026-12-02T10:07:00Z", "2026-12-02T10:12:00Z")]
    [InlineData("rate(5 minutes)", "2026-12-02T11:00:59Z", "2026-12-02T11:02:00Z")]
    [InlineData("rate(5 minutes)", "2026-12-01T00:00:00Z", "2026-12-02T10:07:00Z")]
    [InlineData("rate(1 hour)", "2026-12-02T12:00:00Z", "2026-12-02T12:02:00Z")]
    [InlineData("rate(2 days)", "2026-12-03T00:00:00Z", "2026-12-04T10:02:00Z")]
    public void Next_fire_in_UTC(string text, string after, string? expected)
    {
        var next = ScheduleExpression.Parse(text).NextAfter(At(after), Anchor);
        Assert.Equal(expected is null ? null : At(expected), next);
    }

    [Fact]
    public void Every_minute_for_a_day_is_1440_fires()
    {
        var cron = ScheduleExpression.Parse("cron(* * * * ? *)");
        var t = At("2026-12-02T00:00:00Z");
        var count = 0;
        while (cron.NextAfter(t, Anchor) is { } next && next <= At("2026-12-03T00:00:00Z"))
        {
            Assert.Equal(t.AddMinutes(1), next);
            t = next;
            count++;
        }

        Assert.Equal(1440, count);
    }

    [Theory]
    // New York springs forward on 2027-03-14 at 02:00 (02:30 does not exist: that day does not fire).
    [InlineData("cron(30 2 * * ? *)", "America/New_York", "2027-03-13T08:00:00Z", "2027-03-15T06:30:00Z")]
    [InlineData("cron(30 3 * * ? *)", "America/New_York", "2027-03-13T09:00:00Z", "2027-03-14T07:30:00Z")]
    // ... and falls back on 2027-11-07 at 02:00 (01:30 happens twice: it fires once, at the first).
    [InlineData("cron(30 1 * * ? *)", "America/New_York", "2027-11-07T04:00:00Z", "2027-11-07T05:30:00Z")]
    [InlineData("cron(30 1 * * ? *)", "America/New_York", "2027-11-07T05:30:00Z", "2027-11-08T06:30:00Z")]
    [InlineData("cron(0/30 * * * ? *)", "America/New_York", "2027-11-07T05:30:00Z", "2027-11-07T07:00:00Z")]
    [InlineData("cron(0 9 ? * MON-FRI *)", "America/New_York", "2027-06-01T00:00:00Z", "2027-06-01T13:00:00Z")]
    // Berlin skips 02:00-03:00 on 2027-03-28.
    [InlineData("cron(15 2 * * ? *)", "Europe/Berlin", "2027-03-27T02:00:00Z", "2027-03-29T00:15:00Z")]
    // Sydney repeats 02:00-03:00 on 2027-04-04 and skips it on 2027-10-03.
    [InlineData("cron(30 2 * * ? *)", "Australia/Sydney", "2027-04-03T12:00:00Z", "2027-04-03T15:30:00Z")]
    [InlineData("cron(30 2 * * ? *)", "Australia/Sydney", "2027-04-03T15:30:00Z", "2027-04-04T16:30:00Z")]
    [InlineData("cron(30 2 * * ? *)", "Australia/Sydney", "2027-10-01T17:00:00Z", "2027-10-03T15:30:00Z")]
    // A zone without daylight saving.
    [InlineData("cron(0 0 L * ? *)", "Asia/Tokyo", "2027-01-01T00:00:00Z", "2027-01-30T15:00:00Z")]
    // at() is a wall-clock time of the zone; a skipped one never fires.
    [InlineData("at(2027-06-01T12:00:00)", "Asia/Tokyo", "2027-01-01T00:00:00Z", "2027-06-01T03:00:00Z")]
    [InlineData("at(2027-06-01T12:00:00)", "Asia/Tokyo", "2027-06-01T03:00:00Z", null)]
    [InlineData("at(2027-03-14T02:30:00)", "America/New_York", "2027-01-01T00:00:00Z", null)]
    [InlineData("at(2027-11-07T01:30:00)", "America/New_York", "2027-01-01T00:00:00Z", "2027-11-07T05:30:00Z")]
    [InlineData("at(2027-11-07T01:30:00)", "America/New_York", "2027-11-07T05:30:00Z", null)]
    // rate() is a duration: the zone does not move it.
    [InlineData("rate(1 hour)", "America/New_York", "2027-03-14T06:30:00Z", "2027-03-14T07:02:00Z")]
    public void Next_fire_in_a_time_zone(string text, string zone, string after, string? expected)
    {
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
        var next = ScheduleExpression.Parse(text, ScheduleDialect.Scheduler).NextAfter(At(after), Anchor, tz);
        Assert.Equal(expected is null ? null : At(expected), next);
    }

    [Fact]
    public void A_repeated_hour_fires_each_minute_once()
    {
        var tz = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var cron = ScheduleExpression.Parse("cron(* 1 * * ? *)", ScheduleDialect.Scheduler);
        var fires = new List<DateTimeOffset>();
        var t = At("2027-11-07T04:00:00Z");
        while (cron.NextAfter(t, Anchor, tz) is { } next && next < At("2027-11-08T00:00:00Z"))
        {
            fires.Add(next);
            t = next;
        }

        Assert.Equal(60, fires.Count);
        Assert.Equal(At("2027-11-07T05:00:00Z"), fires[0]);
        Assert.Equal(At("2027-11-07T05:59:00Z"), fires[^1]);
    }
}
