namespace Berth.Docker;

/// <summary>
/// The named per-call timeouts of <see cref="DockerClient"/>. A call that exceeds its timeout throws
/// <see cref="DockerTimeoutException"/> naming the property. <see cref="Timeout.InfiniteTimeSpan"/> means "only the caller's token".
/// </summary>
public sealed record DockerTimeouts
{
    /// <summary>The defaults: short for metadata calls, generous for calls that do work in the engine.</summary>
    public static DockerTimeouts Default { get; } = new();

    public TimeSpan Version { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Ping { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan InspectContainer { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan ListContainers { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan CreateContainer { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan StartContainer { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Added to the stop timeout given to <see cref="IDockerEngine.StopContainerAsync"/>: the engine waits that long before SIGKILL.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan KillContainer { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RemoveContainer { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Waiting for a container to exit: unbounded by default (cancel through the token).</summary>
    public TimeSpan WaitContainer { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Reading logs without <c>follow</c>; a followed log is bounded only by the token.</summary>
    public TimeSpan Logs { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan Stats { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan PullImage { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan InspectImage { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RemoveImage { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The event stream: unbounded by default (cancel through the token).</summary>
    public TimeSpan Events { get; init; } = Timeout.InfiniteTimeSpan;

    public TimeSpan Network { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Volume { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The timeout of a stop call that lets the container take <paramref name="stopTimeoutSeconds"/> before SIGKILL.</summary>
    public TimeSpan Stop(int stopTimeoutSeconds) => TimeSpan.FromSeconds(Math.Max(0, stopTimeoutSeconds)) + StopGrace;
}
