using System.Text.RegularExpressions;

namespace Berth.Agent.Logs;

/// <summary>Where a line sits in a container's output: Docker's timestamp (ns) and how many lines carried it up to here.</summary>
/// <param name="Nanos">The line's timestamp, nanoseconds since the epoch.</param>
/// <param name="Count">Lines with exactly that timestamp read up to and including this one (0 before any).</param>
public readonly record struct LogPosition(long Nanos, int Count)
{
    /// <summary>Before the first line.</summary>
    public static LogPosition Start => new(0, 0);

    /// <summary>The position of the line after this one, given its timestamp.</summary>
    public LogPosition Next(long nanos) => nanos == Nanos ? new LogPosition(nanos, Count + 1) : new LogPosition(nanos, 1);

    /// <summary>
    /// Reading again from the start of the output (the json-file) or from <paramref name="resume"/>'s timestamp (Docker's
    /// inclusive <c>since</c>): whether a line stamped <paramref name="nanos"/> was read before. Lines stamped earlier
    /// were; of those stamped exactly then, the first <paramref name="skip"/> were (it counts down as they pass).
    /// </summary>
    public static bool AlreadyRead(LogPosition resume, long nanos, ref int skip)
    {
        if (nanos < resume.Nanos)
        {
            return true;
        }

        if (nanos == resume.Nanos && skip > 0)
        {
            skip--;
            return true;
        }

        return false;
    }
}

/// <summary>One event to ship: its timestamp (ms), message, and the position of its last line.</summary>
public sealed record ShipEvent(long TimestampMs, string Message, LogPosition End);

/// <summary>
/// Joins lines into events as the awslogs driver does: without a pattern every line is an event; with one, a line
/// matching it starts a new event and the lines that follow (until the next match) join it, separated by newlines.
/// The open event is kept until the next start, <see cref="Flush"/> (the output ended, or it waited long enough).
/// </summary>
public sealed class MultilineJoiner(Regex? start)
{
    private readonly List<string> _lines = [];
    private long _timestampMs;
    private LogPosition _end;

    /// <summary>Whether an event is open (waiting for more lines).</summary>
    public bool Pending => _lines.Count > 0;

    /// <summary>Adds one line; returns the event it closed, if any.</summary>
    public ShipEvent? Add(long timestampMs, string text, LogPosition position)
    {
        if (start is null)
        {
            return new ShipEvent(timestampMs, text, position);
        }

        ShipEvent? closed = null;
        if (_lines.Count > 0 && start.IsMatch(text))
        {
            closed = Flush();
        }

        if (_lines.Count == 0)
        {
            _timestampMs = timestampMs;
        }

        _lines.Add(text);
        _end = position;
        return closed;
    }

    /// <summary>Closes the open event, if any.</summary>
    public ShipEvent? Flush()
    {
        if (_lines.Count == 0)
        {
            return null;
        }

        var message = string.Join('\n', _lines);
        _lines.Clear();
        return new ShipEvent(_timestampMs, message, _end);
    }
}
