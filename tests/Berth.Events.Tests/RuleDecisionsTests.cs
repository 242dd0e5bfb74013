using Berth.Events.Model;
using Berth.Events.Rules;
using Berth.Events.State;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.Events.Tests;

/// <summary>Rule, target, bus and tag decisions: what they answer, what they refuse (writing nothing), what they store.</summary>
public sealed class RuleDecisionsTests
{
    private static readonly EventsScope Scope = new("us-east-1", "000000000000");
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 2, 30, TimeSpan.Zero);
    private const string Cluster = "arn:aws:ecs:us-east-1:000000000000:cluster/default";

    private static EventsState Apply<T>(EventsState state, Decision<EventsState, T> decision, List<Mutation>? journal = null)
    {
        journal?.AddRange(decision.Mutations);
        return decision.State;
    }

    private static EventsState WithRule(string name = "nightly", string schedule = "rate(5 minutes)") =>
        Apply(EventsState.Empty, RuleDecisions.PutRule(EventsState.Empty, Scope, Now, new PutRuleRequest { Name = name, ScheduleExpression = schedule }));

    private static Target EcsTarget(string id = "t1", int? count = 1) => new()
    {
        Id = id,
        Arn = Cluster,
        Input = """{"containerOverrides":[{"name":"app","command":["echo","hi"]}]}""",
        EcsParameters = new EcsParameters
        {
            TaskDefinitionArn = "hello:1",
            TaskCount = count,
            LaunchType = "FARGATE",
            NetworkConfiguration = new NetworkConfiguration { AwsvpcConfiguration = new AwsVpcConfiguration { Subnets = ["subnet-1"], AssignPublicIp = "DISABLED" } },
            PlacementConstraints = [new PlacementConstraint { Type = "distinctInstance" }],
            Group = "nightly",
            PropagateTags = "TASK_DEFINITION",
            ReferenceId = "ref-1",
            Tags = [new Tag { Key = "team", Value = "ops" }],
            EnableECSManagedTags = true,
        },
    };

    [Fact]
    public void PutRule_creates_and_keeps_creation_time_and_targets_on_update()
    {
        var state = WithRule();
        var rule = state.Rules.Values.Single();
        Assert.Equal("arn:aws:events:us-east-1:000000000000:rule/nightly", rule.Arn);
        Assert.Equal(RuleState.Enabled, rule.State);
        state = Apply(state, RuleDecisions.PutTargets(state, Scope, new PutTargetsRequest { Rule = "nightly", Targets = [EcsTarget()] }));
        var later = Now.AddHours(1);
        state = Apply(state, RuleDecisions.PutRule(state, Scope, later, new PutRuleRequest { Name = "nightly", ScheduleExpression = "cron(0 3 * * ? *)", State = "DISABLED" }));
        rule = state.Rules.Values.Single();
        Assert.Equal(Now, rule.CreatedAt);
        Assert.Equal("cron(0 3 * * ? *)", rule.Schedule);
        Assert.Equal(RuleState.Disabled, rule.State);
        Assert.Single(rule.Targets);
    }

    [Theory]
    [InlineData("bad name", "rate(1 minute)", null, null, null, "ValidationException", "1 validation error detected: Value 'bad name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")]
    [InlineData("r", null, null, null, null, "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")]
    [InlineData("r", "rate(1 minutes)", null, null, null, "ValidationException", "Parameter ScheduleExpression is not valid.")]
    [InlineData("r", "cron(0 10 * * * *)", null, null, null, "ValidationException", "Parameter ScheduleExpression is not valid.")]
    [InlineData("r", "rate(1 minute)", null, "custom", null, "ValidationException", "ScheduleExpression is supported only on the default event bus.")]
    [InlineData("r", null, "{\"source\": \"aws.ec2\"}", null, null, "InvalidEventPatternException", null)]
    [InlineData("r", null, "{\"source\": [\"x\"]}", "missing", null, "ResourceNotFoundException", "Event bus missing does not exist.")]
    [InlineData("r", "rate(1 minute)", null, null, "PAUSED", "ValidationException", "1 validation error detected: Value 'PAUSED' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]")]
    public void PutRule_refuses_as_EventBridge(string name, string? schedule, string? pattern, string? bus, string? state, string type, string? message)
    {
        var custom = Apply(EventsState.Empty, RuleDecisions.CreateBus(EventsState.Empty, Scope, Now, new CreateEventBusRequest { Name = "custom" }));
        var e = Assert.Throws<AwsException>(() => RuleDecisions.PutRule(custom, Scope, Now,
            new PutRuleRequest { Name = name, ScheduleExpression = schedule, EventPattern = pattern, EventBusName = bus, State = state }));
        Assert.Equal(type, e.ErrorType);
        Assert.Equal(400, e.StatusCode);
        if (message is not null)
        {
            Assert.Equal(message, e.Message);
        }
        else
        {
            Assert.StartsWith("Event pattern is not valid. Reason: ", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_rule_that_does_not_exist_is_named_with_its_bus()
    {
        var e = Assert.Throws<AwsException>(() => RuleDecisions.Require(EventsState.Empty, Scope, null, "nope"));
        Assert.Equal("ResourceNotFoundException", e.ErrorType);
        Assert.Equal("Rule nope does not exist on EventBus default.", e.Message);
        e = Assert.Throws<AwsException>(() => RuleDecisions.SetState(EventsState.Empty, Scope, Now, null, "nope", RuleState.Disabled));
        Assert.Equal("Rule nope does not exist on EventBus default.", e.Message);
    }

    [Fact]
    public void DeleteRule_is_refused_while_targets_remain()
    {
        var state = WithRule();
        state = Apply(state, RuleDecisions.PutTargets(state, Scope, new PutTargetsRequest { Rule = "nightly", Targets = [EcsTarget()] }));
        var e = Assert.Throws<AwsException>(() => RuleDecisions.DeleteRule(state, Scope, new DeleteRuleRequest { Name = "nightly" }));
        Assert.Equal("ValidationException", e.ErrorType);
        Assert.Equal("Rule can't be deleted since it has targets.", e.Message);
        state = Apply(state, RuleDecisions.RemoveTargets(state, Scope, new RemoveTargetsRequest { Rule = "nightly", Ids = ["t1"] }));
        var journal = new List<Mutation>();
        state = Apply(state, RuleDecisions.DeleteRule(state, Scope, new DeleteRuleRequest { Name = "nightly" }), journal);
        Assert.Empty(state.Rules);
        Assert.Equal(Mutation.Delete(EventsCodec.RuleKind, "us-east-1|default|nightly"), journal[0]);

        // Deleting what is not there is not an error and writes nothing.
        Assert.Empty(RuleDecisions.DeleteRule(state, Scope, new DeleteRuleRequest { Name = "nightly" }).Mutations);
    }

    [Fact]
    public void PutTargets_reports_bad_entries_and_puts_the_rest()
    {
        var state = WithRule();
        var bad = EcsTarget("t2", 0);
        var notEcs = new Target { Id = "t3", Arn = "arn:aws:sqs:us-east-1:000000000000:q", EcsParameters = new EcsParameters { TaskDefinitionArn = "x" } };
        var decision = RuleDecisions.PutTargets(state, Scope, new PutTargetsRequest { Rule = "nightly", Targets = [EcsTarget(), bad, notEcs] });
        Assert.Equal(2, decision.Result.FailedEntryCount);
        Assert.Equal(["t2", "t3"], decision.Result.FailedEntries!.Select(f => f.TargetId));
        Assert.All(decision.Result.FailedEntries!, f => Assert.Equal("ValidationException", f.ErrorCode));
        var rule = decision.State.Rules.Values.Single();
        var target = Assert.Single(rule.Targets);
        Assert.Equal("hello:1", target.Ecs!.TaskDefinitionArn);
        Assert.Equal(["subnet-1"], target.Ecs.Subnets);
        Assert.True(target.Ecs.EnableEcsManagedTags);

        // The wire form round-trips.
        var wire = RuleDecisions.ToWire(target);
        Assert.Equal("FARGATE", wire.EcsParameters!.LaunchType);
        Assert.Equal("distinctInstance", wire.EcsParameters.PlacementConstraints!.Single().Type);
        Assert.Equal("ops", wire.EcsParameters.Tags!.Single().Value);
        Assert.Equal(target.Input, wire.Input);
    }

    [Fact]
    public void A_targets_RetryPolicy_is_kept_and_echoed_as_given()
    {
        var state = WithRule();
        var target = EcsTarget();
        target.RetryPolicy = new RetryPolicy { MaximumRetryAttempts = 4, MaximumEventAgeInSeconds = 600 };
        var stored = RuleDecisions.PutTargets(state, Scope, new PutTargetsRequest { Rule = "nightly", Targets = [target, EcsTarget("t2")] })
            .State.Rules.Values.Single().Targets;
        Assert.Equal(((int?)4, (int?)600), (stored[0].MaximumRetryAttempts, stored[0].MaximumEventAgeInSeconds));
        var wire = RuleDecisions.ToWire(stored[0]).RetryPolicy!;
        Assert.Equal(((int?)4, (int?)600), (wire.MaximumRetryAttempts, wire.MaximumEventAgeInSeconds));
        Assert.Null(RuleDecisions.ToWire(stored[1]).RetryPolicy);
    }

    [Fact]
    public void PutTargets_all_failed_writes_nothing_and_limits_hold()
    {
        var state = WithRule();
        var decision = RuleDecisions.PutTargets(state, Scope, new PutTargetsRequest { Rule = "nightly", Targets = [EcsTarget("t1", 0)] });
        Assert.Empty(decision.Mutations);
        Assert.Equal(1, decision.Result.FailedEntryCount);

        var six = Enumerable.Range(1, 6).Select(i => EcsTarget("t" + i)).ToList();
        Assert.Equal("LimitExceededException", Assert.Throws<AwsException>(() => RuleDecisions.PutTargets(state, Scope, new PutTargetsRequest { Rule = "nightly", Targets = six })).ErrorType);
        Assert.Equal("ValidationException", Assert.Throws<AwsException>(() => RuleDecisions.PutTargets(state, Scope, new PutTargetsRequest { Rule = "nightly", Targets = [EcsTarget(), EcsTarget()] })).ErrorType);
        Assert.Equal("Rule other does not exist on EventBus default.", Assert.Throws<AwsException>(() => RuleDecisions.PutTargets(state, Scope, new PutTargetsRequest { Rule = "other", Targets = [EcsTarget()] })).Message);
    }

    [Fact]
    public void Buses_create_delete_and_refuse()
    {
        var journal = new List<Mutation>();
        var state = Apply(EventsState.Empty, RuleDecisions.CreateBus(EventsState.Empty, Scope, Now, new CreateEventBusRequest { Name = "orders" }), journal);
        Assert.Equal("ResourceAlreadyExistsException", Assert.Throws<AwsException>(() => RuleDecisions.CreateBus(state, Scope, Now, new CreateEventBusRequest { Name = "orders" })).ErrorType);
        Assert.Equal("ResourceAlreadyExistsException", Assert.Throws<AwsException>(() => RuleDecisions.CreateBus(state, Scope, Now, new CreateEventBusRequest { Name = "default" })).ErrorType);
        Assert.Equal("Cannot delete event bus default.", Assert.Throws<AwsException>(() => RuleDecisions.DeleteBus(state, Scope, new DeleteEventBusRequest { Name = "default" })).Message);
        state = Apply(state, RuleDecisions.PutRule(state, Scope, Now, new PutRuleRequest { Name = "r", EventPattern = """{"source": ["shop"]}""", EventBusName = "orders" }), journal);
        Assert.Equal("arn:aws:events:us-east-1:000000000000:rule/orders/r", state.Rules.Values.Single().Arn);
        state = Apply(state, RuleDecisions.DeleteBus(state, Scope, new DeleteEventBusRequest { Name = "orders" }), journal);
        Assert.Empty(state.Buses);
        Assert.Empty(state.Rules);

        // Replaying the journal on an empty store gives the same state.
        var documents = new Dictionary<(string, string), byte[]>();
        foreach (var m in journal)
        {
            if (m.Body is null)
            {
                documents.Remove((m.Kind, m.Id));
            }
            else
            {
                documents[(m.Kind, m.Id)] = m.Body;
            }
        }

        Assert.Empty(documents);
    }

    [Fact]
    public void Tags_on_rules_and_buses_survive_the_codec()
    {
        var state = WithRule();
        var arn = state.Rules.Values.Single().Arn;
        state = Apply(state, RuleDecisions.Tag(state, Scope, arn, [new Tag { Key = "b", Value = "2" }, new Tag { Key = "a", Value = "1" }], null));
        state = Apply(state, RuleDecisions.Tag(state, Scope, arn, null, ["b"]));
        state = Apply(state, RuleDecisions.PutTargets(state, Scope, new PutTargetsRequest { Rule = "nightly", Targets = [EcsTarget()] }));
        var stored = state.Rules.Values.Select(r => EventsCodec.Put(r)).Select(m => new StoredDocument(m.Kind, m.Id, m.Body!));
        var loaded = EventsCodec.Load(stored).Rules.Values.Single();
        var original = state.Rules.Values.Single();
        Assert.Equal(["a"], loaded.Tags.Keys);
        Assert.Equal(original.Targets.Single().Ecs!.Subnets, loaded.Targets.Single().Ecs!.Subnets);
        Assert.Equal(original.Targets.Single().Ecs!.Tags, loaded.Targets.Single().Ecs!.Tags);
        Assert.Equal(original.CreatedAt, loaded.CreatedAt);
        Assert.Equal(original.State, loaded.State);

        Assert.Equal("Rule gone does not exist on EventBus default.",
            Assert.Throws<AwsException>(() => RuleDecisions.Tag(state, Scope, "arn:aws:events:us-east-1:000000000000:rule/gone", [new Tag { Key = "k", Value = "v" }], null)).Message);
        Assert.Equal("ValidationException", Assert.Throws<AwsException>(() => RuleDecisions.Tag(state, Scope, "arn:aws:sqs:us-east-1:000000000000:q", [], null)).ErrorType);
    }
}
