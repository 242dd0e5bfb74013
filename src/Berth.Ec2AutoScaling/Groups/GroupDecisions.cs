using System.Collections.Immutable;
using System.Globalization;
using Berth.Ec2AutoScaling.LaunchConfigurations;
using Berth.Ec2AutoScaling.Model;
using Berth.Ec2AutoScaling.State;
using Berth.Storage.Commit;

namespace Berth.Ec2AutoScaling.Groups;

/// <summary>The Auto Scaling group operations as pure functions of (state, scope, request), with AWS's rules and errors.</summary>
public static class GroupDecisions
{
    /// <summary>The ARN prefix of a group's name inside its ARN.</summary>
    public const string NameMarker = ":autoScalingGroupName/";

    private static readonly string[] HealthCheckTypes = ["EC2", "ELB", "VPC_LATTICE", "EBS"];

    /// <summary>CreateAutoScalingGroup from a launch configuration; the desired capacity defaults to the minimum.</summary>
    public static Decision<AsgState, NoOutput> Create(AsgState state, AsgScope scope, CreateAutoScalingGroupType input)
    {
        var name = Names.Check(input.AutoScalingGroupName, "autoScalingGroupName");
        if (input.LaunchTemplate is not null || input.MixedInstancesPolicy is not null || input.InstanceId is not null)
        {
            throw AsgErrors.Validation("Berth runs Auto Scaling groups from launch configurations only; give LaunchConfigurationName.");
        }

        if (string.IsNullOrEmpty(input.LaunchConfigurationName))
        {
            throw AsgErrors.Validation("Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.");
        }

        RequireConfiguration(state, scope.Region, input.LaunchConfigurationName);
        var min = input.MinSize!.Value;
        var max = input.MaxSize!.Value;
        var desired = input.DesiredCapacity ?? min;
        CheckBounds(min, max, desired);
        CheckHealthCheckType(input.HealthCheckType);
        var zones = Zones(input.AvailabilityZones, input.VPCZoneIdentifier)
            ?? throw AsgErrors.Validation("At least one Availability Zone or VPC Subnet is required.");
        var tags = Tags(input.Tags);
        var key = AsgState.Key(scope.Region, name);
        if (state.Groups.ContainsKey(key))
        {
            throw AsgErrors.AlreadyExists($"AutoScalingGroup by this name already exists - A group with the name {name} already exists");
        }

        var edit = new AsgEdit(state);
        edit.Put(key, new GroupRecord
        {
            Name = name,
            Arn = scope.GroupArn(name),
            LaunchConfigurationName = input.LaunchConfigurationName,
            MinSize = min,
            MaxSize = max,
            DesiredCapacity = desired,
            DefaultCooldown = NonNegative(input.DefaultCooldown, "defaultCooldown") ?? 300,
            AvailabilityZones = zones,
            VpcZoneIdentifier = input.VPCZoneIdentifier,
            HealthCheckType = input.HealthCheckType ?? "EC2",
            HealthCheckGracePeriod = NonNegative(input.HealthCheckGracePeriod, "healthCheckGracePeriod") ?? 0,
            TerminationPolicies = input.TerminationPolicies is { Count: > 0 } policies ? [.. policies] : ["Default"],
            NewInstancesProtectedFromScaleIn = input.NewInstancesProtectedFromScaleIn ?? false,
            Tags = tags,
            CreatedTime = scope.Now,
        });
        return edit.Done(NoOutput.Instance);
    }

