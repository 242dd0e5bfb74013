using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Logs.Model;
using Berth.Protocol.Auth;

namespace Berth.Agent.Logs;

/// <summary>A CloudWatch Logs error the server answered with.</summary>
public sealed class LogsClientException(int status, string errorType, string message) : Exception($"{errorType}: {message}")
{
    /// <summary>HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The <c>__type</c>.</summary>
    public string ErrorType { get; } = errorType;
}

/// <summary>The agent's CloudWatch Logs client: AWS JSON 1.1 calls signed with SigV4 for service <c>logs</c>, as the SDKs make them.</summary>
public sealed class LogsClient(HttpClient http, Uri endpoint, string region, SigningCredential credential, TimeProvider time)
{
    private static readonly WireJsonContext Json = WireJsonContext.Default;

    /// <summary>The region the calls are signed for (the group's region).</summary>
    public string Region => region;

    /// <summary>PutLogEvents.</summary>
    public Task<PutLogEventsResponse> PutLogEventsAsync(PutLogEventsRequest request, CancellationToken cancellationToken)
        => CallAsync("PutLogEvents", request, Json.PutLogEventsRequest, Json.PutLogEventsResponse, cancellationToken);

    /// <summary>CreateLogGroup.</summary>
    public Task CreateLogGroupAsync(string group, CancellationToken cancellationToken)
        => CallAsync("CreateLogGroup", new CreateLogGroupRequest { LogGroupName = group }, Json.CreateLogGroupRequest, EmptyResultJsonContext.Default.EmptyResult, cancellationToken);

    /// <summary>CreateLogStream.</summary>
    public Task CreateLogStreamAsync(string group, string stream, CancellationToken cancellationToken)
        => CallAsync("CreateLogStream", new CreateLogStreamRequest { LogGroupName = group, LogStreamName = stream }, Json.CreateLogStreamRequest, EmptyResultJsonContext.Default.EmptyResult, cancellationToken);

    /// <summary>Whether the group exists (DescribeLogGroups by identifier).</summary>
    public async Task<bool> GroupExistsAsync(string group, CancellationToken cancellationToken)
    {
        var answer = await CallAsync("DescribeLogGroups", new DescribeLogGroupsRequest { LogGroupIdentifiers = [group] }, Json.DescribeLogGroupsRequest, Json.DescribeLogGroupsResponse, cancellationToken);
        return answer.LogGroups?.Any(g => g.LogGroupName == group) == true;
    }

    /// <summary>Calls one operation.</summary>
    public async Task<TOut> CallAsync<TIn, TOut>(string operation, TIn input, JsonTypeInfo<TIn> inputInfo, JsonTypeInfo<TOut> outputInfo, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(input, inputInfo);
        var target = WireOperations.TargetPrefix + "." + operation;
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        List<KeyValuePair<string, string>> headers = [new("X-Amz-Target", target), new("Content-Type", "application/x-amz-json-1.1"), new("Host", endpoint.Authority)];
        foreach (var (name, value) in SigV4Signer.SignHeaders("POST", "/", string.Empty, headers, body, region, WireOperations.SigningName, credential, time.GetUtcNow()))
        {
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Amz-Security-Token", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        using var response = await http.SendAsync(request, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Error((int)response.StatusCode, bytes);
        }

        return JsonSerializer.Deserialize(bytes, outputInfo)!;
    }

    private static LogsClientException Error(int status, byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var type = document.RootElement.TryGetProperty("__type", out var t) ? t.GetString() : null;
            var message = document.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
            return new LogsClientException(status, type ?? "Unknown", message ?? string.Empty);
        }
        catch (JsonException)
        {
            return new LogsClientException(status, "Unknown", $"HTTP {status}");
        }
    }
}
