using Berth.Elb.Health;
using Berth.Elb.Model;
using Berth.Elb.State;
using Berth.Elb.TargetGroups;
using Berth.Elb.Targets;

namespace Berth.Elb.Tests.Decisions;

public sealed class TargetGroupTests
{
    [Fact]
    public void Create_has_ALBs_health_check_defaults()
    {
        var world = new ElbWorld();
        var tg = world.Apply(TargetGroupDecisions.Create(world.State, world.Scope(), new CreateTargetGroupInput { Name = "tg", Protocol = "HTTP", Port = 8080, VpcId = "vpc-1" })).TargetGroups![0];
        Assert.Equal("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0000000000000001", tg.TargetGroupArn);
        Assert.Equal(("/", 30, 5, 5, 2, "200", "traffic-port", "HTTP", "instance", "vpc-1"),
            (tg.HealthCheckPath, tg.HealthCheckIntervalSeconds, tg.HealthCheckTimeoutSeconds, tg.HealthyThresholdCount, tg.UnhealthyThresholdCount, tg.Matcher!.HttpCode, tg.HealthCheckPort, tg.HealthCheckProtocol, tg.TargetType, tg.VpcId));
        Assert.True(tg.HealthCheckEnabled);
        Assert.Empty(tg.LoadBalancerArns!);
    }

