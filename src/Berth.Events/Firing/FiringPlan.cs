using Berth.Events.Schedules;
using Berth.Events.State;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.Events.Firing;

/// <summary>What to do with a firing that has come due.</summary>
public enum FiringVerdict
{
    /// <summary>Record it, then invoke the targets.</summary>
    Fire,

    /// <summary>The rule is gone, disabled, unscheduled or changed since the firing was planned: forget it.</summary>
    Stale,

    /// <summary>The rule has no targets: nothing to invoke, go on to the next one.</summary>
    NoTargets,

    /// <summary>Already fired (recorded before a restart): go on from the recorded one.</summary>
    AlreadyFired,

    /// <summary>Older than the delivery window (missed while the server was down): dropped, with a log line.</summary>
    TooOld,
}

/// <summary>
/// When rules fire, as pure functions of a rule, its last recorded firing and the time. A <c>rate()</c> counts from
/// the rule's schedule anchor in minutes of the given length (60 s; tests shorten it); a
/// <c>cron()</c> is UTC wall-clock time and is not scaled.
/// </summary>
public static class FiringPlan
{
    /// <summary>How late a missed firing is still delivered (EventBridge rules retry for 24 h).</summary>
    public static readonly TimeSpan DeliveryWindow = TimeSpan.FromHours(24);

    /// <summary>The first scheduled time of <paramref name="rule"/> strictly after <paramref name="after"/>; null when none.</summary>
    public static DateTimeOffset? NextDue(RuleRecord rule, DateTimeOffset after, TimeSpan rateMinute)
    {
        if (rule.Schedule is null || !ScheduleExpression.TryParse(rule.Schedule, ScheduleDialect.Rule, out var expression, out _))
        {
            return null;
        }

        if (expression is RateExpression rate && rateMinute != TimeSpan.FromMinutes(1))
        {
            // The knob: the same count of periods, each minute rateMinute long, from the anchor to the second.
            var anchor = new DateTimeOffset(rule.ScheduleAnchor.UtcTicks - (rule.ScheduleAnchor.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
            var period = rate.PeriodMinutes * rateMinute.Ticks;
            var elapsed = after.UtcTicks - anchor.UtcTicks;
            var k = elapsed < period ? 1 : (elapsed / period) + 1;
            return anchor.AddTicks(k * period);
        }

        return expression!.NextAfter(after, rule.ScheduleAnchor);
    }

    /// <summary>
    /// Where a rule's timer starts: the first scheduled time after both its last recorded firing and the moment its
    /// schedule came into force. A time in the past is a firing missed while the server was down.
    /// </summary>
    public static DateTimeOffset? FirstDue(RuleRecord rule, DateTimeOffset? lastFired, TimeSpan rateMinute)
    {
        var from = lastFired is { } last && last > rule.ActiveSince ? last : rule.ActiveSince;
        return rule.State == RuleState.Enabled ? NextDue(rule, from, rateMinute) : null;
    }

    /// <summary>Judges a firing of <paramref name="planned"/> due at <paramref name="due"/> against the newest state.</summary>
    public static FiringVerdict Judge(EventsState state, RuleRecord planned, DateTimeOffset due, DateTimeOffset now, TimeSpan window)
    {
        var key = EventsState.KeyOf(planned);
        if (!state.Rules.TryGetValue(key, out var current) || !ReferenceEquals(current, planned)
            || current.State != RuleState.Enabled || current.Schedule is null || due <= current.ActiveSince)
        {
            return FiringVerdict.Stale;
        }

        if (state.LastFired.TryGetValue(key, out var last) && last >= due)
        {
            return FiringVerdict.AlreadyFired;
        }

        if (now - due > window)
        {
            return FiringVerdict.TooOld;
        }

        return current.Targets.IsEmpty ? FiringVerdict.NoTargets : FiringVerdict.Fire;
    }

    /// <summary>
    /// The wait before the next try of an invocation that failed, or null when it is not tried again: it was not a
    /// failure on Berth's side (<paramref name="retryable"/>), it has no client token to make a retry safe (an event's
    /// delivery), it has had its <paramref name="maxRetries"/>, or the try would come after <paramref name="until"/>
    /// (the firing's time plus its MaximumEventAgeInSeconds). Waits double from <paramref name="baseDelay"/> up to
    /// <paramref name="maxDelay"/>.
    /// </summary>
    public static TimeSpan? RetryWait(
        bool retryable, bool hasToken, int retried, int maxRetries, DateTimeOffset now, DateTimeOffset until, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        if (!retryable || !hasToken || retried >= maxRetries)
        {
            return null;
        }

        var wait = TimeSpan.FromTicks(Math.Min(maxDelay.Ticks, baseDelay.Ticks << Math.Min(retried, 30)));
        return now + wait <= until ? wait : null;
    }

    /// <summary>
    /// RunTask's client token for one target of one firing: 64 hex digits of SHA-256 over the rule's or schedule's
    /// ARN, the target and the scheduled time, so invoking the same firing again (after a restart) replays it.
    /// </summary>
    public static string Token(string sourceArn, string targetId, DateTimeOffset due)
    {
        // Hashed from a stack buffer: a burst makes one token per firing.
        var text = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{sourceArn}\n{targetId}\n{due.UtcTicks}");
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = max <= 1024 ? stackalloc byte[1024] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max));
        var length = System.Text.Encoding.UTF8.GetBytes(text, buffer);
        Span<byte> hash = stackalloc byte[System.Security.Cryptography.SHA256.HashSizeInBytes];
        System.Security.Cryptography.SHA256.HashData(buffer[..length], hash);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }

        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// The firings to invoke again when the scheduler starts: each rule's and schedule's last recorded firing that is
    /// at most <paramref name="window"/> old. The server may have been killed between recording one and its RunTask;
    /// invoking it again with the same client tokens (<see cref="Token"/>) starts what was missed and replays what
    /// was not, as long as ECS still holds the tokens, which is why the window must not exceed their retention.
    /// </summary>
    public static (IReadOnlyList<(RuleRecord Rule, DateTimeOffset Due)> Rules, IReadOnlyList<(ScheduleRecord Schedule, DateTimeOffset Due)> Schedules) Recoverable(
        EventsState state, DateTimeOffset now, TimeSpan window)
    {
        var rules = new List<(RuleRecord, DateTimeOffset)>();
        foreach (var (key, due) in state.LastFired)
        {
            if (now - due <= window && state.Rules.TryGetValue(key, out var rule) && !rule.Targets.IsEmpty)
            {
                rules.Add((rule, due));
            }
        }

        var schedules = new List<(ScheduleRecord, DateTimeOffset)>();
        foreach (var (key, due) in state.ScheduleLastFired)
        {
            if (now - due <= window && state.Schedules.TryGetValue(key, out var schedule))
            {
                schedules.Add((schedule, due));
            }
        }

        return (rules, schedules);
    }

