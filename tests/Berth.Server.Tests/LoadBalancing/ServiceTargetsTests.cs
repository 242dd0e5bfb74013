using System.Collections.Immutable;
using Berth.Ecs.Arns;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Elb.Health;
using Berth.Elb.State;
using Berth.Server.LoadBalancing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Server.Tests.LoadBalancing;

/// <summary>How a service's tasks join, leave and report the health of their target groups.</summary>
public class ServiceTargetsTests
{
    private const string Cluster = "arn:aws:ecs:us-east-1:000000000000:cluster/default";
    private const string Group = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/1";
    private const string ServiceArn = "arn:aws:ecs:us-east-1:000000000000:service/default/web";
    private const string InstanceArn = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/abc";
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

    private sealed class Checks(params (string Key, string State, string? Description)[] reports) : ITargetHealthSource
    {
        public TargetHealthReport? Report(string targetGroupArn, string targetId, int port)
        {
            var key = TargetRecord.TargetKey(targetId, port);
            return reports.Where(r => r.Key == key).Select(r => new TargetHealthReport(r.State, null, r.Description)).FirstOrDefault();
        }
    }

    private static (EcsState State, string Definition) Ecs(string networkMode)
    {
        var state = EcsState.Empty;
        var registered = TaskDefinitionDecisions.Register(state, new Scope("us-east-1", "000000000000"), "arn:aws:iam::000000000000:root", Now, new RegisterTaskDefinitionRequest
        {
            Family = "web",
            NetworkMode = networkMode,
            ContainerDefinitions = [new ContainerDefinition { Name = "app", Image = "busybox", Memory = 128, PortMappings = [new PortMapping { ContainerPort = 80, HostPort = networkMode == "awsvpc" ? 80 : 0 }] }],
        });
        var edit = new StateEdit(registered.State);
        edit.Put(new ServiceRecord
        {
            ServiceArn = ServiceArn,
            ServiceName = "web",
            ClusterArn = Cluster,
            TaskDefinition = registered.Result.Definition.TaskDefinitionArn!,
            DeploymentConfiguration = new DeploymentSettings { MaximumPercent = 200, MinimumHealthyPercent = 100 },
            LoadBalancers = [new ServiceLoadBalancer(Group, null, "app", 80)],
        });
        edit.Put(new InstanceRecord
        {
            ContainerInstanceArn = InstanceArn,
            Ec2InstanceId = "i-0123456789abcdef0",
            Health = new InstanceHealth("OK", Now, Now),
        });
        return (edit.State, registered.Result.Definition.TaskDefinitionArn!);
    }

    private static TaskRecord Task(string id, string definition, EcsTaskStatus last, EcsTaskStatus desired, string? address = null, int? hostPort = null) => new()
    {
        TaskArn = "arn:aws:ecs:us-east-1:000000000000:task/default/" + id,
        ClusterArn = Cluster,
        TaskDefinitionArn = definition,
        ContainerInstanceArn = InstanceArn,
        Group = "service:web",
        LastStatus = last,
        DesiredStatus = desired,
        Containers =
        [
            new ContainerRecord
            {
                ContainerArn = "arn:aws:ecs:us-east-1:000000000000:container/default/" + id + "/app",
                Name = "app",
                NetworkInterfaces = address is null ? [] : [new ContainerInterface("eni-1", address)],
                NetworkBindings = hostPort is null ? [] : [new PortBinding { ContainerPort = 80, HostPort = hostPort, BindIp = "0.0.0.0" }],
            },
        ],
    };

    private static EcsState With(EcsState state, params TaskRecord[] tasks)
    {
        var edit = new StateEdit(state);
        foreach (var task in tasks)
        {
            edit.Put(task);
        }

        return edit.State;
    }

