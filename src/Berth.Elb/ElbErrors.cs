using Berth.Elb.Model;
using Berth.Protocol.Errors;

namespace Berth.Elb;

/// <summary>ELBv2's errors, with the codes and statuses of botocore's model.</summary>
public static class ElbErrors
{
    /// <summary>A value that breaks one of ALB's rules (<c>ValidationError</c>, HTTP 400).</summary>
    public static AwsException Validation(string message) => new("ValidationError", message);

    /// <summary>One of the model's errors.</summary>
    public static AwsException Of((string Code, int Status) error, string message) => new(error.Code, message, error.Status);

    /// <summary>LoadBalancerNotFound.</summary>
    public static AwsException LoadBalancerNotFound(string? what = null) => Of(WireErrors.LoadBalancerNotFoundException, what ?? "One or more load balancers not found");

    /// <summary>TargetGroupNotFound.</summary>
    public static AwsException TargetGroupNotFound(string? what = null) => Of(WireErrors.TargetGroupNotFoundException, what ?? "One or more target groups not found");

    /// <summary>ListenerNotFound.</summary>
    public static AwsException ListenerNotFound(string? what = null) => Of(WireErrors.ListenerNotFoundException, what ?? "One or more listeners not found");

    /// <summary>RuleNotFound.</summary>
    public static AwsException RuleNotFound(string? what = null) => Of(WireErrors.RuleNotFoundException, what ?? "One or more rules not found");

    /// <summary>InvalidLoadBalancerAction.</summary>
    public static AwsException InvalidAction(string message) => Of(WireErrors.InvalidLoadBalancerActionException, message);

    /// <summary>InvalidConfigurationRequest.</summary>
    public static AwsException InvalidConfiguration(string message) => Of(WireErrors.InvalidConfigurationRequestException, message);
}
