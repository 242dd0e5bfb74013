using Berth.Elb.LoadBalancers;
using Berth.Elb.Model;

namespace Berth.Elb.Tests.Decisions;

public sealed class LoadBalancerTests
{
    [Fact]
    public void Create_makes_an_active_application_load_balancer_with_ALBs_shape()
    {
        var world = new ElbWorld();
        var lb = world.Apply(LoadBalancerDecisions.Create(world.State, world.Scope(), new CreateLoadBalancerInput
        {
            Name = "web",
            Subnets = ["subnet-a", "subnet-b"],
            Scheme = "internal",
            Tags = [new Tag { Key = "env", Value = "test" }],
        }, ElbApi.DefaultDnsName)).LoadBalancers![0];

        Assert.Equal("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/0000000000000001", lb.LoadBalancerArn);
        Assert.Equal("active", lb.State!.Code);
        Assert.Equal("application", lb.Type);
        Assert.Equal("internal", lb.Scheme);
        Assert.Equal("web-0000000000000001.us-east-1.elb.localhost", lb.DNSName);
        Assert.Equal("Z35SXDOTRQ7X7K", lb.CanonicalHostedZoneId);
        Assert.Equal(["us-east-1a", "us-east-1b"], lb.AvailabilityZones!.Select(z => z.ZoneName!));
        Assert.Equal("test", Assert.Single(world.State.LoadBalancers.Values).Tags.Single().Value);
    }

    [Theory]
    [InlineData("-web")]
    [InlineData("web-")]
    [InlineData("web_1")]
    [InlineData("internal-web")]
    [InlineData("a23456789012345678901234567890123")]
    public void Names_ALB_refuses_are_ValidationErrors(string name)
    {
        var world = new ElbWorld();
        ElbWorld.Refused("ValidationError", () => LoadBalancerDecisions.Create(world.State, world.Scope(), new CreateLoadBalancerInput { Name = name }, ElbApi.DefaultDnsName));
    }

    [Fact]
    public void The_same_name_with_the_same_settings_is_the_same_load_balancer_and_with_others_a_duplicate()
    {
        var world = new ElbWorld();
        var arn = world.LoadBalancer();
        Assert.Equal(arn, world.Apply(LoadBalancerDecisions.Create(world.State, world.Scope(), new CreateLoadBalancerInput { Name = "web", Subnets = ["subnet-1", "subnet-2"] }, ElbApi.DefaultDnsName)).LoadBalancers![0].LoadBalancerArn);
        ElbWorld.Refused("DuplicateLoadBalancerName", () => LoadBalancerDecisions.Create(world.State, world.Scope(), new CreateLoadBalancerInput { Name = "web", Scheme = "internal" }, ElbApi.DefaultDnsName));
        ElbWorld.Refused("ValidationError", () => LoadBalancerDecisions.Create(world.State, world.Scope(), new CreateLoadBalancerInput { Name = "nlb", Type = "network" }, ElbApi.DefaultDnsName));
    }

    [Fact]
    public void Attributes_have_ALBs_defaults_are_checked_and_deletion_protection_refuses_a_delete()
    {
        var world = new ElbWorld();
        var arn = world.LoadBalancer();
        var attributes = LoadBalancerDecisions.DescribeAttributes(world.State, new DescribeLoadBalancerAttributesInput { LoadBalancerArn = arn }).Attributes!.ToDictionary(a => a.Key!, a => a.Value);
        Assert.Equal("60", attributes["idle_timeout.timeout_seconds"]);
        Assert.Equal("false", attributes["deletion_protection.enabled"]);
        Assert.Equal("true", attributes["routing.http2.enabled"]);

        ElbWorld.Refused("ValidationError", () => LoadBalancerDecisions.ModifyAttributes(world.State, Attributes(arn, "idle_timeout.timeout_seconds", "4001")));
        ElbWorld.Refused("ValidationError", () => LoadBalancerDecisions.ModifyAttributes(world.State, Attributes(arn, "no.such.key", "1")));
        ElbWorld.Refused("ValidationError", () => LoadBalancerDecisions.ModifyAttributes(world.State, Attributes(arn, "deletion_protection.enabled", "yes")));

        var modified = world.Apply(LoadBalancerDecisions.ModifyAttributes(world.State, Attributes(arn, "deletion_protection.enabled", "true")));
        Assert.Equal("true", modified.Attributes!.Single(a => a.Key == "deletion_protection.enabled").Value);
        ElbWorld.Refused("OperationNotPermitted", () => LoadBalancerDecisions.Delete(world.State, new DeleteLoadBalancerInput { LoadBalancerArn = arn }));

        world.Apply(LoadBalancerDecisions.ModifyAttributes(world.State, Attributes(arn, "deletion_protection.enabled", "false")));
        world.Apply(LoadBalancerDecisions.Delete(world.State, new DeleteLoadBalancerInput { LoadBalancerArn = arn }));
        Assert.Empty(world.State.LoadBalancers);
        ElbWorld.Refused("LoadBalancerNotFound", () => LoadBalancerDecisions.Describe(world.State, "us-east-1", new DescribeLoadBalancersInput { LoadBalancerArns = [arn] }));
    }

