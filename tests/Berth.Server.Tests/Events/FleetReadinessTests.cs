using Berth.Ecs.ContainerInstances;
using Berth.Ecs.State;
using Berth.Server.Events;

namespace Berth.Server.Tests.Events;

/// <summary>When scheduled firings may start after a server start: every working instance's agent back.</summary>
public class FleetReadinessTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    private static InstanceRecord Instance(string id, InstanceStatus status, bool connected) => new()
    {
        ContainerInstanceArn = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/" + id,
        Ec2InstanceId = "i-" + id,
        Status = status,
        AgentConnected = connected,
        Health = new InstanceHealth("OK", Now, Now),
    };

    private static EcsState With(params InstanceRecord[] instances)
    {
        var edit = new StateEdit(EcsState.Empty);
        foreach (var instance in instances)
        {
            edit.Put(instance);
        }

        return edit.State;
    }

    [Theory]
    // status, connected by the state, channel open on this server, settled
    [InlineData(InstanceStatus.Active, true, true, true)]
    [InlineData(InstanceStatus.Active, true, false, false)] // the state's flag is from before a kill -9
    [InlineData(InstanceStatus.Active, false, true, false)] // re-registered, its connection not committed yet
    [InlineData(InstanceStatus.Draining, false, false, false)]
    [InlineData(InstanceStatus.Inactive, false, false, true)] // deregistered: nothing to wait for
    public void One_instance(InstanceStatus status, bool connected, bool channel, bool settled)
    {
        var instance = Instance("a", status, connected);
        Assert.Equal(settled, FleetReadiness.Settled(With(instance), _ => channel));
    }

    [Fact]
    public void No_instances_is_settled_and_every_working_one_counts()
    {
        Assert.True(FleetReadiness.Settled(EcsState.Empty, _ => false));
        var up = Instance("a", InstanceStatus.Active, true);
        var back = Instance("b", InstanceStatus.Active, true);
        Assert.False(FleetReadiness.Settled(With(up, back), arn => arn == up.ContainerInstanceArn));
        Assert.True(FleetReadiness.Settled(With(up, back), _ => true));
    }
}
