using Berth.Ecs.ContainerInstances;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

/// <summary>Several servers: a channel is connected while its server keeps saying so, and taken for gone when it stops.</summary>
public sealed class AgentSeenTests
{
    [Fact]
    public void A_channel_no_server_has_vouched_for_lately_is_away_and_one_seen_again_is_back()
    {
        var world = new World();
        var alive = world.AddInstance();
        var orphaned = world.AddInstance();
        var offline = world.AddInstance(connected: false);
        Assert.Equal(Now, world.State.ContainerInstances[alive].AgentSeenAt);

        var later = Now.AddSeconds(20);
        world.Apply(ContainerInstanceDecisions.AgentsSeen(world.State, [alive], later));
        var staleBefore = later.AddSeconds(-15);
        Assert.False(ContainerInstanceDecisions.IsStale(world.State.ContainerInstances[alive], staleBefore));
        Assert.True(ContainerInstanceDecisions.IsStale(world.State.ContainerInstances[orphaned], staleBefore));
        Assert.False(ContainerInstanceDecisions.IsStale(world.State.ContainerInstances[offline], staleBefore));

        var away = world.Apply(ContainerInstanceDecisions.AgentsAway(world.State, [alive, orphaned, offline], staleBefore, later));
        Assert.Equal([orphaned], away);
        Assert.False(world.State.ContainerInstances[orphaned].AgentConnected);
        Assert.True(world.State.ContainerInstances[alive].AgentConnected);

        // Its channel turns out to be open on some server after all: connected again, with a new version.
        var version = world.State.ContainerInstances[orphaned].Version;
        world.Apply(ContainerInstanceDecisions.AgentsSeen(world.State, [orphaned], later.AddSeconds(1)));
        Assert.True(world.State.ContainerInstances[orphaned].AgentConnected);
        Assert.Equal(version + 1, world.State.ContainerInstances[orphaned].Version);
    }

    [Fact]
    public void Being_seen_again_does_not_change_the_instance_s_version()
    {
        var world = new World();
        var arn = world.AddInstance();
        var version = world.State.ContainerInstances[arn].Version;
        world.Apply(ContainerInstanceDecisions.AgentsSeen(world.State, [arn, "arn:aws:ecs:us-east-1:000000000000:container-instance/web/none"], Now.AddSeconds(5)));
        Assert.Equal((version, Now.AddSeconds(5)), (world.State.ContainerInstances[arn].Version, world.State.ContainerInstances[arn].AgentSeenAt));
    }
}
