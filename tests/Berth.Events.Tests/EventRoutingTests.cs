using System.Text.Json.Nodes;
using Berth.Events.Delivery;
using Berth.Events.Model;
using Berth.Events.Rules;
using Berth.Events.State;

namespace Berth.Events.Tests;

/// <summary>Which ECS targets an event on a bus reaches, and with what input.</summary>
public sealed class EventRoutingTests
{
    private static readonly EventsScope Scope = new("us-east-1", "000000000000");
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    private const string StoppedWithError = """
        {"source":["aws.ecs"],"detail-type":["ECS Task State Change"],
         "detail":{"lastStatus":["STOPPED"],"group":["family:job"],"containers":{"exitCode":[{"numeric":[">",0]}]}}}
        """;

    private static EventsState Rules(string pattern, string state = "ENABLED", string? input = null, string? inputPath = null, string? bus = null, bool withSchedule = false)
    {
        var s = EventsState.Empty;
        if (bus is not null)
        {
            s = RuleDecisions.CreateBus(s, Scope, Now, new CreateEventBusRequest { Name = bus }).State;
        }

        s = RuleDecisions.PutRule(s, Scope, Now, new PutRuleRequest { Name = "cleanup", EventPattern = pattern, State = state, EventBusName = bus, ScheduleExpression = withSchedule ? "rate(1 hour)" : null }).State;
        return RuleDecisions.PutTargets(s, Scope, new PutTargetsRequest
        {
            Rule = "cleanup",
            EventBusName = bus,
            Targets =
            [
                new Target { Id = "ecs", Arn = "arn:aws:ecs:us-east-1:000000000000:cluster/default", Input = input, InputPath = inputPath, EcsParameters = new EcsParameters { TaskDefinitionArn = "cleanup" } },
            ],
        }).State;
    }

