using Berth.Ec2AutoScaling.Model;
using Berth.Protocol.Errors;

namespace Berth.Ec2AutoScaling;

/// <summary>EC2 Auto Scaling's errors, with the codes and statuses of botocore's model and AWS's wording.</summary>
public static class AsgErrors
{
    /// <summary>A value that breaks one of Auto Scaling's rules (<c>ValidationError</c>, HTTP 400).</summary>
    public static AwsException Validation(string message) => new("ValidationError", message);

    /// <summary>AlreadyExists.</summary>
    public static AwsException AlreadyExists(string message) => Of(WireErrors.AlreadyExistsFault, message);

    /// <summary>ResourceInUse.</summary>
    public static AwsException InUse(string message) => Of(WireErrors.ResourceInUseFault, message);

    /// <summary>ScalingActivityInProgress.</summary>
    public static AwsException ActivityInProgress(string message) => Of(WireErrors.ScalingActivityInProgressFault, message);

    /// <summary>InvalidNextToken.</summary>
    public static AwsException InvalidNextToken() => Of(WireErrors.InvalidNextToken, "The token is not valid.");

    /// <summary>The group named <paramref name="name"/> does not exist.</summary>
    public static AwsException GroupNotFound(string? name) => Validation($"AutoScalingGroup name not found - AutoScalingGroup {name} not found");

    /// <summary>The launch configuration named <paramref name="name"/> does not exist.</summary>
    public static AwsException LaunchConfigurationNotFound(string? name) => Validation($"Launch configuration name not found - Launch configuration {name} not found");

    private static AwsException Of((string Code, int Status) error, string message) => new(error.Code, message, error.Status);
}
