namespace Berth.Docker;

/// <summary>
/// The Docker Engine operations the Berth agent uses. <see cref="DockerClient"/> implements it on the engine API;
/// tests of the agent substitute a fake. Failures surface as <see cref="DockerException"/> and its subtypes.
/// </summary>
public interface IDockerEngine
{
    Task<DockerVersion> VersionAsync(CancellationToken cancellationToken = default);

    /// <summary>Throws <see cref="DockerUnavailableException"/> when the engine does not answer.</summary>
    Task PingAsync(CancellationToken cancellationToken = default);

    // Images

    /// <summary>Pulls <paramref name="image"/> (<c>repo[:tag|@digest]</c>, <c>:latest</c> implied) and reads the progress stream to its end.</summary>
    Task PullImageAsync(string image, RegistryAuth? auth = null, CancellationToken cancellationToken = default);

    /// <summary>Makes an image from a root filesystem tar (<c>POST /images/create?fromSrc=-</c>), with Dockerfile-style <paramref name="changes"/>.</summary>
    Task ImportImageAsync(Stream rootfsTar, string repository, string tag, IReadOnlyList<string>? changes = null, CancellationToken cancellationToken = default);

    Task<ImageInspect> InspectImageAsync(string image, CancellationToken cancellationToken = default);

    Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken = default);

    Task RemoveImageAsync(string image, bool force = false, CancellationToken cancellationToken = default);

    // Containers

    /// <summary>Creates a container and returns its id.</summary>
    Task<string> CreateContainerAsync(string name, ContainerSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Starts a container; starting a running container is a no-op.</summary>
    Task StartContainerAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Waits until the container is not running and returns its exit code. Unbounded unless <see cref="DockerTimeouts.WaitContainer"/> is set.</summary>
    Task<int> WaitContainerAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Sends the stop signal, waits up to <paramref name="timeoutSeconds"/>, then SIGKILL. Stopping a stopped container is a no-op.</summary>
    Task StopContainerAsync(string id, int timeoutSeconds, CancellationToken cancellationToken = default);

    /// <summary>Sends <paramref name="signal"/>; a container that is not running gives <see cref="DockerConflictException"/>.</summary>
    Task KillContainerAsync(string id, string signal = "SIGKILL", CancellationToken cancellationToken = default);

    Task<ContainerInspect> InspectContainerAsync(string id, CancellationToken cancellationToken = default);

    Task RemoveContainerAsync(string id, bool force = false, bool removeVolumes = false, CancellationToken cancellationToken = default);

    /// <summary>Lists containers carrying all the labels (<c>key</c> → value, or null for "has the key").</summary>
    Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(IReadOnlyDictionary<string, string?>? labelFilters = null, bool all = true, CancellationToken cancellationToken = default);

    /// <summary>The container's stdout/stderr lines (non-TTY containers). With <paramref name="follow"/> the sequence ends when the container stops or the token is cancelled.</summary>
    IAsyncEnumerable<LogLine> ContainerLogsAsync(string id, DateTimeOffset? since = null, int? tail = null, bool follow = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// The container's lines with Docker's timestamps (<c>timestamps=1</c>), from <paramref name="sinceUnixNanos"/> on
    /// (inclusive, nanosecond precision). With <paramref name="follow"/> the sequence ends when the container stops.
    /// </summary>
    IAsyncEnumerable<TimedLogLine> ContainerTimedLogsAsync(string id, long? sinceUnixNanos = null, bool follow = false, CancellationToken cancellationToken = default)
        => throw new NotSupportedException("This engine does not read timed logs.");

    /// <summary>
    /// Attaches to the container's stdout and stderr and yields the size of each piece of output as the container writes
    /// it (<paramref name="tty"/>: the stream is raw rather than multiplexed). Docker holds a container whose attached
    /// reader has fallen about a megabyte behind, so a slow reader throttles it. Ends when the container stops.
    /// </summary>
    IAsyncEnumerable<int> AttachOutputAsync(string id, bool tty, CancellationToken cancellationToken = default)
        => throw new NotSupportedException("This engine does not attach.");

    /// <summary>One resource sample (no streaming).</summary>
    Task<ContainerStats> ContainerStatsAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Docker's own stats JSON for one sample (<c>stream=false</c>: with <c>precpu_stats</c> a second earlier), as the engine sent it.</summary>
    Task<byte[]> ContainerStatsJsonAsync(string id, CancellationToken cancellationToken = default)
        => throw new NotSupportedException("This engine does not serve raw stats.");

    // Events

    /// <summary>
    /// The engine's event stream, e.g. filters <c>{"type": ["container"], "label": ["k=v"], "event": ["die", "oom"]}</c>.
    /// Without <paramref name="until"/> it runs until the token is cancelled.
    /// </summary>
    IAsyncEnumerable<DockerEvent> EventsAsync(IReadOnlyDictionary<string, IReadOnlyList<string>>? filters = null, DateTimeOffset? since = null, DateTimeOffset? until = null, CancellationToken cancellationToken = default);

    // Networks

    /// <summary>Creates a network and returns its id.</summary>
    Task<string> CreateNetworkAsync(NetworkSpec spec, CancellationToken cancellationToken = default);

    Task<NetworkInspect> InspectNetworkAsync(string idOrName, CancellationToken cancellationToken = default);

    Task ConnectNetworkAsync(string network, string container, IReadOnlyList<string>? aliases = null, CancellationToken cancellationToken = default);

    Task DisconnectNetworkAsync(string network, string container, bool force = false, CancellationToken cancellationToken = default);

    Task RemoveNetworkAsync(string idOrName, CancellationToken cancellationToken = default);

    // Volumes

    /// <summary>Creates a volume (idempotent for an existing name with the same driver).</summary>
    Task<VolumeInfo> CreateVolumeAsync(VolumeSpec spec, CancellationToken cancellationToken = default);

    Task<VolumeInfo> InspectVolumeAsync(string name, CancellationToken cancellationToken = default);

    Task RemoveVolumeAsync(string name, bool force = false, CancellationToken cancellationToken = default);
}
