using System.Globalization;
using System.Text.RegularExpressions;

namespace Berth.Events.Schedules;

/// <summary>Which service's grammar a schedule expression is read with.</summary>
public enum ScheduleDialect
{
    /// <summary>EventBridge rules: <c>rate(...)</c> and <c>cron(...)</c>, always UTC.</summary>
    Rule,

    /// <summary>EventBridge Scheduler: also <c>at(yyyy-mm-ddThh:mm:ss)</c>, in the schedule's time zone.</summary>
    Scheduler,
}

/// <summary>A schedule expression that does not follow the grammar; <see cref="Exception.Message"/> says why.</summary>
public sealed class ScheduleExpressionException(string message) : Exception(message);

/// <summary>
/// A parsed EventBridge schedule expression. Next fire times are a pure function of the expression, the instant
/// after which to look, the anchor of a <c>rate()</c> (the rule's or schedule's creation) and the time zone.
/// </summary>
public abstract partial record ScheduleExpression
{
    /// <summary>The expression as written.</summary>
    public required string Text { get; init; }

    /// <summary>
    /// The first fire time strictly after <paramref name="after"/>, or null when the expression never fires again.
    /// </summary>
    /// <param name="after">Instant after which to look.</param>
    /// <param name="anchor">Creation time of the rule or schedule: where a <c>rate()</c> counts from.</param>
    /// <param name="zone">Wall-clock zone of <c>cron()</c> and <c>at()</c>; UTC for rules.</param>
    public abstract DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset anchor, TimeZoneInfo zone);

    /// <summary>The next fire time in UTC, for rules.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset anchor) => NextAfter(after, anchor, TimeZoneInfo.Utc);

    /// <summary>Reads <paramref name="text"/>; throws <see cref="ScheduleExpressionException"/> when it is not valid.</summary>
    public static ScheduleExpression Parse(string text, ScheduleDialect dialect = ScheduleDialect.Rule)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("rate(", StringComparison.Ordinal))
        {
            return RateExpression.ParseRate(text);
        }

        if (text.StartsWith("cron(", StringComparison.Ordinal))
        {
            return CronExpression.ParseCron(text);
        }

        if (dialect == ScheduleDialect.Scheduler && text.StartsWith("at(", StringComparison.Ordinal))
        {
            return AtExpression.ParseAt(text);
        }

        throw new ScheduleExpressionException(dialect == ScheduleDialect.Rule
            ? "a schedule expression is rate(...) or cron(...)"
            : "a schedule expression is at(...), rate(...) or cron(...)");
    }

    /// <summary>Reads <paramref name="text"/> without throwing; <paramref name="error"/> says why it is not valid.</summary>
    public static bool TryParse(string text, ScheduleDialect dialect, out ScheduleExpression? expression, out string? error)
    {
        try
        {
            expression = Parse(text, dialect);
            error = null;
            return true;
        }
        catch (ScheduleExpressionException e)
        {
            expression = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Truncates to the minute: EventBridge's granularity.</summary>
    internal static DateTimeOffset ToMinute(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    /// <summary>
    /// The UTC instant of a wall-clock time in <paramref name="zone"/>: null when the zone skips it (it does not fire),
    /// the first occurrence when the zone repeats it (it fires once).
    /// </summary>
    internal static DateTimeOffset? WallToUtc(DateTime wall, TimeZoneInfo zone)
    {
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(wall))
        {
            return null;
        }

        var offset = zone.IsAmbiguousTime(wall) ? zone.GetAmbiguousTimeOffsets(wall).Max() : zone.GetUtcOffset(wall);
        return new DateTimeOffset(wall - offset, TimeSpan.Zero);
    }
}

/// <summary>The unit of a <c>rate()</c>.</summary>
public enum RateUnit
{
    /// <summary>Minutes.</summary>
    Minutes,

    /// <summary>Hours.</summary>
    Hours,

    /// <summary>Days.</summary>
    Days,
}

/// <summary><c>rate(value unit)</c>: every period, counted from the anchor (the creation time, to the minute).</summary>
public sealed partial record RateExpression : ScheduleExpression
{
    /// <summary>The positive count of units.</summary>
    public required int Value { get; init; }

    /// <summary>The unit.</summary>
    public required RateUnit Unit { get; init; }

    /// <summary>The period between fires.</summary>
    public TimeSpan Period => Unit switch
    {
        RateUnit.Minutes => TimeSpan.FromMinutes(Value),
        RateUnit.Hours => TimeSpan.FromHours(Value),
        _ => TimeSpan.FromDays(Value),
    };

    /// <summary>The period in minutes.</summary>
    public long PeriodMinutes => (long)Period.TotalMinutes;

    /// <inheritdoc />
    public override DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset anchor, TimeZoneInfo zone)
    {
        // Fires at anchor + k·period for k ≥ 1; a rate is a duration, so the zone does not matter.
        var start = ToMinute(anchor);
        var period = Period.Ticks;
        var elapsed = after.UtcTicks - start.UtcTicks;
        var k = elapsed < period ? 1 : (elapsed / period) + 1;
        return start.AddTicks(k * period);
    }

    internal static RateExpression ParseRate(string text)
    {
        var m = RateGrammar().Match(text);
        if (!m.Success)
        {
            throw new ScheduleExpressionException("a rate is rate(VALUE UNIT) with a positive whole VALUE and UNIT minute(s), hour(s) or day(s)");
        }

        if (!int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            throw new ScheduleExpressionException("the value of a rate is a positive whole number");
        }

        var word = m.Groups[2].Value;
        var plural = word.EndsWith('s');
        // EventBridge refuses rate(1 minutes) and rate(5 minute).
        if (plural == (value == 1))
        {
            throw new ScheduleExpressionException(value == 1 ? "a rate of 1 takes the singular unit" : "a rate above 1 takes the plural unit");
        }

        var unit = word.TrimEnd('s') switch
        {
            "minute" => RateUnit.Minutes,
            "hour" => RateUnit.Hours,
            _ => RateUnit.Days,
        };
        return new RateExpression { Text = text, Value = value, Unit = unit };
    }

    [GeneratedRegex(@"^rate\(([0-9]{1,9}) (minutes?|hours?|days?)\)$", RegexOptions.CultureInvariant)]
    private static partial Regex RateGrammar();
}

/// <summary><c>at(yyyy-mm-ddThh:mm:ss)</c>: once, at a wall-clock time of the schedule's zone (Scheduler only).</summary>
public sealed partial record AtExpression : ScheduleExpression
{
    /// <summary>The wall-clock time.</summary>
    public required DateTime Wall { get; init; }

    /// <inheritdoc />
    public override DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset anchor, TimeZoneInfo zone)
    {
        var at = WallToUtc(Wall, zone);
        return at > after ? at : null;
    }

    internal static AtExpression ParseAt(string text)
    {
        var m = AtGrammar().Match(text);
        if (!m.Success || !DateTime.TryParseExact(m.Groups[1].Value, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture,
                DateTimeStyles.None, out var wall))
        {
            throw new ScheduleExpressionException("an at expression is at(yyyy-mm-ddThh:mm:ss)");
        }

        return new AtExpression { Text = text, Wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified) };
    }

    [GeneratedRegex(@"^at\(([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})\)$", RegexOptions.CultureInvariant)]
    private static partial Regex AtGrammar();
}
