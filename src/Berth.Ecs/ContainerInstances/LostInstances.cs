using Berth.Ecs.State;
using Berth.Ecs.Tasks;

namespace Berth.Ecs.ContainerInstances;

/// <summary>An instance whose agent has been away too long, and for how long.</summary>
/// <param name="ContainerInstanceArn">The instance.</param>
/// <param name="Away">How long its agent has been away.</param>
public sealed record LostInstance(string ContainerInstanceArn, TimeSpan Away)
{
    /// <summary>The reason its tasks stop with (after ECS's "Host EC2 (instance …)" prefix).</summary>
    public string Reason => $"agent disconnected for {(int)Away.TotalSeconds} s";
}

/// <summary>
/// Which instances are lost: a pure function of the state, the channels open now and when each instance's
/// agent went away. An agent counts as away at the latest from the server's start (a restarted server has seen no
/// agent yet and gives each the whole limit to come back); an instance is lost once its agent has been away for
/// <c>lostAfter</c> while tasks on it are not yet STOPPED.
/// </summary>
public static class LostInstances
{
    /// <summary>The instances to mark lost at <paramref name="now"/>.</summary>
    public static IReadOnlyList<LostInstance> Plan(
        EcsState state,
        Func<string, bool> connected,
        IReadOnlyDictionary<string, DateTimeOffset> awaySince,
        DateTimeOffset startedAt,
        DateTimeOffset now,
        TimeSpan lostAfter)
    {
        var lost = new List<LostInstance>();
        foreach (var (arn, instance) in state.ContainerInstances)
        {
            if (instance.Status == InstanceStatus.Inactive || connected(arn))
            {
                continue;
            }

            var since = awaySince.TryGetValue(arn, out var at) && at > startedAt ? at : startedAt;
            var away = now - since;
            if (away >= lostAfter && state.LiveTasksOn(arn).Any(t => t.LastStatus != EcsTaskStatus.Stopped))
            {
                lost.Add(new LostInstance(arn, away));
            }
        }

        return lost;
    }
}
