using Berth.Ec2AutoScaling.State;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.State;
using InstanceRecord = Berth.Ec2AutoScaling.State.InstanceRecord;

namespace Berth.Server.Capacity;

/// <summary>What a server does with an Auto Scaling instance whose host is (or was) in it.</summary>
public enum HostAction
{
    /// <summary>Nothing now.</summary>
    Keep,

    /// <summary>Start its agent again (it ran here before this server restarted).</summary>
    Resume,

    /// <summary>Stop its agent and remove it, with its containers and data dir.</summary>
    Stop,
}

/// <summary>A container instance registered for an Auto Scaling instance (it carries the instance's attribute).</summary>
/// <param name="ContainerInstanceArn">Its ARN.</param>
/// <param name="Connected">Whether its agent's channel is open on some server.</param>
public readonly record struct Carrier(string ContainerInstanceArn, bool Connected);

/// <summary>
/// The hosting of in-process Auto Scaling instances across servers, pure. The server that launched an instance hosts
/// it, as an EC2 host would: it alone starts it again after its own restart, so a new leader never starts another
/// server's instance a second time.
/// A host that is gone (its server died) is found by the leader (<see cref="Lost"/>) and the instance replaced, as
/// EC2's health check replaces a dead instance; its leftovers go when that server comes back (<see cref="Next"/>).
/// </summary>
public static class InstanceHosts
{
    /// <summary>
    /// What the server hosting an instance does with it: stop it once the group no longer has it
    /// (terminated, or replaced while this server was away) or once another server's agent is that instance; start it
    /// again when it is InService, not running here and nobody else's; else nothing (a Pending instance is the
    /// leader's to start, a Terminating one the leader's to drain and stop).
    /// </summary>
    /// <param name="running">Whether its agent runs in this server now.</param>
    /// <param name="instance">The group's record of it, or null when there is none.</param>
    /// <param name="ownArn">The container instance its agent here registered as, or null.</param>
    /// <param name="carriers">The container instances (not INACTIVE) registered for it, on any server.</param>
    public static HostAction Next(bool running, InstanceRecord? instance, string? ownArn, IReadOnlyList<Carrier> carriers)
    {
        if (instance is null)
        {
            return HostAction.Stop;
        }

        if (running)
        {
            // A running agent is never second-guessed here: the leader decides the instance's fate through the group.
            return HostAction.Keep;
        }

        if (carriers.Any(c => !string.Equals(c.ContainerInstanceArn, ownArn, StringComparison.Ordinal)))
        {
            // Another server launched it after this one went (a launch this server had begun): what is here is stale.
            return HostAction.Stop;
        }

        return instance.LifecycleState == LifecycleState.InService ? HostAction.Resume : HostAction.Keep;
    }

    /// <summary>
    /// The leader's check, every pass: the InService instances whose host is elsewhere and whose agent no server has
    /// had connected since <paramref name="limit"/> ago (counted from when this leader first saw it so). Returns them
    /// and the away-since times to pass next time (an instance seen connected again starts over).
    /// </summary>
    /// <param name="state">The groups.</param>
    /// <param name="carriersOf">The container instances registered for each instance id.</param>
    /// <param name="hosting">Where each instance's host is, as this server sees it.</param>
    /// <param name="awaySince">The previous pass's away-since times.</param>
    /// <param name="now">Now.</param>
    /// <param name="limit">How long an agent may be away before its host is taken for gone (the server's agent-lost limit).</param>
    public static (IReadOnlyList<InstanceRecord> Lost, IReadOnlyDictionary<string, DateTimeOffset> AwaySince) Lost(
        AsgState state,
        IReadOnlyDictionary<string, IReadOnlyList<Carrier>> carriersOf,
        Func<string, InstanceHosting> hosting,
        IReadOnlyDictionary<string, DateTimeOffset> awaySince,
        DateTimeOffset now,
        TimeSpan limit)
    {
        var lost = new List<InstanceRecord>();
        var away = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var instance in state.Instances.Values)
        {
            if (instance.LifecycleState != LifecycleState.InService || hosting(instance.InstanceId) != InstanceHosting.Elsewhere
                || (carriersOf.TryGetValue(instance.InstanceId, out var carriers) && carriers.Any(c => c.Connected)))
            {
                continue;
            }

            var since = awaySince.TryGetValue(instance.InstanceId, out var noticed) ? noticed : now;
            away[instance.InstanceId] = since;
            if (now - since >= limit)
            {
                lost.Add(instance);
            }
        }

        return (lost, away);
    }

    /// <summary>The container instances (not INACTIVE) registered for Auto Scaling instances, by instance id: one scan.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<Carrier>> CarriersOf(EcsState state)
    {
        var carriers = new Dictionary<string, List<Carrier>>(StringComparer.Ordinal);
        foreach (var container in state.ContainerInstances.Values)
        {
            if (container.Status == InstanceStatus.Inactive)
            {
                continue;
            }

            foreach (var attribute in container.Attributes)
            {
                if (attribute.Name == InstanceSpec.InstanceAttribute && attribute.Value is { } id)
                {
                    if (!carriers.TryGetValue(id, out var list))
                    {
                        carriers[id] = list = [];
                    }

                    list.Add(new Carrier(container.ContainerInstanceArn, container.AgentConnected));
                    break;
                }
            }
        }

        return carriers.ToDictionary(c => c.Key, c => (IReadOnlyList<Carrier>)c.Value, StringComparer.Ordinal);
    }
}
