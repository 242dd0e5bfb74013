using System.Text.Json.Nodes;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Server.Events;

namespace Berth.Server.Tests.Events;

/// <summary>ECS's "ECS Task State Change" events, from two states.</summary>
public class EcsEventSourceTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
    private const string Arn = "arn:aws:ecs:eu-west-1:123456789012:task/default/abc";

    private static TaskRecord Task(EcsTaskStatus last, EcsTaskStatus desired) => new()
    {
        TaskArn = Arn,
        ClusterArn = "arn:aws:ecs:eu-west-1:123456789012:cluster/default",
        TaskDefinitionArn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/job:1",
        Group = "family:job",
        LastStatus = last,
        DesiredStatus = desired,
        CreatedAt = Now.AddMinutes(-1),
        StartedAt = Now.AddSeconds(-30),
    };

    private static EcsState With(params TaskRecord[] tasks)
    {
        var edit = new StateEdit(EcsState.Empty);
        foreach (var task in tasks)
        {
            edit.Put(task);
        }

        return edit.State;
    }

    [Fact]
    public void A_status_change_is_one_event_with_the_tasks_shape_as_detail()
    {
        var before = With(Task(EcsTaskStatus.Running, EcsTaskStatus.Running));
        var after = With(Task(EcsTaskStatus.Stopped, EcsTaskStatus.Stopped) with { StoppedReason = "Essential container in task exited" });
        var @event = JsonNode.Parse(Assert.Single(EcsEventSource.Changes(before, after, Now)).Json)!;
        Assert.Equal(("aws.ecs", "ECS Task State Change", "eu-west-1", "123456789012", Arn), ((string?)@event["source"], (string?)@event["detail-type"], (string?)@event["region"], (string?)@event["account"], (string?)@event["resources"]![0]));
        var detail = @event["detail"]!;
        Assert.Equal(("STOPPED", "STOPPED", "family:job", "Essential container in task exited"), ((string?)detail["lastStatus"], (string?)detail["desiredStatus"], (string?)detail["group"], (string?)detail["stoppedReason"]));
        Assert.Equal(("2026-12-02T09:59:30.000Z", "2026-12-02T10:00:00.000Z"), ((string?)detail["startedAt"], (string?)detail["updatedAt"]));
    }

    [Fact]
    public void A_new_task_is_an_event_and_an_unchanged_status_is_none()
    {
        var running = Task(EcsTaskStatus.Running, EcsTaskStatus.Running);
        Assert.Single(EcsEventSource.Changes(EcsState.Empty, With(running), Now));
        Assert.Empty(EcsEventSource.Changes(With(running), With(running with { Version = 4, HealthStatus = HealthStatus.Healthy }), Now));
        var state = With(running);
        Assert.Empty(EcsEventSource.Changes(state, state, Now));
    }
}
