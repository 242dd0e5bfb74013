using Berth.Logs.Ingest;
using Berth.Logs.Model;
using Berth.Protocol.Errors;

namespace Berth.Logs.Tests;

/// <summary>PutLogEvents' limits: what is refused whole, and what AWS drops and reports in rejectedLogEventsInfo.</summary>
public sealed class EventLimitsTests
{
    private const long Now = 1_800_000_000_000;
    private const long Hour = 3_600_000;
    private const long Day = 24 * Hour;

    private static List<InputLogEvent> At(params long[] timestamps) => [.. timestamps.Select(t => new InputLogEvent { Timestamp = t, Message = "m" })];

    [Fact]
    public void A_batch_within_every_limit_is_kept_whole()
    {
        var verdict = EventLimits.Check(At(Now - Hour, Now, Now + Hour), Now, null);
        Assert.Equal(new BatchVerdict(0, 3, null), verdict);
    }

    public static TheoryData<string, long[], int?, int, int, int?, int?, int?> Rejections => new()
    {
        // name, timestamps, retention, start, end, tooOldEnd, expiredEnd, tooNewStart
        { "too old: over 14 days", [Now - (14 * Day) - Hour, Now - (14 * Day) + Hour], null, 1, 2, 1, null, null },
        { "too new: over 2 h ahead", [Now, Now + (2 * Hour) + 1, Now + (3 * Hour)], null, 0, 1, null, null, 1 },
        { "expired: older than the retention", [Now - Day - Hour, Now - Day - 1, Now - (2 * Hour)], 1, 2, 3, null, 2, null },
        { "old and expired together", [Now - (14 * Day) - Hour, Now - (14 * Day) + Hour, Now - (13 * Day) - (2 * Hour)], 7, 3, 3, 1, 3, null },
        { "exactly 2 h ahead is kept", [Now + (2 * Hour)], null, 0, 1, null, null, null },
        { "exactly 14 days old is kept", [Now - (14 * Day)], null, 0, 1, null, null, null },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Events_out_of_range_are_dropped_and_reported(string name, long[] timestamps, int? retention, int start, int end, int? tooOld, int? expired, int? tooNew)
    {
        var verdict = EventLimits.Check(At(timestamps), Now, retention);
        Assert.True(start == verdict.Start && end == verdict.End, $"{name}: kept [{verdict.Start}, {verdict.End})");
        Assert.Equal(tooOld, verdict.Rejected?.TooOldLogEventEndIndex);
        Assert.Equal(expired, verdict.Rejected?.ExpiredLogEventEndIndex);
        Assert.Equal(tooNew, verdict.Rejected?.TooNewLogEventStartIndex);
    }

    public static TheoryData<string, Func<List<InputLogEvent>>, string> Refusals => new()
    {
        { "empty", () => [], "Member must have length greater than or equal to 1" },
        { "10,001 events", () => [.. Enumerable.Range(0, 10_001).Select(_ => new InputLogEvent { Timestamp = Now, Message = "m" })], "less than or equal to 10000" },
        { "over 1 MiB with 26 bytes per event", () => [.. Enumerable.Range(0, 2).Select(_ => new InputLogEvent { Timestamp = Now, Message = new string('x', 524_263) })], "Upload too large: 1048578 bytes exceeds limit of 1048576" },
        { "out of order", () => At(Now, Now - 1), "must be in chronological order" },
        { "over 24 h", () => At(Now - Day - 1, Now), "cannot span more than 24 hours" },
        { "empty message", () => [new InputLogEvent { Timestamp = Now, Message = "" }], "'logEvents.1.member.message'" },
        { "negative timestamp", () => At(-1), "'logEvents.1.member.timestamp'" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Batches_AWS_refuses_whole_are_InvalidParameterException(string name, Func<List<InputLogEvent>> events, string message)
    {
        var error = Assert.Throws<AwsException>(() => EventLimits.Check(events(), Now, null));
        Assert.Equal("InvalidParameterException", error.ErrorType);
        Assert.True(error.Message.Contains(message, StringComparison.Ordinal), $"{name}: {error.Message}");
    }

    [Fact]
    public void Exactly_1_MiB_counting_26_bytes_per_event_is_accepted()
    {
        var events = Enumerable.Range(0, 2).Select(_ => new InputLogEvent { Timestamp = Now, Message = new string('x', 524_262) }).ToList();
        Assert.Equal(2, EventLimits.Check(events, Now, null).End);
    }
}
