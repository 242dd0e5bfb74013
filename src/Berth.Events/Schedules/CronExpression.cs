using System.Globalization;

namespace Berth.Events.Schedules;

/// <summary>
/// EventBridge's six-field <c>cron(minutes hours day-of-month month day-of-week year)</c>: wildcards <c>, - * / ? L W #</c>,
/// exactly one of the day fields <c>?</c>, day-of-week 1-7 = SUN-SAT, months 1-12 or JAN-DEC, years 1970-2199,
/// one-minute granularity.
/// </summary>
public sealed record CronExpression : ScheduleExpression
{
    private const int FirstYear = 1970;
    private const int LastYear = 2199;

    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private bool[] _minutes = [];
    private bool[] _hours = [];
    private bool[] _months = [];
    private bool[] _years = [];
    private DayOfMonthRule _dayOfMonth = new();
    private DayOfWeekRule _dayOfWeek = new();

    /// <inheritdoc />
    public override DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset anchor, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (zone == TimeZoneInfo.Utc)
        {
            var wall = NextWall(after.UtcDateTime);
            return wall is { } w ? new DateTimeOffset(w, TimeSpan.Zero) : null;
        }

        // Walk wall-clock candidates from a few hours before `after` (offsets move by at most that much) and take the first
        // whose instant is later: a skipped local time has none, a repeated one maps to its first occurrence only.
        var cursor = TimeZoneInfo.ConvertTime(after, zone).DateTime.AddHours(-3);
        while (NextWall(cursor) is { } candidate)
        {
            if (WallToUtc(candidate, zone) is { } utc && utc > after)
            {
                return utc;
            }

            cursor = candidate;
        }

