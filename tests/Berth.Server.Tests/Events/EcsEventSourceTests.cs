using System.Text.Json.Nodes;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Services;
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
    public void A_spot_interruption_is_the_two_minute_warning_while_the_task_still_runs()
    {
        var running = Task(EcsTaskStatus.Running, EcsTaskStatus.Running) with { CapacityProviderName = "FARGATE_SPOT", LaunchType = LaunchType.Fargate };
        var before = With(running);
        var planned = Berth.Ecs.Capacity.SpotInterruptions.ForOperator(before, "123456789012", Arn, null);
        var after = Berth.Ecs.Capacity.SpotInterruptions.Apply(before, planned, Now).State;
        var detail = JsonNode.Parse(Assert.Single(EcsEventSource.Changes(before, after, Now)).Json)!["detail"]!;
        Assert.Equal(("RUNNING", "STOPPED", "SpotInterruption", "Your Spot Task was interrupted.", "FARGATE_SPOT"), ((string?)detail["lastStatus"], (string?)detail["desiredStatus"], (string?)detail["stopCode"], (string?)detail["stoppedReason"], (string?)detail["capacityProviderName"]));
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

    private static ServiceRecord Service(RolloutState rollout, bool steady = false, int desired = 2) => new()
    {
        ServiceArn = "arn:aws:ecs:eu-west-1:123456789012:service/default/web",
        ServiceName = "web",
        ClusterArn = "arn:aws:ecs:eu-west-1:123456789012:cluster/default",
        TaskDefinition = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1",
        DeploymentConfiguration = new DeploymentSettings { MaximumPercent = 200, MinimumHealthyPercent = 100 },
        DesiredCount = desired,
        Deployments = [new DeploymentRecord { Id = "ecs-svc/1234567890123456789", Status = DeploymentStatus.Primary, TaskDefinition = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1", RolloutState = rollout, RolloutStateReason = "ECS deployment ecs-svc/1234567890123456789 completed." }],
        Controller = new ControllerMemory { SteadyReported = steady },
    };

    private static EcsState WithService(ServiceRecord service)
    {
        var edit = new StateEdit(EcsState.Empty);
        edit.Put(service);
        return edit.State;
    }

    [Fact]
    public void A_completed_deployment_and_a_steady_state_are_ECSs_deployment_and_service_events()
    {
        var before = WithService(Service(RolloutState.InProgress));
        var after = WithService(Service(RolloutState.Completed, steady: true, desired: 3));
        var events = EcsEventSource.Changes(before, after, Now).Select(e => JsonNode.Parse(e.Json)!).ToList();
        var deployment = Assert.Single(events, e => (string?)e["detail-type"] == "ECS Deployment State Change")["detail"]!;
        Assert.Equal(("INFO", "SERVICE_DEPLOYMENT_COMPLETED", "ecs-svc/1234567890123456789"), ((string?)deployment["eventType"], (string?)deployment["eventName"], (string?)deployment["deploymentId"]));
        var actions = events.Where(e => (string?)e["detail-type"] == "ECS Service Action").Select(e => (string?)e["detail"]!["eventName"]).Order().ToList();
        Assert.Equal(["SERVICE_DESIRED_COUNT_UPDATED", "SERVICE_STEADY_STATE"], actions);
        Assert.All(events, e => Assert.Equal("arn:aws:ecs:eu-west-1:123456789012:service/default/web", (string?)e["resources"]![0]));
        Assert.Empty(EcsEventSource.Changes(after, after, Now));
    }

    [Fact]
    public void An_instance_draining_is_a_container_instance_state_change()
    {
        var instance = new InstanceRecord
        {
            ContainerInstanceArn = "arn:aws:ecs:eu-west-1:123456789012:container-instance/default/abc",
            Ec2InstanceId = "i-0123456789abcdef0",
            Status = InstanceStatus.Active,
            AgentConnected = true,
            Health = new InstanceHealth("OK", Now, Now),
        };
        var edit = new StateEdit(EcsState.Empty);
        edit.Put(instance);
        var before = edit.State;
        edit.Put(instance with { Status = InstanceStatus.Draining });
        var @event = JsonNode.Parse(Assert.Single(EcsEventSource.Changes(before, edit.State, Now)).Json)!;
        Assert.Equal("ECS Container Instance State Change", (string?)@event["detail-type"]);
        Assert.Equal(("DRAINING", "arn:aws:ecs:eu-west-1:123456789012:cluster/default"), ((string?)@event["detail"]!["status"], (string?)@event["detail"]!["clusterArn"]));
    }
}
