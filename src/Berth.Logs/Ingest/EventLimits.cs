using System.Text;
using Berth.Logs.Model;
using Berth.Protocol.Errors;

namespace Berth.Logs.Ingest;

/// <summary>What PutLogEvents keeps of a batch: the index range accepted, and what AWS reports as rejected.</summary>
/// <param name="Start">First accepted index (inclusive).</param>
/// <param name="End">Last accepted index (exclusive); <c>Start == End</c> when nothing is kept.</param>
/// <param name="Rejected">AWS's <c>rejectedLogEventsInfo</c>, or null when every event was accepted.</param>
public sealed record BatchVerdict(int Start, int End, RejectedLogEventsInfo? Rejected);

/// <summary>
/// PutLogEvents' limits as AWS documents them, pure: a batch over 1,048,576 bytes (each event's UTF-8 message plus
/// 26 bytes), over 10,000 events, out of chronological order or spanning more than 24 hours is refused whole
/// (InvalidParameterException); events older than 14 days or than the group's retention, or more than 2 hours in the
/// future, are dropped and reported in <c>rejectedLogEventsInfo</c>.
/// </summary>
public static class EventLimits
{
    /// <summary>Largest batch, counting <see cref="EventOverhead"/> per event.</summary>
    public const int MaxBatchBytes = 1_048_576;

    /// <summary>Bytes AWS adds to each event's message when it sizes a batch.</summary>
    public const int EventOverhead = 26;

    /// <summary>Most events in one batch.</summary>
    public const int MaxEvents = 10_000;

    /// <summary>Widest time span of one batch.</summary>
    public static readonly TimeSpan MaxSpan = TimeSpan.FromHours(24);

    /// <summary>How old an event may be.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(14);

    /// <summary>How far in the future an event may be.</summary>
    public static readonly TimeSpan MaxAhead = TimeSpan.FromHours(2);

    /// <summary>The bytes an event counts for in a batch.</summary>
    public static int SizeOf(string message) => Encoding.UTF8.GetByteCount(message) + EventOverhead;

    /// <summary>Checks a batch at <paramref name="nowMs"/> for a group with <paramref name="retentionDays"/> (null: never expires).</summary>
    public static BatchVerdict Check(IReadOnlyList<InputLogEvent> events, long nowMs, int? retentionDays)
    {
        if (events.Count == 0)
        {
            throw AwsException.InvalidParameter("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1");
        }

        if (events.Count > MaxEvents)
        {
            throw AwsException.InvalidParameter($"1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to {MaxEvents}");
        }

        long bytes = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (string.IsNullOrEmpty(e.Message))
            {
                throw AwsException.InvalidParameter($"1 validation error detected: Value '' at 'logEvents.{i + 1}.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1");
            }

            if (e.Timestamp is not { } ts || ts < 0)
            {
                throw AwsException.InvalidParameter($"1 validation error detected: Value '{e.Timestamp}' at 'logEvents.{i + 1}.member.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0");
            }

            bytes += SizeOf(e.Message);
            if (i > 0 && ts < events[i - 1].Timestamp)
            {
                throw AwsException.InvalidParameter("Log events in a single PutLogEvents request must be in chronological order.");
            }
        }

        if (bytes > MaxBatchBytes)
        {
            throw AwsException.InvalidParameter($"Upload too large: {bytes} bytes exceeds limit of {MaxBatchBytes}");
        }

        if (events[^1].Timestamp!.Value - events[0].Timestamp!.Value > (long)MaxSpan.TotalMilliseconds)
        {
            throw AwsException.InvalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
        }

        // The batch is sorted, so each kind of rejection is a prefix (too old, expired) or a suffix (too new).
        var oldest = nowMs - (long)MaxAge.TotalMilliseconds;
        var expiredBefore = retentionDays is { } days ? nowMs - (days * 86_400_000L) : long.MinValue;
        var newest = nowMs + (long)MaxAhead.TotalMilliseconds;
        var tooOldEnd = 0;
        var expiredEnd = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var ts = events[i].Timestamp!.Value;
            if (ts < oldest)
            {
                tooOldEnd = i + 1;
            }

            if (ts < expiredBefore)
            {
                expiredEnd = i + 1;
            }
        }

        var tooNewStart = events.Count;
        for (var i = events.Count - 1; i >= 0 && events[i].Timestamp!.Value > newest; i--)
        {
            tooNewStart = i;
        }

        var start = Math.Max(tooOldEnd, expiredEnd);
        var end = Math.Max(start, tooNewStart);
        RejectedLogEventsInfo? rejected = null;
        if (tooOldEnd > 0 || expiredEnd > 0 || tooNewStart < events.Count)
        {
            rejected = new RejectedLogEventsInfo
            {
                TooOldLogEventEndIndex = tooOldEnd > 0 ? tooOldEnd : null,
                ExpiredLogEventEndIndex = expiredEnd > 0 ? expiredEnd : null,
                TooNewLogEventStartIndex = tooNewStart < events.Count ? tooNewStart : null,
            };
        }

        return new BatchVerdict(start, end, rejected);
    }
}
