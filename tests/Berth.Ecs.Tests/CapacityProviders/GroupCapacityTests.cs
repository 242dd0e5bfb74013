using Berth.Ecs.Capacity;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Scheduling;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.CapacityProviders;

/// <summary>Where tasks of Auto Scaling group providers go, and what a provider's clusters ask of its group.</summary>
public class GroupCapacityTests
{
    private const string GroupArn = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b:autoScalingGroupName/asg-1";

    private static EcsState World()
    {
        var state = CapacityProviderDecisions.Create(EcsState.Empty, Scope, new CreateCapacityProviderRequest { Name = "cp-one", AutoScalingGroupProvider = new() { AutoScalingGroupArn = GroupArn } }).State;
        state = CapacityProviderDecisions.Create(state, Scope, new CreateCapacityProviderRequest { Name = "cp-two", AutoScalingGroupProvider = new() { AutoScalingGroupArn = "asg-2" } }).State;
        return ClusterDecisions.Create(state, Scope, new CreateClusterRequest { ClusterName = "c", CapacityProviders = ["cp-one", "cp-two"] }).State;
    }

    [Fact]
    public void A_strategy_of_group_providers_runs_on_EC2_and_is_kept_to_the_groups_instances()
    {
        var state = World();
        var cluster = state.Clusters.Values.Single(c => c.ClusterName == "c");
        var (launchType, strategy) = StrategyRules.Resolve(state, Scope, cluster, null, [new() { CapacityProvider = "cp-one", Weight = 1 }, new() { CapacityProvider = "cp-two", Weight = 0 }]);
        Assert.Equal("EC2", launchType);
        var groups = GroupCapacity.Groups(state, Scope, strategy!);
        Assert.Equal(new Dictionary<string, string> { ["cp-one"] = "asg-1" }, groups);
        Assert.Equal(new ConstraintSpec("memberOf", "attribute:berth.autoscaling-group in [asg-1]"), GroupCapacity.Constraint(groups));

        var onGroup = new InstanceSnapshot("i", "arn", "ACTIVE", true, new ResourceSet(1024, 1024, new HashSet<int>(), new HashSet<int>()), new ResourceSet(0, 0, new HashSet<int>(), new HashSet<int>()), new Dictionary<string, string?> { [GroupCapacity.Attribute] = "asg-1" });
        var elsewhere = onGroup with { Attributes = new Dictionary<string, string?>() };
        Assert.Equal("cp-one", GroupCapacity.ProviderOf(groups, onGroup));
        Assert.Null(GroupCapacity.ProviderOf(groups, elsewhere));
    }

    [Fact]
    public void A_single_zero_weight_provider_still_gets_the_tasks()
        => Assert.Equal(["cp-two"], GroupCapacity.Groups(World(), Scope, [new() { CapacityProvider = "cp-two", Weight = 0 }]).Keys);

    [Fact]
    public void Each_provider_sees_its_clusters_and_nothing_busy_on_an_empty_cluster()
    {
        var demands = GroupDemand.Of(World());
        Assert.Equal(["asg-1", "asg-2"], demands.Select(d => d.GroupName).Order());
        Assert.All(demands, d => Assert.Equal(["c"], d.Clusters));
        Assert.All(demands, d => Assert.Empty(d.InstancesWithTasks));
        Assert.All(demands, d => Assert.Empty(d.Waiting));
    }
}
