using System.Globalization;
using Berth.Ecs.Model;
using Berth.Protocol.Errors;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>Port mappings per network mode: ranges, the awsvpc/host "host port equals container port" rule, overlaps.</summary>
internal static class PortMappingRules
{
    public const int MaxPort = 65535;

    public static void Validate(List<PortMapping>? mappings, string container, string networkMode)
    {
        if (mappings is not { Count: > 0 })
            return;
        if (networkMode == "none")
            throw ContainerRules.Invalid(container, "Port mappings are not supported when networkMode=none.");

        var taken = new List<(string Protocol, int First, int Last)>();
        foreach (var mapping in mappings)
        {
            if (mapping is null)
                continue;
            EnumRules.Require(mapping.Protocol, WireEnums.TransportProtocol);
            EnumRules.Require(mapping.AppProtocol, WireEnums.ApplicationProtocol);
            var (first, last) = mapping.ContainerPortRange is null
                ? ValidateSinglePort(mapping, container, networkMode)
                : ValidateRange(mapping, container, networkMode);

            var protocol = mapping.Protocol ?? "tcp";
            // One container port (or range) per protocol: a second mapping of the same port is refused.
            var clash = taken.FindIndex(t => t.Protocol == protocol && first <= t.Last && t.First <= last);
            if (clash >= 0)
                throw ContainerRules.Invalid(container, $"Port {Math.Max(first, taken[clash].First)}/{protocol} is included in more than one port mapping.");
            taken.Add((protocol, first, last));
        }
    }

    private static (int First, int Last) ValidateSinglePort(PortMapping mapping, string container, string networkMode)
    {
        if (mapping.ContainerPort is not { } port)
            throw ContainerRules.Invalid(container, "Each port mapping must specify 'containerPort' or 'containerPortRange'.");
        if (port is < 1 or > MaxPort)
            throw ContainerRules.Invalid(container, $"'containerPort' must be between 1 and {MaxPort}.");
        if (mapping.HostPort is < 0 or > MaxPort)
            throw ContainerRules.Invalid(container, $"'hostPort' must be between 0 and {MaxPort}.");
        // Real ECS message; bridge alone may map to another host port (or 0 for a dynamic one).
        if (networkMode is "awsvpc" or "host" && mapping.HostPort is { } host && host != port)
            throw AwsException.Client($"When networkMode={networkMode}, the host ports and container ports in port mappings must match.");
        return (port, port);
    }

    private static (int First, int Last) ValidateRange(PortMapping mapping, string container, string networkMode)
    {
        if (mapping.ContainerPort is not null)
            throw ContainerRules.Invalid(container, "Specify either 'containerPort' or 'containerPortRange' in a port mapping, not both.");
        if (networkMode is not ("bridge" or "awsvpc"))
            throw ContainerRules.Invalid(container, "'containerPortRange' is only supported when networkMode is bridge or awsvpc.");
        if (mapping.HostPort is not null)
            throw ContainerRules.Invalid(container, "'hostPort' must not be specified with 'containerPortRange'.");
        var parts = mapping.ContainerPortRange!.Split('-');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || first < 1 || last > MaxPort || first >= last)
        {
            throw ContainerRules.Invalid(container, $"'containerPortRange' must be of the form 'first-last' with 1 <= first < last <= {MaxPort}.");
        }
        return (first, last);
    }

    /// <summary>Copies with ECS's defaults: protocol tcp; the host port the network mode implies when none is given.</summary>
    public static List<PortMapping> Normalize(List<PortMapping>? mappings, string networkMode) =>
        (mappings ?? []).OfType<PortMapping>().Select(m => new PortMapping
        {
            ContainerPort = m.ContainerPort,
            HostPort = m.HostPort ?? DefaultHostPort(m, networkMode),
            Protocol = m.Protocol ?? "tcp",
            Name = m.Name,
            AppProtocol = m.AppProtocol,
            ContainerPortRange = m.ContainerPortRange,
        }).ToList();

    private static int? DefaultHostPort(PortMapping mapping, string networkMode) =>
        mapping.ContainerPortRange is not null ? null
        : networkMode == "bridge" ? 0
        : mapping.ContainerPort;
}
