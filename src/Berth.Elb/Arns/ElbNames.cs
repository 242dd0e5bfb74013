using System.Text.RegularExpressions;

namespace Berth.Elb.Arns;

/// <summary>ARNs, names and the fixed identities Berth reports (hosted zone, VPC, availability zones).</summary>
public static partial class ElbNames
{
    /// <summary>The hosted zone id ALB reports in us-east-1; reported for every region (Berth has no Route 53).</summary>
    public const string CanonicalHostedZoneId = "Z35SXDOTRQ7X7K";

    /// <summary>The VPC of resources created without one: Berth's one network.</summary>
    public const string DefaultVpcId = "vpc-0be27700000000000";

    /// <summary>The ARN of load balancer <paramref name="name"/>.</summary>
    public static string LoadBalancerArn(string region, string account, string name, string id) => $"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{id}";

    /// <summary>The ARN of a listener of load balancer <paramref name="name"/>.</summary>
    public static string ListenerArn(string region, string account, string name, string loadBalancerId, string id) => $"arn:aws:elasticloadbalancing:{region}:{account}:listener/app/{name}/{loadBalancerId}/{id}";

    /// <summary>The ARN of a rule of <paramref name="listenerArn"/>.</summary>
    public static string RuleArn(string listenerArn, string id) => listenerArn.Replace(":listener/", ":listener-rule/", StringComparison.Ordinal) + "/" + id;

    /// <summary>The ARN of target group <paramref name="name"/>.</summary>
    public static string TargetGroupArn(string region, string account, string name, string id) => $"arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{name}/{id}";

    /// <summary>The availability zone Berth reports for the <paramref name="index"/>-th subnet of a load balancer.</summary>
    public static string ZoneOf(string region, int index) => region + (char)('a' + (index % 6));

    /// <summary>
    /// Checks a load balancer or target group name as ALB does: 1-32 characters, letters, digits and hyphens, not
    /// starting or ending with a hyphen (and a load balancer's not starting with <c>internal-</c>).
    /// </summary>
    public static void CheckName(string name, string what)
    {
        if (name.Length is 0 or > 32)
        {
            throw ElbErrors.Validation($"The {what} name '{name}' cannot be longer than '32' characters");
        }

        if (!NamePattern().IsMatch(name))
        {
            throw ElbErrors.Validation($"The {what} name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)");
        }

        if (name.StartsWith('-') || name.EndsWith('-'))
        {
            throw ElbErrors.Validation($"The {what} name '{name}' cannot begin or end with a hyphen(-)");
        }

        if (what == "load balancer" && name.StartsWith("internal-", StringComparison.OrdinalIgnoreCase))
        {
            throw ElbErrors.Validation($"The load balancer name '{name}' cannot begin with 'internal-'");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9-]+$")]
    private static partial Regex NamePattern();
}
