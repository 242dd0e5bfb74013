using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Ecs.Tests.Tasks;
using Berth.Protocol.Errors;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.CapacityProviders;

/// <summary>The capacity provider operations' validation tables and what strategies do to RunTask and services.</summary>
public class CapacityProviderTests
{
    private const string Group = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b:autoScalingGroupName/asg-1";

    private static CreateCapacityProviderRequest Asg(string name = "cp-one", string group = Group) => new()
    {
        Name = name,
        AutoScalingGroupProvider = new AutoScalingGroupProvider { AutoScalingGroupArn = group },
    };

    private static EcsState WithProvider(EcsState state, string name = "cp-one", string group = Group)
        => CapacityProviderDecisions.Create(state, Scope, Asg(name, group)).State;

    private static AwsException Refused(Action action) => Assert.Throws<AwsException>(action);

    public static TheoryData<string, Action<CreateCapacityProviderRequest>, string, string> BadCreates => new()
    {
        { "reserved FARGATE", r => r.Name = "FARGATE", "InvalidParameterException", "The capacity provider name FARGATE is reserved. Specify a different name and try again." },
        { "reserved FARGATE_SPOT", r => r.Name = "FARGATE_SPOT", "InvalidParameterException", "The capacity provider name FARGATE_SPOT is reserved. Specify a different name and try again." },
        { "aws prefix", r => r.Name = "aws-mine", "InvalidParameterException", "The capacity provider name cannot be prefixed with 'aws', 'ecs', or 'fargate'. Specify a different name and try again." },
        { "ecs prefix", r => r.Name = "ECSmine", "InvalidParameterException", "The capacity provider name cannot be prefixed with 'aws', 'ecs', or 'fargate'. Specify a different name and try again." },
        { "fargate prefix", r => r.Name = "fargate2", "InvalidParameterException", "The capacity provider name cannot be prefixed with 'aws', 'ecs', or 'fargate'. Specify a different name and try again." },
        { "bad characters", r => r.Name = "my provider", "InvalidParameterException", "The capacity provider name can have up to 255 characters. Valid characters are letters (uppercase and lowercase), numbers, underscores (_), and hyphens (-)." },
        { "too long", r => r.Name = new string('p', 256), "InvalidParameterException", "The capacity provider name can have up to 255 characters. Valid characters are letters (uppercase and lowercase), numbers, underscores (_), and hyphens (-)." },
        { "no group", r => r.AutoScalingGroupProvider = null, "InvalidParameterException", "autoScalingGroupProvider must be specified." },
        { "bad group ARN", r => r.AutoScalingGroupProvider!.AutoScalingGroupArn = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:nope", "InvalidParameterException", "The specified Auto Scaling group ARN arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:nope is not valid. Specify a valid Auto Scaling group ARN and try again." },
        { "target capacity 0", r => r.AutoScalingGroupProvider!.ManagedScaling = new ManagedScaling { Status = "ENABLED", TargetCapacity = 0 }, "InvalidParameterException", "managedScaling.targetCapacity must be between 1 and 100." },
        { "step 10001", r => r.AutoScalingGroupProvider!.ManagedScaling = new ManagedScaling { MaximumScalingStepSize = 10001 }, "InvalidParameterException", "managedScaling.maximumScalingStepSize must be between 1 and 10000." },
        { "min over max", r => r.AutoScalingGroupProvider!.ManagedScaling = new ManagedScaling { MinimumScalingStepSize = 5, MaximumScalingStepSize = 2 }, "InvalidParameterException", "The minimum scaling step size must be less than or equal to the maximum scaling step size." },
        { "bad switch", r => r.AutoScalingGroupProvider!.ManagedDraining = "ON", "InvalidParameterException", "Invalid value for managedDraining: ON. Valid values are ENABLED, DISABLED." },
        { "protection without scaling", r => r.AutoScalingGroupProvider!.ManagedTerminationProtection = "ENABLED", "InvalidParameterException", "The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, managed scaling must be enabled." },
        { "managed instances", r => r.ManagedInstancesProvider = new CreateManagedInstancesProviderConfiguration(), "ClientException", "Berth does not run Amazon ECS Managed Instances capacity providers; use an Auto Scaling group provider." },
        { "aws: tag", r => r.Tags = [new Tag { Key = "aws:x", Value = "y" }], "InvalidParameterException", null! },
    };

    [Theory]
    [MemberData(nameof(BadCreates))]
    public void Bad_creates_get_ECSs_error_and_write_nothing(string why, Action<CreateCapacityProviderRequest> change, string type, string message)
    {
        var request = Asg();
        change(request);
        var ex = Refused(() => CapacityProviderDecisions.Create(EcsState.Empty, Scope, request));
        Assert.True(type == ex.ErrorType, $"{why}: {ex.ErrorType} {ex.Message}");
        if (message is not null)
        {
            Assert.Equal(message, ex.Message);
        }
    }

    [Fact]
    public void Create_stores_the_provider_with_ECSs_defaults_and_refuses_a_second_of_the_name_or_group()
    {
        var created = CapacityProviderDecisions.Create(EcsState.Empty, Scope, Asg());
        Assert.Equal("arn:aws:ecs:us-east-1:000000000000:capacity-provider/cp-one", created.Result.CapacityProviderArn);
        Assert.Equal(("ACTIVE", "EC2_AUTOSCALING"), (created.Result.Status, created.Result.Type));
        var group = created.Result.AutoScalingGroupProvider!;
        Assert.Equal(("DISABLED", 100, 1, 10000, 300), (group.ManagedScaling!.Status, group.ManagedScaling.TargetCapacity, group.ManagedScaling.MinimumScalingStepSize, group.ManagedScaling.MaximumScalingStepSize, group.ManagedScaling.InstanceWarmupPeriod));
        Assert.Equal(("DISABLED", "ENABLED"), (group.ManagedTerminationProtection, group.ManagedDraining));
        Assert.Single(created.Mutations);

        var again = Refused(() => CapacityProviderDecisions.Create(created.State, Scope, Asg()));
        Assert.Equal("The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.", again.Message);
        var sameGroup = Refused(() => CapacityProviderDecisions.Create(created.State, Scope, Asg("cp-two")));
        Assert.Equal("InvalidParameterException", sameGroup.ErrorType);

        // The group's name alone is accepted, as ECS does.
        Assert.NotNull(CapacityProviderDecisions.Create(created.State, Scope, Asg("cp-two", "asg-2")).Result);

        // Stored and loaded back the same.
        var loaded = StateCodec.Load(created.Mutations.Select(m => new Berth.Storage.Documents.StoredDocument(m.Kind, m.Id, m.Body!)));
        Assert.Equal(created.State.CapacityProviders.Keys, loaded.CapacityProviders.Keys);
    }

    [Fact]
    public void Describe_always_shows_Fargates_providers_pages_and_names_the_missing()
    {
        var state = EcsState.Empty;
        for (var i = 0; i < 11; i++)
        {
            state = WithProvider(state, $"cp-{i:00}", $"asg-{i}");
        }

        var first = CapacityProviderDecisions.Describe(state, Scope, new DescribeCapacityProvidersRequest { MaxResults = 10, Include = ["TAGS"] });
        Assert.Equal(["FARGATE", "FARGATE_SPOT"], first.CapacityProviders!.Take(2).Select(p => p.Name));
        Assert.Equal(("FARGATE", "ACTIVE"), (first.CapacityProviders![0].Type, first.CapacityProviders[0].Status));
        Assert.NotNull(first.CapacityProviders[0].Tags);
        Assert.Equal(10, first.CapacityProviders.Count);
        var second = CapacityProviderDecisions.Describe(state, Scope, new DescribeCapacityProvidersRequest { NextToken = first.NextToken });
        Assert.Equal(3, second.CapacityProviders!.Count);
        Assert.Null(second.NextToken);
        Assert.Null(second.CapacityProviders[0].Tags);

        var named = CapacityProviderDecisions.Describe(state, Scope, new DescribeCapacityProvidersRequest { CapacityProviders = ["FARGATE_SPOT", "arn:aws:ecs:us-east-1:000000000000:capacity-provider/cp-03", "nope"] });
        Assert.Equal(["FARGATE_SPOT", "cp-03"], named.CapacityProviders!.Select(p => p.Name));
        Assert.Equal(("nope", "MISSING"), (named.Failures![0].Arn, named.Failures[0].Reason));

        Assert.Equal("InvalidParameterException", Refused(() => CapacityProviderDecisions.Describe(state, Scope, new DescribeCapacityProvidersRequest { MaxResults = 11 })).ErrorType);
        Assert.Equal("InvalidParameterException", Refused(() => CapacityProviderDecisions.Describe(state, Scope, new DescribeCapacityProvidersRequest { Include = ["STATISTICS"] })).ErrorType);
        Assert.Equal("InvalidParameterException", Refused(() => CapacityProviderDecisions.Describe(state, Scope, new DescribeCapacityProvidersRequest { NextToken = "garbage" })).ErrorType);
    }

    [Fact]
    public void Update_changes_managed_scaling_and_refuses_the_reserved_and_the_unknown()
    {
        var state = WithProvider(EcsState.Empty);
        var updated = CapacityProviderDecisions.Update(state, Scope, new UpdateCapacityProviderRequest
        {
            Name = "cp-one",
            AutoScalingGroupProvider = new AutoScalingGroupProviderUpdate { ManagedScaling = new ManagedScaling { Status = "ENABLED", TargetCapacity = 80 }, ManagedTerminationProtection = "ENABLED" },
        });
        Assert.Equal(("ENABLED", 80, 300, "ENABLED", "UPDATE_COMPLETE"), (updated.Result.AutoScalingGroupProvider!.ManagedScaling!.Status, updated.Result.AutoScalingGroupProvider.ManagedScaling.TargetCapacity, updated.Result.AutoScalingGroupProvider.ManagedScaling.InstanceWarmupPeriod, updated.Result.AutoScalingGroupProvider.ManagedTerminationProtection, updated.Result.UpdateStatus));

        Assert.Equal("The FARGATE capacity provider is reserved and cannot be updated.", Refused(() => CapacityProviderDecisions.Update(state, Scope, new UpdateCapacityProviderRequest { Name = "FARGATE", AutoScalingGroupProvider = new() })).Message);
        Assert.Equal("The specified capacity provider does not exist. Specify a valid name or ARN and try again.", Refused(() => CapacityProviderDecisions.Update(state, Scope, new UpdateCapacityProviderRequest { Name = "nope", AutoScalingGroupProvider = new() })).Message);
        Assert.Equal("managedScaling.targetCapacity must be between 1 and 100.", Refused(() => CapacityProviderDecisions.Update(state, Scope, new UpdateCapacityProviderRequest { Name = "cp-one", AutoScalingGroupProvider = new() { ManagedScaling = new ManagedScaling { TargetCapacity = 101 } } })).Message);
    }

    [Fact]
    public void Delete_refuses_the_reserved_and_what_a_cluster_still_has()
    {
        var state = WithProvider(EcsState.Empty);
        state = ClusterDecisions.Create(state, Scope, new CreateClusterRequest { ClusterName = "c", CapacityProviders = ["cp-one"] }).State;
        Assert.Equal("The FARGATE_SPOT capacity provider is reserved and cannot be deleted.", Refused(() => CapacityProviderDecisions.Delete(state, Scope, new DeleteCapacityProviderRequest { CapacityProvider = "FARGATE_SPOT" })).Message);
        Assert.Equal("ResourceInUseException", Refused(() => CapacityProviderDecisions.Delete(state, Scope, new DeleteCapacityProviderRequest { CapacityProvider = "cp-one" })).ErrorType);

        state = CapacityProviderDecisions.PutCluster(state, Scope, new PutClusterCapacityProvidersRequest { Cluster = "c", CapacityProviders = [], DefaultCapacityProviderStrategy = [] }).State;
        var deleted = CapacityProviderDecisions.Delete(state, Scope, new DeleteCapacityProviderRequest { CapacityProvider = "arn:aws:ecs:us-east-1:000000000000:capacity-provider/cp-one" });
        Assert.Equal(("INACTIVE", "DELETE_COMPLETE"), (deleted.Result.Status, deleted.Result.UpdateStatus));
        Assert.Empty(deleted.State.CapacityProviders);
        Assert.Equal("InvalidParameterException", Refused(() => CapacityProviderDecisions.Delete(deleted.State, Scope, new DeleteCapacityProviderRequest { CapacityProvider = "cp-one" })).ErrorType);
    }

    public static TheoryData<string, List<string>, List<CapacityProviderStrategyItem>, string> BadPuts => new()
    {
        { "unknown provider", ["NOPE"], [], "The specified capacity provider NOPE does not exist. Specify a valid capacity provider and try again." },
        { "duplicate provider", ["FARGATE", "FARGATE"], [], "Duplicate capacity providers are not allowed." },
        { "strategy not associated", ["FARGATE"], [new() { CapacityProvider = "FARGATE_SPOT", Weight = 1 }], "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again." },
        { "two bases", ["FARGATE", "FARGATE_SPOT"], [new() { CapacityProvider = "FARGATE", Base = 1 }, new() { CapacityProvider = "FARGATE_SPOT", Base = 2 }], "You can specify a base value for only one capacity provider in a capacity provider strategy." },
        { "base over 100000", ["FARGATE"], [new() { CapacityProvider = "FARGATE", Base = 100001 }], "The base value must be between 0 and 100000." },
        { "negative base", ["FARGATE"], [new() { CapacityProvider = "FARGATE", Base = -1 }], "The base value must be between 0 and 100000." },
        { "weight over 1000", ["FARGATE"], [new() { CapacityProvider = "FARGATE", Weight = 1001 }], "The weight value must be between 0 and 1000." },
        { "duplicate in strategy", ["FARGATE"], [new() { CapacityProvider = "FARGATE" }, new() { CapacityProvider = "FARGATE" }], "Duplicate capacity providers are not allowed in a capacity provider strategy." },
        { "Fargate and a group mixed", ["FARGATE", "cp-one"], [new() { CapacityProvider = "FARGATE", Weight = 1 }, new() { CapacityProvider = "cp-one", Weight = 1 }], "The capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again." },
        { "21 providers", ["FARGATE"], [.. Enumerable.Range(0, 21).Select(i => new CapacityProviderStrategyItem { CapacityProvider = "p" + i })], "The default capacity provider strategy can contain a maximum of 20 capacity providers." },
    };

    [Theory]
    [MemberData(nameof(BadPuts))]
    public void Bad_PutClusterCapacityProviders_get_ECSs_error(string why, List<string> providers, List<CapacityProviderStrategyItem> strategy, string message)
    {
        var state = ClusterDecisions.Create(WithProvider(EcsState.Empty), Scope, new CreateClusterRequest { ClusterName = "c" }).State;
        var ex = Refused(() => CapacityProviderDecisions.PutCluster(state, Scope, new PutClusterCapacityProvidersRequest { Cluster = "c", CapacityProviders = providers, DefaultCapacityProviderStrategy = strategy }));
        Assert.True(message == ex.Message, $"{why}: {ex.Message}");
        Assert.Equal("InvalidParameterException", ex.ErrorType);
    }

    [Fact]
    public void PutClusterCapacityProviders_requires_both_lists_and_an_existing_cluster_and_refuses_a_provider_in_use()
    {
        var world = new World();
        world.AddFargateCapacity();
        Assert.Equal("capacityProviders must be specified.", Refused(() => CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest { Cluster = World.ClusterName, DefaultCapacityProviderStrategy = [] })).Message);
        Assert.Equal("defaultCapacityProviderStrategy must be specified.", Refused(() => CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest { Cluster = World.ClusterName, CapacityProviders = [] })).Message);
        Assert.Equal("ClusterNotFoundException", Refused(() => CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest { Cluster = "nope", CapacityProviders = [], DefaultCapacityProviderStrategy = [] })).ErrorType);

        var cluster = world.Apply(CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest
        {
            Cluster = World.ClusterName,
            CapacityProviders = ["FARGATE", "FARGATE_SPOT"],
            DefaultCapacityProviderStrategy = [new() { CapacityProvider = "FARGATE_SPOT", Weight = 1 }],
        }));
        Assert.Equal(new List<string> { "FARGATE", "FARGATE_SPOT" }, cluster.CapacityProviders.ToList());
        var shown = ClusterViews.Render(world.State, cluster, null);
        Assert.Equal("FARGATE_SPOT", Assert.Single(shown.DefaultCapacityProviderStrategy!).CapacityProvider);

        // The default strategy runs a task that names neither a launch type nor a strategy.
        var task = world.RunOne(DefineFargate(world), r => r.NetworkConfiguration = Awsvpc());
        Assert.Equal(("FARGATE_SPOT", "FARGATE"), (task.CapacityProviderName, task.LaunchType));

        var inUse = Refused(() => CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest { Cluster = World.ClusterName, CapacityProviders = ["FARGATE"], DefaultCapacityProviderStrategy = [] }));
        Assert.Equal(("ResourceInUseException", "The specified capacity provider FARGATE_SPOT is in use and cannot be removed."), (inUse.ErrorType, inUse.Message));

        // Removing one nothing uses is fine.
        world.Apply(CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest { Cluster = World.ClusterName, CapacityProviders = ["FARGATE_SPOT"], DefaultCapacityProviderStrategy = [] }));
    }

    [Fact]
    public void A_RunTask_strategy_splits_its_tasks_by_base_and_weight()
    {
        var world = SpotWorld();
        var response = world.Run(DefineFargate(world), 10, r =>
        {
            r.NetworkConfiguration = Awsvpc();
            r.CapacityProviderStrategy = [new() { CapacityProvider = "FARGATE", Base = 2, Weight = 1 }, new() { CapacityProvider = "FARGATE_SPOT", Weight = 3 }];
        });
        var split = response.Tasks!.GroupBy(t => t.CapacityProviderName!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(4, split["FARGATE"]);
        Assert.Equal(6, split["FARGATE_SPOT"]);
        Assert.All(response.Tasks!, t => Assert.Equal("FARGATE", t.LaunchType));
    }

    public static TheoryData<string, List<CapacityProviderStrategyItem>, string, string> BadStrategies => new()
    {
        { "all weights zero", [new() { CapacityProvider = "FARGATE" }, new() { CapacityProvider = "FARGATE_SPOT" }], "InvalidParameterException", "The capacity provider strategy must contain at least one capacity provider with a weight greater than zero." },
        { "not associated", [new() { CapacityProvider = "cp-one", Weight = 1 }], "InvalidParameterException", "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again." },
        { "unknown", [new() { CapacityProvider = "ghost", Weight = 1 }], "InvalidParameterException", "The specified capacity provider ghost does not exist. Specify a valid capacity provider and try again." },
        { "weight -1", [new() { CapacityProvider = "FARGATE", Weight = -1 }], "InvalidParameterException", "The weight value must be between 0 and 1000." },
        { "21 providers", [.. Enumerable.Range(0, 21).Select(i => new CapacityProviderStrategyItem { CapacityProvider = "FARGATE" })], "InvalidParameterException", "The capacity provider strategy can contain a maximum of 20 capacity providers." },
    };

    [Theory]
    [MemberData(nameof(BadStrategies))]
    public void Bad_strategies_on_RunTask_and_CreateService_get_ECSs_error(string why, List<CapacityProviderStrategyItem> strategy, string type, string message)
    {
        var world = SpotWorld();
        var definition = DefineFargate(world);
        var run = Refused(() => world.Run(definition, 1, r =>
        {
            r.NetworkConfiguration = Awsvpc();
            r.CapacityProviderStrategy = strategy;
        }));
        Assert.True((type, message) == (run.ErrorType, run.Message), $"{why}: {run.ErrorType} {run.Message}");
        var create = Refused(() => ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, Now, new CreateServiceRequest
        {
            Cluster = World.ClusterName,
            ServiceName = "s",
            TaskDefinition = definition,
            DesiredCount = 1,
            NetworkConfiguration = Awsvpc(),
            CapacityProviderStrategy = strategy,
        }));
        Assert.Equal((type, message), (create.ErrorType, create.Message));
    }

    [Fact]
    public void An_Auto_Scaling_group_strategy_runs_only_on_its_groups_instances_and_shows_the_provider()
    {
        var world = new World();
        world.State = WithProvider(world.State);
        world.Apply(CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest { Cluster = World.ClusterName, CapacityProviders = ["cp-one"], DefaultCapacityProviderStrategy = [] }));
        var definition = world.Define();
        world.AddInstance();
        var strategy = new List<CapacityProviderStrategyItem> { new() { CapacityProvider = "cp-one", Weight = 1 } };

        // An instance outside the group takes none of the provider's tasks.
        var outside = world.Run(definition, 1, r => r.CapacityProviderStrategy = strategy);
        Assert.Empty(outside.Tasks!);
        Assert.Contains(outside.Failures!, f => f.Reason == "MemberOf placement constraint unsatisfied.");

        var member = world.AddInstance(attributes: [new EcsAttribute { Name = GroupCapacity.Attribute, Value = "asg-1" }]);
        var run = world.Run(definition, 2, r => r.CapacityProviderStrategy = strategy);
        Assert.Equal(2, run.Tasks!.Count);
        Assert.All(run.Tasks, t => Assert.Equal((member, "cp-one", "EC2"), (t.ContainerInstanceArn, t.CapacityProviderName, t.LaunchType)));
    }

    [Fact]
    public void A_service_splits_by_its_strategy_counting_its_running_tasks_and_a_new_strategy_deploys()
    {
        var world = SpotWorld();
        var definition = DefineFargate(world);
        var service = world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, Now, new CreateServiceRequest
        {
            Cluster = World.ClusterName,
            ServiceName = "s",
            TaskDefinition = definition,
            DesiredCount = 5,
            NetworkConfiguration = Awsvpc(),
            CapacityProviderStrategy = [new() { CapacityProvider = "FARGATE", Weight = 1 }, new() { CapacityProvider = "FARGATE_SPOT", Weight = 4 }],
        }));
        Assert.Null(service.LaunchType);
        world.Apply(ServicePass.Run(world.State, Now, world.Ids, new Random(1)));
        Assert.Equal((1, 4), Split(world));

        // Scaled to 10: the five new tasks split counting the five that run.
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, Now, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "s", DesiredCount = 10 }));
        world.Apply(ServicePass.Run(world.State, Now, world.Ids, new Random(1)));
        Assert.Equal((2, 8), Split(world));
        Assert.Single(Describe(world).Deployments!);

        // The same strategy again is no change; a new one is a new deployment.
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, Now, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "s", CapacityProviderStrategy = [new() { CapacityProvider = "FARGATE", Weight = 1 }, new() { CapacityProvider = "FARGATE_SPOT", Weight = 4 }] }));
        Assert.Single(Describe(world).Deployments!);
        var updated = world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, Now, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "s", CapacityProviderStrategy = [new() { CapacityProvider = "FARGATE_SPOT", Weight = 1 }] }));
        Assert.Equal(2, updated.Deployments!.Count);
        Assert.Equal("FARGATE_SPOT", Assert.Single(updated.Deployments[0].CapacityProviderStrategy!).CapacityProvider);
        Assert.Equal("FARGATE_SPOT", Assert.Single(updated.CapacityProviderStrategy!).CapacityProvider);

        var statistics = ClusterViews.Render(world.State, world.State.Clusters[world.ClusterArn], ["STATISTICS"]).Statistics!;
        Assert.Equal("1", statistics.Single(s => s.Name == "activeFargateServiceCount").Value);
        Assert.Equal("10", statistics.Single(s => s.Name == "pendingFargateTasksCount").Value);
    }

    private static (int OnDemand, int Spot) Split(World world)
    {
        var live = world.State.Tasks.Values.Where(t => t.Group == "service:s" && t.DesiredStatus == EcsTaskStatus.Running).ToList();
        return (live.Count(t => t.CapacityProviderName == "FARGATE"), live.Count(t => t.CapacityProviderName == "FARGATE_SPOT"));
    }

    private static Service Describe(World world) =>
        Assert.Single(ServiceQueries.Describe(world.State, Scope, new DescribeServicesRequest { Cluster = World.ClusterName, Services = ["s"] }).Services!);

    internal static World SpotWorld()
    {
        var world = new World();
        world.AddFargateCapacity(cpu: 16384, memory: 32768);
        world.State = WithProvider(world.State);
        world.Apply(CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest { Cluster = World.ClusterName, CapacityProviders = ["FARGATE", "FARGATE_SPOT"], DefaultCapacityProviderStrategy = [] }));
        return world;
    }

    internal static NetworkConfiguration Awsvpc() => new() { AwsvpcConfiguration = new AwsVpcConfiguration { Subnets = ["subnet-local"] } };

    internal static string DefineFargate(World world, string cpu = "256", string memory = "512")
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
}