    /// <summary>
    /// Records the firing (rule, due) in the state before any target is invoked, so it happens at most once; refused
    /// (result null, nothing written) when the rule changed, was disabled, or this firing is already recorded.
    /// </summary>
    public static Decision<EventsState, RuleRecord?> Record(EventsState state, RuleRecord planned, DateTimeOffset due)
    {
        var key = EventsState.KeyOf(planned);
        if (!state.Rules.TryGetValue(key, out var current) || current.State != RuleState.Enabled || current.Schedule != planned.Schedule
            || (state.LastFired.TryGetValue(key, out var last) && last >= due))
        {
            return new(state, [], null);
        }

        return new(state with { LastFired = state.LastFired.SetItem(key, due) }, [EventsCodec.Fired(key, due)], current);
    }

    /// <summary>
    /// Records several firings in one decision (each as <see cref="Record(EventsState, RuleRecord, DateTimeOffset)"/> or
    /// <see cref="Record(EventsState, ScheduleRecord, DateTimeOffset, TimeSpan)"/> would): the result holds those
    /// recorded, with the rule or schedule as it is now; the refused ones are left out.
    /// </summary>
    public static Decision<EventsState, IReadOnlyList<Firing>> RecordAll(EventsState state, IReadOnlyList<Firing> firings, TimeSpan rateMinute)
    {
        var mutations = new List<Mutation>();
        var recorded = new List<Firing>(firings.Count);
        foreach (var firing in firings)
        {
            if (firing.Rule is { } rule)
            {
                var decision = Record(state, rule, firing.Due);
                if (decision.Result is { } current)
                {
                    state = decision.State;
                    mutations.AddRange(decision.Mutations);
                    recorded.Add(new Firing(current, firing.Due));
                }
            }
            else
            {
                var decision = Record(state, firing.Schedule!, firing.Due, rateMinute);
                if (decision.Result is { } current)
                {
                    state = decision.State;
                    mutations.AddRange(decision.Mutations);
                    recorded.Add(new Firing(current, firing.Due));
                }
            }
        }

        return new(state, mutations, recorded);
    }

