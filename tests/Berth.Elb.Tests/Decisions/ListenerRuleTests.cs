using Berth.Elb.Listeners;
using Berth.Elb.Model;
using Berth.Elb.Rules;

namespace Berth.Elb.Tests.Decisions;

public sealed class ListenerRuleTests
{
    [Fact]
    public void A_listener_forwards_by_weight_and_a_second_one_on_its_port_is_a_duplicate()
    {
        var world = new ElbWorld();
        var lb = world.LoadBalancer();
        var blue = world.TargetGroup("blue");
        var green = world.TargetGroup("green");
        var listener = world.Apply(ListenerDecisions.Create(world.State, world.Scope(), new CreateListenerInput
        {
            LoadBalancerArn = lb,
            Protocol = "HTTP",
            Port = 80,
            DefaultActions = [new ActionValue
            {
                Type = "forward",
                ForwardConfig = new ForwardActionConfig
                {
                    TargetGroups = [new TargetGroupTuple { TargetGroupArn = blue, Weight = 80 }, new TargetGroupTuple { TargetGroupArn = green, Weight = 20 }],
                    TargetGroupStickinessConfig = new TargetGroupStickinessConfig { Enabled = true, DurationSeconds = 60 },
                },
            }],
        })).Listeners![0];

        var action = Assert.Single(listener.DefaultActions!);
        Assert.Null(action.TargetGroupArn);
        Assert.Equal([(blue, 80), (green, 20)], action.ForwardConfig!.TargetGroups!.Select(t => (t.TargetGroupArn!, t.Weight!.Value)));
        Assert.True(action.ForwardConfig.TargetGroupStickinessConfig!.Enabled);
        Assert.Equal(1, action.Order);

        ElbWorld.Refused("DuplicateListener", () => ListenerDecisions.Create(world.State, world.Scope(), new CreateListenerInput { LoadBalancerArn = lb, Port = 80, DefaultActions = [ElbWorld.Fixed()] }));
        ElbWorld.Refused("UnsupportedProtocol", () => ListenerDecisions.Create(world.State, world.Scope(), new CreateListenerInput { LoadBalancerArn = lb, Protocol = "HTTPS", Port = 443, DefaultActions = [ElbWorld.Fixed()] }));
        ElbWorld.Refused("ValidationError", () => ListenerDecisions.Create(world.State, world.Scope(), new CreateListenerInput { LoadBalancerArn = lb, Port = 70000, DefaultActions = [ElbWorld.Fixed()] }));
        ElbWorld.Refused("LoadBalancerNotFound", () => ListenerDecisions.Create(world.State, world.Scope(), new CreateListenerInput { LoadBalancerArn = lb + "0", Port = 81, DefaultActions = [ElbWorld.Fixed()] }));

        // A target group forwarded to by one load balancer cannot be used by another.
        var other = world.LoadBalancer("other");
        ElbWorld.Refused("TargetGroupAssociationLimit", () => world.Listener(other, blue));
    }

