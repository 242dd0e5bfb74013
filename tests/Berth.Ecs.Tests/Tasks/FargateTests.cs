using Berth.Ecs.Capacity;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Tasks;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

public class FargateTests
{
    private static string DefineFargate(World world, string cpu = "256", string memory = "512")
    {
        var decision = Berth.Ecs.TaskDefinitions.TaskDefinitionDecisions.Register(world.State, Scope, Principal, Now, new RegisterTaskDefinitionRequest
        {
            Family = "fg",
            NetworkMode = "awsvpc",
            RequiresCompatibilities = ["FARGATE"],
            Cpu = cpu,
            Memory = memory,
            ContainerDefinitions = [World.Container(memory: null)],
        });
        world.State = decision.State;
        return decision.Result.Definition.TaskDefinitionArn!;
    }

    private static void Fargate(RunTaskRequest r)
    {
        r.LaunchType = "FARGATE";
        r.NetworkConfiguration = new NetworkConfiguration { AwsvpcConfiguration = new AwsVpcConfiguration { Subnets = ["subnet-local"] } };
    }

    [Fact]
    public void AFargateTaskRunsOnBerthsCapacityAndShowsNoContainerInstance()
    {
        var world = new World();
        var host = world.AddFargateCapacity();
        var task = world.RunOne(DefineFargate(world), r =>
        {
            Fargate(r);
            r.PlatformVersion = "LATEST";
        });

        Assert.Null(task.ContainerInstanceArn);
        Assert.Equal(("FARGATE", "1.4.0", "Linux", 20), (task.LaunchType, task.PlatformVersion, task.PlatformFamily, task.EphemeralStorage!.SizeInGiB));
        Assert.Equal(("256", "512"), (task.Cpu, task.Memory));
        Assert.Equal(world.ClusterArn, task.ClusterArn);

        // Stored against the capacity host, so its agent runs it; shown to users without it.
        Assert.Equal(host, world.Record(task.TaskArn!).ContainerInstanceArn);
        Assert.Contains(AgentAssignments.For(world.State, host), a => a.Task.TaskArn == task.TaskArn);
        var described = Assert.Single(TaskQueries.Describe(world.State, Scope, new DescribeTasksRequest { Cluster = World.ClusterName, Tasks = [task.TaskArn!] }).Tasks!);
        Assert.Null(described.ContainerInstanceArn);

        // Neither the capacity cluster nor its hosts show up where users list their own.
        Assert.DoesNotContain(ClusterQueries.List(world.State, Scope, new ListClustersRequest()).ClusterArns!, a => a.EndsWith("/" + FargateCapacity.ClusterName, StringComparison.Ordinal));
        Assert.Empty(ContainerInstanceQueries.List(world.State, Scope, new ListContainerInstancesRequest { Cluster = World.ClusterName }).ContainerInstanceArns!);
        var listed = TaskQueries.List(world.State, Scope, new ListTasksRequest { Cluster = World.ClusterName, LaunchType = "FARGATE" });
        Assert.Equal([task.TaskArn!], listed.TaskArns);
    }

    [Fact]
    public void ACapacityProviderStrategyOfFargateNamesTheProvider()
    {
        var world = new World();
        world.AddFargateCapacity();
        world.State = ClusterDecisions.Create(world.State, Scope, new CreateClusterRequest { ClusterName = "cp", CapacityProviders = ["FARGATE", "FARGATE_SPOT"] }).State;
        var definition = DefineFargate(world);
        var response = world.Apply(TaskDecisions.Run(world.State, Scope, world.Ids, new Random(1), Now, new RunTaskRequest
        {
            Cluster = "cp",
            TaskDefinition = definition,
            CapacityProviderStrategy = [new CapacityProviderStrategyItem { CapacityProvider = "FARGATE", Weight = 1 }],
            NetworkConfiguration = new NetworkConfiguration { AwsvpcConfiguration = new AwsVpcConfiguration { Subnets = ["subnet-local"] } },
        }));
        var task = Assert.Single(response.Tasks!);
        Assert.Equal(("FARGATE", "FARGATE"), (task.CapacityProviderName, task.LaunchType));
    }

    [Fact]
    public void FargateTasksSpreadOverTheHostsAndFailWithEcsCapacityReasonWhenFull()
    {
        var world = new World();
        var a = world.AddFargateCapacity(cpu: 1024, memory: 2048);
        var b = world.AddInstance(1024, 2048, cluster: FargateCapacity.ClusterName);
        var definition = DefineFargate(world, "512", "1024");
        var response = world.Run(definition, 4, Fargate);
        Assert.Equal(4, response.Tasks!.Count);
        Assert.Equal(2, response.Tasks.Count(t => world.Record(t.TaskArn!).ContainerInstanceArn == a));
        Assert.Equal(2, response.Tasks.Count(t => world.Record(t.TaskArn!).ContainerInstanceArn == b));

        var full = world.Run(definition, 1, Fargate);
        Assert.Empty(full.Tasks!);
        var failure = Assert.Single(full.Failures!);
        Assert.Equal((null, FargateCapacity.Unavailable), (failure.Arn, failure.Reason));
    }

    [Fact]
    public void WithoutCapacityFargateTasksFailRatherThanError()
    {
        var world = new World();
        var response = world.Run(DefineFargate(world), 2, Fargate);
        Assert.Empty(response.Tasks!);
        Assert.Equal(FargateCapacity.Unavailable, Assert.Single(response.Failures!).Reason);
    }

    public static TheoryData<string, Action<RunTaskRequest>, string> Refused() => new()
    {
        { "constraint", r => r.PlacementConstraints = [new PlacementConstraint { Type = "distinctInstance" }], "Placement constraints are not supported with FARGATE launch type." },
        { "strategy", r => r.PlacementStrategy = [new PlacementStrategy { Type = "random" }], "Placement strategies are not supported with FARGATE launch type." },
        { "override off Fargate's pairs", r => r.Overrides = new TaskOverride { Cpu = "256", Memory = "4096" }, "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values." },
        { "no network configuration", r => r.NetworkConfiguration = null, "Network Configuration must be provided when networkMode 'awsvpc' is specified." },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void FargateRefusesWhatEcsRefuses(string name, Action<RunTaskRequest> change, string message)
    {
        var world = new World();
        world.AddFargateCapacity();
        var request = new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = DefineFargate(world) };
        Fargate(request);
        change(request);
        var ex = world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), Now, request));
        Assert.True(("InvalidParameterException", message) == (ex.ErrorType, ex.Message), $"{name}: {ex.ErrorType} {ex.Message}");
    }

    [Fact]
    public void AnUnknownPlatformVersionIsPlatformUnknownException()
    {
        var world = new World();
        world.AddFargateCapacity();
        var request = new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = DefineFargate(world) };
        Fargate(request);
        request.PlatformVersion = "9.9.9";
        var ex = world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), Now, request));
        Assert.Equal(("PlatformUnknownException", "The specified platform version (9.9.9) does not exist."), (ex.ErrorType, ex.Message));
    }

    [Fact]
    public void UsersCannotCreateTheCapacityCluster()
    {
        var world = new World();
        var ex = world.Refused(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = FargateCapacity.ClusterName }));
        Assert.Equal("InvalidParameterException", ex.ErrorType);
    }
}
