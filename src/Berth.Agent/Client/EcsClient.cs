using System.Net.Http.Headers;
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
public sealed class EcsClient(HttpClient http, Uri endpoint, string region, SigningCredential credential, TimeProvider time)
{
    private const string Service = "ecs";

    /// <summary>Calls one ECS operation.</summary>
    public async Task<TOut> CallAsync<TIn, TOut>(string operation, TIn input, JsonTypeInfo<TIn> inputInfo, JsonTypeInfo<TOut> outputInfo, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(input, inputInfo);
        var target = WireOperations.TargetPrefix + "." + operation;
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        Sign(request, "/", string.Empty, [new("X-Amz-Target", target), new("Content-Type", "application/x-amz-json-1.1")], body);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        using var response = await http.SendAsync(request, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Error((int)response.StatusCode, bytes);
        }

        return JsonSerializer.Deserialize(bytes, outputInfo)!;
    }

    /// <summary>Opens the agent channel of <paramref name="containerInstanceArn"/> and yields its messages until it ends.</summary>
    public async IAsyncEnumerable<AgentChannelMessage> ChannelAsync(string cluster, string containerInstanceArn, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const string path = "/_berth/agent/v1/channel";
        var query = "cluster=" + Uri.EscapeDataString(cluster) + "&containerInstance=" + Uri.EscapeDataString(containerInstanceArn);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, path + "?" + query));
        Sign(request, path, query, [], []);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Error((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken));
        }

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

    /// <summary>A signed GET of one of the server's own JSON endpoints (e.g. <c>/_berth/metering</c>); the body as text.</summary>
    public async Task<string> GetAsync(string path, string query, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, query.Length == 0 ? path : path + "?" + query));
        Sign(request, path, query, [], []);
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Error((int)response.StatusCode, body);
        }

        return System.Text.Encoding.UTF8.GetString(body);
    }

    private void Sign(HttpRequestMessage request, string path, string query, List<KeyValuePair<string, string>> headers, byte[] body)
    {
        headers.Add(new("Host", endpoint.Authority));
        var signed = SigV4Signer.SignHeaders(request.Method.Method, path, query, headers, body, region, Service, credential, time.GetUtcNow());
        foreach (var (name, value) in signed)
        {
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Amz-Security-Token", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }

    private static EcsClientException Error(int status, byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var type = document.RootElement.TryGetProperty("__type", out var t) ? t.GetString() : null;
            var message = document.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
            return new EcsClientException(status, type ?? "Unknown", message ?? string.Empty);
        }
        catch (JsonException)
        {
            return new EcsClientException(status, "Unknown", $"HTTP {status}");
        }
    }
}
