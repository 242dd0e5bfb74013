using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

public class ContainerInstanceTests
{
    private static RegisterContainerInstanceRequest Registration(string? arn = null, int cpu = 2048, List<EcsAttribute>? attributes = null) => new()
    {
        Cluster = World.ClusterName,
        ContainerInstanceArn = arn,
        TotalResources =
        [
            new Resource { Name = "CPU", Type = "INTEGER", IntegerValue = cpu },
            new Resource { Name = "MEMORY", Type = "INTEGER", IntegerValue = 4096 },
        ],
        Attributes = attributes ?? [new EcsAttribute { Name = "ecs.capability.docker-remote-api.1.44" }],
    };

    [Fact]
    public void ANewInstanceGetsADeterministicArnAndWaitsForItsAgent()
    {
        var world = new World();
        var instance = world.Apply(ContainerInstanceDecisions.Register(world.State, Scope, world.Ids, Now, Registration()));
        Assert.Equal(World.Prefix + "container-instance/web/00000000000000000000000000000001", instance.ContainerInstanceArn);
        Assert.Equal("i-00000000000000002", instance.Ec2InstanceId);
        Assert.Equal("ACTIVE", instance.Status);
        Assert.False(instance.AgentConnected);
        Assert.Equal(Now, instance.RegisteredAt);
        Assert.Equal(1, instance.Version);
        Assert.Equal(["CPU", "MEMORY", "PORTS", "PORTS_UDP"], instance.RegisteredResources!.Select(r => r.Name));
        Assert.Equal(["22", "2375", "2376", "51678", "51679"], World.Ports(instance, "PORTS"));
        Assert.Equal(1, ClusterQueries.Describe(world.State, Scope, new DescribeClustersRequest { Clusters = ["web"] }).Clusters![0].RegisteredContainerInstancesCount);
    }

    [Fact]
    public void TheEc2InstanceIdComesFromTheExtensionOrTheIdentityDocument()
    {
        var world = new World();
        var request = Registration();
        request.Ec2InstanceId = "i-0123456789abcdef0";
        Assert.Equal("i-0123456789abcdef0", world.Apply(ContainerInstanceDecisions.Register(world.State, Scope, world.Ids, Now, request)).Ec2InstanceId);

        var withDocument = Registration();
        withDocument.InstanceIdentityDocument = """{"instanceId":"i-0aaaabbbbccccdddd","availabilityZone":"us-east-1b","instanceType":"m5.large"}""";
        var instance = world.Apply(ContainerInstanceDecisions.Register(world.State, Scope, world.Ids, Now, withDocument));
        Assert.Equal("i-0aaaabbbbccccdddd", instance.Ec2InstanceId);
        Assert.Contains(instance.Attributes!, a => a.Name == "ecs.availability-zone" && a.Value == "us-east-1b");
    }

    [Fact]
    public void ReRegistrationKeepsTheArnAndCustomAttributesAndReplacesTheRest()
    {
        var world = new World();
        var first = world.Apply(ContainerInstanceDecisions.Register(world.State, Scope, world.Ids, Now, Registration()));
        world.Apply(Attributes.AttributeDecisions.Put(world.State, Scope, new PutAttributesRequest
        {
            Cluster = "web",
            Attributes = [new EcsAttribute { Name = "stack", Value = "prod", TargetId = first.ContainerInstanceArn }],
        }));
        world.Apply(ContainerInstanceDecisions.SetAgentConnected(world.State, first.ContainerInstanceArn!, true, Now));

        var again = world.Apply(ContainerInstanceDecisions.Register(world.State, Scope, world.Ids, Now.AddMinutes(5), Registration(
            first.ContainerInstanceArn, cpu: 4096, attributes: [new EcsAttribute { Name = "ecs.capability.docker-remote-api.1.45" }])));

        Assert.Equal(first.ContainerInstanceArn, again.ContainerInstanceArn);
        Assert.Equal(first.Ec2InstanceId, again.Ec2InstanceId);
        Assert.Equal(Now, again.RegisteredAt);
        Assert.Equal(4096, World.Integer(again, "CPU"));
        Assert.False(again.AgentConnected);
        Assert.Equal(["stack", "ecs.capability.docker-remote-api.1.45"], again.Attributes!.Select(a => a.Name));
        Assert.Single(world.State.ContainerInstances);
        Assert.True(again.Version > first.Version);
    }