    private static BusEvent Stopped(int exitCode, string group = "family:job", string bus = "default") => BusEvent.Envelope("us-east-1", "000000000000", bus, "e1", Now, "aws.ecs", "ECS Task State Change",
        ["arn:aws:ecs:us-east-1:000000000000:task/default/abc"],
        new JsonObject
        {
            ["lastStatus"] = "STOPPED",
            ["group"] = group,
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["exitCode"] = exitCode }),
            ["overrides"] = new JsonObject { ["containerOverrides"] = new JsonArray(new JsonObject { ["name"] = "app", ["command"] = new JsonArray("echo", "again") }) },
        });

    [Fact]
    public void A_matching_event_runs_the_rules_ECS_target_started_by_the_rule()
    {
        var call = Assert.Single(EventRouting.Route(Rules(StoppedWithError), Stopped(exitCode: 3)));
        Assert.Equal(("us-east-1", "arn:aws:ecs:us-east-1:000000000000:cluster/default", "cleanup", "events-rule/cleanup"), (call.Region, call.ClusterArn, call.Parameters.TaskDefinitionArn, call.StartedBy));
        Assert.Null(call.Input);
    }

    [Fact]
    public void A_log_group_target_gets_the_whole_event_in_a_stream_named_by_its_id_or_what_InputPath_selects()
    {
        var state = RuleDecisions.PutTargets(Rules(StoppedWithError), Scope, new PutTargetsRequest
        {
            Rule = "cleanup",
            Targets =
            [
                new Target { Id = "log", Arn = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/ecs:*" },
                new Target { Id = "detail", Arn = "arn:aws:logs:us-east-1:000000000000:log-group:details", InputPath = "$.detail.group" },
            ],
        }).State;
        var @event = Stopped(exitCode: 3);
        var routed = EventRouting.RouteAll(state, @event);
        Assert.Single(routed.Calls);
        var whole = Assert.Single(routed.Logs, l => l.LogGroup == "/aws/events/ecs");
        Assert.Equal(("us-east-1", "e1", @event.Json, Now, "cleanup"), (whole.Region, whole.Stream, whole.Message, whole.Time, whole.Source.Name));
        Assert.Equal("\"family:job\"", Assert.Single(routed.Logs, l => l.LogGroup == "details").Message);
    }

    [Theory]
    [InlineData("arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/a", "us-east-1", "/aws/events/a")]
    [InlineData("arn:aws:logs:eu-west-1:123456789012:log-group:a:b:*", "eu-west-1", "a:b")]
    [InlineData("arn:aws:logs:us-east-1:123456789012:log-group:", null, null)]
    [InlineData("arn:aws:ecs:us-east-1:123456789012:cluster/default", null, null)]
    [InlineData("arn:aws:logs:us-east-1:123456789012:destination:d", null, null)]
    public void Log_group_target_ARNs(string arn, string? region, string? group)
    {
        var parsed = Berth.Events.Firing.LogGroupTargets.Parse(arn);
        Assert.Equal(region, parsed?.Region);
        Assert.Equal(group, parsed?.LogGroup);
    }

    [Theory]
    [InlineData(0, "family:job", "ENABLED", "default")]
    [InlineData(3, "family:other", "ENABLED", "default")]
    [InlineData(3, "family:job", "DISABLED", "default")]
    [InlineData(3, "family:job", "ENABLED", "orders")]
    public void Events_the_pattern_does_not_match_or_disabled_rules_or_other_buses_run_nothing(int exitCode, string group, string state, string bus)
        => Assert.Empty(EventRouting.Route(Rules(StoppedWithError, state), Stopped(exitCode, group, bus)));

    [Fact]
    public void A_rule_on_a_custom_bus_sees_only_that_bus()
    {
        var state = Rules("""{"source":["shop"]}""", bus: "orders");
        var shop = BusEvent.Envelope("us-east-1", "000000000000", "orders", "e2", Now, "shop", "Order Placed", [], new JsonObject { ["id"] = 1 });
        Assert.Single(EventRouting.Route(state, shop));
        Assert.Empty(EventRouting.Route(state, shop with { Bus = "default" }));
    }

    [Fact]
    public void Input_is_given_as_is_and_InputPath_selects_part_of_the_event()
    {
        const string given = """{"containerOverrides":[{"name":"app","command":["true"]}]}""";
        Assert.Equal(given, Assert.Single(EventRouting.Route(Rules(StoppedWithError, input: given), Stopped(3))).Input);
        var selected = Assert.Single(EventRouting.Route(Rules(StoppedWithError, inputPath: "$.detail.overrides"), Stopped(3))).Input;
        Assert.Equal("""{"containerOverrides":[{"name":"app","command":["echo","again"]}]}""", selected);
        Assert.Null(Assert.Single(EventRouting.Route(Rules(StoppedWithError, inputPath: "$.detail.nothing"), Stopped(3))).Input);
    }

    [Fact]
    public void The_envelope_is_EventBridges()
    {
        var envelope = JsonNode.Parse(Stopped(3).Json)!;
        Assert.Equal(("0", "e1", "ECS Task State Change", "aws.ecs", "000000000000", "2026-12-02T10:00:00Z", "us-east-1"),
            ((string?)envelope["version"], (string?)envelope["id"], (string?)envelope["detail-type"], (string?)envelope["source"], (string?)envelope["account"], (string?)envelope["time"], (string?)envelope["region"]));
        Assert.Equal("arn:aws:ecs:us-east-1:000000000000:task/default/abc", (string?)envelope["resources"]![0]);
    }

    private static EventsState WithTransformer(Dictionary<string, string> paths, string template)
    {
        var s = RuleDecisions.PutRule(EventsState.Empty, Scope, Now, new PutRuleRequest { Name = "cleanup", EventPattern = StoppedWithError }).State;
        var put = RuleDecisions.PutTargets(s, Scope, new PutTargetsRequest
        {
            Rule = "cleanup",
            Targets =
            [
                new Target
                {
                    Id = "ecs",
                    Arn = "arn:aws:ecs:us-east-1:000000000000:cluster/default",
                    InputTransformer = new InputTransformer { InputPathsMap = paths, InputTemplate = template },
                    EcsParameters = new EcsParameters { TaskDefinitionArn = "cleanup" },
                },
            ],
        });
        Assert.Equal(0, put.Result.FailedEntryCount);
        return put.State;
    }

    [Fact]
    public void An_input_transformer_fills_its_template_from_the_event_as_JSON_outside_strings_and_as_text_inside()
    {
        const string template = """
            {"containerOverrides":[{"name":"app","environment":[{"name":"TASK","value":<task>},{"name":"WHY","value":"<rule> saw <status> (exit <code>)<none>"}],"command":<command>,"memory":<none>}]}
            """;
        var state = WithTransformer(new() { ["task"] = "$.resources[0]", ["status"] = "$.detail.lastStatus", ["code"] = "$.detail.containers[0].exitCode", ["command"] = "$.detail.overrides.containerOverrides[0].command", ["none"] = "$.detail.nothing" }, template.Replace("<rule>", "<aws.events.rule-name>", StringComparison.Ordinal));
        var input = Assert.Single(EventRouting.Route(state, Stopped(3))).Input!;
        var parsed = JsonNode.Parse(input)!["containerOverrides"]![0]!;
        Assert.Equal("arn:aws:ecs:us-east-1:000000000000:task/default/abc", (string?)parsed["environment"]![0]!["value"]);
        Assert.Equal("cleanup saw STOPPED (exit 3)", (string?)parsed["environment"]![1]!["value"]);
        Assert.Equal("""["echo","again"]""", parsed["command"]!.ToJsonString());
        Assert.Null(parsed["memory"]);
    }

    [Fact]
    public void A_scheduled_rules_transformer_sees_EventBridges_scheduled_event()
    {
        var s = RuleDecisions.PutRule(EventsState.Empty, Scope, Now, new PutRuleRequest { Name = "nightly", ScheduleExpression = "rate(1 day)" }).State;
        s = RuleDecisions.PutTargets(s, Scope, new PutTargetsRequest
        {
            Rule = "nightly",
            Targets = [new Target { Id = "ecs", Arn = "arn:aws:ecs:us-east-1:000000000000:cluster/default", InputTransformer = new InputTransformer { InputPathsMap = new() { ["at"] = "$.time", ["from"] = "$.detail-type" }, InputTemplate = """{"containerOverrides":[{"name":"app","command":["echo","<from> at <at>"]}]}""" }, EcsParameters = new EcsParameters { TaskDefinitionArn = "job" } }],
        }).State;
        var rule = s.Rules.Values.Single();
        var input = EventRouting.ScheduledInput(rule, rule.Targets[0], Now);
        Assert.Equal("""{"containerOverrides":[{"name":"app","command":["echo","Scheduled Event at 2026-12-02T10:00:00Z"]}]}""", input);
    }

    [Theory]
    [InlineData(true, "{}", "ecs", "Only one of Input, InputPath, or InputTransformer can be specified.")]
    [InlineData(false, "", "ecs", "InputTemplate must be between 1 and 8192 characters long.")]
    [InlineData(false, "{}", "AWS.reserved", "InputPathsMap has an invalid key: 'AWS.reserved'.")]
    public void A_bad_input_transformer_is_a_failed_entry_and_writes_nothing(bool withInput, string template, string key, string message)
    {
        var s = RuleDecisions.PutRule(EventsState.Empty, Scope, Now, new PutRuleRequest { Name = "r", EventPattern = StoppedWithError }).State;
        var put = RuleDecisions.PutTargets(s, Scope, new PutTargetsRequest
        {
            Rule = "r",
            Targets = [new Target { Id = "ecs", Arn = "arn:aws:ecs:us-east-1:000000000000:cluster/default", Input = withInput ? "{}" : null, InputTransformer = new InputTransformer { InputPathsMap = new() { [key] = "$.detail" }, InputTemplate = template }, EcsParameters = new EcsParameters { TaskDefinitionArn = "job" } }],
        });
        var failed = Assert.Single(put.Result.FailedEntries!);
        Assert.Equal(("ValidationException", message), (failed.ErrorCode, failed.ErrorMessage));
        Assert.Empty(put.Mutations);
    }

    [Fact]
    public void ListTargetsByRule_shows_the_input_transformer()
    {
        var state = WithTransformer(new() { ["s"] = "$.detail.lastStatus" }, "\"<s>\"");
        var wire = RuleDecisions.ToWire(state.Rules.Values.Single().Targets[0]);
        Assert.Equal(("$.detail.lastStatus", "\"<s>\""), (wire.InputTransformer!.InputPathsMap!["s"], wire.InputTransformer.InputTemplate));
    }
}
