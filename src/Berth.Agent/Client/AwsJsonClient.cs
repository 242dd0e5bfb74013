using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Protocol.Auth;

namespace Berth.Agent.Client;

/// <summary>
/// Signed calls to one AWS service on Berth's endpoint, as the AWS SDKs make them: AWS JSON 1.1 posts
/// (<c>X-Amz-Target</c>) and signed GETs. What the agent's ECS and CloudWatch Logs clients share; each turns an
/// error answer into its own exception type.
/// </summary>
/// <param name="http">The HTTP client.</param>
/// <param name="endpoints">Berth's base addresses (the current one, the others when it cannot be reached).</param>
/// <param name="region">The region calls are signed for.</param>
/// <param name="signingName">The SigV4 service name (<c>ecs</c>, <c>logs</c>).</param>
/// <param name="credential">The signing credential.</param>
/// <param name="time">The clock signatures are dated by.</param>
/// <param name="error">Makes the exception of an error answer from its HTTP status, <c>__type</c> and message.</param>
public sealed class AwsJsonClient(HttpClient http, ServerEndpoints endpoints, string region, string signingName, SigningCredential credential, TimeProvider time, Func<int, string, string, Exception> error)
{
    private const string JsonContentType = "application/x-amz-json-1.1";

    /// <summary>The region calls are signed for.</summary>
    public string Region => region;

    /// <summary>Calls the operation <paramref name="target"/> (<c>PREFIX.Operation</c>) with <paramref name="input"/>.</summary>
    public Task<TOut> CallAsync<TIn, TOut>(string target, TIn input, JsonTypeInfo<TIn> inputInfo, JsonTypeInfo<TOut> outputInfo, CancellationToken cancellationToken)
        => CallAsync(target, JsonSerializer.SerializeToUtf8Bytes(input, inputInfo), outputInfo, cancellationToken);

    /// <summary>Calls the operation <paramref name="target"/> with an input already serialized to <paramref name="body"/>.</summary>
    public async Task<TOut> CallAsync<TOut>(string target, ReadOnlyMemory<byte> body, JsonTypeInfo<TOut> outputInfo, CancellationToken cancellationToken)
    {
        var endpoint = endpoints.Current;
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(JsonContentType);
        Sign(request, endpoint, "/", string.Empty, [new("X-Amz-Target", target), new("Content-Type", JsonContentType)], body.Span);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        using var response = await SendAsync(endpoint, request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Error((int)response.StatusCode, bytes);
        }

        return JsonSerializer.Deserialize(bytes, outputInfo)!;
    }

    /// <summary>A signed GET of <paramref name="path"/>?<paramref name="query"/>, its response returned once the headers are in.</summary>
    public async Task<HttpResponseMessage> GetAsync(string path, string query, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var endpoint = endpoints.Current;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, query.Length == 0 ? path : path + "?" + query));
        Sign(request, endpoint, path, query, [], []);
        var response = await SendAsync(endpoint, request, completion, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw Error((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken));
            }
        }

        return response;
    }

    /// <summary>A signed POST without a body of <paramref name="path"/>?<paramref name="query"/> (one of the server's own endpoints); the body as text.</summary>
    public async Task<string> PostAsync(string path, string query, CancellationToken cancellationToken)
    {
        var endpoint = endpoints.Current;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, query.Length == 0 ? path : path + "?" + query)) { Content = new ByteArrayContent([]) };
        Sign(request, endpoint, path, query, [], []);
        using var response = await SendAsync(endpoint, request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Error((int)response.StatusCode, bytes);
        }

        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    // A server that cannot be reached, or answers 503 (its database is away), hands later calls to the next server;
    // the caller's retry goes there.
    private async Task<HttpResponseMessage> SendAsync(Uri endpoint, HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException)
        {
            endpoints.Failed(endpoint);
            throw;
        }

        if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
        {
            endpoints.Failed(endpoint);
        }

        return response;
    }

    private void Sign(HttpRequestMessage request, Uri endpoint, string path, string query, List<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body)
    {
        headers.Add(new("Host", endpoint.Authority));
        foreach (var (name, value) in SigV4Signer.SignHeaders(request.Method.Method, path, query, headers, body, region, signingName, credential, time.GetUtcNow()))
        {
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Amz-Security-Token", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }

    // An AWS JSON error body's __type and message; a body that is not one still gives its HTTP status.
    private Exception Error(int status, byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var type = document.RootElement.TryGetProperty("__type", out var t) ? t.GetString() : null;
            var message = document.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
            return error(status, type ?? "Unknown", message ?? string.Empty);
        }
        catch (JsonException)
        {
            return error(status, "Unknown", $"HTTP {status}");
        }
    }
}