    private static ElbState Elb(int delay, params TargetRecord[] targets) => ElbState.Empty.With(new TargetGroupRecord
    {
        Arn = Group,
        Name = "web",
        Region = "us-east-1",
        Port = 80,
        VpcId = "vpc-1",
        TargetType = "ip",
        Attributes = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, string>("deregistration_delay.timeout_seconds", delay.ToString(System.Globalization.CultureInfo.InvariantCulture))]),
        Targets = targets.ToImmutableSortedDictionary(t => t.Key, t => t, StringComparer.Ordinal),
    });

    [Fact]
    public void ARunningTaskIsRegisteredByItsAddressAndStartsInitial()
    {
        var (ecs, definition) = Ecs("awsvpc");
        var task = Task("t1", definition, EcsTaskStatus.Running, EcsTaskStatus.Running, address: "172.20.0.5");
        var plan = ServiceTargets.Plan(With(ecs, task), Elb(5), new Checks(), Now);
        Assert.Equal([new TaskTarget(Group, "172.20.0.5", 80)], plan.Register);
        Assert.Empty(plan.Deregister);
        Assert.Equal(new LoadBalancerHealth(TargetCheckState.Initial), Assert.Single(plan.Tasks).Next.LoadBalancerHealth);
        Assert.Equal((ServiceArn, $"registered 1 targets in (target-group {Group})"), Assert.Single(plan.Events));
    }

    [Fact]
    public void AnExternalServicesTasksJoinTheTargetGroupsOfTheirTaskSetOnly()
    {
        var (ecs, definition) = Ecs("awsvpc");
        var service = ecs.Services[ServiceArn];
        TaskSetRecord Set(string id, params ServiceLoadBalancer[] lbs) => new()
        {
            Id = id,
            TaskSetArn = "arn:aws:ecs:us-east-1:000000000000:task-set/default/web/" + id,
            TaskDefinition = definition,
            ScaleValue = 100,
            ComputedDesiredCount = 1,
            LoadBalancers = [.. lbs],
        };
        var edit = new StateEdit(ecs);
        edit.Put(service with
        {
            LoadBalancers = [],
            TaskDefinition = string.Empty,
            DeploymentController = DeploymentControllerType.External,
            TaskSets = [Set("ecs-svc/1", new ServiceLoadBalancer(Group, null, "app", 80)), Set("ecs-svc/2")],
        });
        var blue = Task("t1", definition, EcsTaskStatus.Running, EcsTaskStatus.Running, address: "172.20.0.5") with { StartedBy = "ecs-svc/1" };
        var green = Task("t2", definition, EcsTaskStatus.Running, EcsTaskStatus.Running, address: "172.20.0.6") with { StartedBy = "ecs-svc/2" };
        var plan = ServiceTargets.Plan(With(edit.State, blue, green), Elb(5), new Checks(), Now);
        Assert.Equal([new TaskTarget(Group, "172.20.0.5", 80)], plan.Register);
        Assert.Equal(blue.TaskArn, Assert.Single(plan.Tasks).Next.TaskArn);
    }

    [Fact]
    public void ATaskWithoutAnAddressYetWaits()
    {
        var (ecs, definition) = Ecs("awsvpc");
        var plan = ServiceTargets.Plan(With(ecs, Task("t1", definition, EcsTaskStatus.Pending, EcsTaskStatus.Running)), Elb(5), new Checks(), Now);
        Assert.True(plan.Empty);
    }

    [Fact]
    public void ABridgeTaskIsRegisteredByItsInstanceAndTheHostPortOfItsContainerPort()
    {
        var (ecs, definition) = Ecs("bridge");
        var plan = ServiceTargets.Plan(With(ecs, Task("t1", definition, EcsTaskStatus.Running, EcsTaskStatus.Running, hostPort: 32768)), Elb(5), new Checks(), Now);
        Assert.Equal([new TaskTarget(Group, "i-0123456789abcdef0", 32768)], plan.Register);
    }

    [Theory]
    [InlineData("healthy", TargetCheckState.Healthy)]
    [InlineData("initial", TargetCheckState.Initial)]
    [InlineData("unhealthy", TargetCheckState.Unhealthy)]
    public void TheHealthChecksVerdictIsWrittenOnTheTask(string reported, TargetCheckState expected)
    {
        var (ecs, definition) = Ecs("awsvpc");
        var task = Task("t1", definition, EcsTaskStatus.Running, EcsTaskStatus.Running, address: "172.20.0.5");
        var checks = new Checks(("172.20.0.5:80", reported, "Health checks failed with these codes: [500]"));
        var plan = ServiceTargets.Plan(With(ecs, task), Elb(5, new TargetRecord("172.20.0.5", 80, null, Now)), checks, Now);
        Assert.Empty(plan.Register);
        var health = Assert.Single(plan.Tasks).Next.LoadBalancerHealth!;
        Assert.Equal(expected, health.State);
        if (expected == TargetCheckState.Unhealthy)
        {
            Assert.Equal((Group, 80), (health.TargetGroupArn, health.Port));
            Assert.Equal((ServiceArn, $"(port 80) is unhealthy in (target-group {Group}) due to (reason Health checks failed with these codes: [500])."), Assert.Single(plan.Events));
        }

        // Once written, the same verdict writes nothing.
        var again = ServiceTargets.Plan(With(ecs, task with { LoadBalancerHealth = health }), Elb(5, new TargetRecord("172.20.0.5", 80, null, Now)), checks, Now);
        Assert.True(again.Empty);
    }

    [Fact]
    public void ADeactivatingTaskIsDeregisteredDrainsAndThenMovesOnToStopping()
    {
        var (ecs, definition) = Ecs("awsvpc");
        var task = Task("t1", definition, EcsTaskStatus.Deactivating, EcsTaskStatus.Stopped, address: "172.20.0.5");
        var state = With(ecs, task);

        // Registered: deregister it; it drains for 5 s, so the task waits.
        var plan = ServiceTargets.Plan(state, Elb(5, new TargetRecord("172.20.0.5", 80, null, Now)), new Checks(), Now);
        Assert.Equal([new TaskTarget(Group, "172.20.0.5", 80)], plan.Deregister);
        Assert.Empty(plan.Tasks);
        Assert.Equal((ServiceArn, $"deregistered 1 targets in (target-group {Group})"), Assert.Single(plan.Events));

        // Draining: nothing to do until it is gone; the next pass is due then.
        var draining = Elb(5, new TargetRecord("172.20.0.5", 80, null, Now, DrainingUntil: Now.AddSeconds(5)));
        plan = ServiceTargets.Plan(state, draining, new Checks(), Now.AddSeconds(1));
        Assert.True(plan.Empty);
        Assert.Equal(Now.AddSeconds(5), plan.WakeAt);

        // Gone: the task moves on, and the agent is told to stop it.
        plan = ServiceTargets.Plan(state, draining, new Checks(), Now.AddSeconds(5));
        var next = Assert.Single(plan.Tasks).Next;
        Assert.Equal((EcsTaskStatus.Stopping, EcsTaskStatus.Stopped, task.Version + 1), (next.LastStatus, next.AgentDesiredStatus, next.Version));
    }

    [Fact]
    public void ADeactivatingTaskThatWasNeverRegisteredMovesOnAtOnce()
    {
        var (ecs, definition) = Ecs("awsvpc");
        var task = Task("t1", definition, EcsTaskStatus.Deactivating, EcsTaskStatus.Stopped, address: "172.20.0.5");
        var plan = ServiceTargets.Plan(With(ecs, task), Elb(5), new Checks(), Now);
        Assert.Equal(EcsTaskStatus.Stopping, Assert.Single(plan.Tasks).Next.LastStatus);
        Assert.Empty(plan.Deregister);
    }

    [Fact]
    public void AStoppedTasksTargetIsDeregisteredUnlessANewTaskTookItsAddress()
    {
        var (ecs, definition) = Ecs("awsvpc");
        var stopped = Task("t1", definition, EcsTaskStatus.Stopped, EcsTaskStatus.Stopped, address: "172.20.0.5");
        var registered = Elb(0, new TargetRecord("172.20.0.5", 80, null, Now));
        var plan = ServiceTargets.Plan(With(ecs, stopped), registered, new Checks(), Now);
        Assert.Equal([new TaskTarget(Group, "172.20.0.5", 80)], plan.Deregister);

        var successor = Task("t2", definition, EcsTaskStatus.Running, EcsTaskStatus.Running, address: "172.20.0.5") with { LoadBalancerHealth = new LoadBalancerHealth(TargetCheckState.Initial) };
        plan = ServiceTargets.Plan(With(ecs, stopped, successor), registered, new Checks(), Now);
        Assert.Empty(plan.Deregister);
        Assert.Empty(plan.Register);
    }

    [Fact]
    public void ApplyingSkipsWhatMovedSinceThePlan()
    {
        var (ecs, definition) = Ecs("awsvpc");
        var task = Task("t1", definition, EcsTaskStatus.Running, EcsTaskStatus.Running, address: "172.20.0.5");
        var state = With(ecs, task);
        var plan = ServiceTargets.Plan(state, Elb(5), new Checks(), Now);

        // The target group was deleted meanwhile: nothing is registered, nothing thrown.
        var elb = ServiceTargetsController.ApplyTargets(ElbState.Empty, plan, Now, NullLogger.Instance);
        Assert.Equal(0, elb.Result);
        Assert.Empty(elb.Mutations);
        Assert.Equal(1, ServiceTargetsController.ApplyTargets(Elb(5), plan, Now, NullLogger.Instance).Result);

        // The task changed meanwhile (an agent report): its change waits for the next pass; the event is written.
        var moved = With(state, task with { Version = 7 });
        var applied = ServiceTargetsController.ApplyTasks(moved, plan, IdSource.Sequential(), Now);
        Assert.Equal(0, applied.Result);
        Assert.Equal(7, applied.State.Tasks[task.TaskArn].Version);
        Assert.Equal($"(service web) registered 1 targets in (target-group {Group})", applied.State.Services[ServiceArn].Events[0].Message);
    }
}
