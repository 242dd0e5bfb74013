using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

public class RunTaskTests
{
    [Fact]
    public void APlacedTaskLooksLikeEcsRightAfterRunTask()
    {
        var world = new World();
        var instance = world.AddInstance(az: "us-east-1c");
        var log = World.Container("log", memory: null);
        log.MemoryReservation = 64;
        var definition = world.Define(containers: [World.Container(memory: 256, cpu: 128), log]);
        var task = world.RunOne(definition, r => r.StartedBy = "ci");

        Assert.StartsWith(World.Prefix + "task/web/", task.TaskArn);
        Assert.Equal(32, task.TaskArn![(task.TaskArn!.LastIndexOf('/') + 1)..].Length);
        Assert.Equal(("PROVISIONING", "RUNNING"), (task.LastStatus, task.DesiredStatus));
        Assert.Equal((world.ClusterArn, instance, definition), (task.ClusterArn, task.ContainerInstanceArn, task.TaskDefinitionArn));
        // "log" has no hard limit: its reservation counts instead.
        Assert.Equal(("128", "320"), (task.Cpu, task.Memory));
        Assert.Equal(("EC2", "family:app", "ci", 1L), (task.LaunchType, task.Group, task.StartedBy, task.Version!.Value));
        Assert.Equal("us-east-1c", task.AvailabilityZone);
        Assert.Equal(Now, task.CreatedAt);
        Assert.Null(task.PlatformFamily);
        Assert.Empty(task.Attachments!);
        Assert.Empty(task.Overrides!.ContainerOverrides!);
        Assert.Equal(["app", "log"], task.Containers!.Select(c => c.Name));
        var app = task.Containers![0];
        Assert.StartsWith(World.Prefix + "container/web/" + task.TaskArn![(task.TaskArn!.LastIndexOf('/') + 1)..] + "/", app.ContainerArn);
        Assert.Equal((task.TaskArn, "PENDING", "busybox", "128", "256"), (app.TaskArn, app.LastStatus, app.Image, app.Cpu, app.Memory));
        Assert.Equal("0", task.Containers[1].Cpu);

        var cluster = ClusterQueries.Describe(world.State, Scope, new DescribeClustersRequest { Clusters = ["web"] }).Clusters![0];
        Assert.Equal((0, 1), (cluster.RunningTasksCount, cluster.PendingTasksCount));
    }

    [Fact]
    public void MemoryReservationCountsWhenThereIsNoHardLimitAndTaskLevelSizeWins()
    {
        var world = new World();
        world.AddInstance();
        var container = World.Container(memory: null);
        container.MemoryReservation = 64;
        var soft = world.Define("soft", containers: [container]);
        Assert.Equal("64", world.RunOne(soft).Memory);
        var sized = world.Define("sized", cpu: "512", memory: "1024", containers: [World.Container(memory: 128, cpu: 10)]);
        var task = world.RunOne(sized);
        Assert.Equal(("512", "1024"), (task.Cpu, task.Memory));
    }

    public static TheoryData<string, Func<World, string>, string> Unplaceable() => new()
    {
        { "cpu", w => { w.AddInstance(cpu: 100); return w.Define(containers: [World.Container(cpu: 256)]); }, "RESOURCE:CPU" },
        { "memory", w => { w.AddInstance(memory: 100); return w.Define(containers: [World.Container(memory: 256)]); }, "RESOURCE:MEMORY" },
        { "reserved port", w => { w.AddInstance(); return w.Define(containers: [World.Container(hostPort: 22)]); }, "RESOURCE:PORTS" },
        { "udp port taken", w =>
            {
                w.AddInstance();
                var d = w.Define(containers: [World.Container(hostPort: 53, containerPort: 53, protocol: "udp")]);
                w.RunOne(d);
                return d;
            }, "RESOURCE:PORTS_UDP" },
        { "static port taken", w =>
            {
                w.AddInstance();
                var d = w.Define(containers: [World.Container(hostPort: 8080)]);
                w.RunOne(d);
                return d;
            }, "RESOURCE:PORTS" },
        { "agent disconnected", w => { w.AddInstance(connected: false); return w.Define(); }, "AGENT" },
    };

