using System.Collections.Concurrent;
using Berth.Events.Firing;
using Berth.Events.Model;
using Berth.Events.Rules;
using Berth.Events.State;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Events.Tests;

/// <summary>When rules fire: the pure plan as tables, and the scheduler loop on a fake clock over a real SQLite store.</summary>
public sealed class FiringTests : IDisposable
{
    private static readonly EventsScope Scope = new("us-east-1", "000000000000");
    private static readonly DateTimeOffset Created = new(2026, 12, 2, 10, 2, 30, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("berth-events-firing-").FullName;

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Target Target(string id = "t1") => new()
    {
        Id = id,
        Arn = "arn:aws:ecs:us-east-1:000000000000:cluster/default",
        Input = """{"containerOverrides":[{"name":"app","command":["echo","hi"]}]}""",
        EcsParameters = new EcsParameters { TaskDefinitionArn = "hello" },
    };

    private static EventsState Rule(string schedule, bool targets = true, string state = "ENABLED")
    {
        var s = RuleDecisions.PutRule(EventsState.Empty, Scope, Created, new PutRuleRequest { Name = "r", ScheduleExpression = schedule, State = state }).State;
        return targets ? RuleDecisions.PutTargets(s, Scope, new PutTargetsRequest { Rule = "r", Targets = [Target()] }).State : s;
    }

    private static DateTimeOffset T(int minutes, int seconds = 0) => Created.AddSeconds(-30).AddMinutes(minutes).AddSeconds(seconds);

    [Theory]
    // retryable, token, retried so far, max retries, seconds since the firing, its event age (s) → wait (s), or -1: none.
    [InlineData(true, true, 0, 185, 0, 86400, 1)]
    [InlineData(true, true, 1, 185, 1, 86400, 2)]
    [InlineData(true, true, 5, 185, 60, 86400, 32)]
    [InlineData(true, true, 6, 185, 100, 86400, 60)]
    [InlineData(true, true, 40, 185, 3000, 86400, 60)]
    // ECS refused it, or an event's delivery (no client token): never.
    [InlineData(false, true, 0, 185, 0, 86400, -1)]
    [InlineData(true, false, 0, 185, 0, 86400, -1)]
    // Out of attempts, or the try would come after the event age.
    [InlineData(true, true, 3, 3, 10, 86400, -1)]
    [InlineData(true, true, 0, 0, 0, 86400, -1)]
    [InlineData(true, true, 2, 185, 57, 60, -1)]
    [InlineData(true, true, 2, 185, 56, 60, 4)]
    public void A_failed_invocation_is_retried_with_doubling_waits_within_its_RetryPolicy(
        bool retryable, bool hasToken, int retried, int maxRetries, int sinceFiring, int eventAge, int expected)
    {
        var firing = Created;
        var wait = FiringPlan.RetryWait(retryable, hasToken, retried, maxRetries, firing.AddSeconds(sinceFiring), firing.AddSeconds(eventAge),
            TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal(expected < 0 ? (TimeSpan?)null : TimeSpan.FromSeconds(expected), wait);
    }

    [Theory]
    // rate(): from the anchor (10:02:30 → 10:02), in whole periods; a scaled minute counts from the anchor's second.
    [InlineData("rate(5 minutes)", null, 60, "2026-12-02T10:07:00Z")]
    [InlineData("rate(5 minutes)", "2026-12-02T10:12:00Z", 60, "2026-12-02T10:17:00Z")]
    [InlineData("rate(1 minute)", null, 2, "2026-12-02T10:02:32Z")]
    [InlineData("rate(5 minutes)", null, 2, "2026-12-02T10:02:40Z")]
    [InlineData("rate(1 minute)", "2026-12-02T10:02:40Z", 2, "2026-12-02T10:02:42Z")]
    // cron(): UTC wall clock, not scaled.
    [InlineData("cron(0/15 * * * ? *)", null, 2, "2026-12-02T10:15:00Z")]
    [InlineData("cron(0/15 * * * ? *)", "2026-12-02T10:15:00Z", 60, "2026-12-02T10:30:00Z")]
    public void First_due(string schedule, string? lastFired, int minuteSeconds, string expected)
    {
        var rule = Rule(schedule).Rules.Values.Single();
        DateTimeOffset? last = lastFired is null ? null : DateTimeOffset.Parse(lastFired, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), FiringPlan.FirstDue(rule, last, TimeSpan.FromSeconds(minuteSeconds)));
    }

    [Fact]
    public void A_disabled_rule_has_no_due_time() =>
        Assert.Null(FiringPlan.FirstDue(Rule("rate(1 minute)", state: "DISABLED").Rules.Values.Single(), null, Minute));

    [Theory]
    [InlineData("fire", 3, 3, null, FiringVerdict.Fire)]
    [InlineData("disabled", 3, 3, null, FiringVerdict.Stale)]
    [InlineData("changed", 3, 3, null, FiringVerdict.Stale)]
    [InlineData("deleted", 3, 3, null, FiringVerdict.Stale)]
    [InlineData("fire", 3, 3, 3, FiringVerdict.AlreadyFired)]
    [InlineData("fire", 3, 3, 5, FiringVerdict.AlreadyFired)]
    [InlineData("fire", 3, 3, 2, FiringVerdict.Fire)]
    [InlineData("fire", 3, 3 + (24 * 60), null, FiringVerdict.Fire)]
    [InlineData("fire", 3, 4 + (24 * 60), null, FiringVerdict.TooOld)]
    [InlineData("untargeted", 3, 3, null, FiringVerdict.NoTargets)]
    [InlineData("fire", 0, 3, null, FiringVerdict.Stale)]
    public void Judge(string situation, int dueMinute, int nowMinute, int? lastFiredMinute, FiringVerdict expected)
    {
        var state = Rule("rate(1 minute)", targets: situation != "untargeted");
        var planned = state.Rules.Values.Single();
        state = situation switch
        {
            "disabled" => RuleDecisions.SetState(state, Scope, Created, null, "r", RuleState.Disabled).State,
            "changed" => RuleDecisions.PutRule(state, Scope, Created, new PutRuleRequest { Name = "r", ScheduleExpression = "rate(2 minutes)" }).State,
            "deleted" => state with { Rules = state.Rules.Clear() },
            _ => state,
        };
        if (lastFiredMinute is { } last)
        {
            state = state with { LastFired = state.LastFired.SetItem(EventsState.KeyOf(planned), T(last)) };
        }

        Assert.Equal(expected, FiringPlan.Judge(state, planned, T(dueMinute), T(nowMinute), FiringPlan.DeliveryWindow));
    }

    [Fact]
    public void A_firing_is_recorded_once()
    {
        var state = Rule("rate(1 minute)");
        var planned = state.Rules.Values.Single();
        var first = FiringPlan.Record(state, planned, T(1));
        Assert.NotNull(first.Result);
        Assert.Single(first.Mutations);
        var again = FiringPlan.Record(first.State, planned, T(1));
        Assert.Null(again.Result);
        Assert.Empty(again.Mutations);
        Assert.Null(FiringPlan.Record(first.State, planned, T(0, 59)).Result);
        Assert.NotNull(FiringPlan.Record(first.State, planned, T(2)).Result);

        // The record survives the codec: after a restart the firing is still known.
        var stored = first.Mutations.Select(m => new Berth.Storage.Documents.StoredDocument(m.Kind, m.Id, m.Body!));
        Assert.Equal(T(1), EventsCodec.Load(stored).LastFired[EventsState.KeyOf(planned)]);
    }

    [Fact]
    public async Task The_loop_fires_each_minute_with_startedBy_and_stops_when_disabled()
    {
        var clock = new FakeTimeProvider(Created);
        var ecs = new RecordingEcs();
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events.db"), CancellationToken.None);
        await using var pipeline = new CommitPipeline<EventsState>(store, EventsState.Empty);
        await pipeline.ExecuteAsync(s => RuleDecisions.PutRule(s, Scope, clock.GetUtcNow(), new PutRuleRequest { Name = "r", ScheduleExpression = "rate(1 minute)" }));
        await pipeline.ExecuteAsync(s => RuleDecisions.PutTargets(s, Scope, new PutTargetsRequest { Rule = "r", Targets = [Target()] }));
        await using var scheduler = new RuleScheduler(pipeline, ecs, clock, new RuleSchedulerOptions(), NullLogger.Instance);
        scheduler.Start();

        for (var i = 1; i <= 3; i++)
        {
            await AdvanceUntilAsync(clock, () => ecs.Calls.Count >= i);
        }

        // Recorded while the RunTask goes: the record may land just after it.
        await WaitUntilAsync(() => pipeline.Current.LastFired.Values.SingleOrDefault() == T(3));
        Assert.Equal(3, ecs.Calls.Count);
        Assert.All(ecs.Calls, c => Assert.Equal("events-rule/r", c.StartedBy));
        Assert.All(ecs.Calls, c => Assert.Equal("hello", c.Parameters.TaskDefinitionArn));
        Assert.Contains("containerOverrides", ecs.Calls.First().Input, StringComparison.Ordinal);
        Assert.Equal(T(3), pipeline.Current.LastFired.Single().Value);

        await pipeline.ExecuteAsync(s => RuleDecisions.SetState(s, Scope, clock.GetUtcNow(), null, "r", RuleState.Disabled));
        for (var i = 0; i < 5; i++)
        {
            clock.Advance(Minute);
            await Task.Delay(20);
        }

        Assert.Equal(3, ecs.Calls.Count);
    }

    [Fact]
    public async Task After_a_restart_missed_firings_within_24_h_are_delivered_and_a_recorded_one_is_not_repeated()
    {
        // rate(1 hour) created at 10:02, fired (recorded) at 11:02, then the server was down until 17:02:10 the next
        // day: the firings from 12:02 to 17:02 on the 2nd are older than 24 h (dropped), the 24 from 18:02 on the 2nd
        // to 17:02 on the 3rd are delivered.
        var state = Rule("rate(1 hour)");
        var key = EventsState.KeyOf(state.Rules.Values.Single());
        state = state with { LastFired = state.LastFired.SetItem(key, T(60)) };
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events.db"), CancellationToken.None);
        var now = T(60 + (30 * 60), 10);
        var clock = new FakeTimeProvider(now);
        var ecs = new RecordingEcs();
        await using var pipeline = new CommitPipeline<EventsState>(store, state);
        await using (var scheduler = new RuleScheduler(pipeline, ecs, clock, new RuleSchedulerOptions(), NullLogger.Instance))
        {
            scheduler.Start();
            await WaitUntilAsync(() => pipeline.Current.LastFired[key] == T(60 + (30 * 60)));
        }

        Assert.Equal(24, ecs.Calls.Count);
        Assert.Equal(T(60 + (30 * 60)), pipeline.Current.LastFired[key]);

        // Each firing's RunTask has its own client token (64 hex digits, what ECS accepts).
        Assert.Equal(24, ecs.Calls.Select(c => c.ClientToken).Distinct().Count());
        Assert.All(ecs.Calls, c => Assert.Matches("^[0-9a-f]{64}$", c.ClientToken));

        // Started again with the last firing recorded (as if killed before its RunTask): only that firing is invoked
        // again, with the same token and input, so ECS replays it if it ran and starts it if it did not.
        var again = new RecordingEcs();
        await using (var scheduler = new RuleScheduler(pipeline, again, clock, new RuleSchedulerOptions(), NullLogger.Instance))
        {
            scheduler.Start();
            await WaitUntilAsync(() => !again.Calls.IsEmpty);
            await Task.Delay(200);
        }

        var rule = pipeline.Current.Rules.Values.Single();
        var last = Assert.Single(ecs.Calls, c => c.ClientToken == FiringPlan.Token(rule.Arn, rule.Targets.Single().Id, T(60 + (30 * 60))));
        var replayed = Assert.Single(again.Calls);
        Assert.Equal(last.ClientToken, replayed.ClientToken);
        Assert.Equal(last.Input, replayed.Input);
        Assert.Equal(T(60 + (30 * 60)), pipeline.Current.LastFired[key]);

        // Outside the recovery window (ECS no longer holds the token), nothing is invoked again.
        var late = new RecordingEcs();
        await using (var scheduler = new RuleScheduler(pipeline, late, clock, new RuleSchedulerOptions { RecoveryWindow = TimeSpan.FromSeconds(5) }, NullLogger.Instance))
        {
            scheduler.Start();
            await Task.Delay(200);
        }

        Assert.Empty(late.Calls);
    }

    [Fact]
    public void Firing_tokens_and_scheduled_inputs_are_the_same_for_the_same_firing_and_differ_otherwise()
    {
        var rule = Rule("rate(1 minute)").Rules.Values.Single();
        Assert.Equal(FiringPlan.Token(rule.Arn, "t", T(1)), FiringPlan.Token(rule.Arn, "t", T(1)));
        Assert.NotEqual(FiringPlan.Token(rule.Arn, "t", T(1)), FiringPlan.Token(rule.Arn, "t", T(2)));
        Assert.NotEqual(FiringPlan.Token(rule.Arn, "t", T(1)), FiringPlan.Token(rule.Arn, "u", T(1)));
        var target = new TargetRecord { Id = "t", Arn = "arn:aws:ecs:us-east-1:000000000000:cluster/default", InputPath = "$" };
        var input = Berth.Events.Delivery.EventRouting.ScheduledInput(rule, target, T(1));
        Assert.Equal(input, Berth.Events.Delivery.EventRouting.ScheduledInput(rule, target, T(1)));
        Assert.NotEqual(input, Berth.Events.Delivery.EventRouting.ScheduledInput(rule, target, T(2)));
    }

    private static async Task AdvanceUntilAsync(FakeTimeProvider clock, Func<bool> done)
    {
        for (var i = 0; i < 200 && !done(); i++)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(10);
        }

        Assert.True(done());
    }

