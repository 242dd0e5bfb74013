using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Ecs.Tests.Tasks;
using Berth.Protocol.Errors;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Services;

/// <summary>Services behind target groups: ECS's checks of <c>loadBalancers</c>, ELB health in deployments, DEACTIVATING before a stop.</summary>
public class LoadBalancedServiceTests
{
    private const string InstanceGroup = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef";
    private const string IpGroup = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/ip/0123456789abcdef";
    private const string Orphan = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/orphan/0123456789abcdef";

    private sealed class Catalog : ITargetGroupCatalog
    {
        public TargetGroupFacts? Find(string arn) => arn switch
        {
            InstanceGroup => new TargetGroupFacts(arn, "instance", true),
            IpGroup => new TargetGroupFacts(arn, "ip", true),
            Orphan => new TargetGroupFacts(arn, "instance", false),
            _ => null,
        };
    }

    private static Service Create(World world, string definition, int desired, params LoadBalancer[] lbs) => Create(world, definition, desired, null, lbs);

    private static Service Create(World world, string definition, int desired, NetworkConfiguration? network, params LoadBalancer[] lbs) =>
        world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, world.Time, new CreateServiceRequest
        {
            NetworkConfiguration = network,
            Cluster = World.ClusterName,
            ServiceName = "web",
            TaskDefinition = definition,
            DesiredCount = desired,
            LoadBalancers = [.. lbs],
            HealthCheckGracePeriodSeconds = 30,
        }, new Catalog()));

    // A container mapping port 80: to a dynamic host port (bridge) or to itself (awsvpc).
    private static string Web(World world, string? networkMode = null) =>
        world.Define(networkMode: networkMode, containers: World.Container(hostPort: networkMode == "awsvpc" ? 80 : 0));

    private static LoadBalancer Lb(string group = InstanceGroup, string container = "app", int port = 80) => new() { TargetGroupArn = group, ContainerName = container, ContainerPort = port };

    private static PassResult Pass(World world) => world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));

    private static List<TaskRecord> Tasks(World world) => [.. world.State.Tasks.Values.Where(t => t.Group == "service:web")];

    private static void SetHealth(World world, TaskRecord task, LoadBalancerHealth health)
    {
        var edit = new StateEdit(world.State);
        edit.Put(world.Record(task.TaskArn) with { LoadBalancerHealth = health });
        world.State = edit.State;
    }

    private static Service Describe(World world) =>
        Assert.Single(ServiceQueries.Describe(world.State, Scope, new DescribeServicesRequest { Cluster = World.ClusterName, Services = ["web"] }).Services!);

    public static TheoryData<string, string?, LoadBalancer, string> Refusals => new()
    {
        { "a container the definition does not have", null, Lb(container: "nope"), "The container nope does not exist in the task definition." },
        { "a port the container does not map", null, Lb(port: 8080), "The container app did not have a container port 8080 defined." },
        { "a target group that does not exist", null, Lb(group: InstanceGroup + "0"), "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions." },
        { "a target group no load balancer uses", null, Lb(group: Orphan), $"The target group with targetGroupArn {Orphan} does not have an associated load balancer." },
        { "an ip target group for bridge", null, Lb(group: IpGroup), $"The provided target group {IpGroup} has target type ip, which is incompatible with the bridge network mode specified in the task definition." },
        { "an instance target group for awsvpc", "awsvpc", Lb(), $"The provided target group {InstanceGroup} has target type instance, which is incompatible with the awsvpc network mode specified in the task definition." },
        { "no container name", null, new LoadBalancer { TargetGroupArn = InstanceGroup, ContainerPort = 80 }, "Container Name can not be blank." },
        { "a classic load balancer", null, new LoadBalancer { LoadBalancerName = "classic", ContainerName = "app", ContainerPort = 80 }, "Berth runs Application Load Balancers only: give targetGroupArn instead of loadBalancerName." },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void ALoadBalancerThatDoesNotFitIsRefusedAndNothingIsWritten(string why, string? networkMode, LoadBalancer lb, string message)
    {
        var world = new World();
        world.AddInstance();
        var definition = Web(world, networkMode);
        var before = world.State;
        var network = networkMode == "awsvpc" ? new NetworkConfiguration { AwsvpcConfiguration = new AwsVpcConfiguration { Subnets = ["subnet-1"] } } : null;
        var refused = Assert.Throws<AwsException>(() => Create(world, definition, 1, network, lb));
        Assert.Equal(("InvalidParameterException", message), (refused.ErrorType, refused.Message));
        Assert.Same(before, world.State);
        Assert.NotNull(why);
    }

    [Fact]
    public void UpdateServiceChecksTheLoadBalancersAgainstTheNewRevision()
    {
        var world = new World();
        world.AddInstance();
        Create(world, Web(world), 1, Lb());
        var other = world.Define(containers: World.Container(name: "other"));
        var refused = Assert.Throws<AwsException>(() => world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time,
            new UpdateServiceRequest { Cluster = World.ClusterName, Service = "web", TaskDefinition = other }, new Catalog())));
        Assert.Equal("The container app does not exist in the task definition.", refused.Message);
    }

    [Fact]
    public void DescribeServicesShowsTheLoadBalancers()
    {
        var world = new World();
        world.AddInstance();
        var created = Create(world, Web(world), 1, Lb());
        var lb = Assert.Single(created.LoadBalancers!);
        Assert.Equal((InstanceGroup, "app", 80), (lb.TargetGroupArn, lb.ContainerName, lb.ContainerPort));
        Assert.Equal(InstanceGroup, Assert.Single(Describe(world).LoadBalancers!).TargetGroupArn);
    }

    [Fact]
    public void ATaskCountsForTheDeploymentOnlyOnceItsTargetsAreHealthy()
    {
        var world = new World();
        world.AddInstance();
        Create(world, Web(world), 1, Lb());
        Pass(world);
        var task = Assert.Single(Tasks(world));
        world.TaskReports(task.TaskArn, "RUNNING");
        Pass(world);
        Assert.Equal("IN_PROGRESS", Describe(world).Deployments![0].RolloutState);

        SetHealth(world, task, new LoadBalancerHealth(TargetCheckState.Initial));
        Pass(world);
        Assert.Equal("IN_PROGRESS", Describe(world).Deployments![0].RolloutState);

        SetHealth(world, task, new LoadBalancerHealth(TargetCheckState.Healthy));
        Pass(world);
        Assert.Equal("COMPLETED", Describe(world).Deployments![0].RolloutState);
    }

    [Fact]
    public void ATaskFailingItsTargetGroupsChecksIsReplacedOnlyAfterTheGracePeriod()
    {
        var world = new World();
        world.AddInstance();
        Create(world, Web(world), 1, Lb());
        Pass(world);
        var task = Assert.Single(Tasks(world));
        world.TaskReports(task.TaskArn, "RUNNING");
        SetHealth(world, task, new LoadBalancerHealth(TargetCheckState.Unhealthy, InstanceGroup, 32768, "Health checks failed with these codes: [500]"));

        // Inside the 30 s grace period the failing checks are not held against it.
        Assert.Equal(0, Pass(world).Stopped);

        world.Time += TimeSpan.FromSeconds(31);
        var result = Pass(world);
        Assert.Equal((1, 1), (result.Stopped, result.Started));
        var stopped = world.Record(task.TaskArn);
        Assert.Equal((EcsTaskStatus.Stopped, EcsTaskStatus.Deactivating), (stopped.DesiredStatus, stopped.LastStatus));
        Assert.Equal($"Task failed ELB health checks in (target-group {InstanceGroup})", stopped.StoppedReason);

        // Deactivating: the agent is still told RUNNING, so its targets drain before the containers get the stop signal.
        Assert.Equal(EcsTaskStatus.Running, stopped.AgentDesiredStatus);
        Assert.Equal("RUNNING", TaskViews.ToWire(stopped, forAgent: true).DesiredStatus);
        Assert.Equal("STOPPED", TaskViews.ToWire(stopped).DesiredStatus);
        var events = Describe(world).Events!.Select(e => e.Message).ToList();
        Assert.Contains("(service web) has begun draining connections on 1 tasks.", events);
    }

    [Fact]
    public void AScaleInOfATaskThatNeverRanStopsItAtOnce()
    {
        var world = new World();
        world.AddInstance();
        Create(world, Web(world), 1, Lb());
        Pass(world);
        var task = Assert.Single(Tasks(world));
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "web", DesiredCount = 0 }, new Catalog()));
        Pass(world);
        var stopped = world.Record(task.TaskArn);
        Assert.Equal((EcsTaskStatus.Stopped, EcsTaskStatus.Stopped), (stopped.DesiredStatus, stopped.AgentDesiredStatus));
        Assert.NotEqual(EcsTaskStatus.Deactivating, stopped.LastStatus);
    }

    [Fact]
    public void ARollingDeploymentStopsOldTasksOnlyOnceTheNewOnesAreHealthyBehindTheLoadBalancer()
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        Create(world, Web(world), 2, Lb());
        Pass(world);
        foreach (var task in Tasks(world))
        {
            world.TaskReports(task.TaskArn, "RUNNING");
            SetHealth(world, task, new LoadBalancerHealth(TargetCheckState.Healthy));
        }

        Pass(world);
        var old = Tasks(world).Select(t => t.TaskArn).ToHashSet();
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "web", ForceNewDeployment = true }, new Catalog()));
        Assert.Equal(2, Pass(world).Started);
        var fresh = Tasks(world).Where(t => !old.Contains(t.TaskArn)).ToList();
        foreach (var task in fresh)
        {
            world.TaskReports(task.TaskArn, "RUNNING");
        }

        // Running but not yet healthy in the target group: the old tasks keep serving.
        Assert.Equal(0, Pass(world).Stopped);
        foreach (var task in fresh)
        {
            SetHealth(world, task, new LoadBalancerHealth(TargetCheckState.Healthy));
        }

        Assert.Equal(2, Pass(world).Stopped);
        Assert.All(old, arn => Assert.Equal(EcsTaskStatus.Deactivating, world.Record(arn).LastStatus));
    }

    [Fact]
    public void ADeactivatingTaskIsNotMovedBackByTheAgentsLaterReports()
    {
        var world = new World();
        world.AddInstance();
        Create(world, Web(world), 1, Lb());
        Pass(world);
        var task = Assert.Single(Tasks(world));
        world.TaskReports(task.TaskArn, "RUNNING");
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "web", DesiredCount = 0 }, new Catalog()));
        Pass(world);
        Assert.Equal(EcsTaskStatus.Deactivating, world.Record(task.TaskArn).LastStatus);
        world.TaskReports(task.TaskArn, "RUNNING");
        Assert.Equal(EcsTaskStatus.Deactivating, world.Record(task.TaskArn).LastStatus);
        world.TaskReports(task.TaskArn, "STOPPED");
        Assert.Equal(EcsTaskStatus.Stopped, world.Record(task.TaskArn).LastStatus);
    }

    // StopTask of a task: (behind load balancers?, its last status, the reason given) → last status after, the desired
    // status the agent is told, the stoppedReason. Only a RUNNING task behind load balancers drains first.
    public static TheoryData<bool, string, string?, EcsTaskStatus, EcsTaskStatus, string> UserStops => new()
    {
        { true, "RUNNING", "maintenance", EcsTaskStatus.Deactivating, EcsTaskStatus.Running, "maintenance" },
        { true, "RUNNING", null, EcsTaskStatus.Deactivating, EcsTaskStatus.Running, TaskLifecycle.StoppedByUser },
        { true, "PENDING", "maintenance", EcsTaskStatus.Pending, EcsTaskStatus.Stopped, "maintenance" },
        { false, "RUNNING", "maintenance", EcsTaskStatus.Running, EcsTaskStatus.Stopped, "maintenance" },
    };

    [Theory]
    [MemberData(nameof(UserStops))]
    public void StopTaskDrainsARunningTaskBehindLoadBalancersFirst(bool balanced, string status, string? reason, EcsTaskStatus last, EcsTaskStatus agentTold, string stoppedReason)
    {
        var world = new World();
        world.AddInstance();
        if (balanced)
        {
            Create(world, Web(world), 1, Lb());
        }
        else
        {
            Create(world, Web(world), 1);
        }

        Pass(world);
        var task = Assert.Single(Tasks(world));
        world.TaskReports(task.TaskArn, status);

        var stopped = world.Apply(TaskDecisions.Stop(world.State, Scope, world.Time, new StopTaskRequest { Cluster = World.ClusterName, Task = task.TaskArn, Reason = reason }));
        Assert.Equal((EcsTaskStatus.Stopped, last, agentTold, stoppedReason, StopCode.UserInitiated), (stopped.DesiredStatus, stopped.LastStatus, stopped.AgentDesiredStatus, stopped.StoppedReason, stopped.StopCode));
        Assert.Equal(last, world.Record(task.TaskArn).LastStatus);

        // The wire says STOPPED to the user, the agent's view keeps it running while its targets drain.
        Assert.Equal("STOPPED", TaskViews.ToWire(stopped).DesiredStatus);
        Assert.Equal(agentTold == EcsTaskStatus.Running ? "RUNNING" : "STOPPED", TaskViews.ToWire(stopped, forAgent: true).DesiredStatus);
    }

    [Fact]
    public void AStandaloneTaskIsNotDrainedByStopTask()
    {
        var world = new World();
        world.AddInstance();
        Create(world, Web(world), 1, Lb());
        var standalone = world.RunOne(Web(world));
        world.TaskReports(standalone.TaskArn!, "RUNNING");
        var stopped = world.Apply(TaskDecisions.Stop(world.State, Scope, world.Time, new StopTaskRequest { Cluster = World.ClusterName, Task = standalone.TaskArn }));
        Assert.Equal((EcsTaskStatus.Running, EcsTaskStatus.Stopped), (stopped.LastStatus, stopped.AgentDesiredStatus));
    }

    [Fact]
    public void AUserStoppedTaskStaysDeactivatingUntilDrainedAndTheServiceReplacesIt()
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        Create(world, Web(world), 1, Lb());
        Pass(world);
        var task = Assert.Single(Tasks(world));
        world.TaskReports(task.TaskArn, "RUNNING");
        SetHealth(world, task, new LoadBalancerHealth(TargetCheckState.Healthy));
        Pass(world);
        world.Apply(TaskDecisions.Stop(world.State, Scope, world.Time, new StopTaskRequest { Cluster = World.ClusterName, Task = task.TaskArn, Reason = "maintenance" }));

        // A second StopTask changes nothing; the agent's RUNNING reports do not move it back; the service starts a replacement.
        var again = world.Apply(TaskDecisions.Stop(world.State, Scope, world.Time, new StopTaskRequest { Cluster = World.ClusterName, Task = task.TaskArn, Reason = "other" }));
        Assert.Equal((EcsTaskStatus.Deactivating, "maintenance"), (again.LastStatus, again.StoppedReason));
        world.TaskReports(task.TaskArn, "RUNNING");
        Assert.Equal(EcsTaskStatus.Deactivating, world.Record(task.TaskArn).LastStatus);
        Assert.Equal(1, Pass(world).Started);
        world.TaskReports(task.TaskArn, "STOPPED");
        var over = world.Record(task.TaskArn);
        Assert.Equal((EcsTaskStatus.Stopped, "maintenance"), (over.LastStatus, over.StoppedReason));
    }

    [Fact]
    public void TheLoadBalancersSurviveTheStoredDocument()
    {
        var world = new World();
        world.AddInstance();
        Create(world, Web(world), 1, Lb());
        var stored = world.State.Services.Values.Single();
        var document = StateCodec.Encode(stored, StoredJsonContext.Default.ServiceRecord);
        var json = System.Text.Encoding.UTF8.GetString(document);
        Assert.Contains("\"targetGroupArn\":", json.Replace(" ", string.Empty, StringComparison.Ordinal));
        var back = System.Text.Json.JsonSerializer.Deserialize(document, StoredJsonContext.Default.ServiceRecord)!;
        Assert.Equal(stored.LoadBalancers.ToArray(), back.LoadBalancers.ToArray());
    }
}