    [Theory]
    [MemberData(nameof(Unplaceable))]
    public void UnplaceableTasksComeBackAsFailuresNamingTheInstance(string name, Func<World, string> setUp, string reason)
    {
        var world = new World();
        var definition = setUp(world);
        var instance = world.State.ContainerInstances.Keys.Single();
        var response = world.Run(definition);
        Assert.Empty(response.Tasks!);
        var failure = Assert.Single(response.Failures!);
        Assert.Equal((instance, reason), (failure.Arn, failure.Reason));
        Assert.NotNull(name);
    }

    [Fact]
    public void DynamicHostPortsNeverConflict()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define(containers: [World.Container(memory: 10, hostPort: 0)]);
        var response = world.Run(definition, count: 10);
        Assert.Equal(10, response.Tasks!.Count);
        Assert.Empty(response.Failures!);
    }

    [Fact]
    public void DrainingInstancesAreNotUsed()
    {
        var world = new World();
        world.AddInstance(status: "DRAINING");
        var active = world.AddInstance();
        var response = world.Run(world.Define(containers: [World.Container(memory: 10)]), count: 5);
        Assert.All(response.Tasks!, t => Assert.Equal(active, t.ContainerInstanceArn));
    }

    [Fact]
    public void OnlyDrainingInstancesMeansNoContainerInstances()
    {
        var world = new World();
        world.AddInstance(status: "DRAINING");
        var definition = world.Define();
        var ex = world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), Now, new RunTaskRequest { Cluster = "web", TaskDefinition = definition }));
        Assert.Equal(("InvalidParameterException", "No Container Instances were found in your cluster."), (ex.ErrorType, ex.Message));
    }

    [Fact]
    public void PartlyPlaceableRequestsPlaceWhatFitsAndReportEachInstanceOnce()
    {
        var world = new World();
        var instance = world.AddInstance(memory: 300);
        var response = world.Run(world.Define(containers: [World.Container(memory: 128)]), count: 4);
        Assert.Equal(2, response.Tasks!.Count);
        var failure = Assert.Single(response.Failures!);
        Assert.Equal((instance, "RESOURCE:MEMORY"), (failure.Arn, failure.Reason));
    }

    [Theory]
    [InlineData(10, true)]
    [InlineData(11, false)]
    [InlineData(0, false)]
    public void CountIsOneToTen(int count, bool allowed)
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        var definition = world.Define(containers: [World.Container(memory: 10)]);
        if (allowed)
        {
            Assert.Equal(count, world.Run(definition, count).Tasks!.Count);
        }
        else
        {
            Assert.Equal("InvalidParameterException", world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), Now, new RunTaskRequest { Cluster = "web", TaskDefinition = definition, Count = count })).ErrorType);
        }
    }

    [Fact]
    public void TheSameClientTokenReturnsTheSameTasksAndStartsNoNewOnes()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define();
        var first = world.Run(definition, 2, r => r.ClientToken = "token-1");
        var tasksBefore = world.State.Tasks.Count;

        var again = TaskDecisions.Run(world.State, Scope, world.Ids, new Random(1), Now, new RunTaskRequest { Cluster = "web", TaskDefinition = definition, Count = 2, ClientToken = "token-1" });

        Assert.Empty(again.Mutations);
        Assert.Equal(first.Tasks!.Select(t => t.TaskArn), again.Result.Tasks!.Select(t => t.TaskArn));
        Assert.Equal(tasksBefore, again.State.Tasks.Count);

        var conflict = world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), Now, new RunTaskRequest { Cluster = "web", TaskDefinition = definition, Count = 1, ClientToken = "token-1" }));
        Assert.Equal("ConflictException", conflict.ErrorType);

        // The token survives a restart: it is stored like everything else; the live tasks' index is rebuilt.
        var reloaded = StateCodec.Load(Documents(world.State));
        Assert.Equal(world.State.ClientTokens["us-east-1|token-1"].TaskArns, reloaded.ClientTokens["us-east-1|token-1"].TaskArns);
        World.AssertLiveIndexHolds(reloaded);
        Assert.Equal(world.State.LiveTasksByInstance.Keys, reloaded.LiveTasksByInstance.Keys);
    }

    [Fact]
    public void OverridesAreAppliedToContainersAndSize()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define(containers: [World.Container(memory: 128)]);
        var task = world.RunOne(definition, r => r.Overrides = new TaskOverride
        {
            ContainerOverrides = [new ContainerOverride { Name = "app", Command = ["sh", "-c", "exit 0"], Memory = 512, Cpu = 64, Environment = [new Model.KeyValuePair { Name = "A", Value = "1" }] }],
            TaskRoleArn = "arn:aws:iam::000000000000:role/r",
        });
        Assert.Equal(("64", "512"), (task.Cpu, task.Memory));
        Assert.Equal(("64", "512"), (task.Containers![0].Cpu, task.Containers[0].Memory));
        Assert.Equal(["sh", "-c", "exit 0"], task.Overrides!.ContainerOverrides![0].Command!);
        Assert.Equal("arn:aws:iam::000000000000:role/r", task.Overrides.TaskRoleArn);

        var sized = world.RunOne(definition, r => r.Overrides = new TaskOverride { Cpu = "256", Memory = "1 GB" });
        Assert.Equal(("256", "1024"), (sized.Cpu, sized.Memory));
    }

    [Fact]
    public void AnOverrideForAContainerTheDefinitionLacksIsRefused()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define();
        var ex = world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), Now, new RunTaskRequest
        {
            Cluster = "web",
            TaskDefinition = definition,
            Overrides = new TaskOverride { ContainerOverrides = [new ContainerOverride { Name = "ghost", Command = ["x"] }] },
        }));
        Assert.Equal(("InvalidParameterException", "Override for container named ghost is not a container in the TaskDefinition."), (ex.ErrorType, ex.Message));
    }

    [Fact]
    public void TaskDefinitionsAreFoundByFamilyRevisionOrArnAndMustBeActive()
    {
        var world = new World();
        world.AddInstance();
        var first = world.Define();
        var second = world.Define();
        Assert.Equal(second, world.RunOne("app").TaskDefinitionArn);
        Assert.Equal(first, world.RunOne("app:1").TaskDefinitionArn);
        Assert.Equal(first, world.RunOne(first).TaskDefinitionArn);

        world.Apply(TaskDefinitionDecisions.Deregister(world.State, Scope, Now, new DeregisterTaskDefinitionRequest { TaskDefinition = "app:1" }));
        Assert.Equal("TaskDefinition is inactive", world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), Now, new RunTaskRequest { Cluster = "web", TaskDefinition = "app:1" })).Message);
        Assert.Equal("ClientException", world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), Now, new RunTaskRequest { Cluster = "web", TaskDefinition = "nope" })).ErrorType);
    }

    public static TheoryData<string, Action<RunTaskRequest>, string> RefusedLaunches() => new()
    {
        { "fargate on a bridge definition", r => r.LaunchType = "FARGATE", "InvalidParameterException" },
        { "spot", r => r.CapacityProviderStrategy = [new CapacityProviderStrategyItem { CapacityProvider = "FARGATE_SPOT" }], "InvalidParameterException" },
        { "platform version on EC2", r => r.PlatformVersion = "LATEST", "InvalidParameterException" },
        { "binpack on disk", r => r.PlacementStrategy = [new PlacementStrategy { Type = "binpack", Field = "disk" }], "InvalidParameterException" },
        { "spread on nothing", r => r.PlacementStrategy = [new PlacementStrategy { Type = "spread" }], "InvalidParameterException" },
        { "bad expression", r => r.PlacementConstraints = [new PlacementConstraint { Type = "memberOf", Expression = "attribute:x ==" }], "InvalidParameterException" },
        { "capacity provider", r => r.CapacityProviderStrategy = [new CapacityProviderStrategyItem { CapacityProvider = "FARGATE" }], "InvalidParameterException" },
        { "both", r => { r.LaunchType = "EC2"; r.CapacityProviderStrategy = [new CapacityProviderStrategyItem { CapacityProvider = "FARGATE" }]; }, "InvalidParameterException" },
        { "startedBy too long", r => r.StartedBy = new string('s', 129), "InvalidParameterException" },
        { "propagate SERVICE", r => r.PropagateTags = "SERVICE", "InvalidParameterException" },
        { "aws tag", r => r.Tags = [new Tag { Key = "aws:x", Value = "y" }], "InvalidParameterException" },
        { "network configuration on bridge", r => r.NetworkConfiguration = new NetworkConfiguration { AwsvpcConfiguration = new AwsVpcConfiguration { Subnets = ["subnet-1"] } }, "InvalidParameterException" },
        { "bad constraint", r => r.PlacementConstraints = [new PlacementConstraint { Type = "nearby" }], "InvalidParameterException" },
        { "bad token", r => r.ClientToken = new string('t', 65), "InvalidParameterException" },
        { "missing cluster", r => r.Cluster = "nope", "ClusterNotFoundException" },
    };

    [Theory]
    [MemberData(nameof(RefusedLaunches))]
    public void RefusedLaunchesNameTheirError(string name, Action<RunTaskRequest> change, string error)
    {
        var world = new World();
        world.AddInstance();
        var request = new RunTaskRequest { Cluster = "web", TaskDefinition = world.Define() };
        change(request);
        var ex = world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), Now, request));
        Assert.True(error == ex.ErrorType, $"{name}: {ex.ErrorType} {ex.Message}");
    }

    [Fact]
    public void AwsvpcTasksNeedANetworkConfiguration()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define(networkMode: "awsvpc");
        var ex = world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), Now, new RunTaskRequest { Cluster = "web", TaskDefinition = definition, LaunchType = "EC2" }));
        Assert.Equal("Network Configuration must be provided when networkMode 'awsvpc' is specified.", ex.Message);
        var task = world.RunOne(definition, r => r.NetworkConfiguration = new NetworkConfiguration { AwsvpcConfiguration = new AwsVpcConfiguration { Subnets = ["subnet-1"] } });
        Assert.Equal("ElasticNetworkInterface", Assert.Single(task.Attachments!).Type);
    }

    [Fact]
    public void TagsArePropagatedAndManagedTagsAdded()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define(tags: [new Tag { Key = "team", Value = "a" }]);
        var task = world.RunOne(definition, r =>
        {
            r.Tags = [new Tag { Key = "run", Value = "1" }];
            r.PropagateTags = "TASK_DEFINITION";
            r.EnableECSManagedTags = true;
        });
        Assert.Equal(["run", "team", "aws:ecs:clusterName"], task.Tags!.Select(t => t.Key));
        Assert.Equal("web", task.Tags![2].Value);
    }

    [Fact]
    public void ExternalIsPlacedLikeEc2()
    {
        var world = new World();
        world.AddInstance();
        Assert.Equal("EXTERNAL", world.RunOne(world.Define(), r => r.LaunchType = "EXTERNAL").LaunchType);
    }

    [Fact]
    public void DistinctInstancePlacesTasksApart()
    {
        var world = new World();
        world.AddInstance();
        world.AddInstance();
        var response = world.Run(world.Define(), 3, r => r.PlacementConstraints = [new PlacementConstraint { Type = "distinctInstance" }]);
        Assert.Equal(2, response.Tasks!.Select(t => t.ContainerInstanceArn).Distinct().Count());
        Assert.Equal(2, response.Failures!.Count);
    }

    [Fact]
    public void StartTaskPlacesOnTheNamedInstancesOnly()
    {
        var world = new World();
        var small = world.AddInstance(memory: 100);
        var big = world.AddInstance();
        var definition = world.Define(containers: [World.Container(memory: 128)]);
        var response = world.Apply(TaskDecisions.Start(world.State, Scope, world.Ids, Now, new StartTaskRequest
        {
            Cluster = "web",
            TaskDefinition = definition,
            ContainerInstances = [big, small, "ghost"],
            StartedBy = "me",
        }));
        Assert.Equal(big, Assert.Single(response.Tasks!).ContainerInstanceArn);
        Assert.Equal(
            new (string?, string?)[] { (small, "RESOURCE:MEMORY"), (World.Prefix + "container-instance/web/ghost", "MISSING") },
            response.Failures!.Select(f => (f.Arn, f.Reason)));
        Assert.Equal("InvalidParameterException", world.Refused(s => TaskDecisions.Start(s, Scope, world.Ids, Now, new StartTaskRequest { Cluster = "web", TaskDefinition = definition, ContainerInstances = [big], StartedBy = new string('x', 37) })).ErrorType);
    }

    private static IEnumerable<Berth.Storage.Documents.StoredDocument> Documents(EcsState state)
    {
        foreach (var (key, token) in state.ClientTokens)
        {
            yield return new Berth.Storage.Documents.StoredDocument(StateCodec.ClientTokenKind, key, StateCodec.Encode(token, StoredJsonContext.Default.StoredClientToken));
        }

        foreach (var (arn, task) in state.Tasks)
        {
            yield return new Berth.Storage.Documents.StoredDocument(StateCodec.TaskKind, arn, StateCodec.Encode(task, StoredJsonContext.Default.TaskRecord));
        }
    }
}