    [Fact]
    public void ReRegistrationOfAnUnknownOrDeregisteredInstanceIsRefused()
    {
        var world = new World();
        var unknown = world.Refused(s => ContainerInstanceDecisions.Register(s, Scope, world.Ids, Now, Registration(World.Prefix + "container-instance/web/ffff")));
        Assert.Equal("InvalidParameterException", unknown.ErrorType);

        var arn = world.AddInstance();
        world.Apply(ContainerInstanceDecisions.Deregister(world.State, Scope, Now, new DeregisterContainerInstanceRequest { Cluster = "web", ContainerInstance = arn }));
        Assert.Equal("ClientException", world.Refused(s => ContainerInstanceDecisions.Register(s, Scope, world.Ids, Now, Registration(arn))).ErrorType);
    }

    [Theory]
    [InlineData("CPU", "INTEGER", null)]
    [InlineData("PORTS", "STRINGSET", "http")]
    [InlineData("PORTS", "STRINGSET", "70000")]
    public void BadResourcesAreRefused(string name, string type, string? port)
    {
        var world = new World();
        var request = Registration();
        request.TotalResources!.RemoveAll(r => r.Name == name);
        request.TotalResources.Add(new Resource { Name = name, Type = type, StringSetValue = port is null ? null : [port] });
        Assert.Equal("InvalidParameterException", world.Refused(s => ContainerInstanceDecisions.Register(s, Scope, world.Ids, Now, request)).ErrorType);
    }

    [Fact]
    public void RegisteringIntoAMissingClusterFails()
    {
        var world = new World();
        var request = Registration();
        request.Cluster = "nope";
        Assert.Equal("ClusterNotFoundException", world.Refused(s => ContainerInstanceDecisions.Register(s, Scope, world.Ids, Now, request)).ErrorType);
    }

    [Fact]
    public void RemainingResourcesSubtractTheTasksThatHoldThem()
    {
        var world = new World();
        var instance = world.AddInstance(cpu: 1024, memory: 2048);
        var definition = world.Define(containers: [World.Container(memory: 300, cpu: 100, hostPort: 8080), World.Container("side", memory: 200, hostPort: 0)]);
        var task = world.RunOne(definition);

        var described = world.Describe(instance);
        Assert.Equal(924, World.Integer(described, "CPU"));
        Assert.Equal(1548, World.Integer(described, "MEMORY"));
        Assert.Equal(["22", "2375", "2376", "8080", "51678", "51679"], World.Ports(described, "PORTS"));
        Assert.Equal(1, described.PendingTasksCount);
        Assert.Equal(0, described.RunningTasksCount);

        // A dynamic port the agent reports bound is held as well.
        world.ContainerReports(task.TaskArn!, "side", "RUNNING", bindings: [new NetworkBinding { ContainerPort = 80, HostPort = 32768, Protocol = "tcp" }]);
        Assert.Contains("32768", World.Ports(world.Describe(instance), "PORTS"));

        world.TaskReports(task.TaskArn!, "RUNNING");
        Assert.Equal(1, world.Describe(instance).RunningTasksCount);

        world.Apply(TaskDecisions.Stop(world.State, Scope, Now, new StopTaskRequest { Cluster = "web", Task = task.TaskArn }));
        Assert.Equal(924, World.Integer(world.Describe(instance), "CPU"));
        world.TaskReports(task.TaskArn!, "STOPPED");
        var after = world.Describe(instance);
        Assert.Equal(1024, World.Integer(after, "CPU"));
        Assert.Equal(["22", "2375", "2376", "51678", "51679"], World.Ports(after, "PORTS"));
    }

