namespace Berth.Server.Hosting;

/// <summary>How <c>berth server</c> runs. Defaults are the documented ones.</summary>
public sealed record ServerOptions
{
    /// <summary>The documented default port.</summary>
    public const int DefaultPort = 4580;

    /// <summary>The documented default account id.</summary>
    public const string DefaultAccountId = "000000000000";

    /// <summary>The largest request body accepted (1 MiB); larger ones get 413.</summary>
    public const long DefaultMaxBodyBytes = 1024 * 1024;

    /// <summary>Port to listen on.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>Address to listen on (loopback unless told otherwise).</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>Where state lives (SQLite file, generated credentials).</summary>
    public required string DataDir { get; init; }

    /// <summary>The account id that goes into ARNs.</summary>
    public string AccountId { get; init; } = DefaultAccountId;

    /// <summary>Largest request body accepted.</summary>
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>The region of the <c>default</c> cluster and the in-process agent.</summary>
    public string Region { get; init; } = DefaultRegion();

    /// <summary>Run an agent for the local Docker Engine in process, registered in the <c>default</c> cluster.</summary>
    public bool LocalAgent { get; init; } = true;

    /// <summary>Run a FARGATE capacity agent for the local Docker Engine in process (cluster <c>berth-fargate</c>).</summary>
    public bool FargateCapacity { get; init; } = true;

    /// <summary>The Docker Engine of the in-process agent.</summary>
    public string DockerHost { get; init; } = "unix:///var/run/docker.sock";

    /// <summary>How long an agent may stay disconnected before its tasks are stopped as lost.</summary>
    public TimeSpan AgentLostAfter { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>How long stopped tasks (and INACTIVE services, client tokens) stay visible before they expire.</summary>
    public TimeSpan StoppedTaskRetention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The region used when a request carries none of its own: <c>$BERTH_REGION</c>, <c>$AWS_DEFAULT_REGION</c>, else us-east-1.</summary>
    public static string DefaultRegion()
        => Environment.GetEnvironmentVariable("BERTH_REGION") is { Length: > 0 } region ? region
            : Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") is { Length: > 0 } aws ? aws : "us-east-1";

    /// <summary>The default data dir: <c>$BERTH_DATA_DIR</c>, else <c>~/.berth</c>.</summary>
    public static string DefaultDataDir()
        => Environment.GetEnvironmentVariable("BERTH_DATA_DIR") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".berth");
}