    public static TheoryData<string, CreateTargetGroupInput> Refusals => new()
    {
        { "ValidationError", Input(i => i.HealthCheckIntervalSeconds = 4) },
        { "ValidationError", Input(i => i.HealthCheckIntervalSeconds = 301) },
        { "ValidationError", Input(i => i.HealthCheckTimeoutSeconds = 1) },
        { "ValidationError", Input(i => i.HealthCheckTimeoutSeconds = 121) },
        { "ValidationError", Input(i => (i.HealthCheckIntervalSeconds, i.HealthCheckTimeoutSeconds) = (10, 10)) },
        { "ValidationError", Input(i => i.HealthyThresholdCount = 1) },
        { "ValidationError", Input(i => i.UnhealthyThresholdCount = 11) },
        { "ValidationError", Input(i => i.HealthCheckPath = "health") },
        { "ValidationError", Input(i => i.HealthCheckPort = "0") },
        { "ValidationError", Input(i => i.Matcher = new Matcher { HttpCode = "600" }) },
        { "ValidationError", Input(i => i.Matcher = new Matcher { HttpCode = "299-200" }) },
        { "ValidationError", Input(i => i.Matcher = new Matcher { HttpCode = "200,abc" }) },
        { "ValidationError", Input(i => i.Port = 0) },
        { "ValidationError", Input(i => i.TargetType = "lambda") },
        { "UnsupportedProtocol", Input(i => i.Protocol = "TCP") },
        { "ValidationError", Input(i => i.Name = "bad_name") },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Settings_out_of_ALBs_ranges_are_refused(string code, CreateTargetGroupInput input)
    {
        var world = new ElbWorld();
        ElbWorld.Refused(code, () => TargetGroupDecisions.Create(world.State, world.Scope(), input));
    }

    [Theory]
    [InlineData("200")]
    [InlineData("200,202,301")]
    [InlineData("200-299")]
    [InlineData("200-499")]
    public void Matchers_of_codes_lists_and_ranges_are_taken(string code)
    {
        var world = new ElbWorld();
        Assert.Equal(code, world.Apply(TargetGroupDecisions.Create(world.State, world.Scope(), Input(i => i.Matcher = new Matcher { HttpCode = code }))).TargetGroups![0].Matcher!.HttpCode);
    }

    [Fact]
    public void Attributes_have_defaults_and_ranges()
    {
        var world = new ElbWorld();
        var arn = world.TargetGroup();
        var all = TargetGroupDecisions.DescribeAttributes(world.State, new DescribeTargetGroupAttributesInput { TargetGroupArn = arn }).Attributes!.ToDictionary(a => a.Key!, a => a.Value);
        Assert.Equal("300", all["deregistration_delay.timeout_seconds"]);
        Assert.Equal("0", all["slow_start.duration_seconds"]);
        Assert.Equal("round_robin", all["load_balancing.algorithm.type"]);
        Assert.Equal("false", all["stickiness.enabled"]);
        Assert.Equal("lb_cookie", all["stickiness.type"]);
        Assert.Equal("86400", all["stickiness.lb_cookie.duration_seconds"]);

        foreach (var (key, value) in new[] { ("deregistration_delay.timeout_seconds", "3601"), ("slow_start.duration_seconds", "29"), ("slow_start.duration_seconds", "901"), ("load_balancing.algorithm.type", "random"), ("stickiness.type", "app_cookie"), ("stickiness.lb_cookie.duration_seconds", "0"), ("stickiness.enabled", "1") })
        {
            ElbWorld.Refused("ValidationError", () => TargetGroupDecisions.ModifyAttributes(world.State, Attributes(arn, key, value)));
        }

        var set = world.Apply(TargetGroupDecisions.ModifyAttributes(world.State, Attributes(arn, "slow_start.duration_seconds", "30"))).Attributes!.ToDictionary(a => a.Key!, a => a.Value);
        Assert.Equal("30", set["slow_start.duration_seconds"]);
        world.Apply(TargetGroupDecisions.ModifyAttributes(world.State, Attributes(arn, "load_balancing.algorithm.type", "least_outstanding_requests")));
        Assert.Equal("least_outstanding_requests", world.State.TargetGroups[arn].Attribute("load_balancing.algorithm.type"));
    }

    [Fact]
    public void A_group_a_listener_forwards_to_is_in_use_and_cannot_be_deleted()
    {
        var world = new ElbWorld();
        var lb = world.LoadBalancer();
        var tg = world.TargetGroup();
        world.Listener(lb, tg);
        Assert.Equal([lb], TargetGroupDecisions.Describe(world.State, "us-east-1", new DescribeTargetGroupsInput { TargetGroupArns = [tg] }).TargetGroups![0].LoadBalancerArns!);
        Assert.Single(TargetGroupDecisions.Describe(world.State, "us-east-1", new DescribeTargetGroupsInput { LoadBalancerArn = lb }).TargetGroups!);
        ElbWorld.Refused("ResourceInUse", () => TargetGroupDecisions.Delete(world.State, new DeleteTargetGroupInput { TargetGroupArn = tg }));
        ElbWorld.Refused("TargetGroupNotFound", () => TargetGroupDecisions.Describe(world.State, "us-east-1", new DescribeTargetGroupsInput { Names = ["nope"] }));
    }

    [Fact]
    public void Target_health_is_unused_until_routed_to_then_initial_then_what_the_data_plane_says_and_draining_after_deregistration()
    {
        var world = new ElbWorld();
        var tg = world.TargetGroup("ips", "ip");
        world.Apply(TargetDecisions.Register(world.State, world.Now, new RegisterTargetsInput { TargetGroupArn = tg, Targets = [new TargetDescription { Id = "10.0.0.1", Port = 8080 }, new TargetDescription { Id = "10.0.0.2" }] }));
        Assert.Equal(
            [("10.0.0.1", 8080, "unused", "Target.NotInUse", "8080"), ("10.0.0.2", 80, "unused", "Target.NotInUse", "80")],
            Health(world, tg, NoTargetHealth.Instance));

        world.Listener(world.LoadBalancer(), tg);
        Assert.All(Health(world, tg, NoTargetHealth.Instance), h => Assert.Equal(("initial", "Elb.RegistrationInProgress"), (h.State, h.Reason)));
        Assert.Equal(
            [("10.0.0.1", 8080, "healthy", null, "8080"), ("10.0.0.2", 80, "healthy", null, "80")],
            Health(world, tg, new Reports(new TargetHealthReport("healthy"))));

        world.Apply(TargetDecisions.Deregister(world.State, world.Now, new DeregisterTargetsInput { TargetGroupArn = tg, Targets = [new TargetDescription { Id = "10.0.0.1", Port = 8080 }] }));
        var draining = Health(world, tg, new Reports(new TargetHealthReport("healthy")));
        Assert.Equal(("draining", "Target.DeregistrationInProgress"), (draining[0].State, draining[0].Reason));

        // The delay (300 s by default) runs out: the target is gone.
        world.Now = world.Now.AddSeconds(300);
        Assert.Equal(["10.0.0.2"], Health(world, tg, NoTargetHealth.Instance).Select(h => h.Id));
        ElbWorld.Refused("InvalidTarget", () => TargetDecisions.Deregister(world.State, world.Now, new DeregisterTargetsInput { TargetGroupArn = tg, Targets = [new TargetDescription { Id = "10.0.0.1", Port = 8080 }] }));

        var asked = TargetDecisions.DescribeHealth(world.State, world.Now, NoTargetHealth.Instance, new DescribeTargetHealthInput { TargetGroupArn = tg, Targets = [new TargetDescription { Id = "10.9.9.9" }] });
        Assert.Equal(("unused", "Target.NotRegistered"), (asked.TargetHealthDescriptions![0].TargetHealth!.State, asked.TargetHealthDescriptions[0].TargetHealth!.Reason));
    }

    [Fact]
    public void A_deregistration_delay_of_zero_removes_at_once_and_registering_again_ends_draining()
    {
        var world = new ElbWorld();
        var tg = world.TargetGroup();
        var target = new TargetDescription { Id = "i-0123456789abcdef0" };
        world.Apply(TargetDecisions.Register(world.State, world.Now, new RegisterTargetsInput { TargetGroupArn = tg, Targets = [target] }));
        world.Apply(TargetDecisions.Deregister(world.State, world.Now, new DeregisterTargetsInput { TargetGroupArn = tg, Targets = [target] }));
        Assert.NotNull(world.State.TargetGroups[tg].Targets.Single().Value.DrainingUntil);
        world.Apply(TargetDecisions.Register(world.State, world.Now, new RegisterTargetsInput { TargetGroupArn = tg, Targets = [target] }));
        Assert.Null(world.State.TargetGroups[tg].Targets.Single().Value.DrainingUntil);

        world.Apply(TargetGroupDecisions.ModifyAttributes(world.State, Attributes(tg, "deregistration_delay.timeout_seconds", "0")));
        world.Apply(TargetDecisions.Deregister(world.State, world.Now, new DeregisterTargetsInput { TargetGroupArn = tg, Targets = [target] }));
        Assert.Empty(world.State.TargetGroups[tg].Targets);
    }

    [Theory]
    [InlineData("instance", "10.0.0.1")]
    [InlineData("instance", "web-1")]
    [InlineData("ip", "i-0123456789abcdef0")]
    [InlineData("ip", "10.0.0.256")]
    [InlineData("ip", "fe80::1")]
    public void Targets_of_the_wrong_kind_are_InvalidTarget(string type, string id)
    {
        var world = new ElbWorld();
        var tg = world.TargetGroup("g", type);
        ElbWorld.Refused("InvalidTarget", () => TargetDecisions.Register(world.State, world.Now, new RegisterTargetsInput { TargetGroupArn = tg, Targets = [new TargetDescription { Id = id }] }));
    }

    [Fact]
    public void The_state_survives_its_documents()
    {
        var world = new ElbWorld();
        var lb = world.LoadBalancer();
        var tg = world.TargetGroup();
        world.Listener(lb, tg);
        var mutations = new List<Storage.Documents.Mutation>();
        foreach (var record in world.State.LoadBalancers.Values)
        {
            mutations.Add(ElbCodec.Put(record));
        }

        foreach (var record in world.State.TargetGroups.Values)
        {
            mutations.Add(ElbCodec.Put(record with { Attributes = record.Attributes.SetItem("slow_start.duration_seconds", "60") }));
        }

        foreach (var record in world.State.Listeners.Values)
        {
            mutations.Add(ElbCodec.Put(record));
        }

        var loaded = ElbCodec.Load(mutations.Select(m => new Storage.Documents.StoredDocument(m.Kind, m.Id, m.Body!)));
        var (before, after) = (world.State.LoadBalancers[lb], loaded.LoadBalancers[lb]);
        Assert.Equal((before.Name, before.DnsName, before.CreatedTime, before.Scheme), (after.Name, after.DnsName, after.CreatedTime, after.Scheme));
        Assert.Equal(before.Subnets.ToArray(), after.Subnets.ToArray());
        Assert.Equal("60", loaded.TargetGroups[tg].Attribute("slow_start.duration_seconds"));
        Assert.True(loaded.IsInUse(tg));
        Assert.Equal(world.State.Listeners.Values.Single().DefaultActions.Single().TargetGroups.ToArray(), loaded.Listeners.Values.Single().DefaultActions.Single().TargetGroups.ToArray());
    }

    private static List<(string Id, int Port, string State, string? Reason, string HealthCheckPort)> Health(ElbWorld world, string tg, ITargetHealthSource source)
        => [.. TargetDecisions.DescribeHealth(world.State, world.Now, source, new DescribeTargetHealthInput { TargetGroupArn = tg }).TargetHealthDescriptions!
            .Select(d => (d.Target!.Id!, d.Target.Port!.Value, d.TargetHealth!.State!, d.TargetHealth.Reason, d.HealthCheckPort!))];

    private static ModifyTargetGroupAttributesInput Attributes(string arn, string key, string value)
        => new() { TargetGroupArn = arn, Attributes = [new TargetGroupAttribute { Key = key, Value = value }] };

    private static CreateTargetGroupInput Input(Action<CreateTargetGroupInput> change)
    {
        var input = new CreateTargetGroupInput { Name = "tg", Protocol = "HTTP", Port = 80 };
        change(input);
        return input;
    }

    private sealed class Reports(TargetHealthReport report) : ITargetHealthSource
    {
        public TargetHealthReport? Report(string targetGroupArn, string targetId, int port) => report;
    }
}
