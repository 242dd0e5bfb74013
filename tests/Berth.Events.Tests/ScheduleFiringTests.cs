using System.Collections.Concurrent;
using System.Globalization;
using Berth.Events.Firing;
using Berth.Events.Scheduler;
using Berth.Events.State;
using Berth.Scheduler.Model;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Events.Tests;

/// <summary>When Scheduler schedules fire: the pure plan as tables, and the shared scheduler loop on a fake clock over a real SQLite store.</summary>
public sealed class ScheduleFiringTests : IDisposable
{
    private const string Region = "us-east-1";
    private const string Account = "000000000000";
    private static readonly DateTimeOffset Created = new(2026, 12, 2, 10, 2, 30, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("berth-scheduler-firing-").FullName;

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CreateScheduleInput Input(string expression, string? zone = null, string? state = null, string? action = null, int? window = null, string target = "arn:aws:ecs:us-east-1:000000000000:cluster/default") => new()
    {
        Name = "s",
        ScheduleExpression = expression,
        ScheduleExpressionTimezone = zone,
        State = state,
        ActionAfterCompletion = action,
        FlexibleTimeWindow = window is null ? new FlexibleTimeWindow { Mode = "OFF" } : new FlexibleTimeWindow { Mode = "FLEXIBLE", MaximumWindowInMinutes = window },
        Target = target == ScheduleDecisions.UniversalRunTask
            ? new Target { Arn = target, RoleArn = "arn:aws:iam::000000000000:role/r", Input = """{"cluster":"default","taskDefinition":"hello"}""" }
            : new Target { Arn = target, RoleArn = "arn:aws:iam::000000000000:role/r", Input = """{"containerOverrides":[]}""", EcsParameters = new EcsParameters { TaskDefinitionArn = "hello" } },
    };

    private static ScheduleRecord Schedule(CreateScheduleInput input, DateTimeOffset? start = null, DateTimeOffset? end = null)
    {
        input.StartDate = start;
        input.EndDate = end;
        return ScheduleDecisions.Create(EventsState.Empty, Region, Account, Created, input).Result;
    }

    private static DateTimeOffset? At(string? text) => text is null ? null : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    [Theory]
    // at(): once, in the schedule's zone; nothing after it.
    [InlineData("at(2026-12-02T10:05:00)", null, null, null, null, "2026-12-02T10:05:00Z")]
    [InlineData("at(2026-12-02T10:05:00)", "America/New_York", null, null, null, "2026-12-02T15:05:00Z")]
    [InlineData("at(2026-12-02T10:05:00)", null, "2026-12-02T10:05:00Z", null, null, null)]
    [InlineData("at(2026-12-02T10:00:00)", null, null, null, null, null)]
    // The zone's daylight saving: a skipped local time does not fire; a repeated one fires once, at its first occurrence.
    [InlineData("at(2027-03-14T02:30:00)", "America/New_York", "2027-03-01T00:00:00Z", null, null, null)]
    [InlineData("at(2027-11-07T01:30:00)", "America/New_York", "2027-11-01T00:00:00Z", null, null, "2027-11-07T05:30:00Z")]
    // rate(): from creation to the minute; from StartDate when it has one; not after EndDate.
    [InlineData("rate(5 minutes)", null, null, null, null, "2026-12-02T10:07:00Z")]
    [InlineData("rate(5 minutes)", null, null, "2026-12-02T12:00:00Z", null, "2026-12-02T12:05:00Z")]
    [InlineData("rate(5 minutes)", null, "2026-12-02T10:07:00Z", null, "2026-12-02T10:10:00Z", null)]
    [InlineData("rate(5 minutes)", null, "2026-12-02T10:02:00Z", null, "2026-12-02T10:10:00Z", "2026-12-02T10:07:00Z")]
    // cron(): wall-clock time of the zone.
    [InlineData("cron(0 9 * * ? *)", "Europe/Paris", null, null, null, "2026-12-03T08:00:00Z")]
    [InlineData("cron(0 9 * * ? *)", "Asia/Tokyo", null, null, null, "2026-12-03T00:00:00Z")]
    [InlineData("cron(0 9 * * ? *)", null, null, "2026-12-10T00:00:00Z", null, "2026-12-10T09:00:00Z")]
    public void Next_due(string expression, string? zone, string? after, string? start, string? end, string? expected)
    {
        var schedule = Schedule(Input(expression, zone), At(start), At(end));
        Assert.Equal(At(expected), FiringPlan.NextDue(schedule, At(after) ?? Created, Minute));
    }

    [Fact]
    public void A_scaled_minute_shortens_rate_but_not_cron_or_at()
    {
        Assert.Equal(Created.AddSeconds(4), FiringPlan.NextDue(Schedule(Input("rate(2 minutes)")), Created, TimeSpan.FromSeconds(2)));
        Assert.Equal(At("2026-12-02T10:15:00Z"), FiringPlan.NextDue(Schedule(Input("cron(0/15 * * * ? *)")), Created, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void A_disabled_schedule_has_no_due_time_and_a_recorded_firing_is_not_due_again()
    {
        Assert.Null(FiringPlan.FirstDue(Schedule(Input("rate(1 minute)", state: "DISABLED")), null, Minute));
        var schedule = Schedule(Input("rate(1 minute)"));
        Assert.Equal(At("2026-12-02T10:06:00Z"), FiringPlan.FirstDue(schedule, At("2026-12-02T10:05:00Z"), Minute));
    }

    [Fact]
    public void A_flexible_offset_stays_inside_the_window_and_is_the_same_for_the_same_seed()
    {
        var flexible = Schedule(Input("rate(1 minute)", window: 10));
        var offsets = Enumerable.Range(0, 200).Select(i => FiringPlan.FlexibleOffset(flexible, Created.AddMinutes(i), 42)).ToList();
        Assert.All(offsets, o => Assert.InRange(o, TimeSpan.Zero, TimeSpan.FromMinutes(10)));
        Assert.True(offsets.Distinct().Count() > 150, "offsets spread over the window");
        Assert.Equal(offsets, Enumerable.Range(0, 200).Select(i => FiringPlan.FlexibleOffset(flexible, Created.AddMinutes(i), 42)));
        Assert.NotEqual(offsets, Enumerable.Range(0, 200).Select(i => FiringPlan.FlexibleOffset(flexible, Created.AddMinutes(i), 43)));
        Assert.Equal(TimeSpan.Zero, FiringPlan.FlexibleOffset(Schedule(Input("rate(1 minute)")), Created, 42));
    }

    [Theory]
    [InlineData("fire", 3, 3, null, FiringVerdict.Fire)]
    [InlineData("disabled", 3, 3, null, FiringVerdict.Stale)]
    [InlineData("updated", 3, 3, null, FiringVerdict.Stale)]
    [InlineData("deleted", 3, 3, null, FiringVerdict.Stale)]
    [InlineData("fire", 3, 3, 3, FiringVerdict.AlreadyFired)]
    [InlineData("fire", 3, 3 + (24 * 60), null, FiringVerdict.Fire)]
    [InlineData("fire", 3, 4 + (24 * 60), null, FiringVerdict.TooOld)]
    [InlineData("short retry", 3, 5, null, FiringVerdict.Fire)]
    [InlineData("short retry", 3, 6, null, FiringVerdict.TooOld)]
    [InlineData("fire", 0, 3, null, FiringVerdict.Stale)]
    public void Judge(string situation, int dueMinute, int nowMinute, int? lastFiredMinute, FiringVerdict expected)
    {
        var input = Input("rate(1 minute)");
        if (situation == "short retry")
        {
            input.Target!.RetryPolicy = new RetryPolicy { MaximumEventAgeInSeconds = 120 };
        }

        var state = ScheduleDecisions.Create(EventsState.Empty, Region, Account, Created, input).State;
        var planned = state.Schedules.Values.Single();
        var update = new UpdateScheduleInput { Name = "s", ScheduleExpression = "rate(1 minute)", FlexibleTimeWindow = input.FlexibleTimeWindow, Target = input.Target, State = "DISABLED" };
        state = situation switch
        {
            "disabled" => ScheduleDecisions.Update(state, Region, Account, Created, update).State,
            "updated" => ScheduleDecisions.Update(state, Region, Account, Created, new UpdateScheduleInput { Name = "s", ScheduleExpression = "rate(2 minutes)", FlexibleTimeWindow = input.FlexibleTimeWindow, Target = input.Target }).State,
            "deleted" => ScheduleDecisions.Delete(state, Region, new DeleteScheduleInput { Name = "s" }).State,
            _ => state,
        };
        if (lastFiredMinute is { } last)
        {
            state = state with { ScheduleLastFired = state.ScheduleLastFired.SetItem(EventsState.KeyOf(planned), T(last)) };
        }

        Assert.Equal(expected, FiringPlan.Judge(state, planned, T(dueMinute), T(nowMinute)));
    }

    [Fact]
    public void Recording_a_firing_happens_once_and_completing_the_last_firing_of_a_DELETE_schedule_deletes_it()
    {
        var state = ScheduleDecisions.Create(EventsState.Empty, Region, Account, Created, Input("rate(1 minute)")).State;
        var planned = state.Schedules.Values.Single();
        var first = FiringPlan.Record(state, planned, T(1), Minute);
        Assert.Same(planned, first.Result);
        Assert.Null(FiringPlan.Record(first.State, planned, T(1), Minute).Result);
        var stored = first.Mutations.Select(m => new Berth.Storage.Documents.StoredDocument(m.Kind, m.Id, m.Body!));
        Assert.Equal(T(1), EventsCodec.Load(stored).ScheduleLastFired[EventsState.KeyOf(planned)]);

        var once = ScheduleDecisions.Create(EventsState.Empty, Region, Account, Created, Input("at(2026-12-02T10:05:00)", action: "DELETE")).State;
        var at = once.Schedules.Values.Single();
        var due = At("2026-12-02T10:05:00Z")!.Value;
        var fired = FiringPlan.Record(once, at, due, Minute);
        Assert.Same(at, fired.Result);

        // Recorded, not deleted: a kill before its RunTask leaves it for the start to invoke again.
        Assert.Single(fired.State.Schedules);
        Assert.Equal(0, FiringPlan.CompleteAll(once, null, Minute).Result);
        var completed = FiringPlan.CompleteAll(fired.State, [new Berth.Events.Firing.Firing(at, due)], Minute);
        Assert.Equal(1, completed.Result);
        Assert.Empty(completed.State.Schedules);
        Assert.Empty(completed.State.ScheduleLastFired);
        Assert.All(completed.Mutations, m => Assert.Null(m.Body));
        Assert.Equal(1, FiringPlan.CompleteAll(fired.State, null, Minute).Result);

        // A recurring DELETE schedule is kept while a firing is still to come.
        var recurring = ScheduleDecisions.Create(EventsState.Empty, Region, Account, Created, Input("rate(1 minute)", action: "DELETE")).State;
        var every = recurring.Schedules.Values.Single();
        var once1 = FiringPlan.Record(recurring, every, T(1), Minute).State;
        Assert.Equal(0, FiringPlan.CompleteAll(once1, null, Minute).Result);

        // NONE keeps it (recorded, never due again).
        var kept = ScheduleDecisions.Create(EventsState.Empty, Region, Account, Created, Input("at(2026-12-02T10:05:00)", action: "NONE")).State;
        var after = FiringPlan.Record(kept, kept.Schedules.Values.Single(), At("2026-12-02T10:05:00Z")!.Value, Minute).State;
        Assert.Single(after.Schedules);
        Assert.Null(FiringPlan.FirstDue(after.Schedules.Values.Single(), after.ScheduleLastFired.Values.Single(), Minute));
    }

    [Fact]
    public void Schedules_and_groups_survive_the_codec()
    {
        var state = ScheduleDecisions.CreateGroup(EventsState.Empty, Region, Account, Created, new CreateScheduleGroupInput { Name = "g", Tags = [new Tag { Key = "k", Value = "v" }] });
        var input = Input("cron(0 9 * * ? *)", "Europe/Paris", window: 5);
        input.GroupName = "g";
        var created = ScheduleDecisions.Create(state.State, Region, Account, Created, input);
        var loaded = EventsCodec.Load(state.Mutations.Concat(created.Mutations).Select(m => new Berth.Storage.Documents.StoredDocument(m.Kind, m.Id, m.Body!)));
        Assert.Equal(created.Result, loaded.Schedules.Values.Single() with { Ecs = created.Result.Ecs });
        Assert.Equal("v", loaded.ScheduleGroups.Values.Single().Tags["k"]);
    }

    [Fact]
    public async Task The_loop_fires_an_at_schedule_once_with_startedBy_deletes_it_and_never_fires_a_disabled_one()
    {
        var clock = new FakeTimeProvider(Created);
        var ecs = new RecordingEcs();
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events.db"), CancellationToken.None);
        await using var pipeline = new CommitPipeline<EventsState>(store, EventsState.Empty);
        var once = Input("at(2026-12-02T10:03:00)", action: "DELETE");
        var universal = Input("at(2026-12-02T05:03:00)", zone: "America/New_York", target: ScheduleDecisions.UniversalRunTask);
        universal.Name = "sdk";
        var off = Input("at(2026-12-02T10:03:00)", state: "DISABLED");
        off.Name = "off";
        foreach (var input in new[] { once, universal, off })
        {
            await pipeline.ExecuteAsync(s => ScheduleDecisions.Create(s, Region, Account, clock.GetUtcNow(), input));
        }

        await using var scheduler = new RuleScheduler(pipeline, ecs, clock, new RuleSchedulerOptions(), NullLogger.Instance);
        scheduler.Start();
        await AdvanceUntilAsync(clock, () => ecs.Calls.Count >= 2);
        for (var i = 0; i < 10; i++)
        {
            clock.Advance(Minute);
            await Task.Delay(10);
        }

        Assert.Equal(["chronos-schedule/s", "chronos-schedule/sdk"], ecs.Calls.Select(c => c.StartedBy).Order());
        Assert.Equal("hello", ecs.Calls.Single(c => c.StartedBy == "chronos-schedule/s").Parameters.TaskDefinitionArn);
        Assert.Contains("taskDefinition", ecs.Calls.Single(c => c.StartedBy == "chronos-schedule/sdk").RequestJson, StringComparison.Ordinal);
        Assert.Equal(["off", "sdk"], pipeline.Current.Schedules.Values.Select(s => s.Name).Order());
        Assert.True(clock.GetUtcNow() >= At("2026-12-02T10:03:00Z"));
    }

    [Fact]
    public async Task A_DELETE_schedule_stays_until_its_RunTask_answers_and_a_start_after_a_kill_invokes_it_again_then_deletes_it()
    {
        var clock = new FakeTimeProvider(Created);
        var gated = new GatedEcs();
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events.db"), CancellationToken.None);
        await using var pipeline = new CommitPipeline<EventsState>(store, EventsState.Empty);
        var created = await pipeline.ExecuteAsync(s => ScheduleDecisions.Create(s, Region, Account, clock.GetUtcNow(), Input("at(2026-12-02T10:03:00)", action: "DELETE")));
        var key = EventsState.KeyOf(pipeline.Current.Schedules.Values.Single());
        var due = At("2026-12-02T10:03:00Z")!.Value;
        var token = FiringPlan.Token(created.Arn, "target", due);
        await using (var scheduler = new RuleScheduler(pipeline, gated, clock, new RuleSchedulerOptions(), NullLogger.Instance))
        {
            scheduler.Start();
            await AdvanceUntilAsync(clock, () => !gated.Calls.IsEmpty);

            // Its RunTask has not answered: not recorded yet (the record follows the RunTask), and still there (a kill
            // now must leave it to deliver again).
            Assert.False(pipeline.Current.ScheduleLastFired.ContainsKey(key));
            Assert.Single(pipeline.Current.Schedules);
            gated.Open.SetResult();
            // Deleted only once its firing is recorded.
            await WaitUntilAsync(() => pipeline.Current.Schedules.IsEmpty);

            Assert.Empty(pipeline.Current.Schedules);
        }

        Assert.Equal(token, Assert.Single(gated.Calls).ClientToken);

        // The state a kill between the RunTask and the deletion leaves: recorded, not deleted. The start invokes the
        // firing again with the same token (ECS replays it), then deletes the schedule.
        var left = ScheduleDecisions.Create(EventsState.Empty, Region, Account, Created, Input("at(2026-12-02T10:03:00)", action: "DELETE")).State;
        left = FiringPlan.Record(left, left.Schedules.Values.Single(), due, Minute).State;
        await using var store2 = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events2.db"), CancellationToken.None);
        await using var pipeline2 = new CommitPipeline<EventsState>(store2, left);
        var again = new RecordingEcs();
        await using (var scheduler = new RuleScheduler(pipeline2, again, new FakeTimeProvider(due.AddSeconds(30)), new RuleSchedulerOptions(), NullLogger.Instance))
        {
            scheduler.Start();
            await WaitUntilAsync(() => pipeline2.Current.Schedules.IsEmpty);
        }

        Assert.Equal(token, Assert.Single(again.Calls).ClientToken);
        Assert.Empty(pipeline2.Current.Schedules);

        // And the state a kill between the RunTask and the record leaves: nothing recorded. The start delivers the
        // firing as missed, with the same token.
        var unrecorded = ScheduleDecisions.Create(EventsState.Empty, Region, Account, Created, Input("at(2026-12-02T10:03:00)")).State;
        await using var store3 = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events3.db"), CancellationToken.None);
        await using var pipeline3 = new CommitPipeline<EventsState>(store3, unrecorded);
        var missed = new RecordingEcs();
        await using (var scheduler = new RuleScheduler(pipeline3, missed, new FakeTimeProvider(due.AddSeconds(30)), new RuleSchedulerOptions(), NullLogger.Instance))
        {
            scheduler.Start();
            await WaitUntilAsync(() => !pipeline3.Current.ScheduleLastFired.IsEmpty);
        }

        Assert.Equal(token, Assert.Single(missed.Calls).ClientToken);
        Assert.Equal(due, pipeline3.Current.ScheduleLastFired[key]);
    }

    [Fact]
    public async Task Schedules_due_at_the_same_time_fire_as_one_batch_with_their_own_tokens()
    {
        var clock = new FakeTimeProvider(Created);
        var ecs = new RecordingEcs();
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events.db"), CancellationToken.None);
        await using var pipeline = new CommitPipeline<EventsState>(store, EventsState.Empty);
        for (var i = 0; i < 1500; i++)
        {
            var input = Input("at(2026-12-02T10:05:00)");
            input.Name = "s" + i.ToString(CultureInfo.InvariantCulture);
            await pipeline.ExecuteAsync(s => ScheduleDecisions.Create(s, Region, Account, clock.GetUtcNow(), input));
        }

        await using var scheduler = new RuleScheduler(pipeline, ecs, clock, new RuleSchedulerOptions(), NullLogger.Instance);
        scheduler.Start();
        // The records are written while the RunTasks go: wait for both.
        await AdvanceUntilAsync(clock, () => ecs.Calls.Count >= 1500 && pipeline.Current.ScheduleLastFired.Count >= 1500);

        // One RunTasks call for the instant (recorded in two commits of at most 1,000), each firing its own token.
        Assert.Equal([1500], ecs.Batches);
        Assert.Equal(1500, ecs.Calls.Select(c => c.ClientToken).Distinct().Count());
        Assert.Equal(1500, pipeline.Current.ScheduleLastFired.Count);
        Assert.Equal(1500, scheduler.TasksStarted);
    }

    [Fact]
    public async Task A_schedule_years_ahead_does_not_stop_the_loop_from_firing_later_ones()
    {
        // Task.Delay refuses waits beyond about 49 days: the loop must not die sleeping toward an at() in 2030.
        var clock = new FakeTimeProvider(Created);
        var ecs = new RecordingEcs();
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events.db"), CancellationToken.None);
        await using var pipeline = new CommitPipeline<EventsState>(store, EventsState.Empty);
        var far = Input("at(2030-01-01T00:00:00)");
        far.Name = "far";
        await pipeline.ExecuteAsync(s => ScheduleDecisions.Create(s, Region, Account, clock.GetUtcNow(), far));
        await using var scheduler = new RuleScheduler(pipeline, ecs, clock, new RuleSchedulerOptions(), NullLogger.Instance);
        scheduler.Start();
        await Task.Delay(100);
        await pipeline.ExecuteAsync(s => ScheduleDecisions.Create(s, Region, Account, clock.GetUtcNow(), Input("at(2026-12-02T10:05:00)")));
        await AdvanceUntilAsync(clock, () => !ecs.Calls.IsEmpty);
        Assert.Equal("chronos-schedule/s", Assert.Single(ecs.Calls).StartedBy);
    }

    [Fact]
    public async Task A_flexible_schedule_fires_inside_its_window_and_a_recurring_one_stops_at_its_end_date()
    {
        var clock = new FakeTimeProvider(Created);
        var ecs = new RecordingEcs();
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events.db"), CancellationToken.None);
        await using var pipeline = new CommitPipeline<EventsState>(store, EventsState.Empty);
        var flexible = Input("rate(10 minutes)", window: 5);
        flexible.EndDate = Created.AddMinutes(29);
        await pipeline.ExecuteAsync(s => ScheduleDecisions.Create(s, Region, Account, clock.GetUtcNow(), flexible));
        await using var scheduler = new RuleScheduler(pipeline, ecs, clock, new RuleSchedulerOptions { FlexibleSeed = 7 }, NullLogger.Instance);
        scheduler.Start();
        var fires = new List<DateTimeOffset>();
        for (var i = 0; i < 50 * 6; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(5);
            while (fires.Count < ecs.Calls.Count)
            {
                fires.Add(clock.GetUtcNow());
            }
        }

        // Due 10:12, 10:22; 10:32 is past the end (10:31:30): two firings, each within 5 minutes after its due time.
        Assert.Equal(2, fires.Count);
        Assert.InRange(fires[0], T(12), T(17, 10));
        Assert.InRange(fires[1], T(22), T(27, 10));
    }

    private static DateTimeOffset T(int minutes, int seconds = 0) => Created.AddSeconds(-30).AddMinutes(minutes).AddSeconds(seconds);

    [Theory]
    // Failed on Berth's side twice, then run: retried with the same token, one task, no failed invocation.
    [InlineData(2, null, true, 3, 1, 0)]
    // The RetryPolicy allows no retry: one attempt, a failed invocation.
    [InlineData(2, 0, true, 1, 0, 1)]
    // Allows one: two attempts, then dropped.
    [InlineData(5, 1, true, 2, 0, 1)]
    // ECS refused it (no capacity, a bad definition): never retried.
    [InlineData(5, null, false, 1, 0, 1)]
    public async Task A_firing_that_fails_on_Berths_side_is_retried_with_its_token_as_its_RetryPolicy_allows(
        int failures, int? maximumRetryAttempts, bool retryable, int attempts, int tasks, int failedInvocations)
    {
        var clock = new FakeTimeProvider(Created);
        var ecs = new FlakyEcs(failures, retryable);
        await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(_dir, "events.db"), CancellationToken.None);
        await using var pipeline = new CommitPipeline<EventsState>(store, EventsState.Empty);
        var input = Input("at(2026-12-02T10:03:00)");
        input.Target!.RetryPolicy = maximumRetryAttempts is null ? null : new RetryPolicy { MaximumRetryAttempts = maximumRetryAttempts };
        await pipeline.ExecuteAsync(s => ScheduleDecisions.Create(s, Region, Account, clock.GetUtcNow(), input));

        await using var scheduler = new RuleScheduler(pipeline, ecs, clock, new RuleSchedulerOptions(), NullLogger.Instance);
        scheduler.Start();
        await AdvanceUntilAsync(clock, () => ecs.Calls.Count >= attempts);

        // Long enough for every retry there could be (1 s, then 2, 4, ...), and then some.
        for (var i = 0; i < 12; i++)
        {
            clock.Advance(Minute);
            await Task.Delay(10);
        }

        await WaitUntilAsync(() => scheduler.TasksStarted + scheduler.FailedInvocations >= 1);
        Assert.Equal(attempts, ecs.Calls.Count);
        Assert.Single(ecs.Calls.Select(c => c.ClientToken).Distinct());
        Assert.Equal((tasks, failedInvocations), ((int)scheduler.TasksStarted, (int)scheduler.FailedInvocations));
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
        for (var i = 0; i < 250 && !done(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(done());
    }

    // Fails the first calls (on Berth's side, or as ECS refusing them), then runs the task.
    private sealed class FlakyEcs(int failures, bool retryable) : IRunTaskTarget
    {
        public ConcurrentQueue<RunTaskCall> Calls { get; } = new();

        public Task<RunTaskOutcome> RunTaskAsync(RunTaskCall call, CancellationToken cancellationToken)
        {
            Calls.Enqueue(call);
            return Task.FromResult(Calls.Count <= failures
                ? new RunTaskOutcome([], [retryable ? "the store refused the commit" : "RESOURCE:MEMORY"]) { Retryable = retryable }
                : new RunTaskOutcome(["arn:aws:ecs:us-east-1:000000000000:task/default/1"], []));
        }
    }

    // Answers only once Open is set.
    private sealed class GatedEcs : IRunTaskTarget
    {
        public ConcurrentQueue<RunTaskCall> Calls { get; } = new();

        public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<RunTaskOutcome> RunTaskAsync(RunTaskCall call, CancellationToken cancellationToken)
        {
            Calls.Enqueue(call);
            await Open.Task.WaitAsync(cancellationToken);
            return new RunTaskOutcome(["arn:aws:ecs:us-east-1:000000000000:task/default/1"], []);
        }
    }

    private sealed class RecordingEcs : IRunTaskTarget
    {
        public ConcurrentQueue<RunTaskCall> Calls { get; } = new();

        public ConcurrentQueue<int> Batches { get; } = new();

        public async Task<IReadOnlyList<RunTaskOutcome>> RunTasksAsync(IReadOnlyList<RunTaskCall> calls, CancellationToken cancellationToken)
        {
            Batches.Enqueue(calls.Count);
            var outcomes = new List<RunTaskOutcome>();
            foreach (var call in calls)
            {
                outcomes.Add(await RunTaskAsync(call, cancellationToken));
            }

            return outcomes;
        }

        public Task<RunTaskOutcome> RunTaskAsync(RunTaskCall call, CancellationToken cancellationToken)
        {
            Calls.Enqueue(call);
            return Task.FromResult(new RunTaskOutcome(["arn:aws:ecs:us-east-1:000000000000:task/default/" + Calls.Count], []));
        }
    }
}
