using System.Globalization;
using Berth.Protocol.Errors;

namespace Berth.Logs.Paging;

/// <summary>Where an event sits in its stream or group: by timestamp, then by the order it was stored in.</summary>
/// <param name="Timestamp">The event's timestamp (ms).</param>
/// <param name="Seq">The store's sequence number of the event, unique across every group.</param>
public readonly record struct EventPosition(long Timestamp, long Seq)
{
    /// <summary>Before every event.</summary>
    public static EventPosition Start => new(long.MinValue, long.MinValue);

    /// <summary>After every event.</summary>
    public static EventPosition End => new(long.MaxValue, long.MaxValue);

    /// <summary>The event's stable <c>eventId</c>: 56 digits as AWS's are, unique and ordered by position.</summary>
    /// <remarks>Made once per event a read returns, so written into the one string it becomes (negative positions, only
    /// the sentinels, keep their minus signs the longer way).</remarks>
    public string EventId => Timestamp >= 0 && Seq >= 0
        ? string.Create(56, this, static (digits, position) =>
        {
            position.Timestamp.TryFormat(digits[..20], out _, "D20", CultureInfo.InvariantCulture);
            position.Seq.TryFormat(digits[20..], out _, "D36", CultureInfo.InvariantCulture);
        })
        : Timestamp.ToString("D20", CultureInfo.InvariantCulture) + Seq.ToString("D36", CultureInfo.InvariantCulture);
}

/// <summary>
/// The paging tokens of the events operations. GetLogEvents' are AWS's shape: <c>f/DIGITS/s</c> reads forward after the
/// position, <c>b/DIGITS/s</c> backward before it; at the end of the stream the same token comes back. FilterLogEvents'
/// <c>nextToken</c> carries the position after which the next page starts.
/// </summary>
public static class LogTokens
{
    /// <summary>A forward token after <paramref name="position"/>.</summary>
    public static string Forward(EventPosition position) => "f/" + Digits(position) + "/s";

    /// <summary>A backward token before <paramref name="position"/>.</summary>
    public static string Backward(EventPosition position) => "b/" + Digits(position) + "/s";

    /// <summary>Reads a GetLogEvents token: its direction (true = forward) and position.</summary>
    public static (bool Forward, EventPosition Position) ReadStreamToken(string token)
    {
        if (token.Length > 4 && (token[0] is 'f' or 'b') && token[1] == '/' && token.EndsWith("/s", StringComparison.Ordinal)
            && TryDigits(token[2..^2], out var position))
        {
            return (token[0] == 'f', position);
        }

        throw AwsException.InvalidParameter("The specified nextToken is invalid.");
    }

    /// <summary>FilterLogEvents' token after <paramref name="position"/>.</summary>
    public static string Filter(EventPosition position) => Digits(position);

    /// <summary>Reads FilterLogEvents' token.</summary>
    public static EventPosition ReadFilterToken(string token)
        => TryDigits(token, out var position) ? position : throw AwsException.InvalidParameter("The specified nextToken is invalid.");

    /// <summary>DescribeLogGroups / DescribeLogStreams: the offset the next page starts at.</summary>
    public static string Offset(int offset) => "o" + offset.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads an offset token.</summary>
    public static int ReadOffset(string? token)
    {
        if (token is null)
        {
            return 0;
        }

        return token.Length > 1 && token[0] == 'o' && int.TryParse(token.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            ? offset
            : throw AwsException.InvalidParameter("The specified nextToken is invalid.");
    }

    // Sign first so positions before every event (negative) survive the round trip.
    private static string Digits(EventPosition p)
        => (p.Timestamp < 0 ? "0" : "1") + Math.Abs(p.Timestamp == long.MinValue ? long.MaxValue : p.Timestamp).ToString("D19", CultureInfo.InvariantCulture)
            + (p.Seq < 0 ? "0" : "1") + Math.Abs(p.Seq == long.MinValue ? long.MaxValue : p.Seq).ToString("D19", CultureInfo.InvariantCulture);

    private static bool TryDigits(string text, out EventPosition position)
    {
        position = default;
        if (text.Length != 40 || !long.TryParse(text.AsSpan(1, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var ts)
            || !long.TryParse(text.AsSpan(21, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            || text[0] is not ('0' or '1') || text[20] is not ('0' or '1'))
        {
            return false;
        }

        position = new EventPosition(text[0] == '0' ? -ts : ts, text[20] == '0' ? -seq : seq);
        return true;
    }
}