    /// <summary>UpdateAutoScalingGroup: sizes (a new minimum above the desired capacity raises it, a maximum below lowers it) and settings.</summary>
    public static Decision<AsgState, NoOutput> Update(AsgState state, AsgScope scope, UpdateAutoScalingGroupType input)
    {
        var (key, group) = Require(state, scope.Region, input.AutoScalingGroupName);
        if (input.LaunchTemplate is not null || input.MixedInstancesPolicy is not null)
        {
            throw AsgErrors.Validation("Berth runs Auto Scaling groups from launch configurations only; give LaunchConfigurationName.");
        }

        if (input.LaunchConfigurationName is { } configuration)
        {
            RequireConfiguration(state, scope.Region, configuration);
        }

        CheckHealthCheckType(input.HealthCheckType);
        var min = input.MinSize ?? group.MinSize;
        var max = input.MaxSize ?? group.MaxSize;
        int desired;
        if (input.DesiredCapacity is { } asked)
        {
            desired = asked;
        }
        else
        {
            desired = Math.Clamp(group.DesiredCapacity, Math.Min(min, max), Math.Max(min, max));
        }

        CheckBounds(min, max, desired);
        var zones = input.AvailabilityZones is not null || input.VPCZoneIdentifier is not null ? Zones(input.AvailabilityZones, input.VPCZoneIdentifier) ?? group.AvailabilityZones : group.AvailabilityZones;
        var updated = group with
        {
            LaunchConfigurationName = input.LaunchConfigurationName ?? group.LaunchConfigurationName,
            MinSize = min,
            MaxSize = max,
            DesiredCapacity = desired,
            DefaultCooldown = NonNegative(input.DefaultCooldown, "defaultCooldown") ?? group.DefaultCooldown,
            AvailabilityZones = zones,
            VpcZoneIdentifier = input.VPCZoneIdentifier ?? group.VpcZoneIdentifier,
            HealthCheckType = input.HealthCheckType ?? group.HealthCheckType,
            HealthCheckGracePeriod = NonNegative(input.HealthCheckGracePeriod, "healthCheckGracePeriod") ?? group.HealthCheckGracePeriod,
            TerminationPolicies = input.TerminationPolicies is { Count: > 0 } policies ? [.. policies] : group.TerminationPolicies,
            NewInstancesProtectedFromScaleIn = input.NewInstancesProtectedFromScaleIn ?? group.NewInstancesProtectedFromScaleIn,
        };
        var edit = new AsgEdit(state);
        if (updated != group)
        {
            edit.Put(key, updated);
        }

        return edit.Done(NoOutput.Instance);
    }

    /// <summary>
    /// DeleteAutoScalingGroup. Without ForceDelete it is refused while the group has instances (ResourceInUse) or
    /// launches and terminations in progress (ScalingActivityInProgress). With it the group goes to "Delete in progress"
    /// (sizes 0) and is removed once the provisioner has terminated its last instance.
    /// </summary>
    public static Decision<AsgState, NoOutput> Delete(AsgState state, AsgScope scope, DeleteAutoScalingGroupType input)
    {
        var (key, group) = Require(state, scope.Region, input.AutoScalingGroupName);
        var instances = state.InstancesOf(key).ToList();
        var edit = new AsgEdit(state);
        if (input.ForceDelete != true)
        {
            if (instances.Any(i => i.LifecycleState != LifecycleState.InService))
            {
                throw AsgErrors.ActivityInProgress("You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.");
            }

            if (instances.Count > 0)
            {
                throw AsgErrors.InUse("You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.");
            }
        }

        if (instances.Count == 0)
        {
            edit.RemoveGroup(key);
            return edit.Done(NoOutput.Instance);
        }

        if (!group.Deleting)
        {
            edit.Put(key, group with { Status = "Delete in progress", MinSize = 0, MaxSize = 0, DesiredCapacity = 0 });
        }

        return edit.Done(NoOutput.Instance);
    }

    /// <summary>SetDesiredCapacity: within the group's bounds (HonorCooldown is accepted; Berth has no cooldowns to honour).</summary>
    public static Decision<AsgState, NoOutput> SetDesiredCapacity(AsgState state, AsgScope scope, SetDesiredCapacityType input)
    {
        var (key, group) = Require(state, scope.Region, input.AutoScalingGroupName);
        var desired = input.DesiredCapacity!.Value;
        if (desired > group.MaxSize)
        {
            throw AsgErrors.Validation($"New SetDesiredCapacity value {desired} is above max value {group.MaxSize} for the AutoScalingGroup.");
        }

        if (desired < group.MinSize)
        {
            throw AsgErrors.Validation($"New SetDesiredCapacity value {desired} is below min value {group.MinSize} for the AutoScalingGroup.");
        }

        var edit = new AsgEdit(state);
        if (desired != group.DesiredCapacity)
        {
            edit.Put(key, group with { DesiredCapacity = desired });
        }

        return edit.Done(NoOutput.Instance);
    }

    /// <summary>
    /// A controller's change of the desired capacity (ECS managed scaling): applied only if the group is still the very
    /// record the plan read, clamped to its bounds. Returns whether it changed anything.
    /// </summary>
    public static Decision<AsgState, bool> SetDesiredIfUnchanged(AsgState state, string key, GroupRecord read, int desired)
    {
        var edit = new AsgEdit(state);
        if (!state.Groups.TryGetValue(key, out var group) || !ReferenceEquals(group, read) || group.Deleting)
        {
            return edit.Done(false);
        }

        desired = Math.Clamp(desired, group.MinSize, group.MaxSize);
        if (desired == group.DesiredCapacity)
        {
            return edit.Done(false);
        }

        edit.Put(key, group with { DesiredCapacity = desired });
        return edit.Done(true);
    }

