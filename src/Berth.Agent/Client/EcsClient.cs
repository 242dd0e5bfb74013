using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Ecs.Model;
using Berth.Ecs.Model.Agent;
using Berth.Protocol.Auth;

namespace Berth.Agent.Client;

/// <summary>An ECS API error the server answered with (its <c>__type</c> and message).</summary>
public sealed class EcsClientException(int status, string errorType, string message) : Exception($"{errorType}: {message}")
{
    /// <summary>HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The <c>__type</c>.</summary>
    public string ErrorType { get; } = errorType;
}

/// <summary>
/// The agent's ECS client: AWS JSON 1.1 calls signed with SigV4, exactly as the AWS SDKs make them,
/// and the agent channel (a signed GET whose body is a stream of newline-delimited JSON messages).
/// </summary>
public sealed class EcsClient(HttpClient http, ServerEndpoints endpoint, string region, SigningCredential credential, TimeProvider time)
{
    private readonly AwsJsonClient _client = new(http, endpoint, region, "ecs", credential, time, (status, type, message) => new EcsClientException(status, type, message));

    /// <summary>Calls one ECS operation.</summary>
    public Task<TOut> CallAsync<TIn, TOut>(string operation, TIn input, JsonTypeInfo<TIn> inputInfo, JsonTypeInfo<TOut> outputInfo, CancellationToken cancellationToken)
        => _client.CallAsync(WireOperations.TargetPrefix + "." + operation, input, inputInfo, outputInfo, cancellationToken);

    /// <summary>Calls one of Berth's own agent operations by its full target (<c>BerthAgentV1.*</c>), signed for <c>ecs</c> like the rest.</summary>
    public Task<TOut> CallTargetAsync<TIn, TOut>(string target, TIn input, JsonTypeInfo<TIn> inputInfo, JsonTypeInfo<TOut> outputInfo, CancellationToken cancellationToken)
        => _client.CallAsync(target, input, inputInfo, outputInfo, cancellationToken);

    /// <summary>Opens the agent channel of <paramref name="containerInstanceArn"/> and yields its messages until it ends.</summary>
    public async IAsyncEnumerable<AgentChannelMessage> ChannelAsync(string cluster, string containerInstanceArn, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = "cluster=" + Uri.EscapeDataString(cluster) + "&containerInstance=" + Uri.EscapeDataString(containerInstanceArn);
        using var response = await _client.GetAsync("/_berth/agent/v1/channel", query, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0 && JsonSerializer.Deserialize(line, AgentJsonContext.Default.AgentChannelMessage) is { } message)
            {
                yield return message;
            }
        }
    }

    /// <summary>A signed POST (no body) of one of the server's own JSON endpoints (e.g. <c>/_berth/spot/interrupt</c>); the body as text.</summary>
    public Task<string> PostAsync(string path, string query, CancellationToken cancellationToken) => _client.PostAsync(path, query, cancellationToken);

    /// <summary>A signed GET of one of the server's own JSON endpoints (e.g. <c>/_berth/metering</c>); the body as text.</summary>
    public async Task<string> GetAsync(string path, string query, CancellationToken cancellationToken)
    {
        using var response = await _client.GetAsync(path, query, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return System.Text.Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }
}
