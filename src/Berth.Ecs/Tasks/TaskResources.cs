using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;

namespace Berth.Ecs.Tasks;

/// <summary>What a task holds on its container instance: CPU, memory and host ports.</summary>
public static class TaskResources
{
    /// <summary>The revision a task runs, or null when it is gone from the state.</summary>
    public static TaskDefinition? DefinitionOf(EcsState state, TaskRecord task) => RevisionOf(state, task.TaskDefinitionArn)?.Definition;

    /// <summary>
    /// The revision a task definition ARN names, or null. A revision's ARN is its family's key, a colon and the
    /// number, so the lookup needs no parse (every pass asks this once per task).
    /// </summary>
    public static TaskDefinitionRecord? RevisionOf(EcsState state, string? revisionArn)
    {
        var colon = revisionArn?.LastIndexOf(':') ?? -1;
        if (colon < 0
            || !int.TryParse(revisionArn.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            || !state.Families.TryGetValue(revisionArn![..colon], out var family)
            || number < 1 || number > family.Revisions.Count)
        {
            return null;
        }

        var revision = family.Revisions[number - 1];
        return revision.Arn == revisionArn ? revision : null;
    }

    /// <summary>
    /// Host ports a definition binds on its instance, by protocol: <c>host</c> mode binds the container port,
    /// <c>bridge</c> the host port (0 when dynamic); <c>awsvpc</c> and <c>none</c> bind nothing on the host.
    /// </summary>
    public static (List<int> Tcp, List<int> Udp) StaticPorts(TaskDefinition definition)
    {
        var tcp = new List<int>();
        var udp = new List<int>();
        var mode = definition.NetworkMode ?? "bridge";
        if (mode is "awsvpc" or "none")
        {
            return (tcp, udp);
        }

        foreach (var container in definition.ContainerDefinitions ?? [])
        {
            foreach (var mapping in container.PortMappings ?? [])
            {
                if (mapping.ContainerPortRange is not null)
                {
                    continue;
                }

                var port = mode == "host" ? mapping.ContainerPort ?? 0 : mapping.HostPort ?? 0;
                (mapping.Protocol == "udp" ? udp : tcp).Add(port);
            }
        }

        return (tcp, udp);
    }

    /// <summary>Static ports of the task's definition plus every host port the agent reported bound.</summary>
    public static (HashSet<int> Tcp, HashSet<int> Udp) BoundPorts(EcsState state, TaskRecord task)
    {
        var tcp = new HashSet<int>();
        var udp = new HashSet<int>();
        AddBoundPorts(state, task, tcp, udp);
        return (tcp, udp);
    }

    /// <summary>Adds <see cref="BoundPorts"/> to <paramref name="tcp"/> and <paramref name="udp"/> (no sets of its own: placement sums thousands of tasks).</summary>
    public static void AddBoundPorts(EcsState state, TaskRecord task, HashSet<int> tcp, HashSet<int> udp)
    {
        if (DefinitionOf(state, task) is { } definition && HasStaticPorts(definition))
        {
            var (staticTcp, staticUdp) = StaticPorts(definition);
            tcp.UnionWith(staticTcp.Where(p => p != 0));
            udp.UnionWith(staticUdp.Where(p => p != 0));
        }

        foreach (var container in task.Containers)
        {
            foreach (var binding in container.NetworkBindings)
            {
                if (binding.HostPort is > 0 and var port)
                {
                    (binding.Protocol == PortProtocol.Udp ? udp : tcp).Add(port);
                }
            }
        }
    }

    // Most definitions map no ports: then StaticPorts would only build two empty sets.
    private static bool HasStaticPorts(TaskDefinition definition)
    {
        foreach (var container in definition.ContainerDefinitions ?? [])
        {
            if (container.PortMappings is { Count: > 0 })
            {
                return true;
            }
        }

        return false;
    }
}
