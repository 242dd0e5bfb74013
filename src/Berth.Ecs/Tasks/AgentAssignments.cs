using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.Tasks;

/// <summary>What the server writes next on an agent's channel.</summary>
public enum ChannelWrite
{
    /// <summary>Nothing: what the agent acts on is unchanged and a heartbeat is not due.</summary>
    Nothing,

    /// <summary>Tasks: all of them in a channel's first message, then those that are new or whose desired status changed.</summary>
    Assignments,

    /// <summary>A heartbeat: a whole period went by without a message.</summary>
    Heartbeat,
}

/// <summary>What the server's agent channel tells one container instance about.</summary>
public static class AgentAssignments
{
    /// <summary>
    /// Every task on the instance that is not STOPPED yet, with the revision it runs: the agent starts what
    /// it does not run yet and stops what is desired STOPPED. Tasks whose revision is gone are left out.
    /// </summary>
    public static IReadOnlyList<(TaskRecord Task, TaskDefinition Definition)> For(EcsState state, string containerInstanceArn)
    {
        var assignments = new List<(TaskRecord, TaskDefinition)>();
        foreach (var task in state.LiveTasksOn(containerInstanceArn))
        {
            if (task.LastStatus != EcsTaskStatus.Stopped && TaskResources.DefinitionOf(state, task) is { } definition)
            {
                assignments.Add((task, definition));
            }
        }

        return assignments;
    }

    /// <summary>
    /// The channel's next write after a wake (a commit) or a quiet period, given what it told the agent so far
    /// (<paramref name="sent"/>: each task's ARN and the desired status it was sent with; null before the first message):
    /// <list type="bullet">
    /// <item>the first message carries every assignment (the agent adopts and cleans up by it);</item>
    /// <item>later ones only the tasks that are new or whose desired status changed: the agent's own reports change
    /// a task but nothing it acts on, so they are never echoed back, and a busy instance is not sent its whole
    /// set on every RunTask;</item>
    /// <item>with nothing to send, a heartbeat once <paramref name="heartbeat"/> has passed since the
    /// <paramref name="lastWrite"/>, else nothing.</item>
    /// </list>
    /// </summary>
    public static ChannelStep NextWrite(IReadOnlyList<(TaskRecord Task, TaskDefinition Definition)> assignments, IReadOnlyDictionary<string, string>? sent, DateTimeOffset now, DateTimeOffset lastWrite, TimeSpan heartbeat)
    {
        var changed = sent is null
            ? assignments
            : [.. assignments.Where(a => !sent.TryGetValue(a.Task.TaskArn, out var desired) || desired != Desired(a.Task))];
        if (sent is null || changed.Count > 0)
        {
            return new ChannelStep(ChannelWrite.Assignments, changed, Told(assignments));
        }

        // Tasks that left the instance (reported STOPPED) need no message; they are only forgotten.
        var kept = sent.Count == assignments.Count ? sent : Told(assignments);
        return new ChannelStep(now - lastWrite >= heartbeat ? ChannelWrite.Heartbeat : ChannelWrite.Nothing, [], kept);
    }

    private static string Desired(TaskRecord task) => WireText.Of(task.AgentDesiredStatus);

    private static Dictionary<string, string> Told(IReadOnlyList<(TaskRecord Task, TaskDefinition Definition)> assignments)
        => assignments.ToDictionary(a => a.Task.TaskArn, a => Desired(a.Task), StringComparer.Ordinal);
}

/// <summary>One step of an agent channel: what to write, the tasks it carries, and what the agent has been told after it.</summary>
public sealed record ChannelStep(ChannelWrite Write, IReadOnlyList<(TaskRecord Task, TaskDefinition Definition)> Tasks, IReadOnlyDictionary<string, string> Sent);