    /// <summary>SetInstanceProtection for up to 50 instances of the group.</summary>
    public static Decision<AsgState, SetInstanceProtectionAnswer> SetInstanceProtection(AsgState state, AsgScope scope, SetInstanceProtectionQuery input)
    {
        var (key, group) = Require(state, scope.Region, input.AutoScalingGroupName);
        var ids = input.InstanceIds ?? [];
        if (ids.Count > 50)
        {
            throw AsgErrors.Validation("1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50");
        }

        var edit = new AsgEdit(state);
        foreach (var id in ids)
        {
            if (!state.Instances.TryGetValue(id, out var instance) || instance.GroupKey != key)
            {
                throw AsgErrors.Validation($"The instance {id} is not part of Auto Scaling group {group.Name}.");
            }
        }

        SetProtection(edit, ids, input.ProtectedFromScaleIn!.Value);
        return edit.Done(new SetInstanceProtectionAnswer());
    }

    /// <summary>Sets the scale-in protection of <paramref name="ids"/> (ECS's managed termination protection uses it too).</summary>
    public static void SetProtection(AsgEdit edit, IEnumerable<string> ids, bool protect)
    {
        foreach (var id in ids)
        {
            if (edit.State.Instances.TryGetValue(id, out var instance) && instance.ProtectedFromScaleIn != protect)
            {
                edit.Put(instance with { ProtectedFromScaleIn = protect });
            }
        }
    }

    /// <summary>
    /// TerminateInstanceInAutoScalingGroup: the instance is taken out of service (the provisioner stops it); the group
    /// launches a replacement unless the desired capacity is decremented, which may not go below the minimum.
    /// </summary>
    public static Decision<AsgState, ActivityType> Terminate(AsgState state, AsgScope scope, TerminateInstanceInAutoScalingGroupType input)
    {
        var id = input.InstanceId ?? string.Empty;
        if (!state.Instances.TryGetValue(id, out var instance) || AsgState.RegionOf(instance.GroupKey) != scope.Region || !state.Groups.TryGetValue(instance.GroupKey, out var group))
        {
            throw AsgErrors.Validation($"Instance Id not found - No managed instance found for instance ID: {id}");
        }

        var edit = new AsgEdit(state);
        if (instance.LifecycleState == LifecycleState.Terminating && instance.ActivityId is { } running && state.Activities.TryGetValue(running, out var existing))
        {
            return edit.Done(new ActivityType { Activity = ActivityViews.ToWire(existing, group) });
        }

        var decrement = input.ShouldDecrementDesiredCapacity!.Value;
        if (decrement && group.DesiredCapacity - 1 < group.MinSize)
        {
            throw AsgErrors.Validation($"Currently, desiredSize equals minSize ({group.MinSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.");
        }

        var cause = $"At {Stamp(scope.Now)} instance {id} was taken out of service in response to a user request"
            + (decrement ? $", shrinking the capacity from {group.DesiredCapacity} to {group.DesiredCapacity - 1}." : ".");
        var activity = Activities.Terminating(group, instance, scope.NewId.ToString("D"), cause, scope.Now);
        edit.Put(activity);
        edit.Put(instance with { LifecycleState = LifecycleState.Terminating, ActivityId = activity.ActivityId });
        if (decrement)
        {
            edit.Put(instance.GroupKey, group with { DesiredCapacity = group.DesiredCapacity - 1 });
        }

        return edit.Done(new ActivityType { Activity = ActivityViews.ToWire(activity, group) });
    }

    /// <summary>DescribeAutoScalingGroups: the named ones (unknown names left out), or all, with their instances.</summary>
    public static AutoScalingGroupsType Describe(AsgState state, string region, AutoScalingGroupNamesType input)
    {
        if (input.Filters is { Count: > 0 })
        {
            throw AsgErrors.Validation("Berth does not filter Auto Scaling groups yet; name them with AutoScalingGroupNames.");
        }

        var names = input.AutoScalingGroupNames ?? [];
        var groups = state.Groups.Where(g => AsgState.RegionOf(g.Key) == region && (names.Count == 0 || names.Contains(g.Value.Name))).ToList();
        var (page, next) = Paging.Take(groups, input.NextToken, input.MaxRecords);
        return new AutoScalingGroupsType
        {
            AutoScalingGroups = [.. page.Select(g => ToWire(state, g.Key, g.Value, input.IncludeInstances ?? true))],
            NextToken = next,
        };
    }

