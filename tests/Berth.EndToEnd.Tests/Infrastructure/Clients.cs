using System.Text.Json.Nodes;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>The real clients: the AWS CLI (v1) and boto3 scripts, pointed at one server with its credentials.</summary>
public static class Clients
{
    /// <summary>The region the clients use unless a call says otherwise.</summary>
    public const string Region = "us-east-1";

    /// <summary>The client environment: the server's key pair, the region, and nothing from the machine's AWS config.</summary>
    public static Dictionary<string, string?> Environment(BerthServer server, string region = Region)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in System.Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (name.StartsWith("AWS_", StringComparison.Ordinal) || name.StartsWith("BERTH_", StringComparison.Ordinal))
            {
                environment[name] = null;
            }
        }

        environment["AWS_ACCESS_KEY_ID"] = server.AccessKeyId;
        environment["AWS_SECRET_ACCESS_KEY"] = server.SecretAccessKey;
        environment["AWS_DEFAULT_REGION"] = region;
        environment["AWS_CONFIG_FILE"] = "/nonexistent/berth-e2e/config";
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/berth-e2e/credentials";
        environment["AWS_EC2_METADATA_DISABLED"] = "true";
        environment["AWS_MAX_ATTEMPTS"] = "1";
        environment["AWS_RETRY_MODE"] = "standard";
        environment["AWS_PAGER"] = string.Empty;
        environment["BERTH_ENDPOINT"] = server.Endpoint;
        environment["PYTHONDONTWRITEBYTECODE"] = "1";
        environment["PYTHONUNBUFFERED"] = "1";
        return environment;
    }

    /// <summary>Runs <c>aws --endpoint-url ... --output json ARGS</c>.</summary>
    public static Task<ProcessResult> AwsAsync(BerthServer server, params string[] arguments)
        => ProcessRunner.RunAsync("aws", [.. arguments, "--endpoint-url", server.Endpoint, "--output", "json"], Environment(server));

    /// <summary>Runs an <c>aws</c> command that must succeed and returns its JSON output (null when it printed nothing).</summary>
    public static async Task<JsonNode?> AwsJsonAsync(BerthServer server, params string[] arguments)
    {
        var result = await AwsAsync(server, arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return string.IsNullOrWhiteSpace(result.Stdout) ? null : JsonNode.Parse(result.Stdout);
    }

    /// <summary>Runs an <c>aws</c> command that must fail with <paramref name="errorCode"/>; returns its stderr.</summary>
    public static async Task<string> AwsErrorAsync(BerthServer server, string errorCode, string operation, params string[] arguments)
    {
        var result = await AwsAsync(server, arguments);
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains($"An error occurred ({errorCode}) when calling the {operation} operation", result.Stderr, StringComparison.Ordinal);
        return result.Stderr;
    }

    /// <summary>Runs <c>python3 scripts/NAME ARGS</c> (boto3) and parses the JSON it prints last.</summary>
    public static async Task<JsonNode> PythonAsync(BerthServer server, string script, IEnumerable<string>? arguments = null, string? stdin = null, TimeSpan? timeout = null, string region = Region)
    {
        var result = await PythonRawAsync(server, script, arguments, stdin, timeout, region);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lastLine = result.Stdout.TrimEnd().Split('\n')[^1];
        return JsonNode.Parse(lastLine) ?? throw new InvalidOperationException(result.ToString());
    }

    /// <summary>Runs a script and returns the raw process result.</summary>
    public static Task<ProcessResult> PythonRawAsync(BerthServer server, string script, IEnumerable<string>? arguments = null, string? stdin = null, TimeSpan? timeout = null, string region = Region)
        => ProcessRunner.RunAsync("python3", [Repo.OutputFile(Path.Combine("scripts", script)), .. arguments ?? []], Environment(server, region), stdin, timeout);

    /// <summary>Runs boto3 calls given as <c>[{"op": "create_cluster", "args": {...}}, ...]</c>; returns one result per call.</summary>
    public static async Task<JsonArray> OpsAsync(BerthServer server, string callsJson, string region = Region)
        => (await PythonAsync(server, "ops.py", stdin: callsJson, region: region)).AsArray();
}
