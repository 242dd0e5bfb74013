using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.Tasks;

/// <summary>What the server's agent channel tells one container instance about.</summary>
public static class AgentAssignments
{
    /// <summary>
    /// Every task on the instance that is not STOPPED yet, with the revision it runs: the agent starts what
    /// it does not run yet and stops what is desired STOPPED. Tasks whose revision is gone are left out.
    /// </summary>
    public static IReadOnlyList<(EcsTask Task, TaskDefinition Definition)> For(EcsState state, string containerInstanceArn)
    {
        var assignments = new List<(EcsTask, TaskDefinition)>();
        foreach (var task in state.Tasks.Values)
        {
            if (task.ContainerInstanceArn == containerInstanceArn && task.LastStatus != "STOPPED" && TaskResources.DefinitionOf(state, task) is { } definition)
            {
                assignments.Add((task, definition));
            }
        }

        return assignments;
    }
}
