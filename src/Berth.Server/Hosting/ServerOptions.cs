using Berth.Docker;
using Berth.Server.Credentials;

namespace Berth.Server.Hosting;

/// <summary>
/// How <c>berth server</c> runs: the one options model of the server process, bound from its command line and
/// environment and validated by <c>berth</c> before the server starts. Defaults are the documented ones.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>The documented default port.</summary>
    public const int DefaultPort = 4580;

    /// <summary>The documented default account id.</summary>
    public const string DefaultAccountId = "000000000000";

    /// <summary>The documented default region.</summary>
    public const string DefaultRegion = "us-east-1";

    /// <summary>The largest request body accepted (1 MiB); larger ones get 413.</summary>
    public const long DefaultMaxBodyBytes = 1024 * 1024;

    /// <summary>Port to listen on.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>Address to listen on (loopback unless told otherwise).</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>Where state lives (SQLite file, generated credentials).</summary>
    public required string DataDir { get; init; }

    /// <summary>The PostgreSQL database several servers share (<c>--database</c>); null: SQLite files in the data dir.</summary>
    public string? Database { get; init; }

    /// <summary>With <see cref="Database"/>: how long a server leads the controllers without renewing (<c>--leader-lease</c>).</summary>
    public TimeSpan LeaderLease { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Where the registry keeps blobs (<c>--registry-blobs</c>); null: <c>DATA_DIR/registry</c>.</summary>
    public string? RegistryBlobDir { get; init; }

    /// <summary>The account id that goes into ARNs.</summary>
    public string AccountId { get; init; } = DefaultAccountId;

    /// <summary>The root key pair chosen by the user (<c>BERTH_ACCESS_KEY_ID</c>/<c>BERTH_SECRET_ACCESS_KEY</c>); null: generated and kept in the data dir.</summary>
    public StoredKeyPair? RootKeys { get; init; }

    /// <summary>Largest request body accepted.</summary>
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>Largest body of a CloudWatch Logs request (a full PutLogEvents batch, JSON-encoded).</summary>
    public const long LogsMaxBodyBytes = 8 * 1024 * 1024;

    /// <summary>The region of the <c>default</c> cluster and the in-process agent.</summary>
    public string Region { get; init; } = DefaultRegion;

    /// <summary>Run an agent for the local Docker Engine in process, registered in the <c>default</c> cluster.</summary>
    public bool LocalAgent { get; init; } = true;

    /// <summary>Run a FARGATE capacity agent for the local Docker Engine in process (cluster <c>berth-fargate</c>).</summary>
    public bool FargateCapacity { get; init; } = true;

    /// <summary>The FARGATE capacity agent's introspection port: its own, beside the local agent's (0: not served).</summary>
    public const int DefaultFargateIntrospectionPort = 51680;

    /// <summary>The FARGATE capacity agent's task metadata port (0: not served).</summary>
    public const int DefaultFargateMetadataPort = 51681;

    /// <summary>The local agent's introspection port (0: not served).</summary>
    public int IntrospectionPort { get; init; } = Berth.Agent.Runtime.AgentOptions.DefaultIntrospectionPort;

    /// <summary>The local agent's task metadata port (0: not served).</summary>
    public int MetadataPort { get; init; } = Berth.Agent.Runtime.AgentOptions.DefaultMetadataPort;

    /// <summary>CPU units the FARGATE capacity agent offers (null: 1024 per core of the host).</summary>
    public int? FargateCpu { get; init; }

    /// <summary>MiB of memory the FARGATE capacity agent offers (null: the host's memory).</summary>
    public int? FargateMemoryMiB { get; init; }

    /// <summary>How often on-demand FARGATE service tasks waiting for room are looked for, to interrupt FARGATE_SPOT tasks.</summary>
    public TimeSpan SpotPressureInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The external Auto Scaling provisioner: a command Berth runs with <c>launch ...</c> and <c>terminate ...</c>
    /// (null: each instance is an agent inside the server for the local Docker Engine).
    /// </summary>
    public string? AsgProvisionerCommand { get; init; }

    /// <summary>How often the Auto Scaling provisioner compares each group with its desired capacity.</summary>
    public TimeSpan AsgInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a task waits in PROVISIONING for an Auto Scaling group provider's scale-out before it is stopped.</summary>
    public TimeSpan TaskProvisioningTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The default of <see cref="RegistryMaxUploads"/>.</summary>
    public const int DefaultRegistryMaxUploads = 100;

    /// <summary>How long a registry layer upload nobody uses is kept before it is removed.</summary>
    public TimeSpan RegistryUploadExpiry { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How many layer uploads one registry repository may have in flight.</summary>
    public int RegistryMaxUploads { get; init; } = DefaultRegistryMaxUploads;

    /// <summary>The FARGATE capacity agent's introspection port (0: not served).</summary>
    public int FargateIntrospectionPort { get; init; } = DefaultFargateIntrospectionPort;

    /// <summary>The FARGATE capacity agent's task metadata port (0: not served).</summary>
    public int FargateMetadataPort { get; init; } = DefaultFargateMetadataPort;

    /// <summary>The Docker Engine of the in-process agents.</summary>
    public string DockerHost { get; init; } = DockerClient.DefaultHost;

    /// <summary>The named timeouts of the in-process agents' Docker calls.</summary>
    public DockerTimeouts DockerTimeouts { get; init; } = DockerTimeouts.Default;

    /// <summary>How long an agent may stay disconnected before its tasks are stopped as lost.</summary>
    public TimeSpan AgentLostAfter { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>How long stopped tasks (and INACTIVE services, client tokens) stay visible before they expire.</summary>
    public TimeSpan StoppedTaskRetention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The service scheduler runs a pass at least this often, even when nothing changed.</summary>
    public TimeSpan ServiceResync { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After a change the service scheduler waits this long for more before its pass.</summary>
    public TimeSpan ServiceDebounce { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How often expired log events (retention policies) are deleted.</summary>
    public TimeSpan LogsRetentionSweep { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The default of <see cref="LoadBalancerAddresses"/>: on loopback, which Linux routes as a whole to <c>lo</c>.</summary>
    public static readonly System.Net.IPNetwork DefaultLoadBalancerAddresses = System.Net.IPNetwork.Parse("127.1.0.0/16");

    /// <summary>Where load balancers listen: each takes the next address of this network as its own (and as its DNSName).</summary>
    public System.Net.IPNetwork LoadBalancerAddresses { get; init; } = DefaultLoadBalancerAddresses;

    /// <summary>How often the data plane is rebuilt from the load balancing state even without a change (instance targets whose host became known).</summary>
    public TimeSpan LoadBalancerResync { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>CloudWatch's metric period, 60 s.</summary>
    public static readonly TimeSpan DefaultMetricPeriod = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The metric period (<c>BERTH_METRIC_PERIOD_SECONDS</c>): how often the in-process agents sample their tasks'
    /// containers and the storage period of every metric. CloudWatch's 60 s unless shortened; it divides 60.
    /// </summary>
    public TimeSpan MetricPeriod { get; init; } = DefaultMetricPeriod;

    /// <summary>How long an EventBridge <c>rate()</c> minute lasts (60 s; tests shorten it).</summary>
    public TimeSpan EventsRateMinute { get; init; } = TimeSpan.FromMinutes(1);
}