    /// <summary>
    /// Deletes the schedules with ActionAfterCompletion DELETE whose last firing is recorded (all of them, or only
    /// those of the firings <paramref name="lastOnly"/>), now that their targets were invoked. A schedule changed
    /// since (another expression, a later firing to come) is kept.
    /// </summary>
    public static Decision<EventsState, int> CompleteAll(EventsState state, IEnumerable<Firing>? lastOnly, TimeSpan rateMinute)
    {
        var candidates = lastOnly is null
            ? state.ScheduleLastFired.Select(p => (Key: p.Key, Due: p.Value))
            : lastOnly.Where(f => f.Schedule is not null).Select(f => (Key: EventsState.KeyOf(f.Schedule!), f.Due));
        var mutations = new List<Mutation>();
        var deleted = 0;
        foreach (var (key, due) in candidates)
        {
            if (state.Schedules.TryGetValue(key, out var current) && current.DeleteAfterCompletion
                && state.ScheduleLastFired.TryGetValue(key, out var last) && last >= due && NextDue(current, last, rateMinute) is null)
            {
                state = Scheduler.ScheduleDecisions.Without(state, current);
                mutations.AddRange(EventsCodec.DeleteAll(current));
                deleted++;
            }
        }

        return new(state, mutations, deleted);
    }

    // A schedule's expression and zone, parsed once per record (records are immutable): a burst asks for thousands.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ScheduleRecord, Tuple<ScheduleExpression?, TimeZoneInfo>> Parsed = new();

    private static Tuple<ScheduleExpression?, TimeZoneInfo> Parse(ScheduleRecord schedule)
    {
        var parsed = ScheduleExpression.TryParse(schedule.Expression, ScheduleDialect.Scheduler, out var expression, out _) ? expression : null;
        Scheduler.ScheduleDecisions.TryZone(schedule.Timezone, out var zone);
        return Tuple.Create(parsed, zone);
    }

