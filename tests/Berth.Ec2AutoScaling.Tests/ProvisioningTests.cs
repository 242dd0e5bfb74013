using System.Collections.Immutable;
using Berth.Ec2AutoScaling.Groups;
using Berth.Ec2AutoScaling.Provisioning;
using Berth.Ec2AutoScaling.State;

namespace Berth.Ec2AutoScaling.Tests;

/// <summary>The provisioner's plan (launch / terminate, AWS's default termination policy) and its writes.</summary>
public class ProvisioningTests
{
    private static readonly DateTimeOffset T0 = GroupDecisionTests.T0;

    internal static AsgState Provisioned(AsgState state)
    {
        var plan = InstancePlan.Plan(state, T0, GroupDecisionTests.NextId(), () => Guid.NewGuid().ToString());
        state = ProvisionDecisions.Record(state, plan, T0).State;
        foreach (var launch in plan.Launches)
        {
            state = ProvisionDecisions.Launched(state, launch.InstanceId, T0).State;
        }

        return state;
    }

    [Fact]
    public void A_group_short_of_desired_launches_the_difference_recorded_Pending_before_anything_starts()
    {
        var state = GroupDecisionTests.WithGroup(0, 3, 2);
        var plan = InstancePlan.Plan(state, T0, GroupDecisionTests.NextId(), () => Guid.NewGuid().ToString());
        Assert.Equal(2, plan.Launches.Count);
        Assert.Empty(plan.Terminations);
        state = ProvisionDecisions.Record(state, plan, T0).State;
        Assert.All(state.Instances.Values, i => Assert.Equal(LifecycleState.Pending, i.LifecycleState));
        Assert.All(state.Activities.Values, a => Assert.Equal("InProgress", a.StatusCode));

        // A pass after a restart sees the Pending instances: nothing more to launch (no duplicate).
        Assert.True(InstancePlan.Plan(state, T0, () => throw new InvalidOperationException("no new instance"), () => "a").IsEmpty);

        // Recording the same plan twice (a retry) launches nothing more.
        Assert.Equal(2, ProvisionDecisions.Record(state, plan, T0).State.Instances.Count);

        state = ProvisionDecisions.Launched(state, plan.Launches[0].InstanceId, T0.AddSeconds(1)).State;
        Assert.Equal(LifecycleState.InService, state.Instances[plan.Launches[0].InstanceId].LifecycleState);
        Assert.Equal("Successful", state.Activities[plan.Launches[0].ActivityId].StatusCode);
        var describe = GroupDecisions.DescribeActivities(state, "us-east-1", new() { AutoScalingGroupName = "asg" });
        Assert.Equal(2, describe.Activities!.Count);
        Assert.StartsWith("Launching a new EC2 instance: i-", describe.Activities[0].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void The_writer_rechecks_a_stale_plan()
    {
        var state = GroupDecisionTests.WithGroup(0, 3, 2);
        var plan = InstancePlan.Plan(state, T0, GroupDecisionTests.NextId(), () => Guid.NewGuid().ToString());

        // Desired lowered to 1 between plan and write: only one launch is recorded.
        var lowered = GroupDecisions.SetDesiredCapacity(state, GroupDecisionTests.Scope(), new() { AutoScalingGroupName = "asg", DesiredCapacity = 1 }).State;
        var recorded = ProvisionDecisions.Record(lowered, plan, T0);
        Assert.Single(recorded.Result.Launches);
        Assert.Single(recorded.State.Instances);
    }

    [Fact]
    public void A_lost_instance_is_taken_out_of_service_by_health_check_and_the_group_launches_its_replacement()
    {
        var state = Provisioned(GroupDecisionTests.WithGroup(0, 3, 2));
        var lost = state.Instances.Values.First();
        var replaced = ProvisionDecisions.ReplaceLost(state, lost, "act-lost", T0.AddMinutes(5));
        Assert.True(replaced.Result);
        state = replaced.State;
        Assert.Equal(LifecycleState.Terminating, state.Instances[lost.InstanceId].LifecycleState);
        Assert.Equal(2, state.Groups["us-east-1|asg"].DesiredCapacity);
        var activity = state.Activities["act-lost"];
        Assert.Equal("InProgress", activity.StatusCode);
        Assert.Equal(
            $"At {GroupDecisions.Stamp(T0.AddMinutes(5))} an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.",
            activity.Cause);

        // The group is one short: the next plan launches one, and terminates nothing more.
        var plan = InstancePlan.Plan(state, T0.AddMinutes(5), GroupDecisionTests.NextId(), () => Guid.NewGuid().ToString());
        Assert.Single(plan.Launches);
        Assert.Empty(plan.Terminations);

        // A stale read (the record changed since) or an instance no longer InService is left as it is.
        Assert.False(ProvisionDecisions.ReplaceLost(state, lost, "act-again", T0.AddMinutes(6)).Result);
        Assert.False(ProvisionDecisions.ReplaceLost(state, state.Instances[lost.InstanceId], "act-again", T0.AddMinutes(6)).Result);
        var other = state.Instances.Values.Single(i => i.InstanceId != lost.InstanceId);
        Assert.False(ProvisionDecisions.ReplaceLost(state, other with { }, "act-stale", T0.AddMinutes(6)).Result);
    }

    private static InstanceRecord I(string id, int minutesAgo, bool isProtected = false, string configuration = "lc", string zone = "a") => new()
    {
        InstanceId = id,
        GroupKey = "us-east-1|asg",
        LaunchConfigurationName = configuration,
        InstanceType = "t3.micro",
        ImageId = "ami-1",
        AvailabilityZone = zone,
        LifecycleState = LifecycleState.InService,
        ProtectedFromScaleIn = isProtected,
        LaunchedAt = T0.AddMinutes(-minutesAgo),
    };

    public static TheoryData<string, InstanceRecord[], int, string> ScaleIn => new()
    {
        { "never a protected instance", [I("i-a", 10, isProtected: true), I("i-b", 20)], 1, "i-b" },
        { "all protected: none", [I("i-a", 10, isProtected: true), I("i-b", 20, isProtected: true)], 1, "" },
        { "an old launch configuration first", [I("i-a", 50), I("i-b", 10, configuration: "old")], 1, "i-b" },
        { "then the closest to its next billing hour", [I("i-a", 50), I("i-b", 10)], 1, "i-a" },
        { "billing hours wrap", [I("i-a", 70), I("i-b", 55)], 1, "i-b" },
        { "then by id", [I("i-b", 30), I("i-a", 30)], 1, "i-a" },
        { "the zone with the most goes first", [I("i-a", 50, zone: "a"), I("i-b", 10, zone: "b"), I("i-c", 20, zone: "b")], 1, "i-c" },
        { "several, balancing zones", [I("i-a", 50, zone: "a"), I("i-b", 10, zone: "b"), I("i-c", 20, zone: "b")], 2, "i-c i-a" },
    };

    [Theory]
    [MemberData(nameof(ScaleIn))]
    public void Scale_in_follows_the_default_termination_policy(string why, InstanceRecord[] live, int count, string expected)
    {
        var group = GroupDecisionTests.WithGroup().Groups["us-east-1|asg"] with { AvailabilityZones = ImmutableArray.Create("a", "b") };
        var chosen = InstancePlan.ChooseForScaleIn(group, live, count, T0);
        Assert.True(expected == string.Join(" ", chosen.Select(i => i.InstanceId)), $"{why}: {string.Join(" ", chosen.Select(i => i.InstanceId))}");
    }

    [Fact]
    public void Lowering_desired_terminates_unprotected_instances_and_the_termination_finishes_the_activity()
    {
        var state = Provisioned(GroupDecisionTests.WithGroup(0, 3, 3));
        var protectedId = state.Instances.Keys.First();
        state = GroupDecisions.SetInstanceProtection(state, GroupDecisionTests.Scope(), new() { AutoScalingGroupName = "asg", InstanceIds = [protectedId], ProtectedFromScaleIn = true }).State;
        state = GroupDecisions.SetDesiredCapacity(state, GroupDecisionTests.Scope(), new() { AutoScalingGroupName = "asg", DesiredCapacity = 0 }).State;
        var plan = InstancePlan.Plan(state, T0, () => throw new InvalidOperationException(), () => Guid.NewGuid().ToString());
        Assert.Equal(2, plan.Terminations.Count);
        Assert.DoesNotContain(plan.Terminations, t => t.Instance.InstanceId == protectedId);
        state = ProvisionDecisions.Record(state, plan, T0).State;
        foreach (var termination in plan.Terminations)
        {
            state = ProvisionDecisions.Terminated(state, termination.Instance.InstanceId, T0).State;
            Assert.Equal("Successful", state.Activities[termination.ActivityId].StatusCode);
        }

        Assert.Equal([protectedId], state.Instances.Keys);
        Assert.True(InstancePlan.Plan(state, T0, () => "x", () => "y").IsEmpty);
    }

    [Fact]
    public void Launches_spread_over_zones()
    {
        var state = GroupDecisionTests.WithGroup(0, 4, 0);
        state = state.With("us-east-1|asg", state.Groups["us-east-1|asg"] with { AvailabilityZones = ["a", "b"], DesiredCapacity = 4 });
        var plan = InstancePlan.Plan(state, T0, GroupDecisionTests.NextId(), () => Guid.NewGuid().ToString());
        Assert.Equal(["a", "a", "b", "b"], plan.Launches.Select(l => l.AvailabilityZone).Order());
    }
}
