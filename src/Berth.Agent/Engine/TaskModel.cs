namespace Berth.Agent.Engine;

/// <summary>
/// What the agent knows of one container, in the order it moves through them. <see cref="Stopped"/> is final.
/// </summary>
public enum ContainerStatus
{
    /// <summary>Nothing done yet.</summary>
    None,

    /// <summary>Its image is on the engine.</summary>
    Pulled,

    /// <summary>The Docker container exists.</summary>
    Created,

    /// <summary>Started and not yet exited.</summary>
    Running,

    /// <summary>Exited, stopped, or never started because the task stopped first.</summary>
    Stopped,
}

/// <summary>Container health as ECS reports it.</summary>
public enum Health
{
    /// <summary>No health check, or no result yet.</summary>
    Unknown,

    /// <summary>The health check passes.</summary>
    Healthy,

    /// <summary>The health check failed its retries.</summary>
    Unhealthy,
}

/// <summary>A <c>dependsOn</c> entry: this container waits for <paramref name="Container"/> to meet <paramref name="Condition"/>.</summary>
/// <param name="Container">The container depended upon.</param>
/// <param name="Condition">START, COMPLETE, SUCCESS or HEALTHY.</param>
public sealed record Dependency(string Container, string Condition);

/// <summary>The unchanging part of a container: what the task definition says about ordering.</summary>
/// <param name="Name">The container's name.</param>
/// <param name="Essential">Its exit stops the task.</param>
/// <param name="DependsOn">Conditions on other containers before it starts.</param>
/// <param name="HasHealthCheck">It has a health check.</param>
/// <param name="VolumesFrom">Containers whose volumes it mounts: they must exist before it is created.</param>
public sealed record ContainerPlan(string Name, bool Essential, IReadOnlyList<Dependency> DependsOn, bool HasHealthCheck, IReadOnlyList<string>? VolumesFrom = null);

/// <summary>What is known of a container right now.</summary>
/// <param name="Status">The last status reached.</param>
/// <param name="Busy">An action on it is in flight; nothing else is started for it until that action ends.</param>
/// <param name="ExitCode">Exit code once stopped after running.</param>
/// <param name="Health">Latest health check result.</param>
/// <param name="Reason">What ECS shows as the container's reason (a pull or start failure, an out-of-memory kill).</param>
/// <param name="StartFailure">It stopped without ever running because a step failed; the task then fails to start.</param>
public sealed record ContainerKnown(ContainerStatus Status, bool Busy = false, int? ExitCode = null, Health Health = Health.Unknown, string? Reason = null, bool StartFailure = false);

/// <summary>What the agent should do next for one container.</summary>
public enum ActionKind
{
    /// <summary>Pull the image.</summary>
    Pull,

    /// <summary>Create the Docker container.</summary>
    Create,

    /// <summary>Start it.</summary>
    Start,

    /// <summary>Stop it (SIGTERM, then SIGKILL after stopTimeout).</summary>
    Stop,

    /// <summary>Mark it stopped without touching Docker: it never ran, and the task is stopping.</summary>
    Abandon,
}

/// <summary>One step for one container.</summary>
public sealed record ContainerAction(string Container, ActionKind Kind);

/// <summary>The task's status as ECS shows it; the agent reports each as it is reached.</summary>
public enum TaskStatus
{
    /// <summary>Placed; network and resources being set up.</summary>
    Provisioning,

    /// <summary>Pulling images and creating containers.</summary>
    Pending,

    /// <summary>Every container that should run is running; final checks before RUNNING.</summary>
    Activating,

    /// <summary>Running.</summary>
    Running,

    /// <summary>Told to stop; about to stop containers.</summary>
    Deactivating,

    /// <summary>Stopping containers.</summary>
    Stopping,

    /// <summary>Containers stopped; tearing down the task's network and resources.</summary>
    Deprovisioning,

    /// <summary>Done.</summary>
    Stopped,
}