        return null;
    }

    /// <summary>The first matching wall-clock minute strictly after <paramref name="after"/>, or null past 2199.</summary>
    internal DateTime? NextWall(DateTime after)
    {
        var t = new DateTime(after.Ticks - (after.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Unspecified).AddMinutes(1);
        while (t.Year <= LastYear)
        {
            if (t.Year < FirstYear || !_years[t.Year - FirstYear])
            {
                var next = t.Year + 1;
                while (next <= LastYear && (next < FirstYear || !_years[next - FirstYear]))
                {
                    next++;
                }

                if (next > LastYear)
                {
                    return null;
                }

                t = new DateTime(next, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
            }
            else if (!_months[t.Month])
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Unspecified).AddMonths(1);
            }
            else if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
            }
            else if (!_hours[t.Hour])
            {
                t = new DateTime(t.Year, t.Month, t.Day, t.Hour, 0, 0, DateTimeKind.Unspecified).AddHours(1);
            }
            else if (!_minutes[t.Minute])
            {
                t = t.AddMinutes(1);
            }
            else
            {
                return t;
            }
        }

        return null;
    }

    private bool DayMatches(DateTime day) => _dayOfMonth.Any ? _dayOfWeek.Matches(day) : _dayOfMonth.Matches(day);

    internal static CronExpression ParseCron(string text)
    {
        if (!text.EndsWith(')'))
        {
            throw new ScheduleExpressionException("a cron expression is cron(minutes hours day-of-month month day-of-week year)");
        }

        var fields = text["cron(".Length..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
        {
            throw new ScheduleExpressionException("a cron expression has six fields: minutes hours day-of-month month day-of-week year");
        }

        var dom = fields[2] == "?" ? new DayOfMonthRule { Any = true } : ParseDayOfMonth(fields[2]);
        var dow = fields[4] == "?" ? new DayOfWeekRule { Any = true } : ParseDayOfWeek(fields[4]);
        if (dom.Any == dow.Any)
        {
            throw new ScheduleExpressionException("exactly one of day-of-month and day-of-week is ?");
        }

        return new CronExpression
        {
            Text = text,
            _minutes = ParseList(fields[0], "minutes", 0, 59, null),
            _hours = ParseList(fields[1], "hours", 0, 23, null),
            _months = ParseList(fields[3], "month", 1, 12, MonthNames),
            _years = ParseList(fields[5], "year", FirstYear, LastYear, null)[FirstYear..],
            _dayOfMonth = dom,
            _dayOfWeek = dow,
        };
    }

    /// <summary>A list of terms (<c>*</c>, <c>A</c>, <c>A-B</c>, each optionally <c>/STEP</c>) as a table indexed by value.</summary>
    private static bool[] ParseList(string field, string name, int min, int max, string[]? names)
    {
        var set = new bool[max + 1];
        foreach (var term in field.Split(','))
        {
            var slash = term.IndexOf('/', StringComparison.Ordinal);
            var range = slash < 0 ? term : term[..slash];
            var step = 1;
            if (slash >= 0 && (!int.TryParse(term[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1))
            {
                throw Invalid(name, field);
            }

            int from, to;
            if (range == "*")
            {
                (from, to) = (min, max);
            }
            else
            {
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                from = Value(dash < 0 ? range : range[..dash], name, field, min, max, names);
                // A single value with a step runs to the end of the field, as 0/15 means 0, 15, 30, 45.
                to = dash < 0 ? (slash < 0 ? from : max) : Value(range[(dash + 1)..], name, field, min, max, names);
                if (to < from)
                {
                    throw Invalid(name, field);
                }
            }

            for (var v = from; v <= to; v += step)
            {
                set[v] = true;
            }
        }

        return set;
    }

    private static int Value(string text, string name, string field, int min, int max, string[]? names)
    {
        if (names is not null)
        {
            var i = Array.FindIndex(names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (i >= 0)
            {
                return min + i;
            }
        }

        if (text.Length is 0 or > 4 || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
        {
            throw Invalid(name, field);
        }

        return v;
    }

    private static DayOfMonthRule ParseDayOfMonth(string field)
    {
        switch (field)
        {
            case "L":
                return new DayOfMonthRule { Last = true };
            case "LW":
                return new DayOfMonthRule { LastWeekday = true };
        }

        if (field.EndsWith('W'))
        {
            return new DayOfMonthRule { NearestWeekdayTo = Value(field[..^1], "day-of-month", field, 1, 31, null) };
        }

        return new DayOfMonthRule { Days = ParseList(field, "day-of-month", 1, 31, null) };
    }

    private static DayOfWeekRule ParseDayOfWeek(string field)
    {
        if (field == "L")
        {
            // Alone, L is the last day of the week: Saturday.
            var saturday = new bool[8];
            saturday[7] = true;
            return new DayOfWeekRule { Days = saturday };
        }

        var hash = field.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            return new DayOfWeekRule
            {
                NthDay = Value(field[..hash], "day-of-week", field, 1, 7, DayNames),
                NthWeek = Value(field[(hash + 1)..], "day-of-week", field, 1, 5, null),
            };
        }

        if (field.Length > 1 && field.EndsWith('L'))
        {
            return new DayOfWeekRule { LastOf = Value(field[..^1], "day-of-week", field, 1, 7, DayNames) };
        }

        return new DayOfWeekRule { Days = ParseList(field, "day-of-week", 1, 7, DayNames) };
    }

    private static ScheduleExpressionException Invalid(string name, string field) =>
        new($"the {name} field '{field}' is not valid");

    /// <summary>1 = Sunday … 7 = Saturday, as EventBridge numbers them.</summary>
    private static int WeekdayNumber(DateTime day) => (int)day.DayOfWeek + 1;

    private static bool IsWeekday(DateTime day) => day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

    private sealed record DayOfMonthRule
    {
        public bool Any { get; init; }

        public bool[]? Days { get; init; }

        public bool Last { get; init; }

        public bool LastWeekday { get; init; }

        public int NearestWeekdayTo { get; init; }

        public bool Matches(DateTime day)
        {
            var length = DateTime.DaysInMonth(day.Year, day.Month);
            if (Days is not null)
            {
                return Days[day.Day];
            }

            if (Last)
            {
                return day.Day == length;
            }

            if (LastWeekday)
            {
                var last = new DateTime(day.Year, day.Month, length, 0, 0, 0, DateTimeKind.Unspecified);
                while (!IsWeekday(last))
                {
                    last = last.AddDays(-1);
                }

                return day.Day == last.Day;
            }

            // nW: the weekday nearest the nth, never leaving the month; a month without an nth has none.
            if (NearestWeekdayTo > length)
            {
                return false;
            }

            var target = new DateTime(day.Year, day.Month, NearestWeekdayTo, 0, 0, 0, DateTimeKind.Unspecified);
            var fire = target.DayOfWeek switch
            {
                DayOfWeek.Saturday => target.Day == 1 ? target.AddDays(2) : target.AddDays(-1),
                DayOfWeek.Sunday => target.Day == length ? target.AddDays(-2) : target.AddDays(1),
                _ => target,
            };
            return day.Day == fire.Day;
        }
    }

    private sealed record DayOfWeekRule
    {
        public bool Any { get; init; }

        public bool[]? Days { get; init; }

        public int LastOf { get; init; }

        public int NthDay { get; init; }

        public int NthWeek { get; init; }

        public bool Matches(DateTime day)
        {
            var weekday = WeekdayNumber(day);
            if (Days is not null)
            {
                return Days[weekday];
            }

            if (LastOf > 0)
            {
                return weekday == LastOf && day.Day + 7 > DateTime.DaysInMonth(day.Year, day.Month);
            }

            return weekday == NthDay && ((day.Day - 1) / 7) + 1 == NthWeek;
        }
    }
}
