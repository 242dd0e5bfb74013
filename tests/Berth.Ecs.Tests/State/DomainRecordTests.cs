using System.Text;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Ecs.Tests.Tasks;
using Berth.Storage.Documents;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.State;

/// <summary>The typed, immutable state: enums that say what ECS says, structural sharing, and stored documents that read as ECS's shapes.</summary>
public class DomainRecordTests
{
    public static TheoryData<Type, string[]> EnumsAndTheirWireValues() => new()
    {
        { typeof(LaunchType), WireEnums.LaunchType },
        { typeof(HealthStatus), WireEnums.HealthStatus },
        { typeof(StopCode), WireEnums.TaskStopCode },
        { typeof(Connectivity), WireEnums.Connectivity },
        { typeof(PortProtocol), WireEnums.TransportProtocol },
        { typeof(RolloutState), WireEnums.DeploymentRolloutState },
        { typeof(ServiceDeploymentStatus), WireEnums.ServiceDeploymentStatus },
        { typeof(SchedulingStrategy), WireEnums.SchedulingStrategy },
        { typeof(TaskDefinitionStatus), WireEnums.TaskDefinitionStatus },
        { typeof(DeploymentControllerType), WireEnums.DeploymentControllerType },
        { typeof(Berth.Ecs.Services.StabilityStatus), WireEnums.StabilityStatus },
        // The model types TaskSet.status as a string; ECS documents these three.
        { typeof(TaskSetStatus), ["PRIMARY", "ACTIVE", "DRAINING"] },
        // ECS's model lists the statuses an instance can be set or filtered to; INACTIVE is what deregistration leaves.
        { typeof(InstanceStatus), [.. WireEnums.ContainerInstanceStatus, "INACTIVE"] },
        { typeof(EcsTaskStatus), ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"] },
    };

    [Theory]
    [MemberData(nameof(EnumsAndTheirWireValues))]
    public void EveryEnumSpeaksExactlyEcsValues(Type type, string[] wire)
    {
        var texts = Enum.GetValues(type).Cast<object>().Select(v => (string)typeof(WireText).GetMethods()
            .Single(m => m.Name == nameof(WireText.Of) && !m.GetParameters()[0].ParameterType.IsGenericType)
            .MakeGenericMethod(type).Invoke(null, [v])!);
        Assert.Equal(wire.Order(StringComparer.Ordinal), texts.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TaskStatusesAreInLifecycleOrder()
    {
        Assert.Equal([.. Enum.GetValues<EcsTaskStatus>().Order()], Enum.GetValues<EcsTaskStatus>());
        Assert.True(EcsTaskStatus.Running < EcsTaskStatus.Stopped);
        Assert.Null(WireText.Parse<EcsTaskStatus>("NOT_A_STATUS"));
    }

    [Fact]
    public void AContainerReportSharesEverythingItDoesNotChange()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define("two", containers: [World.Container("a"), World.Container("b")]);
        var task = world.RunOne(definition);
        var other = world.RunOne(definition);
        var before = world.State;
        var record = world.Record(task.TaskArn!);

        world.ContainerReports(task.TaskArn!, "a", "RUNNING");

        var after = world.Record(task.TaskArn!);
        Assert.Equal(ContainerStatus.Running, after.Containers[0].LastStatus);
        Assert.Same(record.Containers[1], after.Containers[1]);
        Assert.Same(before.Tasks[other.TaskArn!], world.State.Tasks[other.TaskArn!]);
        Assert.Same(before.Clusters, world.State.Clusters);
        Assert.Same(before.ContainerInstances, world.State.ContainerInstances);
        Assert.Equal(record.Version + 1, after.Version);
    }

    [Fact]
    public void TheSameReportAgainWritesNothing()
    {
        var world = new World();
        world.AddInstance();
        var task = world.RunOne(world.Define());
        var bindings = new List<NetworkBinding> { new() { BindIP = "127.0.0.1", ContainerPort = 80, HostPort = 32768, Protocol = "tcp" } };
        world.ContainerReports(task.TaskArn!, "app", "RUNNING", bindings: bindings);
        var reported = world.State;

        var again = TaskStateDecisions.SubmitContainer(world.State, Scope, world.Time, new SubmitContainerStateChangeRequest
        {
            Cluster = World.ClusterName,
            Task = task.TaskArn,
            ContainerName = "app",
            Status = "RUNNING",
            NetworkBindings = [new() { BindIP = "127.0.0.1", ContainerPort = 80, HostPort = 32768, Protocol = "tcp" }],
        });

        Assert.Empty(again.Mutations);
        Assert.Same(reported, again.State);
    }

    [Fact]
    public void ATaskStoredAsEcsShapedItBeforeTheRecordsLoadsAsTheSameTask()
    {
        // A document as Berth stored tasks when its state was ECS's wire shape.
        const string old = """
            {"attachments":[],"attributes":[],"availabilityZone":"us-east-1a","clusterArn":"arn:aws:ecs:us-east-1:000000000000:cluster/web",
             "containerInstanceArn":"arn:aws:ecs:us-east-1:000000000000:container-instance/web/1",
             "containers":[{"containerArn":"arn:aws:ecs:us-east-1:000000000000:container/web/t1/c1","taskArn":"arn:aws:ecs:us-east-1:000000000000:task/web/t1",
               "name":"app","image":"busybox","lastStatus":"RUNNING","exitCode":null,"networkBindings":[{"bindIP":"127.0.0.1","containerPort":80,"hostPort":32768,"protocol":"tcp"}],
               "networkInterfaces":[],"healthStatus":"HEALTHY","cpu":"0","memory":"128"}],
             "cpu":"256","memory":"512","createdAt":1764600000,"desiredStatus":"RUNNING","enableExecuteCommand":false,"group":"service:web","healthStatus":"HEALTHY",
             "lastStatus":"RUNNING","launchType":"EC2","overrides":{"containerOverrides":[],"inferenceAcceleratorOverrides":[]},"startedAt":1764600005.5,"startedBy":"ecs-svc/1",
             "tags":[{"key":"team","value":"a"}],"taskArn":"arn:aws:ecs:us-east-1:000000000000:task/web/t1",
             "taskDefinitionArn":"arn:aws:ecs:us-east-1:000000000000:task-definition/web:1","version":3,"connectivity":"CONNECTED"}
            """;
        var state = StateCodec.Load([new StoredDocument(StateCodec.TaskKind, "arn:aws:ecs:us-east-1:000000000000:task/web/t1", Encoding.UTF8.GetBytes(old))]);

        var task = Assert.Single(state.Tasks.Values);
        Assert.Equal((EcsTaskStatus.Running, EcsTaskStatus.Running, LaunchType.Ec2, 256, 512, 3L), (task.LastStatus, task.DesiredStatus, task.LaunchType, task.Cpu, task.Memory, task.Version));
        Assert.Equal((HealthStatus.Healthy, Connectivity.Connected), (task.HealthStatus, task.Connectivity));
        Assert.Equal((DateTimeOffset.FromUnixTimeSeconds(1764600000), DateTimeOffset.FromUnixTimeMilliseconds(1764600005500)), (task.CreatedAt, task.StartedAt));
        var container = Assert.Single(task.Containers);
        Assert.Equal((ContainerStatus.Running, HealthStatus.Healthy, 32768), (container.LastStatus, container.HealthStatus, container.NetworkBindings.Single().HostPort));
        Assert.Equal(new ResourceTag("team", "a"), Assert.Single(task.Tags));
        Assert.Single(state.LiveTasksOn("arn:aws:ecs:us-east-1:000000000000:container-instance/web/1"));

        // And it is stored back in the same ECS-shaped names: the wire view round-trips.
        var wire = TaskViews.ToWire(task);
        Assert.Equal(("RUNNING", "EC2", "256", "tcp"), (wire.LastStatus, wire.LaunchType, wire.Cpu, wire.Containers![0].NetworkBindings![0].Protocol));
        Assert.Equal([], wire.Overrides!.ContainerOverrides!);
    }

    [Fact]
    public void ATaskIsStoredWithItsTimesAsIsoTextAndNumbersAsNumbersAndLoadsBackUnchanged()
    {
        var created = new DateTimeOffset(2026, 12, 2, 7, 0, 0, TimeSpan.Zero).AddTicks(1234567);
        var task = new TaskRecord
        {
            TaskArn = "arn:aws:ecs:us-east-1:000000000000:task/web/t2",
            ClusterArn = "arn:aws:ecs:us-east-1:000000000000:cluster/web",
            TaskDefinitionArn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
            Cpu = 256,
            Memory = 512,
            CreatedAt = created,
            StartedAt = created.AddSeconds(5),
        };

        var document = StateCodec.Document(task);
        var json = Encoding.UTF8.GetString(document.Body!);
        Assert.Contains("\"cpu\":256", json, StringComparison.Ordinal);
        Assert.Contains("\"createdAt\":\"2026-12-02T07:00:00.1234567+00:00\"", json, StringComparison.Ordinal);

        var loaded = Assert.Single(StateCodec.Load([new StoredDocument(StateCodec.TaskKind, task.TaskArn, document.Body!)]).Tasks.Values);
        Assert.Equal(task, loaded with { Containers = task.Containers, Attachments = task.Attachments, Tags = task.Tags });
    }

    [Fact]
    public void ADeregisteredRevisionKeepsItsRegisteredDefinitionAndShowsItsStatus()
    {
        var world = new World();
        var arn = world.Define();
        var registered = TaskDefinitionLookup.Find(world.State, TaskDefinitionLookup.Parse(Scope, arn))!;

        var shown = world.Apply(TaskDefinitionDecisions.Deregister(world.State, Scope, world.Time, new DeregisterTaskDefinitionRequest { TaskDefinition = arn }));

        var stored = TaskDefinitionLookup.Find(world.State, TaskDefinitionLookup.Parse(Scope, arn))!;
        Assert.Same(registered.Definition, stored.Definition);
        Assert.Equal((TaskDefinitionStatus.Inactive, world.Time), (stored.Status, stored.DeregisteredAt));
        Assert.Equal(("INACTIVE", (DateTimeOffset?)world.Time), (shown.Status, shown.DeregisteredAt));
        Assert.Equal("ACTIVE", registered.Definition.Status);
    }
}