    /// <summary>
    /// The first scheduled time of <paramref name="schedule"/> strictly after <paramref name="after"/>, in its zone, inside
    /// its StartDate/EndDate (recurring schedules); null when it never fires again.
    /// </summary>
    public static DateTimeOffset? NextDue(ScheduleRecord schedule, DateTimeOffset after, TimeSpan rateMinute)
    {
        var (expression, zone) = Parsed.GetValue(schedule, Parse);
        if (expression is null)
        {
            return null;
        }

        if (expression is AtExpression at)
        {
            return at.NextAfter(after, schedule.ScheduleAnchor, zone);
        }

        if (schedule.StartDate is { } start && after < start)
        {
            after = start.AddTicks(-1);
        }

        DateTimeOffset? next;
        var anchor = schedule.StartDate ?? schedule.ScheduleAnchor;
        if (expression is RateExpression rate && rateMinute != TimeSpan.FromMinutes(1))
        {
            var from = new DateTimeOffset(anchor.UtcTicks - (anchor.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
            var period = rate.PeriodMinutes * rateMinute.Ticks;
            var elapsed = after.UtcTicks - from.UtcTicks;
            var k = elapsed < period ? 1 : (elapsed / period) + 1;
            next = from.AddTicks(k * period);
        }
        else
        {
            next = expression!.NextAfter(after, anchor, zone);
        }

        return next is { } n && schedule.EndDate is { } end && n > end ? null : next;
    }

    /// <summary>Where a schedule's timer starts: after its last recorded firing and the moment its settings came into force.</summary>
    public static DateTimeOffset? FirstDue(ScheduleRecord schedule, DateTimeOffset? lastFired, TimeSpan rateMinute)
    {
        var from = lastFired is { } last && last > schedule.ActiveSince ? last : schedule.ActiveSince;
        return schedule.State == RuleState.Enabled ? NextDue(schedule, from, rateMinute) : null;
    }

    /// <summary>
    /// How far a FLEXIBLE schedule's firing for <paramref name="due"/> is put off: a random offset inside its window, drawn
    /// from <paramref name="seed"/>, the schedule and the due time, so the same firing gets the same offset after a restart.
    /// </summary>
    public static TimeSpan FlexibleOffset(ScheduleRecord schedule, DateTimeOffset due, int seed)
    {
        if (schedule.FlexibleWindowMinutes is not { } minutes)
        {
            return TimeSpan.Zero;
        }

        var hash = 2166136261u;
        foreach (var c in EventsState.KeyOf(schedule))
        {
            hash = (hash ^ c) * 16777619u;
        }

        var random = new Random(seed ^ (int)hash ^ due.UtcTicks.GetHashCode());
        return TimeSpan.FromTicks(random.NextInt64(TimeSpan.FromMinutes(minutes).Ticks));
    }

    /// <summary>Judges a firing of the schedule <paramref name="planned"/> due at <paramref name="due"/> against the newest state.</summary>
    public static FiringVerdict Judge(EventsState state, ScheduleRecord planned, DateTimeOffset due, DateTimeOffset now)
    {
        var key = EventsState.KeyOf(planned);
        if (!state.Schedules.TryGetValue(key, out var current) || !ReferenceEquals(current, planned)
            || current.State != RuleState.Enabled || due <= current.ActiveSince)
        {
            return FiringVerdict.Stale;
        }

        if (state.ScheduleLastFired.TryGetValue(key, out var last) && last >= due)
        {
            return FiringVerdict.AlreadyFired;
        }

        return now - due > TimeSpan.FromSeconds(current.MaximumEventAgeInSeconds) ? FiringVerdict.TooOld : FiringVerdict.Fire;
    }

    /// <summary>
    /// Records the schedule's firing for <paramref name="due"/>; refused (result null, nothing written) when the
    /// schedule changed, was disabled or deleted, or this firing is already recorded. A schedule with
    /// ActionAfterCompletion DELETE stays until its last firing's target answered (<see cref="CompleteAll"/>): deleted
    /// with the record, a kill before its RunTask would leave nothing to invoke again.
    /// </summary>
    public static Decision<EventsState, ScheduleRecord?> Record(EventsState state, ScheduleRecord planned, DateTimeOffset due, TimeSpan rateMinute)
    {
        var key = EventsState.KeyOf(planned);
        if (!state.Schedules.TryGetValue(key, out var current) || !ReferenceEquals(current, planned) || current.State != RuleState.Enabled
            || (state.ScheduleLastFired.TryGetValue(key, out var last) && last >= due))
        {
            return new(state, [], null);
        }

        return new(state with { ScheduleLastFired = state.ScheduleLastFired.SetItem(key, due) }, [EventsCodec.ScheduleFired(key, due)], current);
    }
}

/// <summary>One firing: a rule or a schedule (exactly one of them), and the time it is scheduled for.</summary>
public sealed record Firing
{
    /// <summary>A rule's firing.</summary>
    public Firing(RuleRecord rule, DateTimeOffset due) => (Rule, Due) = (rule, due);

    /// <summary>A schedule's firing.</summary>
    public Firing(ScheduleRecord schedule, DateTimeOffset due) => (Schedule, Due) = (schedule, due);

    /// <summary>The rule, for a rule's firing.</summary>
    public RuleRecord? Rule { get; }

    /// <summary>The schedule, for a schedule's firing.</summary>
    public ScheduleRecord? Schedule { get; }

    /// <summary>The scheduled time.</summary>
    public DateTimeOffset Due { get; }

    /// <summary>The rule's or schedule's name.</summary>
    public string Name => Rule?.Name ?? Schedule!.Name;
}