    public static TheoryData<string, ActionValue> BadActions => new()
    {
        { "TargetGroupNotFound", new ActionValue { Type = "forward", TargetGroupArn = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/nope/0000000000000099" } },
        { "ValidationError", new ActionValue { Type = "forward" } },
        { "ValidationError", new ActionValue { Type = "fixed-response", FixedResponseConfig = new FixedResponseActionConfig { StatusCode = "302" } } },
        { "ValidationError", new ActionValue { Type = "fixed-response", FixedResponseConfig = new FixedResponseActionConfig { StatusCode = "200", ContentType = "image/png" } } },
        { "ValidationError", new ActionValue { Type = "fixed-response", FixedResponseConfig = new FixedResponseActionConfig { StatusCode = "200", MessageBody = new string('x', 1025) } } },
        { "ValidationError", new ActionValue { Type = "redirect", RedirectConfig = new RedirectActionConfig { StatusCode = "HTTP_307", Host = "example.com" } } },
        { "ValidationError", new ActionValue { Type = "redirect", RedirectConfig = new RedirectActionConfig { StatusCode = "HTTP_301", Path = "no-slash" } } },
        { "InvalidLoadBalancerAction", new ActionValue { Type = "redirect", RedirectConfig = new RedirectActionConfig { StatusCode = "HTTP_301" } } },
        { "InvalidLoadBalancerAction", new ActionValue { Type = "authenticate-oidc" } },
        { "ValidationError", new ActionValue { Type = "teleport" } },
    };

    [Theory]
    [MemberData(nameof(BadActions))]
    public void Actions_ALB_refuses_are_refused_with_its_errors(string code, ActionValue action)
    {
        var world = new ElbWorld();
        var lb = world.LoadBalancer();
        ElbWorld.Refused(code, () => ListenerDecisions.Create(world.State, world.Scope(), new CreateListenerInput { LoadBalancerArn = lb, Port = 80, DefaultActions = [action] }));
    }

    [Fact]
    public void A_redirect_keeps_ALBs_placeholders_for_what_it_does_not_change()
    {
        var world = new ElbWorld();
        var lb = world.LoadBalancer();
        var listener = world.Apply(ListenerDecisions.Create(world.State, world.Scope(), new CreateListenerInput
        {
            LoadBalancerArn = lb,
            Port = 80,
            DefaultActions = [new ActionValue { Type = "redirect", RedirectConfig = new RedirectActionConfig { StatusCode = "HTTP_301", Protocol = "HTTPS", Port = "443" } }],
        })).Listeners![0];
        var redirect = listener.DefaultActions![0].RedirectConfig!;
        Assert.Equal(("HTTPS", "443", "#{host}", "/#{path}", "#{query}", "HTTP_301"), (redirect.Protocol, redirect.Port, redirect.Host, redirect.Path, redirect.Query, redirect.StatusCode));
    }

    [Fact]
    public void Rules_take_free_priorities_list_by_priority_with_the_default_last_and_swap_priorities()
    {
        var world = new ElbWorld();
        var lb = world.LoadBalancer();
        var tg = world.TargetGroup();
        var listener = world.Listener(lb, tg);
        var api = Create(world, listener, 20, ElbWorld.Path("/api/*"));
        var web = Create(world, listener, 10, new RuleCondition { Field = "host-header", Values = ["www.example.com"] });
        ElbWorld.Refused("PriorityInUse", () => Create(world, listener, 10, ElbWorld.Path("/x")));
        ElbWorld.Refused("ValidationError", () => Create(world, listener, 50001, ElbWorld.Path("/x")));
        ElbWorld.Refused("ValidationError", () => Create(world, listener, 0, ElbWorld.Path("/x")));

        var rules = RuleDecisions.Describe(world.State, new DescribeRulesInput { ListenerArn = listener }).Rules!;
        Assert.Equal(["10", "20", "default"], rules.Select(r => r.Priority!));
        Assert.True(rules[2].IsDefault);
        Assert.Equal(["www.example.com"], rules[0].Conditions![0].HostHeaderConfig!.Values!);

        ElbWorld.Refused("PriorityInUse", () => RuleDecisions.SetPriorities(world.State, new SetRulePrioritiesInput { RulePriorities = [new RulePriorityPair { RuleArn = api, Priority = 10 }] }));
        var swapped = world.Apply(RuleDecisions.SetPriorities(world.State, new SetRulePrioritiesInput { RulePriorities = [new RulePriorityPair { RuleArn = api, Priority = 10 }, new RulePriorityPair { RuleArn = web, Priority = 20 }] }));
        Assert.Equal([(api, "10"), (web, "20")], swapped.Rules!.Select(r => (r.RuleArn!, r.Priority!)));

        var defaultRule = rules[2].RuleArn!;
        ElbWorld.Refused("OperationNotPermitted", () => RuleDecisions.Delete(world.State, new DeleteRuleInput { RuleArn = defaultRule }));
        ElbWorld.Refused("OperationNotPermitted", () => RuleDecisions.Modify(world.State, new ModifyRuleInput { RuleArn = defaultRule, Conditions = [ElbWorld.Path("/")] }));
        var modifiedDefault = world.Apply(RuleDecisions.Modify(world.State, new ModifyRuleInput { RuleArn = defaultRule, Actions = [ElbWorld.Fixed("503")] }));
        Assert.Equal("503", modifiedDefault.Rules![0].Actions![0].FixedResponseConfig!.StatusCode);
        Assert.Equal("fixed-response", world.State.Listeners[listener].DefaultActions[0].Type);

        world.Apply(RuleDecisions.Delete(world.State, new DeleteRuleInput { RuleArn = api }));
        ElbWorld.Refused("RuleNotFound", () => RuleDecisions.Describe(world.State, new DescribeRulesInput { RuleArns = [api] }));
        ElbWorld.Refused("ListenerNotFound", () => RuleDecisions.Describe(world.State, new DescribeRulesInput { ListenerArn = listener + "0" }));
    }

    [Fact]
    public void A_load_balancer_takes_at_most_100_rules_over_its_listeners()
    {
        var world = new ElbWorld();
        var lb = world.LoadBalancer();
        var tg = world.TargetGroup();
        var first = world.Listener(lb, tg, 80);
        var second = world.Listener(lb, tg, 81);
        for (var priority = 1; priority < RuleDecisions.MaxPerLoadBalancer; priority++)
        {
            Create(world, first, priority, ElbWorld.Path("/p"));
        }

        Create(world, second, 1, ElbWorld.Path("/p"));
        ElbWorld.Refused("TooManyRules", () => Create(world, second, 2, ElbWorld.Path("/p")));
        ElbWorld.Refused("TooManyRules", () => Create(world, first, 1000, ElbWorld.Path("/p")));

        // Another load balancer has its own 100.
        Create(world, world.Listener(world.LoadBalancer("other"), world.TargetGroup("other")), 1, ElbWorld.Path("/p"));
    }

    public static TheoryData<RuleCondition[]> BadConditions => new()
    {
        Array.Empty<RuleCondition>(),
        new[] { ElbWorld.Path("/a", "/b", "/c", "/d", "/e", "/f") },
        new[] { ElbWorld.Path("/a", "/b", "/c"), new RuleCondition { Field = "host-header", Values = ["a.com", "b.com", "c.com"] } },
        new[] { ElbWorld.Path("/a"), ElbWorld.Path("/b") },
        new[] { ElbWorld.Path(new string('a', 129)) },
        new[] { new RuleCondition { Field = "http-request-method", HttpRequestMethodConfig = new HttpRequestMethodConditionConfig { Values = ["get"] } } },
        new[] { new RuleCondition { Field = "source-ip", SourceIpConfig = new SourceIpConditionConfig { Values = ["10.0.0.0/33"] } } },
        new[] { new RuleCondition { Field = "http-header", HttpHeaderConfig = new HttpHeaderConditionConfig { HttpHeaderName = "bad header", Values = ["x"] } } },
        new[] { new RuleCondition { Field = "query-string", QueryStringConfig = new QueryStringConditionConfig { Values = [new QueryStringKeyValuePair { Key = "k" }] } } },
        new[] { new RuleCondition { Field = "cookie", Values = ["x"] } },
    };

    [Theory]
    [MemberData(nameof(BadConditions))]
    public void Conditions_out_of_ALBs_limits_are_ValidationErrors(RuleCondition[] conditions)
    {
        var world = new ElbWorld();
        var listener = world.Listener(world.LoadBalancer(), world.TargetGroup());
        ElbWorld.Refused("ValidationError", () => RuleDecisions.Create(world.State, world.Scope(), new CreateRuleInput { ListenerArn = listener, Priority = 1, Conditions = [.. conditions], Actions = [ElbWorld.Fixed()] }));
    }

    [Fact]
    public void Every_condition_kind_is_kept_and_shown()
    {
        var world = new ElbWorld();
        var listener = world.Listener(world.LoadBalancer(), world.TargetGroup());
        var rule = world.Apply(RuleDecisions.Create(world.State, world.Scope(), new CreateRuleInput
        {
            ListenerArn = listener,
            Priority = 5,
            Conditions =
            [
                new RuleCondition { Field = "http-header", HttpHeaderConfig = new HttpHeaderConditionConfig { HttpHeaderName = "X-Env", Values = ["blue"] } },
                new RuleCondition { Field = "http-request-method", HttpRequestMethodConfig = new HttpRequestMethodConditionConfig { Values = ["GET"] } },
                new RuleCondition { Field = "query-string", QueryStringConfig = new QueryStringConditionConfig { Values = [new QueryStringKeyValuePair { Key = "v", Value = "2" }] } },
                new RuleCondition { Field = "source-ip", SourceIpConfig = new SourceIpConditionConfig { Values = ["10.0.0.0/8"] } },
                ElbWorld.Path("/x"),
            ],
            Actions = [ElbWorld.Fixed("200")],
        })).Rules![0];
        Assert.Equal(["http-header", "http-request-method", "query-string", "source-ip", "path-pattern"], rule.Conditions!.Select(c => c.Field!));
        Assert.Equal("X-Env", rule.Conditions![0].HttpHeaderConfig!.HttpHeaderName);
        Assert.Equal("2", rule.Conditions[2].QueryStringConfig!.Values![0].Value);
        Assert.Equal(["/x"], rule.Conditions[4].Values!);
    }

    [Fact]
    public void Tags_go_on_every_kind_of_resource_with_ALBs_limits()
    {
        var world = new ElbWorld();
        var lb = world.LoadBalancer();
        var tg = world.TargetGroup();
        var listener = world.Listener(lb, tg);
        var rule = Create(world, listener, 1, ElbWorld.Path("/"));
        var arns = new List<string> { lb, tg, listener, rule };
        world.Apply(Tagging.TagDecisions.Add(world.State, new AddTagsInput { ResourceArns = arns, Tags = [new Tag { Key = "team", Value = "a" }, new Tag { Key = "env", Value = "x" }] }));
        world.Apply(Tagging.TagDecisions.Remove(world.State, new RemoveTagsInput { ResourceArns = arns, TagKeys = ["env", "absent"] }));
        var described = Tagging.TagDecisions.Describe(world.State, new DescribeTagsInput { ResourceArns = arns }).TagDescriptions!;
        Assert.Equal(arns, described.Select(d => d.ResourceArn!));
        Assert.All(described, d => Assert.Equal([("team", "a")], d.Tags!.Select(t => (t.Key!, t.Value!))));

        ElbWorld.Refused("DuplicateTagKeys", () => Tagging.TagDecisions.Add(world.State, new AddTagsInput { ResourceArns = [lb], Tags = [new Tag { Key = "k" }, new Tag { Key = "k" }] }));
        ElbWorld.Refused("TooManyTags", () => Tagging.TagDecisions.Add(world.State, new AddTagsInput { ResourceArns = [lb], Tags = [.. Enumerable.Range(0, 50).Select(i => new Tag { Key = "k" + i })] }));
        ElbWorld.Refused("ValidationError", () => Tagging.TagDecisions.Add(world.State, new AddTagsInput { ResourceArns = [lb], Tags = [new Tag { Key = "aws:x" }] }));
        ElbWorld.Refused("LoadBalancerNotFound", () => Tagging.TagDecisions.Describe(world.State, new DescribeTagsInput { ResourceArns = [lb + "0"] }));
    }

    private static string Create(ElbWorld world, string listener, int priority, RuleCondition condition)
        => world.Apply(RuleDecisions.Create(world.State, world.Scope(), new CreateRuleInput { ListenerArn = listener, Priority = priority, Conditions = [condition], Actions = [ElbWorld.Fixed()] })).Rules![0].RuleArn!;
}
