using System.Collections.Immutable;
using System.Globalization;
using Berth.Ecs.Model;
using Berth.Protocol.Errors;

namespace Berth.Ecs.Services;

/// <summary>One of a service's load balancers: the target group its tasks join, and the container and port that serve.</summary>
/// <param name="TargetGroupArn">The target group (Application Load Balancer).</param>
/// <param name="LoadBalancerName">A Classic Load Balancer's name (refused: Berth has Application Load Balancers only).</param>
/// <param name="ContainerName">The container that serves.</param>
/// <param name="ContainerPort">Its container port.</param>
public sealed record ServiceLoadBalancer(string? TargetGroupArn, string? LoadBalancerName, string? ContainerName, int? ContainerPort)
{
    /// <summary>ECS's limit of load balancers (target groups) per service.</summary>
    public const int MaxPerService = 5;

    /// <summary>From ECS's wire list.</summary>
    public static ImmutableArray<ServiceLoadBalancer> FromWire(IEnumerable<LoadBalancer>? wire)
        => [.. (wire ?? []).Select(l => new ServiceLoadBalancer(l.TargetGroupArn, l.LoadBalancerName, l.ContainerName, l.ContainerPort))];

    /// <summary>ECS's wire list.</summary>
    public static List<LoadBalancer> ToWire(ImmutableArray<ServiceLoadBalancer> loadBalancers)
        => [.. loadBalancers.Select(l => new LoadBalancer { TargetGroupArn = l.TargetGroupArn, LoadBalancerName = l.LoadBalancerName, ContainerName = l.ContainerName, ContainerPort = l.ContainerPort })];
}

/// <summary>What ECS checks of a target group when a service names it, as the load balancing side knows it.</summary>
/// <param name="Arn">The target group.</param>
/// <param name="TargetType"><c>instance</c> or <c>ip</c>.</param>
/// <param name="HasLoadBalancer">Whether a listener or rule of some load balancer forwards to it.</param>
public sealed record TargetGroupFacts(string Arn, string TargetType, bool HasLoadBalancer);

/// <summary>Looks target groups up for ECS's checks (the load balancing state lives apart from ECS's).</summary>
public interface ITargetGroupCatalog
{
    /// <summary>The target group <paramref name="arn"/>, or null when there is none.</summary>
    TargetGroupFacts? Find(string arn);
}

/// <summary>No load balancing attached: no target group exists.</summary>
public sealed class NoTargetGroups : ITargetGroupCatalog
{
    /// <summary>The one instance.</summary>
    public static NoTargetGroups Instance { get; } = new();

    /// <inheritdoc />
    public TargetGroupFacts? Find(string arn) => null;
}

/// <summary>ECS's checks of a service's <c>loadBalancers</c> against its task definition and the target groups.</summary>
public static class LoadBalancerRules
{
    /// <summary>
    /// Throws ECS's InvalidParameterException when a load balancer does not fit: no target group (or a Classic Load
    /// Balancer), a container or port the task definition does not have, a target group that does not exist, has no
    /// load balancer, or whose target type does not fit the network mode (awsvpc takes ip; bridge and host take instance).
    /// </summary>
    public static void Validate(IReadOnlyList<LoadBalancer> loadBalancers, TaskDefinition definition, ITargetGroupCatalog catalog)
    {
        if (loadBalancers.Count > ServiceLoadBalancer.MaxPerService)
        {
            throw AwsException.InvalidParameter($"loadBalancers can have at most {ServiceLoadBalancer.MaxPerService} items.");
        }

        var networkMode = definition.NetworkMode ?? "bridge";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lb in loadBalancers)
        {
            if (string.IsNullOrEmpty(lb.TargetGroupArn))
            {
                throw AwsException.InvalidParameter(string.IsNullOrEmpty(lb.LoadBalancerName)
                    ? "Target Group Arn can not be blank."
                    : "Berth runs Application Load Balancers only: give targetGroupArn instead of loadBalancerName.");
            }

            if (!string.IsNullOrEmpty(lb.LoadBalancerName))
            {
                throw AwsException.InvalidParameter("loadBalancerName and targetGroupArn cannot both be specified. You must specify either a loadBalancerName or a targetGroupArn.");
            }

            if (string.IsNullOrEmpty(lb.ContainerName))
            {
                throw AwsException.InvalidParameter("Container Name can not be blank.");
            }

            if (lb.ContainerPort is not { } port)
            {
                throw AwsException.InvalidParameter("Container Port can not be blank.");
            }

            var container = definition.ContainerDefinitions?.FirstOrDefault(c => c.Name == lb.ContainerName)
                ?? throw AwsException.InvalidParameter($"The container {lb.ContainerName} does not exist in the task definition.");
            if (container.PortMappings?.Any(m => m.ContainerPort == port) != true)
            {
                throw AwsException.InvalidParameter($"The container {lb.ContainerName} did not have a container port {port.ToString(CultureInfo.InvariantCulture)} defined.");
            }

            if (networkMode == "none")
            {
                throw AwsException.InvalidParameter("Load balancers are not supported for the none network mode specified in the task definition.");
            }

            var group = catalog.Find(lb.TargetGroupArn)
                ?? throw AwsException.InvalidParameter("Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.");
            if (!group.HasLoadBalancer)
            {
                throw AwsException.InvalidParameter($"The target group with targetGroupArn {group.Arn} does not have an associated load balancer.");
            }

            var fits = networkMode == "awsvpc" ? group.TargetType == "ip" : group.TargetType == "instance";
            if (!fits)
            {
                throw AwsException.InvalidParameter($"The provided target group {group.Arn} has target type {group.TargetType}, which is incompatible with the {networkMode} network mode specified in the task definition.");
            }

            if (!seen.Add(group.Arn + "|" + lb.ContainerName + "|" + port.ToString(CultureInfo.InvariantCulture)))
            {
                throw AwsException.InvalidParameter("The same target group, container name and container port cannot be used more than once in loadBalancers.");
            }
        }
    }
}
