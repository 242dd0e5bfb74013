using Berth.Elb.Listeners;
using Berth.Elb.LoadBalancers;
using Berth.Elb.Model;
using Berth.Elb.State;
using Berth.Elb.TargetGroups;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Elb.Tests.Decisions;

/// <summary>A state built through the decisions, one step at a time, with predictable ids and a clock the test moves.</summary>
internal sealed class ElbWorld
{
    private int _ids;

    public ElbState State { get; set; } = ElbState.Empty;

    public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public ElbScope Scope() => new("us-east-1", "000000000000", Now, [Id(), Id()]);

    public T Apply<T>(Decision<ElbState, T> decision)
    {
        State = decision.State;
        return decision.Result;
    }

    public static AwsException Refused(string code, Action action)
    {
        var ex = Assert.Throws<AwsException>(action);
        Assert.True(ex.ErrorType == code, $"expected {code}, got {ex.ErrorType}: {ex.Message}");
        Assert.Equal(400, ex.StatusCode);
        return ex;
    }

    public string LoadBalancer(string name = "web")
        => Apply(LoadBalancerDecisions.Create(State, Scope(), new CreateLoadBalancerInput { Name = name, Subnets = ["subnet-1", "subnet-2"] }, ElbApi.DefaultDnsName)).LoadBalancers![0].LoadBalancerArn!;

    public string TargetGroup(string name = "tg", string type = "instance")
        => Apply(TargetGroupDecisions.Create(State, Scope(), new CreateTargetGroupInput { Name = name, Protocol = "HTTP", Port = 80, TargetType = type })).TargetGroups![0].TargetGroupArn!;

    public string Listener(string loadBalancerArn, string targetGroupArn, int port = 80)
        => Apply(ListenerDecisions.Create(State, Scope(), new CreateListenerInput
        {
            LoadBalancerArn = loadBalancerArn,
            Protocol = "HTTP",
            Port = port,
            DefaultActions = [new ActionValue { Type = "forward", TargetGroupArn = targetGroupArn }],
        })).Listeners![0].ListenerArn!;

    public static ActionValue Fixed(string status = "404") => new() { Type = "fixed-response", FixedResponseConfig = new FixedResponseActionConfig { StatusCode = status } };

    public static RuleCondition Path(params string[] values) => new() { Field = "path-pattern", PathPatternConfig = new PathPatternConditionConfig { Values = [.. values] } };

    private string Id() => (++_ids).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