    [Fact]
    public void DescribeReportsMissingInstancesAndShowsTagsOnlyWhenAsked()
    {
        var world = new World();
        var arn = world.AddInstance();
        var response = ContainerInstanceQueries.Describe(world.State, Scope, new DescribeContainerInstancesRequest { Cluster = "web", ContainerInstances = [ContainerInstanceRules.IdOf(arn), "missing"] });
        Assert.Null(Assert.Single(response.ContainerInstances!).Tags);
        Assert.Null(response.ContainerInstances![0].HealthStatus);
        Assert.Equal(new (string?, string?)[] { (World.Prefix + "container-instance/web/missing", "MISSING") }, response.Failures!.Select(f => (f.Arn, f.Reason)));
        Assert.Equal("OK", world.Describe(arn).HealthStatus!.OverallStatus);
        Assert.Throws<AwsException>(() => ContainerInstanceQueries.Describe(world.State, Scope, new DescribeContainerInstancesRequest { Cluster = "web", ContainerInstances = [.. Enumerable.Repeat("x", 101)] }));
    }

    [Fact]
    public void DeregisterRefusesAnInstanceWithLiveTasksUnlessForced()
    {
        var world = new World();
        var instance = world.AddInstance();
        var task = world.RunOne(world.Define());
        var request = new DeregisterContainerInstanceRequest { Cluster = "web", ContainerInstance = instance };

        var refused = world.Refused(s => ContainerInstanceDecisions.Deregister(s, Scope, Now, request));
        Assert.Equal(("InvalidParameterException", "Found running tasks on the instance."), (refused.ErrorType, refused.Message));

        request.Force = true;
        var deregistered = world.Apply(ContainerInstanceDecisions.Deregister(world.State, Scope, Now, request));
        Assert.Equal("INACTIVE", deregistered.Status);
        var stopping = world.Task(task.TaskArn!);
        Assert.Equal("STOPPED", stopping.DesiredStatus);
        Assert.Equal("Container instance deregistration forced by user", stopping.StoppedReason);
        Assert.Empty(ContainerInstanceQueries.List(world.State, Scope, new ListContainerInstancesRequest { Cluster = "web" }).ContainerInstanceArns!);
        Assert.Equal(0, ClusterQueries.Describe(world.State, Scope, new DescribeClustersRequest { Clusters = ["web"] }).Clusters![0].RegisteredContainerInstancesCount);
    }

    [Fact]
    public void DeregisterWithOnlyStoppedTasksNeedsNoForce()
    {
        var world = new World();
        var instance = world.AddInstance();
        var task = world.RunOne(world.Define());
        world.TaskReports(task.TaskArn!, "STOPPED", "CannotPullContainerError: nope");
        var deregistered = world.Apply(ContainerInstanceDecisions.Deregister(world.State, Scope, Now, new DeregisterContainerInstanceRequest { Cluster = "web", ContainerInstance = instance }));
        Assert.Equal("INACTIVE", deregistered.Status);
    }

    [Fact]
    public void UpdateStateDrainsAndReactivatesAndReportsUnknownInstances()
    {
        var world = new World();
        var instance = world.AddInstance();
        var response = world.Apply(ContainerInstanceDecisions.UpdateState(world.State, Scope, new UpdateContainerInstancesStateRequest
        {
            Cluster = "web",
            ContainerInstances = [instance, "ghost"],
            Status = "DRAINING",
        }));
        Assert.Equal("DRAINING", Assert.Single(response.ContainerInstances!).Status);
        Assert.Equal("MISSING", Assert.Single(response.Failures!).Reason);
        Assert.Equal([instance], ContainerInstanceQueries.List(world.State, Scope, new ListContainerInstancesRequest { Cluster = "web", Status = "DRAINING" }).ContainerInstanceArns!);
        Assert.Empty(ContainerInstanceQueries.List(world.State, Scope, new ListContainerInstancesRequest { Cluster = "web", Status = "ACTIVE" }).ContainerInstanceArns!);

        world.Apply(ContainerInstanceDecisions.UpdateState(world.State, Scope, new UpdateContainerInstancesStateRequest { Cluster = "web", ContainerInstances = [instance], Status = "ACTIVE" }));
        Assert.Equal("ACTIVE", world.Describe(instance).Status);
    }

