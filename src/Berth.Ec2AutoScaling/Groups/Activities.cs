using Berth.Ec2AutoScaling.Model;
using Berth.Ec2AutoScaling.State;

namespace Berth.Ec2AutoScaling.Groups;

/// <summary>The scaling activities a launch or termination records, worded as AWS words them.</summary>
public static class Activities
{
    /// <summary>A launch in progress.</summary>
    public static ActivityRecord Launching(string groupKey, GroupRecord group, InstanceRecord instance, string id, string cause, DateTimeOffset now) => new()
    {
        ActivityId = id,
        GroupKey = groupKey,
        GroupName = group.Name,
        GroupArn = group.Arn,
        Description = $"Launching a new EC2 instance: {instance.InstanceId}",
        Cause = cause,
        StartTime = now,
        StatusCode = "InProgress",
        Progress = 30,
        Details = $"{{\"Subnet ID\":\"\",\"Availability Zone\":\"{instance.AvailabilityZone}\"}}",
    };

    /// <summary>A termination in progress.</summary>
    public static ActivityRecord Terminating(GroupRecord group, InstanceRecord instance, string id, string cause, DateTimeOffset now) => new()
    {
        ActivityId = id,
        GroupKey = instance.GroupKey,
        GroupName = group.Name,
        GroupArn = group.Arn,
        Description = $"Terminating EC2 instance: {instance.InstanceId}",
        Cause = cause,
        StartTime = now,
        StatusCode = "InProgress",
        Progress = 0,
        Details = $"{{\"Subnet ID\":\"\",\"Availability Zone\":\"{instance.AvailabilityZone}\"}}",
    };
}

/// <summary>Activities as the wire shows them.</summary>
public static class ActivityViews
{
    /// <summary>The wire shape.</summary>
    public static Activity ToWire(ActivityRecord activity, GroupRecord? group) => new()
    {
        ActivityId = activity.ActivityId,
        AutoScalingGroupName = activity.GroupName,
        AutoScalingGroupARN = activity.GroupArn,
        Description = activity.Description,
        Cause = activity.Cause,
        StartTime = activity.StartTime,
        EndTime = activity.EndTime,
        StatusCode = activity.StatusCode,
        StatusMessage = activity.StatusMessage,
        Progress = activity.Progress,
        Details = activity.Details,
        AutoScalingGroupState = group is null ? "Deleted" : null,
    };
}
