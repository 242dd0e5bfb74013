using Berth.Ec2AutoScaling.State;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.State;
using Berth.Server.Capacity;
using AsgInstance = Berth.Ec2AutoScaling.State.InstanceRecord;
using EcsInstance = Berth.Ecs.ContainerInstances.InstanceRecord;

namespace Berth.Server.Tests.Capacity;

/// <summary>
/// Which server hosts an in-process Auto Scaling instance: the host's own decision (start again, stop, keep) and the
/// leader's (a host away too long is replaced), table-tested on snapshots.
/// </summary>
public class InstanceHostsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static AsgInstance Instance(string id, LifecycleState state = LifecycleState.InService) => new()
    {
        InstanceId = id,
        GroupKey = "us-east-1|g",
        LaunchConfigurationName = "lc",
        InstanceType = "t3.micro",
        ImageId = "ami-1",
        AvailabilityZone = "local-1a",
        LifecycleState = state,
        LaunchedAt = T0,
    };

    private const string Own = "arn:aws:ecs:us-east-1:000000000000:container-instance/c/own";
    private const string Other = "arn:aws:ecs:us-east-1:000000000000:container-instance/c/other";

    public static TheoryData<string, bool, LifecycleState?, string?, Carrier[], HostAction> HostCases => new()
    {
        { "the group no longer has it (terminated, or replaced while this server was away): stop", false, null, Own, [], HostAction.Stop },
        { "gone from the group while its agent runs here: stop", true, null, Own, [new(Own, true)], HostAction.Stop },
        { "InService, not running, registered as itself (a restart): start again", false, LifecycleState.InService, Own, [new(Own, true)], HostAction.Resume },
        { "InService, never registered, nobody else: start again", false, LifecycleState.InService, null, [], HostAction.Resume },
        { "InService, another server's agent is the instance: what is here is stale", false, LifecycleState.InService, Own, [new(Own, false), new(Other, true)], HostAction.Stop },
        { "InService, never registered here, another's agent is it: stale", false, LifecycleState.InService, null, [new(Other, false)], HostAction.Stop },
        { "running: never second-guessed here", true, LifecycleState.InService, Own, [new(Own, true), new(Other, true)], HostAction.Keep },
        { "Pending: the leader starts it", false, LifecycleState.Pending, null, [], HostAction.Keep },
        { "Terminating: the leader drains and stops it", false, LifecycleState.Terminating, Own, [new(Own, false)], HostAction.Keep },
        { "Terminating while running: kept until the group lets it go", true, LifecycleState.Terminating, Own, [], HostAction.Keep },
    };

    [Theory]
    [MemberData(nameof(HostCases))]
    public void The_host_decides_from_the_group_and_the_container_instances_registered_for_it(
        string why, bool running, LifecycleState? lifecycle, string? ownArn, Carrier[] carriers, HostAction expected)
    {
        var instance = lifecycle is { } state ? Instance("i-1", state) : null;
        Assert.True(expected == InstanceHosts.Next(running, instance, ownArn, carriers), why);
    }

    [Fact]
    public void The_leader_replaces_an_instance_hosted_elsewhere_only_after_its_agent_was_away_for_the_whole_limit()
    {
        var state = AsgState.Empty
            .With(Instance("i-here"))
            .With(Instance("i-resumable"))
            .With(Instance("i-external"))
            .With(Instance("i-connected"))
            .With(Instance("i-gone"))
            .With(Instance("i-pending", LifecycleState.Pending))
            .With(Instance("i-terminating", LifecycleState.Terminating));
        var carriers = new Dictionary<string, IReadOnlyList<Carrier>>(StringComparer.Ordinal)
        {
            ["i-connected"] = [new(Other, true)],
            ["i-gone"] = [new(Own, false)],
        };
        InstanceHosting Hosting(string id) => id switch
        {
            "i-here" => InstanceHosting.Running,
            "i-resumable" => InstanceHosting.Resumable,
            "i-external" => InstanceHosting.External,
            _ => InstanceHosting.Elsewhere,
        };

        // First seen away now: counted from here (a new leader gives every agent the whole limit).
        var (lost, away) = InstanceHosts.Lost(state, carriers, Hosting, new Dictionary<string, DateTimeOffset>(), T0, Limit);
        Assert.Empty(lost);
        Assert.Equal(["i-gone"], away.Keys);
        Assert.Equal(T0, away["i-gone"]);

        (lost, away) = InstanceHosts.Lost(state, carriers, Hosting, away, T0 + Limit - TimeSpan.FromMilliseconds(1), Limit);
        Assert.Empty(lost);

        (lost, away) = InstanceHosts.Lost(state, carriers, Hosting, away, T0 + Limit, Limit);
        Assert.Equal(["i-gone"], lost.Select(i => i.InstanceId));
        Assert.Equal(T0, away["i-gone"]);

        // Connected again before the limit: the count starts over.
        var back = new Dictionary<string, IReadOnlyList<Carrier>>(carriers, StringComparer.Ordinal) { ["i-gone"] = [new(Own, true)] };
        (lost, away) = InstanceHosts.Lost(state, back, Hosting, new Dictionary<string, DateTimeOffset> { ["i-gone"] = T0 }, T0 + Limit, Limit);
        Assert.Empty(lost);
        Assert.Empty(away);

        // Never registered at all (its server died while it started) counts as away too.
        var none = new Dictionary<string, IReadOnlyList<Carrier>>(StringComparer.Ordinal) { ["i-connected"] = [new(Other, true)] };
        (lost, _) = InstanceHosts.Lost(state, none, Hosting, new Dictionary<string, DateTimeOffset> { ["i-gone"] = T0 - Limit }, T0, Limit);
        Assert.Equal(["i-gone"], lost.Select(i => i.InstanceId));
    }

    [Fact]
    public void Carriers_are_the_registered_container_instances_that_name_the_instance()
    {
        EcsInstance Container(string arn, string? attribute, InstanceStatus status, bool connected) => new()
        {
            ContainerInstanceArn = arn,
            Ec2InstanceId = "i-x",
            Status = status,
            AgentConnected = connected,
            Attributes = attribute is null ? [] : [new NameValue("ecs.os-type", "linux"), new NameValue(InstanceSpec.InstanceAttribute, attribute)],
            Health = new InstanceHealth("OK", T0, T0),
        };
        var containers = new[]
        {
            Container("arn:a", "i-1", InstanceStatus.Active, true),
            Container("arn:b", "i-1", InstanceStatus.Draining, false),
            Container("arn:c", "i-1", InstanceStatus.Inactive, false),
            Container("arn:d", "i-2", InstanceStatus.Active, false),
            Container("arn:e", null, InstanceStatus.Active, true),
        };
        var state = EcsState.Empty with { ContainerInstances = EcsState.Empty.ContainerInstances.AddRange(containers.Select(c => KeyValuePair.Create(c.ContainerInstanceArn, c))) };

        var carriers = InstanceHosts.CarriersOf(state);
        Assert.Equal(["i-1", "i-2"], carriers.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([new Carrier("arn:a", true), new Carrier("arn:b", false)], carriers["i-1"]);
        Assert.Equal([new Carrier("arn:d", false)], carriers["i-2"]);
    }
}
