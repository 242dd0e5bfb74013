using Berth.Ecs.Capacity;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.Tasks;
using Berth.Ecs.Tests.Tasks;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.CapacityProviders;

/// <summary>
/// Tasks that fit nowhere yet but could after a managed scale-out wait in PROVISIONING (RunTask and services), count
/// in the provider's demand, are placed once an instance of the group registers and stop with TaskFailedToStart when
/// the provisioning timeout passes.
/// </summary>
public class TaskProvisioningTests
{
    private const string Group = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b:autoScalingGroupName/asg-1";

    private static readonly List<CapacityProviderStrategyItem> Strategy = [new() { CapacityProvider = "cp", Weight = 1 }];

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(30);

    private static World GroupWorld(bool managedScaling = true)
    {
        var world = new World();
        world.Apply(CapacityProviderDecisions.Create(world.State, Scope, new CreateCapacityProviderRequest
        {
            Name = "cp",
            AutoScalingGroupProvider = new AutoScalingGroupProvider
            {
                AutoScalingGroupArn = Group,
                ManagedScaling = new ManagedScaling { Status = managedScaling ? "ENABLED" : "DISABLED", TargetCapacity = 100 },
            },
        }));
        world.Apply(CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest { Cluster = World.ClusterName, CapacityProviders = ["cp"], DefaultCapacityProviderStrategy = [] }));
        return world;
    }

    private static string AddGroupInstance(World world, int memory = 512)
        => world.AddInstance(cpu: 2048, memory: memory, attributes: [new EcsAttribute { Name = GroupCapacity.Attribute, Value = "asg-1" }]);

    private static List<TaskRecord> Waiting(World world) => [.. world.State.TasksIn(world.ClusterArn).Where(TaskProvisioning.Waits)];

    [Fact]
    public void RunTask_on_an_empty_group_with_managed_scaling_waits_in_PROVISIONING_and_counts_in_the_demand()
    {
        var world = GroupWorld();
        var definition = world.Define(containers: World.Container(memory: 256, cpu: 256));
        var run = world.Run(definition, 3, r => r.CapacityProviderStrategy = Strategy);

        Assert.Empty(run.Failures!);
        Assert.Equal(3, run.Tasks!.Count);
        Assert.All(run.Tasks, t => Assert.Equal(("PROVISIONING", "RUNNING", null, "cp"), (t.LastStatus, t.DesiredStatus, t.ContainerInstanceArn, t.CapacityProviderName)));
        var demand = Assert.Single(GroupDemand.Of(world.State));
        Assert.Equal(3, demand.Waiting.Count);
        Assert.All(demand.Waiting, w => Assert.Equal((256, 256), w));
    }

    [Fact]
    public void Without_managed_scaling_RunTask_on_an_empty_group_is_refused_as_before()
    {
        var world = GroupWorld(managedScaling: false);
        var definition = world.Define();
        var refused = world.Refused(s => TaskDecisions.Run(s, Scope, world.Ids, new Random(1), world.Time, new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition, CapacityProviderStrategy = Strategy }));
        Assert.Equal("No Container Instances were found in your cluster.", refused.Message);
    }

    public static TheoryData<string, int, int, int, int, int> Plans => new()
    {
        // why, group instances (512 MiB: two 256 MiB tasks each), waiting tasks, minutes waited, placed, expired
        { "no instance yet: all keep waiting", 0, 3, 1, 0, 0 },
        { "one instance: the two oldest are placed", 1, 3, 1, 2, 0 },
        { "two instances: all placed", 2, 3, 1, 3, 0 },
        { "past the timeout with no room: stopped", 0, 3, 30, 0, 3 },
        { "past the timeout, even with room: stopped", 2, 2, 31, 0, 2 },
    };

    [Theory]
    [MemberData(nameof(Plans))]
    public void Waiting_tasks_are_placed_on_the_groups_new_instances_or_stopped_after_the_timeout(string why, int instances, int tasks, int minutes, int placed, int expired)
    {
        var world = GroupWorld();
        var definition = world.Define(containers: World.Container(memory: 256, cpu: 256));
        var arns = world.Run(definition, tasks, r => r.CapacityProviderStrategy = Strategy).Tasks!.Select(t => t.TaskArn!).ToList();
        var added = Enumerable.Range(0, instances).Select(_ => AddGroupInstance(world)).ToList();
        // An instance outside the group is never used for them.
        world.AddInstance(cpu: 4096, memory: 4096);

        var now = world.Time + TimeSpan.FromMinutes(minutes);
        var plan = TaskProvisioning.Plan(world.State, now, Timeout, new Random(1));
        Assert.True((placed, expired) == (plan.Placements.Count, plan.Expired.Count), why);
        Assert.Equal(placed + expired, world.Apply(TaskProvisioning.Apply(world.State, plan, now)));

        var after = arns.Select(a => world.State.Tasks[a]).ToList();
        Assert.Equal(placed, after.Count(t => t.ContainerInstanceArn is { } at && added.Contains(at)));
        Assert.Equal(tasks - placed - expired, after.Count(TaskProvisioning.Waits));
        var stopped = after.Where(t => t.LastStatus == EcsTaskStatus.Stopped).ToList();
        Assert.Equal(expired, stopped.Count);
        Assert.All(stopped, t => Assert.Equal((StopCode.TaskFailedToStart, TaskProvisioning.TimedOutReason, EcsTaskStatus.Stopped), (t.StopCode, t.StoppedReason, t.DesiredStatus)));
        if (placed > 0)
        {
            // The oldest wait the least: the first tasks run first.
            Assert.All(after.Take(placed), t => Assert.NotNull(t.ContainerInstanceArn));
            Assert.All(after.Where(t => t.ContainerInstanceArn is not null), t => Assert.Equal("us-east-1a", t.AvailabilityZone));
        }
    }

    [Fact]
    public void The_writer_skips_a_placement_whose_instance_filled_up_since_the_plan()
    {
        var world = GroupWorld();
        var definition = world.Define(containers: World.Container(memory: 256, cpu: 256));
        world.Run(definition, 2, r => r.CapacityProviderStrategy = Strategy);
        var instance = AddGroupInstance(world, memory: 256);
        var plan = TaskProvisioning.Plan(world.State, world.Time, Timeout, new Random(1));
        Assert.Single(plan.Placements);

        // Something else took the room first: nothing is placed, the task keeps waiting.
        world.Run(definition, 1, r => r.CapacityProviderStrategy = Strategy);
        Assert.Single(world.State.LiveTasksOn(instance));
        Assert.Equal(0, world.Apply(TaskProvisioning.Apply(world.State, plan, world.Time)));
        Assert.Equal(2, Waiting(world).Count);
    }

    [Fact]
    public void A_service_on_an_empty_group_starts_its_tasks_waiting_counts_them_pending_and_a_scale_in_stops_them_at_once()
    {
        var world = GroupWorld();
        var definition = world.Define(containers: World.Container(memory: 256, cpu: 256));
        world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, Now, new CreateServiceRequest
        {
            Cluster = World.ClusterName,
            ServiceName = "s",
            TaskDefinition = definition,
            DesiredCount = 10,
            CapacityProviderStrategy = Strategy,
        }));
        world.Apply(ServicePass.Run(world.State, Now, world.Ids, new Random(1)));
        Assert.Equal(10, Waiting(world).Count);
        var service = world.State.Services.Values.Single();
        Assert.Equal((0, 10), (service.RunningCount, service.PendingCount));
        Assert.Equal(10, Assert.Single(GroupDemand.Of(world.State)).Waiting.Count);

        // A second pass starts nothing more: the waiting tasks are the service's.
        world.Apply(ServicePass.Run(world.State, Now.AddSeconds(1), world.Ids, new Random(1)));
        Assert.Equal(10, world.State.TasksIn(world.ClusterArn).Count());

        // Two instances register: four tasks are placed and go to their agents; six still wait.
        AddGroupInstance(world);
        AddGroupInstance(world);
        world.Apply(TaskProvisioning.Apply(world.State, TaskProvisioning.Plan(world.State, Now.AddSeconds(2), Timeout, new Random(1)), Now.AddSeconds(2)));
        Assert.Equal(6, Waiting(world).Count);
        Assert.Equal(6, Assert.Single(GroupDemand.Of(world.State)).Waiting.Count);

        // Scaled to 4: the waiting tasks go first and are STOPPED at once (no agent to ask).
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, Now.AddSeconds(3), new UpdateServiceRequest { Cluster = World.ClusterName, Service = "s", DesiredCount = 4 }));
        world.Apply(ServicePass.Run(world.State, Now.AddSeconds(3), world.Ids, new Random(1)));
        Assert.Empty(Waiting(world));
        var stopped = world.State.TasksIn(world.ClusterArn).Where(t => t.ContainerInstanceArn is null).ToList();
        Assert.Equal(6, stopped.Count);
        Assert.All(stopped, t => Assert.Equal((EcsTaskStatus.Stopped, StopCode.ServiceSchedulerInitiated), (t.LastStatus, t.StopCode)));
        Assert.Equal(4, world.State.TasksIn(world.ClusterArn).Count(t => t.DesiredStatus == EcsTaskStatus.Running));
    }

    public static TheoryData<string, int, int, int, int, int, int> Splits => new()
    {
        // why, base on A, weight A, weight B, tasks, expected on A, expected on B
        { "1:4", 0, 1, 4, 5, 1, 4 },
        { "equal weights", 0, 1, 1, 4, 2, 2 },
        { "base 2 on A, then 1:1", 2, 1, 1, 6, 4, 2 },
        { "zero weight B gets none", 0, 1, 0, 3, 3, 0 },
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public void Several_group_providers_split_tasks_by_base_and_weight_each_on_its_own_group(string why, int baseA, int weightA, int weightB, int tasks, int onA, int onB)
    {
        var world = new World();
        foreach (var (name, group) in new[] { ("cp-a", "asg-a"), ("cp-b", "asg-b") })
        {
            world.Apply(CapacityProviderDecisions.Create(world.State, Scope, new CreateCapacityProviderRequest { Name = name, AutoScalingGroupProvider = new AutoScalingGroupProvider { AutoScalingGroupArn = Group.Replace("asg-1", group, StringComparison.Ordinal) } }));
        }

        world.Apply(CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest { Cluster = World.ClusterName, CapacityProviders = ["cp-a", "cp-b"], DefaultCapacityProviderStrategy = [] }));
        var a = world.AddInstance(cpu: 8192, memory: 8192, attributes: [new EcsAttribute { Name = GroupCapacity.Attribute, Value = "asg-a" }]);
        var b = world.AddInstance(cpu: 8192, memory: 8192, attributes: [new EcsAttribute { Name = GroupCapacity.Attribute, Value = "asg-b" }]);
        var plain = world.AddInstance(cpu: 8192, memory: 8192);
        var definition = world.Define(containers: World.Container(memory: 128, cpu: 128));
        List<CapacityProviderStrategyItem> strategy = [new() { CapacityProvider = "cp-a", Weight = weightA, Base = baseA }, new() { CapacityProvider = "cp-b", Weight = weightB }];

        // RunTask splits its own tasks.
        var run = world.Run(definition, tasks, r => r.CapacityProviderStrategy = strategy);
        Assert.Empty(run.Failures!);
        Assert.True((onA, onB) == (run.Tasks!.Count(t => t.ContainerInstanceArn == a && t.CapacityProviderName == "cp-a"), run.Tasks!.Count(t => t.ContainerInstanceArn == b && t.CapacityProviderName == "cp-b")), why);

        // A service splits its tasks the same way, each on its provider's group.
        world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, Now, new CreateServiceRequest { Cluster = World.ClusterName, ServiceName = "s", TaskDefinition = definition, DesiredCount = tasks, CapacityProviderStrategy = strategy }));
        world.Apply(ServicePass.Run(world.State, Now, world.Ids, new Random(1)));
        var service = world.State.TasksIn(world.ClusterArn).Where(t => t.Group == "service:s").ToList();
        Assert.True((onA, onB) == (service.Count(t => t.ContainerInstanceArn == a && t.CapacityProviderName == "cp-a"), service.Count(t => t.ContainerInstanceArn == b && t.CapacityProviderName == "cp-b")), why);

        // DescribeContainerInstances names each group instance's provider, and none for an instance no group launched.
        Assert.Equal(("cp-a", "cp-b", (string?)null), (world.Describe(a).CapacityProviderName, world.Describe(b).CapacityProviderName, world.Describe(plain).CapacityProviderName));
    }
}
