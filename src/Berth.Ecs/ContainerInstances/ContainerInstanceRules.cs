using System.Globalization;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;

namespace Berth.Ecs.ContainerInstances;

/// <summary>Finding container instances by ID or ARN, and reading their registered resources.</summary>
public static class ContainerInstanceRules
{
    /// <summary>Ports ECS reserves on every instance unless the agent says otherwise (SSH, Docker, the agent).</summary>
    public static readonly IReadOnlyList<string> DefaultReservedPorts = ["22", "2375", "2376", "51678", "51679"];

    /// <summary>The ARN a reference (container instance ID or ARN) stands for in a cluster.</summary>
    public static string ArnOf(Scope scope, ClusterRecord cluster, string? reference)
    {
        if (string.IsNullOrEmpty(reference))
        {
            throw AwsException.InvalidParameter("containerInstance can not be blank.");
        }

        if (reference.StartsWith("arn:", StringComparison.Ordinal))
        {
            if (!EcsArn.TryParse(reference, out var arn) || arn.ResourceType != "container-instance")
            {
                throw AwsException.InvalidParameter("Invalid identifier: Unexpected number of separators");
            }

            return reference;
        }

        return Arn.ContainerInstance(scope, cluster.ClusterName!, reference);
    }

    /// <summary>The instance of <paramref name="cluster"/> a reference names, or null.</summary>
    public static InstanceRecord? Find(EcsState state, Scope scope, ClusterRecord cluster, string? reference)
    {
        var arn = ArnOf(scope, cluster, reference);
        return state.ContainerInstances.TryGetValue(arn, out var instance) && InCluster(instance, cluster) ? instance : null;
    }

    /// <summary>Whether an instance is registered in <paramref name="cluster"/> (its ARN carries the cluster's name).</summary>
    public static bool InCluster(InstanceRecord instance, ClusterRecord cluster) =>
        instance.ContainerInstanceArn.Contains($":container-instance/{cluster.ClusterName}/", StringComparison.Ordinal);

    /// <summary>The instances of a cluster, in ARN order.</summary>
    public static IEnumerable<InstanceRecord> Of(EcsState state, ClusterRecord cluster) =>
        state.ContainerInstances.Values.Where(i => InCluster(i, cluster));

    /// <summary>The container instance ID: the last segment of its ARN.</summary>
    public static string IdOf(string containerInstanceArn) => containerInstanceArn[(containerInstanceArn.LastIndexOf('/') + 1)..];

    /// <summary>An INTEGER resource's value (CPU, MEMORY), 0 when absent.</summary>
    public static int Integer(IEnumerable<ResourceRecord> resources, string name) =>
        resources.FirstOrDefault(r => r.Name == name)?.IntegerValue ?? 0;

    /// <summary>A STRINGSET resource of ports (PORTS, PORTS_UDP) as numbers.</summary>
    public static HashSet<int> Ports(IEnumerable<ResourceRecord> resources, string name)
    {
        var ports = new HashSet<int>();
        foreach (var text in resources.FirstOrDefault(r => r.Name == name)?.StringSetValue ?? [])
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                ports.Add(port);
            }
        }

        return ports;
    }

    /// <summary>
    /// Checks the agent's <c>totalResources</c> and returns them as ECS shows them: CPU, MEMORY, PORTS and
    /// PORTS_UDP always present (missing port sets are empty), anything else kept as sent.
    /// </summary>
    public static List<Resource> NormalizeTotal(List<Resource>? total)
    {
        var result = new List<Resource>();
        foreach (var resource in total ?? [])
        {
            if (string.IsNullOrEmpty(resource.Name))
            {
                throw AwsException.InvalidParameter("Resource name can not be blank.");
            }

            if (result.Any(r => r.Name == resource.Name))
            {
                throw AwsException.InvalidParameter($"Duplicate resource name: {resource.Name}.");
            }

            switch (resource.Name)
            {
                case "CPU" or "MEMORY":
                    if (resource.IntegerValue is not >= 0)
                    {
                        throw AwsException.InvalidParameter($"Resource {resource.Name} must be of type INTEGER with a non-negative integerValue.");
                    }

                    result.Add(new Resource { Name = resource.Name, Type = "INTEGER", IntegerValue = resource.IntegerValue, DoubleValue = 0, LongValue = 0 });
                    break;
                case "PORTS" or "PORTS_UDP":
                    var ports = new List<string>();
                    foreach (var text in resource.StringSetValue ?? [])
                    {
                        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                        {
                            throw AwsException.InvalidParameter($"Resource {resource.Name} must be a STRINGSET of port numbers between 1 and 65535; '{text}' is not one.");
                        }

                        ports.Add(port.ToString(CultureInfo.InvariantCulture));
                    }

                    result.Add(PortSet(resource.Name, ports.Distinct()));
                    break;
                default:
                    result.Add(resource);
                    break;
            }
        }

        foreach (var name in new[] { "CPU", "MEMORY" })
        {
            if (!result.Any(r => r.Name == name))
            {
                throw AwsException.InvalidParameter($"totalResources must include {name}.");
            }
        }

        if (!result.Any(r => r.Name == "PORTS"))
        {
            result.Add(PortSet("PORTS", DefaultReservedPorts));
        }

        if (!result.Any(r => r.Name == "PORTS_UDP"))
        {
            result.Add(PortSet("PORTS_UDP", []));
        }

        return result;
    }

    /// <summary>A STRINGSET resource of ports in numeric order.</summary>
    public static Resource PortSet(string name, IEnumerable<string> ports) => new()
    {
        Name = name,
        Type = "STRINGSET",
        DoubleValue = 0,
        LongValue = 0,
        IntegerValue = 0,
        StringSetValue = ports.OrderBy(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList(),
    };
}
