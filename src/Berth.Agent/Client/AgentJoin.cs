using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Agent.Runtime;
using Berth.Protocol.Auth;

namespace Berth.Agent.Client;

/// <summary>The key an agent got when it joined, kept in its data dir (mode 0600) so a restart is the same instance.</summary>
public sealed record AgentKey(
    [property: JsonPropertyName("accessKeyId")] string AccessKeyId,
    [property: JsonPropertyName("secretAccessKey")] string SecretAccessKey,
    [property: JsonPropertyName("cluster")] string Cluster,
    [property: JsonPropertyName("ec2InstanceId")] string Ec2InstanceId,
    [property: JsonPropertyName("principalArn")] string PrincipalArn);

[JsonSerializable(typeof(AgentKey))]
internal sealed partial class AgentKeyJson : JsonSerializerContext
{
}

/// <summary>
/// Joining with a join token (<c>ID.SECRET</c>): the token signs one request, <c>POST /_berth/agent/v1/join</c>, and the
/// server answers with a key of the agent's own, bound to its cluster and to an instance id the server chose. The key is
/// saved in the data dir and used from then on; a saved key the server no longer knows (its token was revoked) is
/// replaced by joining again.
/// </summary>
public static class AgentJoin
{
    private static readonly RetryPolicy JoinRetry = new(null, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));

    /// <summary>The file in the agent's data dir that holds its key.</summary>
    public const string FileName = "agent-key.json";

    /// <summary>Splits a token's text into the key pair that signs the join; throws <see cref="FormatException"/> when it is not one.</summary>
    public static SigningCredential ParseToken(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot != 20 || token.Length != 61 || !token.StartsWith("BJT", StringComparison.Ordinal))
        {
            throw new FormatException("A join token is ID.SECRET as `./berth join-token create` prints it (61 characters, starting with BJT).");
        }

        return new SigningCredential(token[..dot], token[(dot + 1)..], null, null, "join-token");
    }

    /// <summary>
    /// The agent's key: the saved one when the server still knows it, else a new one from joining with
    /// <paramref name="token"/>. A new key makes a new instance (the identity in agent.json takes its instance id).
    /// Retries while no server answers.
    /// </summary>
    public static async Task<SigningCredential> ResolveAsync(HttpClient http, ServerEndpoints endpoints, string region, string token, string cluster, string dataDir, TimeProvider time, CancellationToken cancellationToken)
    {
        var tokenKey = ParseToken(token);
        var path = Path.Combine(dataDir, FileName);
        var failures = 0;
        while (true)
        {
            try
            {
                if (Load(path) is { } saved && saved.Cluster == cluster && await KnownAsync(http, endpoints, region, saved, time, cancellationToken))
                {
                    return Credential(saved);
                }

                var client = new AwsJsonClient(http, endpoints, region, "ecs", tokenKey, time, (status, type, message) => new EcsClientException(status, type, message));
                // An identity made before the join (an Auto Scaling instance's id) is asked for; the server keeps it if it is free.
                var query = "cluster=" + Uri.EscapeDataString(cluster);
                if (File.Exists(Path.Combine(dataDir, "agent.json")) && AgentIdentity.LoadOrCreate(dataDir) is { ContainerInstanceArn: null } before)
                {
                    query += "&ec2InstanceId=" + Uri.EscapeDataString(before.Ec2InstanceId);
                }

                var body = await client.PostAsync("/_berth/agent/v1/join", query, cancellationToken);
                var key = JsonSerializer.Deserialize(body, AgentKeyJson.Default.AgentKey) ?? throw new InvalidDataException("The join answer was empty.");
                Save(path, key);
                new AgentIdentity(key.Ec2InstanceId, null).Save(dataDir);
                return Credential(key);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TimeoutException || ex is EcsClientException { Status: >= 500 })
            {
                // No server yet, or its database is away: the same backoff as registering.
                failures++;
                await Task.Delay(Backoff.Delay(JoinRetry, failures, Random.Shared.NextDouble()), time, cancellationToken);
            }
        }
    }

    private static SigningCredential Credential(AgentKey key) => new(key.AccessKeyId, key.SecretAccessKey, null, null, key.PrincipalArn);

    // A signed GET of the server's identity answer: an unknown key is refused as UnrecognizedClientException.
    private static async Task<bool> KnownAsync(HttpClient http, ServerEndpoints endpoints, string region, AgentKey key, TimeProvider time, CancellationToken cancellationToken)
    {
        var client = new AwsJsonClient(http, endpoints, region, "ecs", Credential(key), time, (status, type, message) => new EcsClientException(status, type, message));
        try
        {
            using var response = await client.GetAsync("/_berth/agent/v1/identity", string.Empty, HttpCompletionOption.ResponseContentRead, cancellationToken);
            return true;
        }
        catch (EcsClientException ex) when (ex.ErrorType is "UnrecognizedClientException" or "InvalidClientTokenId")
        {
            return false;
        }
    }

    private static AgentKey? Load(string path)
        => File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentKeyJson.Default.AgentKey) : null;

    // Temporary file (0600), fsync, rename: a crash leaves the old key or the new one, never half of one.
    private static void Save(string path, AgentKey key)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(JsonSerializer.SerializeToUtf8Bytes(key, AgentKeyJson.Default.AgentKey));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