    /// <summary>DescribeAutoScalingInstances: the named instances, or every instance of the region.</summary>
    public static AutoScalingInstancesType DescribeInstances(AsgState state, string region, DescribeAutoScalingInstancesType input)
    {
        var ids = input.InstanceIds ?? [];
        var instances = state.Instances.Values
            .Where(i => AsgState.RegionOf(i.GroupKey) == region && (ids.Count == 0 || ids.Contains(i.InstanceId)) && state.Groups.ContainsKey(i.GroupKey))
            .ToList();
        var (page, next) = Paging.Take(instances, input.NextToken, input.MaxRecords, 50, 50);
        return new AutoScalingInstancesType
        {
            AutoScalingInstances = [.. page.Select(i => new AutoScalingInstanceDetails
            {
                InstanceId = i.InstanceId,
                InstanceType = i.InstanceType,
                AutoScalingGroupName = state.Groups[i.GroupKey].Name,
                AvailabilityZone = i.AvailabilityZone,
                LifecycleState = WireLifecycle(i.LifecycleState),
                HealthStatus = "HEALTHY",
                LaunchConfigurationName = i.LaunchConfigurationName,
                ProtectedFromScaleIn = i.ProtectedFromScaleIn,
            })],
            NextToken = next,
        };
    }

    /// <summary>DescribeScalingActivities: newest first, of one group or of all.</summary>
    public static ActivitiesType DescribeActivities(AsgState state, string region, DescribeScalingActivitiesType input)
    {
        if (input.Filters is { Count: > 0 })
        {
            throw AsgErrors.Validation("Berth does not filter scaling activities yet.");
        }

        var ids = input.ActivityIds ?? [];
        var groupKey = input.AutoScalingGroupName is { } name ? AsgState.Key(region, name) : null;
        var activities = state.Activities.Values
            .Where(a => AsgState.RegionOf(a.GroupKey) == region && (groupKey is null || a.GroupKey == groupKey) && (ids.Count == 0 || ids.Contains(a.ActivityId)))
            .OrderByDescending(a => a.StartTime).ThenBy(a => a.ActivityId, StringComparer.Ordinal)
            .ToList();
        var (page, next) = Paging.Take(activities, input.NextToken, input.MaxRecords);
        return new ActivitiesType
        {
            Activities = [.. page.Select(a => ActivityViews.ToWire(a, state.Groups.GetValueOrDefault(a.GroupKey)))],
            NextToken = next,
        };
    }

    /// <summary>The group of <paramref name="arnOrName"/> in <paramref name="region"/>: an ECS capacity provider names its group by ARN (or name).</summary>
    public static (string Key, GroupRecord Group)? Find(AsgState state, string region, string arnOrName)
    {
        var at = arnOrName.IndexOf(NameMarker, StringComparison.Ordinal);
        var name = at >= 0 ? arnOrName[(at + NameMarker.Length)..] : arnOrName;
        var key = AsgState.Key(region, name);
        return state.Groups.TryGetValue(key, out var group) && (at < 0 || group.Arn == arnOrName) ? (key, group) : null;
    }