    [Theory]
    [InlineData("INACTIVE")]
    [InlineData("REGISTERING")]
    [InlineData("bogus")]
    public void UpdateStateOnlyTakesActiveOrDraining(string status)
    {
        var world = new World();
        var instance = world.AddInstance();
        var ex = world.Refused(s => ContainerInstanceDecisions.UpdateState(s, Scope, new UpdateContainerInstancesStateRequest { Cluster = "web", ContainerInstances = [instance], Status = status }));
        Assert.Equal("InvalidParameterException", ex.ErrorType);
    }

    [Fact]
    public void ListPages()
    {
        var world = new World();
        var arns = Enumerable.Range(0, 5).Select(_ => world.AddInstance()).Order(StringComparer.Ordinal).ToList();
        var first = ContainerInstanceQueries.List(world.State, Scope, new ListContainerInstancesRequest { Cluster = "web", MaxResults = 3 });
        var second = ContainerInstanceQueries.List(world.State, Scope, new ListContainerInstancesRequest { Cluster = "web", MaxResults = 3, NextToken = first.NextToken });
        Assert.Equal(arns, first.ContainerInstanceArns!.Concat(second.ContainerInstanceArns!));
        Assert.Null(second.NextToken);
        Assert.Throws<AwsException>(() => ContainerInstanceQueries.List(world.State, Scope, new ListContainerInstancesRequest { Cluster = "web", MaxResults = 101 }));
    }

    [Fact]
    public void SetAgentConnectedWritesOnlyChanges()
    {
        var world = new World();
        var arn = world.AddInstance(connected: false);
        var connected = ContainerInstanceDecisions.SetAgentConnected(world.State, arn, true, Now);
        Assert.Single(connected.Mutations);
        Assert.True(connected.Result!.AgentConnected);
        Assert.Empty(ContainerInstanceDecisions.SetAgentConnected(connected.State, arn, true, Now).Mutations);
        var unknown = ContainerInstanceDecisions.SetAgentConnected(world.State, World.Prefix + "container-instance/web/none", true, Now);
        Assert.Null(unknown.Result);
        Assert.Empty(unknown.Mutations);
    }

    [Fact]
    public void MarkLostStopsEveryLiveTaskOfTheInstance()
    {
        var world = new World();
        var lost = world.AddInstance();
        var running = world.RunOne(world.Define());
        world.TaskReports(running.TaskArn!, "RUNNING");
        var stopped = world.RunOne(world.Define("other"));
        world.TaskReports(stopped.TaskArn!, "STOPPED", "CannotPullContainerError: x");
        var later = Now.AddMinutes(5);

        var result = world.Apply(ContainerInstanceDecisions.MarkLost(world.State, lost, later, "agent disconnected for 300 s"));

        var task = Assert.Single(result);
        Assert.Equal(running.TaskArn, task.TaskArn);
        Assert.Equal((EcsTaskStatus.Stopped, EcsTaskStatus.Stopped), (task.LastStatus, task.DesiredStatus));
        Assert.Equal(StopCode.TerminationNotice, task.StopCode);
        Assert.Equal($"Host EC2 (instance {world.Describe(lost).Ec2InstanceId}) lost: agent disconnected for 300 s", task.StoppedReason);
        Assert.Equal((later, later), (task.StoppedAt, task.ExecutionStoppedAt));
        Assert.All(task.Containers, c => Assert.Equal(ContainerStatus.Stopped, c.LastStatus));
        Assert.False(world.Describe(lost).AgentConnected);
        Assert.Equal("TaskFailedToStart", world.Task(stopped.TaskArn!).StopCode);
    }

    [Fact]
    public void DiscoverPollEndpointHandsOutTheServersAddress()
    {
        var world = new World();
        var response = ContainerInstanceQueries.DiscoverPollEndpoint(world.State, Scope, new DiscoverPollEndpointRequest { Cluster = "web" }, "http://127.0.0.1:4580");
        Assert.Equal(("http://127.0.0.1:4580", "http://127.0.0.1:4580", "http://127.0.0.1:4580"), (response.Endpoint, response.TelemetryEndpoint, response.ServiceConnectEndpoint));
    }
}