    [Fact]
    public void Deleting_a_load_balancer_takes_its_listeners_and_rules()
    {
        var world = new ElbWorld();
        var lb = world.LoadBalancer();
        var tg = world.TargetGroup();
        var listener = world.Listener(lb, tg);
        world.Apply(Rules.RuleDecisions.Create(world.State, world.Scope(), new CreateRuleInput { ListenerArn = listener, Priority = 1, Conditions = [ElbWorld.Path("/a")], Actions = [ElbWorld.Fixed()] }));
        var decision = LoadBalancerDecisions.Delete(world.State, new DeleteLoadBalancerInput { LoadBalancerArn = lb });
        Assert.Equal(3, decision.Mutations.Count);
        world.Apply(decision);
        Assert.Empty(world.State.Listeners);
        Assert.Empty(world.State.Rules);
        Assert.Single(world.State.TargetGroups);
    }

    [Fact]
    public void Describe_pages_with_marker_and_page_size()
    {
        var world = new ElbWorld();
        foreach (var name in new[] { "c", "a", "b" })
        {
            world.LoadBalancer(name);
        }

        var first = LoadBalancerDecisions.Describe(world.State, "us-east-1", new DescribeLoadBalancersInput { PageSize = 2 });
        Assert.Equal(["a", "b"], first.LoadBalancers!.Select(l => l.LoadBalancerName!));
        var second = LoadBalancerDecisions.Describe(world.State, "us-east-1", new DescribeLoadBalancersInput { PageSize = 2, Marker = first.NextMarker });
        Assert.Equal(["c"], second.LoadBalancers!.Select(l => l.LoadBalancerName!));
        Assert.Null(second.NextMarker);
        ElbWorld.Refused("ValidationError", () => LoadBalancerDecisions.Describe(world.State, "us-east-1", new DescribeLoadBalancersInput { PageSize = 401 }));
        Assert.Empty(LoadBalancerDecisions.Describe(world.State, "eu-west-1", new DescribeLoadBalancersInput()).LoadBalancers!);
    }

    [Fact]
    public void Subnets_security_groups_and_the_IP_address_type_can_be_changed()
    {
        var world = new ElbWorld();
        var arn = world.LoadBalancer();
        var subnets = world.Apply(LoadBalancerDecisions.SetSubnets(world.State, new SetSubnetsInput { LoadBalancerArn = arn, SubnetMappings = [new SubnetMapping { SubnetId = "subnet-x" }], IpAddressType = "dualstack" }));
        Assert.Equal(["subnet-x"], subnets.AvailabilityZones!.Select(z => z.SubnetId!));
        Assert.Equal("dualstack", subnets.IpAddressType);
        Assert.Equal(["sg-1", "sg-2"], world.Apply(LoadBalancerDecisions.SetSecurityGroups(world.State, new SetSecurityGroupsInput { LoadBalancerArn = arn, SecurityGroups = ["sg-1", "sg-2", "sg-1"] })).SecurityGroupIds!);
        Assert.Equal("ipv4", world.Apply(LoadBalancerDecisions.SetIpAddressType(world.State, new SetIpAddressTypeInput { LoadBalancerArn = arn, IpAddressType = "ipv4" })).IpAddressType);
        ElbWorld.Refused("ValidationError", () => LoadBalancerDecisions.SetIpAddressType(world.State, new SetIpAddressTypeInput { LoadBalancerArn = arn, IpAddressType = "ipv6" }));
        ElbWorld.Refused("ValidationError", () => LoadBalancerDecisions.SetSubnets(world.State, new SetSubnetsInput { LoadBalancerArn = arn, Subnets = [] }));
        var lb = LoadBalancerDecisions.Describe(world.State, "us-east-1", new DescribeLoadBalancersInput { LoadBalancerArns = [arn] }).LoadBalancers![0];
        Assert.Equal(["sg-1", "sg-2"], lb.SecurityGroups!);
        Assert.Equal("ipv4", lb.IpAddressType);
    }

    [Fact]
    public void Account_limits_are_the_ones_enforced_and_page()
    {
        var all = AccountLimits.Describe(new DescribeAccountLimitsInput()).Limits!.ToDictionary(l => l.Name!, l => l.Max);
        Assert.Equal("100", all["rules-per-application-load-balancer"]);
        Assert.Equal("50", all["listeners-per-application-load-balancer"]);
        var page = AccountLimits.Describe(new DescribeAccountLimitsInput { PageSize = 2 });
        Assert.Equal(2, page.Limits!.Count);
        Assert.NotNull(page.NextMarker);
    }

    private static ModifyLoadBalancerAttributesInput Attributes(string arn, string key, string value)
        => new() { LoadBalancerArn = arn, Attributes = [new LoadBalancerAttribute { Key = key, Value = value }] };
}
