using System.Collections;

namespace Berth.Cli.Settings;

/// <summary>
/// The process environment, read once at start: every variable any Berth process looks at is named here and nowhere
/// else (the commands take their defaults from it), so a test hands in a dictionary instead.
/// </summary>
public sealed class BerthEnvironment(IReadOnlyDictionary<string, string?> variables, string home)
{
    /// <summary>The variables of this process and the user's home directory.</summary>
    public static BerthEnvironment FromProcess()
        => new(
            Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal),
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The user's home directory (the default data dir is <c>~/.berth</c>).</summary>
    public string Home { get; } = home;

    /// <summary><c>BERTH_DATA_DIR</c>: the server's data dir when <c>--data-dir</c> is not given.</summary>
    public string? DataDir => Get("BERTH_DATA_DIR");

    /// <summary><c>BERTH_DATABASE_URL</c>: the PostgreSQL database several servers share, when <c>--database</c> is not given.</summary>
    public string? DatabaseUrl => Get("BERTH_DATABASE_URL");

    /// <summary><c>BERTH_ACCOUNT_ID</c>: the account id in ARNs (12 digits).</summary>
    public string? AccountId => Get("BERTH_ACCOUNT_ID");

    /// <summary><c>BERTH_REGION</c>, else <c>AWS_DEFAULT_REGION</c>: the region of the <c>default</c> cluster and the agents.</summary>
    public string? Region => Get("BERTH_REGION") ?? Get("AWS_DEFAULT_REGION");

    /// <summary>The name of the variable <see cref="Region"/> came from, for messages.</summary>
    public string RegionVariable => Get("BERTH_REGION") is not null ? "BERTH_REGION" : "AWS_DEFAULT_REGION";

    /// <summary><c>DOCKER_HOST</c>: the Docker Engine when <c>--docker-host</c> is not given.</summary>
    public string? DockerHost => Get("DOCKER_HOST");

    /// <summary><c>BERTH_ACCESS_KEY_ID</c>: the server's root access key, chosen by the user.</summary>
    public string? RootAccessKeyId => Get("BERTH_ACCESS_KEY_ID");

    /// <summary><c>BERTH_SECRET_ACCESS_KEY</c>: the matching secret.</summary>
    public string? RootSecretAccessKey => Get("BERTH_SECRET_ACCESS_KEY");

    /// <summary><c>BERTH_METRIC_PERIOD_SECONDS</c>: the server's metric period (CloudWatch's 60 s unless shortened).</summary>
    public string? MetricPeriodSeconds => Get("BERTH_METRIC_PERIOD_SECONDS");

    /// <summary><c>BERTH_JOIN_TOKEN</c>: the join token an agent joins with when <c>--join-token</c> is not given.</summary>
    public string? JoinToken => Get("BERTH_JOIN_TOKEN");

    /// <summary><c>AWS_ACCESS_KEY_ID</c>: what an agent or <c>berth metering</c> signs with.</summary>
    public string? AwsAccessKeyId => Get("AWS_ACCESS_KEY_ID");

    /// <summary><c>AWS_SECRET_ACCESS_KEY</c>: the matching secret.</summary>
    public string? AwsSecretAccessKey => Get("AWS_SECRET_ACCESS_KEY");

    /// <summary><c>AWS_SESSION_TOKEN</c>: the session token of temporary credentials, if any.</summary>
    public string? AwsSessionToken => Get("AWS_SESSION_TOKEN");

    // An empty variable counts as unset, as it always has.
    private string? Get(string name) => variables.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;
}
