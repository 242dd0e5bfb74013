using Berth.Ecs.Model;
using Berth.Ecs.Tasks;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

/// <summary>
/// What the server writes on an agent's channel: every task first, then only new tasks and changed desired statuses,
/// heartbeats when quiet, and never an echo of the agent's own reports.
/// </summary>
public class AgentChannelTests
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);

    private readonly World _world = new();
    private readonly string _instance;

    public AgentChannelTests() => _instance = _world.AddInstance(memory: 8192);

    private ChannelStep Next(IReadOnlyDictionary<string, string>? sent, int quietSeconds = 0)
        => AgentAssignments.NextWrite(AgentAssignments.For(_world.State, _instance), sent, Now.AddSeconds(quietSeconds), Now, Heartbeat);

    private static string[] Arns(ChannelStep step) => [.. step.Tasks.Select(t => t.Task.TaskArn!)];

    [Fact]
    public void The_first_message_carries_every_task_even_none()
    {
        var empty = Next(sent: null);
        Assert.Equal(ChannelWrite.Assignments, empty.Write);
        Assert.Empty(empty.Tasks);

        var a = _world.RunOne(_world.Define());
        var b = _world.RunOne(_world.Define());
        var first = Next(sent: null);
        Assert.Equal(ChannelWrite.Assignments, first.Write);
        Assert.Equal([a.TaskArn!, b.TaskArn!], Arns(first).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Later_messages_carry_only_new_tasks_and_changed_desired_statuses()
    {
        var a = _world.RunOne(_world.Define());
        var sent = Next(sent: null).Sent;

        var b = _world.RunOne(_world.Define());
        var added = Next(sent);
        Assert.Equal(ChannelWrite.Assignments, added.Write);
        Assert.Equal([b.TaskArn!], Arns(added));

        _world.Apply(TaskDecisions.Stop(_world.State, Scope, Now, new StopTaskRequest { Cluster = World.ClusterName, Task = a.TaskArn }));
        var stopped = Next(added.Sent);
        Assert.Equal([a.TaskArn!], Arns(stopped));
        Assert.Equal(EcsTaskStatus.Stopped, Assert.Single(stopped.Tasks).Task.DesiredStatus);
        Assert.Equal(ChannelWrite.Nothing, Next(stopped.Sent).Write);
    }

    [Fact]
    public void The_agents_own_reports_are_never_echoed_and_a_task_that_leaves_is_only_forgotten()
    {
        var task = _world.RunOne(_world.Define());
        var sent = Next(sent: null).Sent;

        _world.TaskReports(task.TaskArn!, "PENDING");
        _world.TaskReports(task.TaskArn!, "RUNNING", containers: new ContainerStateChange { ContainerName = "app", Status = "RUNNING", RuntimeId = "c0ffee" });
        var reported = Next(sent);
        Assert.Equal(ChannelWrite.Nothing, reported.Write);
        Assert.Same(sent, reported.Sent);

        _world.Apply(TaskDecisions.Stop(_world.State, Scope, Now, new StopTaskRequest { Cluster = World.ClusterName, Task = task.TaskArn }));
        sent = Next(sent).Sent;
        _world.TaskReports(task.TaskArn!, "STOPPED");
        var left = Next(sent);
        Assert.Equal(ChannelWrite.Nothing, left.Write);
        Assert.Empty(left.Sent);
    }

    [Theory]
    [InlineData(0, ChannelWrite.Nothing)]
    [InlineData(9, ChannelWrite.Nothing)]
    [InlineData(10, ChannelWrite.Heartbeat)]
    [InlineData(600, ChannelWrite.Heartbeat)]
    public void With_nothing_to_send_a_heartbeat_goes_out_once_a_period_passed_without_a_message(int quietSeconds, ChannelWrite expected)
    {
        _world.RunOne(_world.Define());
        var sent = Next(sent: null).Sent;
        Assert.Equal(expected, Next(sent, quietSeconds).Write);
    }

    [Fact]
    public void A_change_goes_out_as_assignments_even_when_a_heartbeat_is_due()
    {
        var sent = Next(sent: null).Sent;
        _world.RunOne(_world.Define());
        Assert.Equal(ChannelWrite.Assignments, Next(sent, quietSeconds: 600).Write);
    }
}