    /// <summary>The wire shape of a group.</summary>
    public static AutoScalingGroup ToWire(AsgState state, string key, GroupRecord group, bool withInstances) => new()
    {
        AutoScalingGroupName = group.Name,
        AutoScalingGroupARN = group.Arn,
        LaunchConfigurationName = group.LaunchConfigurationName,
        MinSize = group.MinSize,
        MaxSize = group.MaxSize,
        DesiredCapacity = group.DesiredCapacity,
        DefaultCooldown = group.DefaultCooldown,
        AvailabilityZones = [.. group.AvailabilityZones],
        LoadBalancerNames = [],
        TargetGroupARNs = [],
        HealthCheckType = group.HealthCheckType,
        HealthCheckGracePeriod = group.HealthCheckGracePeriod,
        Instances = withInstances ? [.. state.InstancesOf(key).Select(i => new Instance
        {
            InstanceId = i.InstanceId,
            InstanceType = i.InstanceType,
            AvailabilityZone = i.AvailabilityZone,
            LifecycleState = WireLifecycle(i.LifecycleState),
            HealthStatus = "Healthy",
            LaunchConfigurationName = i.LaunchConfigurationName,
            ProtectedFromScaleIn = i.ProtectedFromScaleIn,
        })] : null,
        CreatedTime = group.CreatedTime,
        SuspendedProcesses = [],
        VPCZoneIdentifier = group.VpcZoneIdentifier,
        EnabledMetrics = [],
        Status = group.Status,
        Tags = [.. group.Tags.Select(t => new TagDescription { ResourceId = group.Name, ResourceType = "auto-scaling-group", Key = t.Key, Value = t.Value, PropagateAtLaunch = t.PropagateAtLaunch })],
        TerminationPolicies = [.. group.TerminationPolicies],
        NewInstancesProtectedFromScaleIn = group.NewInstancesProtectedFromScaleIn,
        ServiceLinkedRoleARN = $"arn:aws:iam::{group.Arn.Split(':')[4]}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        CapacityRebalance = false,
    };

    /// <summary>Auto Scaling's spelling of a lifecycle state.</summary>
    public static string WireLifecycle(LifecycleState state) => state switch
    {
        LifecycleState.Pending => "Pending",
        LifecycleState.InService => "InService",
        _ => "Terminating",
    };

    /// <summary>A timestamp as activity causes write it.</summary>
    public static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static (string Key, GroupRecord Group) Require(AsgState state, string region, string? name)
    {
        var key = AsgState.Key(region, name ?? string.Empty);
        if (!state.Groups.TryGetValue(key, out var group))
        {
            throw AsgErrors.GroupNotFound(name);
        }

        if (group.Deleting)
        {
            throw AsgErrors.Validation($"AutoScalingGroup {name} is pending delete.");
        }

        return (key, group);
    }

    private static void RequireConfiguration(AsgState state, string region, string name)
    {
        if (!state.LaunchConfigurations.ContainsKey(AsgState.Key(region, name)))
        {
            throw AsgErrors.LaunchConfigurationNotFound(name);
        }
    }

    private static void CheckBounds(int min, int max, int desired)
    {
        if (min < 0)
        {
            throw AsgErrors.Validation($"1 validation error detected: Value '{min}' at 'minSize' failed to satisfy constraint: Member must have value greater than or equal to 0");
        }

        if (max < 0)
        {
            throw AsgErrors.Validation($"1 validation error detected: Value '{max}' at 'maxSize' failed to satisfy constraint: Member must have value greater than or equal to 0");
        }

        if (max < min)
        {
            throw AsgErrors.Validation($"Max bound, {max}, must be greater than or equal to min bound, {min}");
        }

        if (desired < min || desired > max)
        {
            throw AsgErrors.Validation($"Desired capacity:{desired} must be between the specified min size:{min} and max size:{max}");
        }
    }

    private static void CheckHealthCheckType(string? type)
    {
        if (type is not null && Array.IndexOf(HealthCheckTypes, type) < 0)
        {
            throw AsgErrors.Validation($"1 validation error detected: Value '{type}' at 'healthCheckType' failed to satisfy constraint: Member must be one of EC2, ELB, VPC_LATTICE, EBS");
        }
    }

    private static int? NonNegative(int? value, string member)
        => value is < 0 ? throw AsgErrors.Validation($"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value greater than or equal to 0") : value;

    // Instances run on this host: subnets name no zone Berth can see, so a group of subnets gets the agent's zone.
    private static ImmutableArray<string>? Zones(List<string>? zones, string? subnets)
        => zones is { Count: > 0 } ? [.. zones.Distinct(StringComparer.Ordinal)] : !string.IsNullOrEmpty(subnets) ? ["local-1a"] : null;

    private static ImmutableArray<GroupTag> Tags(List<Tag>? tags)
    {
        var result = ImmutableArray.CreateBuilder<GroupTag>();
        foreach (var tag in tags ?? [])
        {
            if (string.IsNullOrEmpty(tag.Key) || tag.Key.Length > 128)
            {
                throw AsgErrors.Validation("1 validation error detected: Value at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128");
            }

            result.Add(new GroupTag(tag.Key, tag.Value ?? string.Empty, tag.PropagateAtLaunch ?? false));
        }

        if (result.Count > 50)
        {
            throw AsgErrors.Validation("The number of tags exceeds the limit of 50.");
        }

        return result.ToImmutable();
    }
}
