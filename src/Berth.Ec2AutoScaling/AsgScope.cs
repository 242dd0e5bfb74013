namespace Berth.Ec2AutoScaling;

/// <summary>What a decision needs besides the state and the request: where, who, when, and fresh ids made outside it.</summary>
/// <param name="Region">The region of the request (it goes into every ARN).</param>
/// <param name="AccountId">The account.</param>
/// <param name="Now">The time of the request.</param>
/// <param name="NewId">A fresh UUID for what the decision creates (ARNs, activities).</param>
public sealed record AsgScope(string Region, string AccountId, DateTimeOffset Now, Guid NewId)
{
    /// <summary>An Auto Scaling group's ARN.</summary>
    public string GroupArn(string name) => $"arn:aws:autoscaling:{Region}:{AccountId}:autoScalingGroup:{NewId:D}:autoScalingGroupName/{name}";

    /// <summary>A launch configuration's ARN.</summary>
    public string LaunchConfigurationArn(string name) => $"arn:aws:autoscaling:{Region}:{AccountId}:launchConfiguration:{NewId:D}:launchConfigurationName/{name}";
}
