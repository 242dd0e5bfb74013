using System.Text;
using Berth.Ec2AutoScaling.Groups;
using Berth.Ec2AutoScaling.LaunchConfigurations;
using Berth.Ec2AutoScaling.Model;
using Berth.Ec2AutoScaling.State;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ec2AutoScaling.Tests;

/// <summary>Launch configurations and groups: AWS's rules and errors; a refused request changes nothing.</summary>
public class GroupDecisionTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    internal static AsgScope Scope(int n = 1) => new("us-east-1", "123456789012", T0, new Guid(n, 0, 0, new byte[8]));

    internal static AsgState Apply<T>(AsgState state, Func<AsgState, Decision<AsgState, T>> decide) => decide(state).State;

    internal static AsgState WithGroup(int min = 0, int max = 3, int? desired = null)
    {
        var state = Apply(AsgState.Empty, s => LaunchConfigurationDecisions.Create(s, Scope(), new CreateLaunchConfigurationType
        {
            LaunchConfigurationName = "lc",
            ImageId = "ami-12345678",
            InstanceType = "t3.micro",
            UserData = Convert.ToBase64String(Encoding.UTF8.GetBytes("#!/bin/bash\necho ECS_CLUSTER=web >> /etc/ecs/ecs.config\n")),
        }));
        return Apply(state, s => GroupDecisions.Create(s, Scope(2), new CreateAutoScalingGroupType
        {
            AutoScalingGroupName = "asg",
            LaunchConfigurationName = "lc",
            MinSize = min,
            MaxSize = max,
            DesiredCapacity = desired,
            AvailabilityZones = ["local-1a"],
        }));
    }

    [Fact]
    public void A_launch_configuration_takes_its_size_from_the_type_and_its_cluster_from_the_user_data()
    {
        var state = WithGroup();
        var configuration = state.LaunchConfigurations["us-east-1|lc"];
        Assert.Equal("web", configuration.Cluster);
        Assert.Equal((2048, 1024), InstanceSizes.Of(configuration.InstanceType));
        var described = LaunchConfigurationDecisions.Describe(state, "us-east-1", new LaunchConfigurationNamesType());
        Assert.Equal("arn:aws:autoscaling:us-east-1:123456789012:launchConfiguration:00000001-0000-0000-0000-000000000000:launchConfigurationName/lc", described.LaunchConfigurations![0].LaunchConfigurationARN);
        Assert.Empty(LaunchConfigurationDecisions.Describe(state, "eu-west-1", new LaunchConfigurationNamesType()).LaunchConfigurations!);
    }

    [Theory]
    [InlineData(null, "default")]
    [InlineData("", "default")]
    [InlineData("#!/bin/bash\necho ECS_CLUSTER=prod >> /etc/ecs/ecs.config", "prod")]
    [InlineData("ECS_CLUSTER=a\nECS_CLUSTER=b\n", "b")]
    [InlineData("#!/bin/bash\necho \"ECS_CLUSTER=quoted\" >> /etc/ecs/ecs.config", "quoted")]
    [InlineData("#!/bin/bash\nyum update -y", "default")]
    public void User_data_names_the_cluster(string? text, string expected)
        => Assert.Equal(expected, UserData.Cluster(text is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(text))));

    [Theory]
    [InlineData("t3.micro", 2048, 1024)]
    [InlineData("t3.small", 2048, 2048)]
    [InlineData("t3.medium", 2048, 4096)]
    [InlineData("m5.large", 2048, 8192)]
    [InlineData("m5.xlarge", 4096, 16384)]
    [InlineData("c5.large", 2048, 4096)]
    [InlineData("t3.nano", 2048, 512)]
    public void Instance_types_have_AWS_published_sizes(string type, int cpu, int memory)
        => Assert.Equal((cpu, memory), InstanceSizes.Of(type));

    public static TheoryData<string, Func<AsgState, AsgState>, string, string> BadInput => new()
    {
        { "no image", s => Apply(s, x => LaunchConfigurationDecisions.Create(x, Scope(9), new() { LaunchConfigurationName = "x", InstanceType = "t3.micro" })), "ValidationError", "Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters." },
        { "unknown type", s => Apply(s, x => LaunchConfigurationDecisions.Create(x, Scope(9), new() { LaunchConfigurationName = "x", ImageId = "ami-1", InstanceType = "z9.huge" })), "ValidationError", "The instance type 'z9.huge' is not one Berth knows the size of." },
        { "user data not base64", s => Apply(s, x => LaunchConfigurationDecisions.Create(x, Scope(9), new() { LaunchConfigurationName = "x", ImageId = "ami-1", InstanceType = "t3.micro", UserData = "not base64!" })), "ValidationError", "Invalid BASE64 encoding of user data." },
        { "launch configuration exists", s => Apply(s, x => LaunchConfigurationDecisions.Create(x, Scope(9), new() { LaunchConfigurationName = "lc", ImageId = "ami-1", InstanceType = "t3.micro" })), "AlreadyExists", "Launch Configuration by this name already exists - A launch configuration already exists with the name lc" },
        { "launch configuration in use", s => Apply(s, x => LaunchConfigurationDecisions.Delete(x, Scope(9), new() { LaunchConfigurationName = "lc" })), "ResourceInUse", "Cannot delete launch configuration lc because it is attached to AutoScalingGroup asg" },
        { "launch configuration unknown", s => Apply(s, x => LaunchConfigurationDecisions.Delete(x, Scope(9), new() { LaunchConfigurationName = "nope" })), "ValidationError", "Launch configuration name not found - Launch configuration nope not found" },
        { "group exists", s => Apply(s, x => GroupDecisions.Create(x, Scope(9), new() { AutoScalingGroupName = "asg", LaunchConfigurationName = "lc", MinSize = 0, MaxSize = 1, AvailabilityZones = ["a"] })), "AlreadyExists", "AutoScalingGroup by this name already exists - A group with the name asg already exists" },
        { "group without launch configuration", s => Apply(s, x => GroupDecisions.Create(x, Scope(9), new() { AutoScalingGroupName = "g2", MinSize = 0, MaxSize = 1, AvailabilityZones = ["a"] })), "ValidationError", "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter." },
        { "group of unknown launch configuration", s => Apply(s, x => GroupDecisions.Create(x, Scope(9), new() { AutoScalingGroupName = "g2", LaunchConfigurationName = "nope", MinSize = 0, MaxSize = 1, AvailabilityZones = ["a"] })), "ValidationError", "Launch configuration name not found - Launch configuration nope not found" },
        { "max below min", s => Apply(s, x => GroupDecisions.Create(x, Scope(9), new() { AutoScalingGroupName = "g2", LaunchConfigurationName = "lc", MinSize = 2, MaxSize = 1, AvailabilityZones = ["a"] })), "ValidationError", "Max bound, 1, must be greater than or equal to min bound, 2" },
        { "desired outside", s => Apply(s, x => GroupDecisions.Create(x, Scope(9), new() { AutoScalingGroupName = "g2", LaunchConfigurationName = "lc", MinSize = 0, MaxSize = 3, DesiredCapacity = 5, AvailabilityZones = ["a"] })), "ValidationError", "Desired capacity:5 must be between the specified min size:0 and max size:3" },
        { "negative min", s => Apply(s, x => GroupDecisions.Create(x, Scope(9), new() { AutoScalingGroupName = "g2", LaunchConfigurationName = "lc", MinSize = -1, MaxSize = 3, AvailabilityZones = ["a"] })), "ValidationError", "1 validation error detected: Value '-1' at 'minSize' failed to satisfy constraint: Member must have value greater than or equal to 0" },
        { "no zones", s => Apply(s, x => GroupDecisions.Create(x, Scope(9), new() { AutoScalingGroupName = "g2", LaunchConfigurationName = "lc", MinSize = 0, MaxSize = 3 })), "ValidationError", "At least one Availability Zone or VPC Subnet is required." },
        { "set desired above max", s => Apply(s, x => GroupDecisions.SetDesiredCapacity(x, Scope(9), new() { AutoScalingGroupName = "asg", DesiredCapacity = 4 })), "ValidationError", "New SetDesiredCapacity value 4 is above max value 3 for the AutoScalingGroup." },
        { "set desired of unknown group", s => Apply(s, x => GroupDecisions.SetDesiredCapacity(x, Scope(9), new() { AutoScalingGroupName = "nope", DesiredCapacity = 1 })), "ValidationError", "AutoScalingGroup name not found - AutoScalingGroup nope not found" },
        { "update max below desired given", s => Apply(s, x => GroupDecisions.Update(x, Scope(9), new() { AutoScalingGroupName = "asg", MaxSize = 1, DesiredCapacity = 2 })), "ValidationError", "Desired capacity:2 must be between the specified min size:0 and max size:1" },
        { "terminate unknown instance", s => Apply(s, x => GroupDecisions.Terminate(x, Scope(9), new() { InstanceId = "i-00000000000000000", ShouldDecrementDesiredCapacity = true })), "ValidationError", "Instance Id not found - No managed instance found for instance ID: i-00000000000000000" },
        { "protect an instance of no group", s => Apply(s, x => GroupDecisions.SetInstanceProtection(x, Scope(9), new() { AutoScalingGroupName = "asg", InstanceIds = ["i-00000000000000000"], ProtectedFromScaleIn = true })), "ValidationError", "The instance i-00000000000000000 is not part of Auto Scaling group asg." },
        { "paging token", s => { GroupDecisions.Describe(s, "us-east-1", new() { NextToken = "garbage" }); return s; }, "InvalidNextToken", "The token is not valid." },
        { "filters", s => { GroupDecisions.Describe(s, "us-east-1", new() { Filters = [new() { Name = "tag-key", Values = ["x"] }] }); return s; }, "ValidationError", "Berth does not filter" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public void Bad_input_gets_the_error_and_changes_nothing(string why, Func<AsgState, AsgState> act, string code, string message)
    {
        var state = WithGroup();
        var error = Assert.Throws<AwsException>(() => act(state));
        Assert.True(code == error.ErrorType, $"{why}: {error.ErrorType}");
        Assert.True(error.Message.StartsWith(message, StringComparison.Ordinal), $"{why}: {error.Message}");
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public void Update_moves_desired_into_new_bounds()
    {
        var state = WithGroup(0, 3, 2);
        state = Apply(state, s => GroupDecisions.Update(s, Scope(), new() { AutoScalingGroupName = "asg", MaxSize = 1 }));
        Assert.Equal(1, state.Groups["us-east-1|asg"].DesiredCapacity);
        state = Apply(state, s => GroupDecisions.Update(s, Scope(), new() { AutoScalingGroupName = "asg", MinSize = 1, MaxSize = 5 }));
        Assert.Equal((1, 5, 1), (state.Groups["us-east-1|asg"].MinSize, state.Groups["us-east-1|asg"].MaxSize, state.Groups["us-east-1|asg"].DesiredCapacity));
    }

    [Fact]
    public void Delete_is_refused_while_instances_remain_and_forced_deletes_after_terminating_them()
    {
        var state = ProvisioningTests.Provisioned(WithGroup(0, 3, 2));
        var error = Assert.Throws<AwsException>(() => GroupDecisions.Delete(state, Scope(), new() { AutoScalingGroupName = "asg" }));
        Assert.Equal("ResourceInUse", error.ErrorType);
        Assert.Equal("You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.", error.Message);

        state = Apply(state, s => GroupDecisions.Delete(s, Scope(), new() { AutoScalingGroupName = "asg", ForceDelete = true }));
        Assert.Equal("Delete in progress", state.Groups["us-east-1|asg"].Status);
        var plan = Provisioning.InstancePlan.Plan(state, T0, () => throw new InvalidOperationException(), () => Guid.NewGuid().ToString());
        Assert.Equal(2, plan.Terminations.Count);
        state = Apply(state, s => Provisioning.ProvisionDecisions.Record(s, plan, T0));
        foreach (var id in state.Instances.Keys.ToList())
        {
            state = Apply(state, s => Provisioning.ProvisionDecisions.Terminated(s, id, T0));
        }

        Assert.Empty(state.Groups);
        Assert.Empty(state.Activities);
    }

    [Fact]
    public void Terminate_with_decrement_lowers_desired_and_is_refused_at_the_minimum()
    {
        var state = ProvisioningTests.Provisioned(WithGroup(1, 3, 2));
        var first = state.Instances.Keys.First();
        var answer = GroupDecisions.Terminate(state, Scope(7), new() { InstanceId = first, ShouldDecrementDesiredCapacity = true });
        state = answer.State;
        Assert.Equal($"Terminating EC2 instance: {first}", answer.Result.Activity!.Description);
        Assert.Equal(1, state.Groups["us-east-1|asg"].DesiredCapacity);
        Assert.Equal(LifecycleState.Terminating, state.Instances[first].LifecycleState);

        var second = state.Instances.Keys.Last();
        var error = Assert.Throws<AwsException>(() => GroupDecisions.Terminate(state, Scope(8), new() { InstanceId = second, ShouldDecrementDesiredCapacity = true }));
        Assert.StartsWith("Currently, desiredSize equals minSize (1).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void State_survives_a_round_trip_through_its_documents()
    {
        var documents = new Dictionary<(string, string), byte[]>();
        var replay = AsgState.Empty;
        replay = Capture(replay, s => LaunchConfigurationDecisions.Create(s, Scope(), new() { LaunchConfigurationName = "lc", ImageId = "ami-1", InstanceType = "t3.micro" }), documents);
        replay = Capture(replay, s => GroupDecisions.Create(s, Scope(2), new() { AutoScalingGroupName = "asg", LaunchConfigurationName = "lc", MinSize = 0, MaxSize = 3, DesiredCapacity = 2, AvailabilityZones = ["local-1a"] }), documents);
        var plan = Provisioning.InstancePlan.Plan(replay, T0, NextId(), () => Guid.NewGuid().ToString());
        replay = Capture(replay, s => Provisioning.ProvisionDecisions.Record(s, plan, T0), documents);
        var loaded = AsgCodec.Load(documents.Select(d => new Berth.Storage.Documents.StoredDocument(d.Key.Item1, d.Key.Item2, d.Value)));
        Assert.Equal(replay.Instances.Keys, loaded.Instances.Keys);
        Assert.Equal(replay.Groups["us-east-1|asg"], loaded.Groups["us-east-1|asg"] with { AvailabilityZones = replay.Groups["us-east-1|asg"].AvailabilityZones, TerminationPolicies = replay.Groups["us-east-1|asg"].TerminationPolicies, Tags = replay.Groups["us-east-1|asg"].Tags });
        Assert.All(loaded.Instances.Values, i => Assert.Equal(LifecycleState.Pending, i.LifecycleState));
        Assert.Equal(2, loaded.Activities.Count);
    }

    internal static Func<string> NextId()
    {
        var n = 0;
        return () => $"i-{++n:x17}";
    }

    private static AsgState Capture<T>(AsgState state, Func<AsgState, Decision<AsgState, T>> decide, Dictionary<(string, string), byte[]> documents)
    {
        var decision = decide(state);
        foreach (var mutation in decision.Mutations)
        {
            if (mutation.Body is null)
            {
                documents.Remove((mutation.Kind, mutation.Id));
            }
            else
            {
                documents[(mutation.Kind, mutation.Id)] = mutation.Body;
            }
        }

        return decision.State;
    }
}
