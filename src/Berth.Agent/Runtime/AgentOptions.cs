using Berth.Agent.Client;
using Berth.Protocol.Auth;

namespace Berth.Agent.Runtime;

/// <summary>How an agent runs: where its server is, what it is called, and its documented time limits.</summary>
public sealed record AgentOptions
{
    /// <summary>The cluster to register in (name or ARN).</summary>
    public required string Cluster { get; init; }

    /// <summary>The Berth server, e.g. <c>http://127.0.0.1:4580</c>.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>
    /// Every server the agent may use (several servers sharing one database), <see cref="Endpoint"/> first; the agent
    /// moves to the next when its server cannot be reached. Just <see cref="Endpoint"/> when not set.
    /// </summary>
    public Berth.Agent.Client.ServerEndpoints? Servers { get; init; }

    /// <summary>The region the agent's requests are signed for.</summary>
    public required string Region { get; init; }

    /// <summary>The credentials the agent signs with.</summary>
    public required SigningCredential Credential { get; init; }

    /// <summary>The agent's own state (its identity), so a restart is the same instance.</summary>
    public required string DataDir { get; init; }

    /// <summary>Docker Engine to use.</summary>
    public string DockerHost { get; init; } = Berth.Docker.DockerClient.DefaultHost;

    /// <summary>The <c>ecs.availability-zone</c> attribute.</summary>
    public string AvailabilityZone { get; init; } = "local-1a";

    /// <summary>The <c>ecs.instance-type</c> attribute.</summary>
    public string InstanceType { get; init; } = "berth.local";

    /// <summary>Custom attributes (<c>--attribute name=value</c>).</summary>
    public IReadOnlyDictionary<string, string?> Attributes { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// Whether the identity in the data dir is the only one the agent may have (an Auto Scaling instance's agent): once
    /// its container instance is deregistered it keeps trying that identity, never joining as a new instance, until
    /// whoever runs it stops it.
    /// </summary>
    public bool KeepIdentity { get; init; }

    /// <summary>Address host ports are bound on.</summary>
    public string HostIp { get; init; } = "127.0.0.1";

    /// <summary>The ECS agent's introspection port.</summary>
    public const int DefaultIntrospectionPort = 51678;

    /// <summary>The port the ECS agent serves the task metadata endpoint on (behind 169.254.170.2:80).</summary>
    public const int DefaultMetadataPort = 51679;

    /// <summary>The task metadata endpoint's port, on the Docker bridge's gateway and on loopback (0: not served).</summary>
    public int MetadataPort { get; init; } = DefaultMetadataPort;

    /// <summary>The introspection API's port (0: not served).</summary>
    public int IntrospectionPort { get; init; } = DefaultIntrospectionPort;

    /// <summary>The introspection API's address.</summary>
    public System.Net.IPAddress IntrospectionAddress { get; init; } = System.Net.IPAddress.Loopback;

    /// <summary>Ports the instance reserves (the ECS agent's defaults).</summary>
    public IReadOnlyList<int> ReservedPorts { get; init; } = [22, 2375, 2376, 51678, 51679];

    /// <summary>CPU units to register instead of the host's (1024 per core), if given.</summary>
    public int? CpuUnits { get; init; }

    /// <summary>MiB of memory to register instead of the host's, if given.</summary>
    public int? MemoryMiB { get; init; }

    /// <summary>Memory (MiB) kept back for the host and the agent.</summary>
    public int ReservedMemoryMiB { get; init; }

    /// <summary>How long stopped tasks' containers are kept before removal.</summary>
    public TimeSpan TaskCleanupWait { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>A channel silent for this long is dead (the server heartbeats every 10 s).</summary>
    public TimeSpan ChannelSilenceLimit { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the tasks' containers are sampled (Docker stats) and their use sent to the server; zero: never.</summary>
    public TimeSpan MetricPeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one call to the server (registration, a state report) may take before it counts as failed.</summary>
    public TimeSpan ServerCallTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Attempts of one state report before the reporter waits for a sign of the server (the channel back, or a newer
    /// report) to try again; a report is never dropped while its task runs on the agent.
    /// </summary>
    public int ReportAttempts { get; init; } = 8;

    /// <summary>The longest wait after the first failed call to the server; it doubles, with jitter, after each further failure.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The cap of the wait between calls to the server, and between reconnections of the channel and of Docker's event stream.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Registration: retried until it succeeds (an agent has nothing else to do), each attempt bounded.</summary>
    internal RetryPolicy RegisterRetry => new(null, RetryBaseDelay, RetryMaxDelay, ServerCallTimeout);

    /// <summary>One state report: bounded attempts, each bounded.</summary>
    internal RetryPolicy ReportRetry => new(Math.Max(1, ReportAttempts), RetryBaseDelay, RetryMaxDelay, ServerCallTimeout);

    /// <summary>The waits between reconnections of the channel and of the event stream (the attempts themselves are long-lived).</summary>
    internal RetryPolicy ReconnectRetry => new(null, RetryBaseDelay, RetryMaxDelay, Timeout.InfiniteTimeSpan);

    /// <summary>awslogs: an open multi-line event (awslogs-datetime-format / awslogs-multiline-pattern) is shipped after this long without a further line.</summary>
    public TimeSpan LogsMultilineFlush { get; init; } = TimeSpan.FromSeconds(1);
}
