using System.Collections.Immutable;
using System.Net;
using Berth.Elb.State;
using Berth.LoadBalancing.Config;
using Berth.Protocol.Errors;
using Berth.Server.LoadBalancing;

namespace Berth.Server.Tests.LoadBalancing;

/// <summary>The ELB state as the data plane's input, and the addresses load balancers get.</summary>
public class DataPlaneMapTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

    private static LoadBalancerRecord Lb(string name, string dns) => new()
    {
        Arn = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/" + name + "/1",
        Name = name,
        Id = "1",
        Region = "us-east-1",
        DnsName = dns,
        CreatedTime = Now,
        VpcId = "vpc-1",
    };

    private static TargetGroupRecord Group(string name, string type, params TargetRecord[] targets) => new()
    {
        Arn = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/" + name + "/1",
        Name = name,
        Region = "us-east-1",
        Port = 80,
        VpcId = "vpc-1",
        TargetType = type,
        Targets = targets.ToImmutableSortedDictionary(t => t.Key, t => t, StringComparer.Ordinal),
    };

    private static ElbState State()
    {
        var web = Group("web", "ip", new TargetRecord("10.0.0.1", 8080, null, Now), new TargetRecord("10.0.0.2", 8080, null, Now, DrainingUntil: Now.AddMinutes(5))) with
        {
            HealthCheck = new HealthCheckRecord { Path = "/health", IntervalSeconds = 5, TimeoutSeconds = 2, HealthyThreshold = 2, Port = "8081", Matcher = "200-299" },
            Attributes = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string>
            {
                ["deregistration_delay.timeout_seconds"] = "5",
                ["load_balancing.algorithm.type"] = "least_outstanding_requests",
                ["stickiness.enabled"] = "true",
                ["stickiness.lb_cookie.duration_seconds"] = "60",
            }),
        };
        var hosts = Group("hosts", "instance", new TargetRecord("i-known", 32768, null, Now), new TargetRecord("i-unknown", 32769, null, Now));
        var lb = Lb("front", "127.9.0.1");
        var listener = new ListenerRecord
        {
            Arn = lb.Arn.Replace(":loadbalancer/", ":listener/", StringComparison.Ordinal) + "/l1",
            LoadBalancerArn = lb.Arn,
            Port = 80,
            DefaultRuleArn = "rule-default",
            DefaultActions = [new ActionRecord { Type = "forward", Order = 1, TargetGroups = [new Berth.Elb.State.WeightedTargetGroup(web.Arn, 1)] }],
        };
        var rule = new RuleRecord
        {
            Arn = "rule-1",
            ListenerArn = listener.Arn,
            Priority = 5,
            Conditions = [new ConditionRecord { Field = "path-pattern", Values = ["/teapot*"] }],
            Actions = [new ActionRecord { Type = "fixed-response", Order = 1, FixedResponse = new FixedResponseRecord("418", "text/plain", "short and stout") }],
        };
        return ElbState.Empty.With(lb).With(Lb("unaddressed", "front-1.us-east-1.elb.localhost")).With(listener).With(rule).With(web).With(hosts);
    }

    private static DataPlaneConfig Map(ElbState state) =>
        DataPlaneMap.Map(state, AddressPool.AddressOf, id => id == "i-known" ? "127.0.0.1" : null);

    [Fact]
    public void A_load_balancer_listens_on_its_address_with_its_rules_in_order_and_its_default_action()
    {
        var config = Map(State());
        var lb = Assert.Single(config.LoadBalancers); // the one whose DNSName is not an address is not served
        Assert.Equal(IPAddress.Parse("127.9.0.1"), lb.Address);
        Assert.Equal(TimeSpan.FromSeconds(60), lb.IdleTimeout);
        var listener = Assert.Single(lb.Listeners);
        Assert.Equal(80, listener.Port);
        var forward = Assert.IsType<ForwardAction>(Assert.Single(listener.DefaultActions));
        Assert.Equal("web", forward.TargetGroups.Single().TargetGroupId.Split('/')[^2]);
        var rule = Assert.Single(listener.Rules);
        Assert.Equal(5, rule.Priority);
        Assert.Equal(["/teapot*"], Assert.IsType<PathPatternCondition>(Assert.Single(rule.Conditions)).Values);
        Assert.Equal(new FixedResponseAction(418, "text/plain", "short and stout"), Assert.Single(rule.Actions));
    }

    [Fact]
    public void Target_groups_carry_their_health_check_and_attributes_and_only_targets_that_take_requests()
    {
        var groups = Map(State()).TargetGroups.ToDictionary(g => g.Id.Split('/')[^2]);
        var web = groups["web"];
        Assert.Equal(new HealthCheckConfig { Path = "/health", Port = 8081, Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(2), HealthyThreshold = 2, UnhealthyThreshold = 2, Matcher = "200-299" }, web.HealthCheck);
        Assert.Equal(new Berth.LoadBalancing.Config.TargetGroupAttributes
        {
            DeregistrationDelay = TimeSpan.FromSeconds(5),
            Algorithm = LoadBalancingAlgorithm.LeastOutstandingRequests,
            StickinessEnabled = true,
            StickinessDuration = TimeSpan.FromSeconds(60),
        }, web.Attributes);

        // The draining target is left to the data plane to drain; the instance no agent has is left out.
        Assert.Equal([new TargetConfig("10.0.0.1:8080", "10.0.0.1", 8080)], web.Targets);
        Assert.Equal([new TargetConfig("i-known:32768", "127.0.0.1", 32768)], groups["hosts"].Targets);
        Assert.Null(groups["hosts"].HealthCheck.Port); // traffic-port
    }

    [Fact]
    public void Addresses_go_out_in_order_skip_those_in_use_and_run_out_with_an_ELB_error()
    {
        var state = ElbState.Empty;
        var pool = new AddressPool(IPNetwork.Parse("127.9.0.0/29"), () => state); // hosts .1 to .6
        Assert.Equal("127.9.0.1", pool.DnsName("a", "1", "us-east-1"));
        state = state.With(Lb("a", "127.9.0.1"));
        Assert.Equal("127.9.0.2", pool.DnsName("b", "2", "us-east-1"));

        // A restarted server continues after the highest address in use, and never hands out one that is taken.
        state = ElbState.Empty.With(Lb("x", "127.9.0.5")).With(Lb("y", "127.9.0.1"));
        var again = new AddressPool(IPNetwork.Parse("127.9.0.0/29"), () => state);
        Assert.Equal(["127.9.0.6", "127.9.0.2", "127.9.0.3", "127.9.0.4"], Enumerable.Range(0, 4).Select(i => again.DnsName("n" + i, "1", "us-east-1")));

        state = Enumerable.Range(1, 6).Aggregate(ElbState.Empty, (s, i) => s.With(Lb("lb" + i, "127.9.0." + i)));
        var full = new AddressPool(IPNetwork.Parse("127.9.0.0/29"), () => state);
        var error = Assert.Throws<AwsException>(() => full.DnsName("z", "1", "us-east-1"));
        Assert.Equal("TooManyLoadBalancers", error.ErrorType);
    }
}