    private static async Task WaitUntilAsync(Func<bool> done)
    {
        for (var i = 0; i < 500 && !done(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(done());
    }

    [Fact]
    public async Task Firings_count_AWS_Events_metrics_per_rule_and_failed_invocations_apart()
    {
        var clock = new FakeTimeProvider(Created);
        var ecs = new RecordingEcs { Fail = true };
        var sink = new RecordingSink();
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events.db"), CancellationToken.None);
        await using var pipeline = new CommitPipeline<EventsState>(store, EventsState.Empty);
        await pipeline.ExecuteAsync(s => RuleDecisions.PutRule(s, Scope, clock.GetUtcNow(), new PutRuleRequest { Name = "r", ScheduleExpression = "rate(1 minute)" }));
        await pipeline.ExecuteAsync(s => RuleDecisions.PutTargets(s, Scope, new PutTargetsRequest { Rule = "r", Targets = [Target()] }));
        await using (var scheduler = new RuleScheduler(pipeline, ecs, clock, new RuleSchedulerOptions(), NullLogger.Instance, sink))
        {
            scheduler.Start();
            await AdvanceUntilAsync(clock, () => sink.Sum("AWS/Events", "FailedInvocations", "RuleName=r") >= 2);
        }

        Assert.Equal(2, sink.Sum("AWS/Events", "TriggeredRules", "RuleName=r"));
        Assert.Equal(2, sink.Sum("AWS/Events", "Invocations", "RuleName=r"));
        Assert.Equal(2, sink.Sum("AWS/Events", "Invocations", ""));
        Assert.Equal(0, sink.Sum("AWS/Events", "MatchedEvents", "RuleName=r"));
    }

    [Fact]
    public async Task A_scheduled_rules_log_group_target_gets_each_Scheduled_Event()
    {
        var clock = new FakeTimeProvider(Created);
        var logs = new RecordingLogs();
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events.db"), CancellationToken.None);
        await using var pipeline = new CommitPipeline<EventsState>(store, EventsState.Empty);
        await pipeline.ExecuteAsync(s => RuleDecisions.PutRule(s, Scope, clock.GetUtcNow(), new PutRuleRequest { Name = "r", ScheduleExpression = "rate(1 minute)" }));
        await pipeline.ExecuteAsync(s => RuleDecisions.PutTargets(s, Scope, new PutTargetsRequest { Rule = "r", Targets = [new Target { Id = "log", Arn = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/r" }] }));
        await using (var scheduler = new RuleScheduler(pipeline, new RecordingEcs(), clock, new RuleSchedulerOptions(), NullLogger.Instance) { LogGroups = logs })
        {
            scheduler.Start();
            await AdvanceUntilAsync(clock, () => logs.Puts.Count >= 2);
        }

        var first = logs.Puts.First();
        Assert.Equal("/aws/events/r", first.LogGroup);
        var @event = System.Text.Json.Nodes.JsonNode.Parse(first.Message)!;
        Assert.Equal(("Scheduled Event", "aws.events", first.Stream), ((string?)@event["detail-type"], (string?)@event["source"], (string?)@event["id"]));
        Assert.Equal(2, logs.Puts.Take(2).Select(p => p.Stream).Distinct().Count());
    }

    [Fact]
    public void Scheduler_metrics_are_per_group_and_for_the_account_and_custom_buses_name_theirs()
    {
        var sink = new RecordingSink();
        var at = T(1);
        InvocationMetrics.Invoked(sink, new InvocationSource(InvocationKind.Schedule, "s", "g"), failed: true, at);
        InvocationMetrics.Dropped(sink, new InvocationSource(InvocationKind.Schedule, "s", "g"), at);
        InvocationMetrics.Triggered(sink, new InvocationSource(InvocationKind.Rule, "r", "orders"), matchedEvent: true, at);
        Assert.Equal(1, sink.Sum("AWS/Scheduler", "InvocationAttemptCount", "ScheduleGroup=g"));
        Assert.Equal(1, sink.Sum("AWS/Scheduler", "InvocationAttemptCount", ""));
        Assert.Equal(1, sink.Sum("AWS/Scheduler", "TargetErrorCount", "ScheduleGroup=g"));
        Assert.Equal(1, sink.Sum("AWS/Scheduler", "InvocationDroppedCount", "ScheduleGroup=g"));
        Assert.Equal(1, sink.Sum("AWS/Events", "TriggeredRules", "EventBusName=orders,RuleName=r"));
        Assert.Equal(1, sink.Sum("AWS/Events", "MatchedEvents", "EventBusName=orders,RuleName=r"));
        InvocationMetrics.Invoked(null, new InvocationSource(InvocationKind.Rule, "r", "default"), failed: false, at);
    }

    private sealed class RecordingEcs : IRunTaskTarget
    {
        public ConcurrentQueue<RunTaskCall> Calls { get; } = new();

        public bool Fail { get; init; }

        public Task<RunTaskOutcome> RunTaskAsync(RunTaskCall call, CancellationToken cancellationToken)
        {
            Calls.Enqueue(call);
            return Task.FromResult(Fail
                ? new RunTaskOutcome([], ["arn: RESOURCE:CPU"])
                : new RunTaskOutcome(["arn:aws:ecs:us-east-1:000000000000:task/default/" + Calls.Count], []));
        }
    }

    private sealed class RecordingLogs : ILogGroupTarget
    {
        public ConcurrentQueue<LogDelivery> Puts { get; } = new();

        public Task<string?> PutAsync(LogDelivery delivery, CancellationToken cancellationToken)
        {
            Puts.Enqueue(delivery);
            return Task.FromResult<string?>(null);
        }
    }

    private sealed class RecordingSink : IMetricSink
    {
        private readonly ConcurrentQueue<(string Key, double Value)> _counts = new();

        public double Sum(string @namespace, string metric, string dimensions) =>
            _counts.Where(c => c.Key == $"{@namespace}/{metric}/{dimensions}").Sum(c => c.Value);

        public void Count(string @namespace, string metricName, IReadOnlyList<KeyValuePair<string, string>> dimensions, double value, DateTimeOffset at) =>
            _counts.Enqueue(($"{@namespace}/{metricName}/{string.Join(',', dimensions.Select(d => d.Key + "=" + d.Value))}", value));
    }
}
