using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Agent.Client;
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
public sealed class LogsClient(HttpClient http, ServerEndpoints endpoint, string region, SigningCredential credential, TimeProvider time)
{
    private static readonly WireJsonContext Json = WireJsonContext.Default;

    private readonly AwsJsonClient _client = new(http, endpoint, region, WireOperations.SigningName, credential, time, (status, type, message) => new LogsClientException(status, type, message));

    /// <summary>The region the calls are signed for (the group's region).</summary>
    public string Region => _client.Region;

    /// <summary>PutLogEvents.</summary>
    public Task<PutLogEventsResponse> PutLogEventsAsync(PutLogEventsRequest request, CancellationToken cancellationToken)
        => CallAsync("PutLogEvents", request, Json.PutLogEventsRequest, Json.PutLogEventsResponse, cancellationToken);

    /// <summary>
    /// PutLogEvents of a shipper's batch, its body written straight from the events: the request objects the
    /// serializer would walk cost more than the writing itself at tens of thousands of events a second.
    /// </summary>
    public Task<PutLogEventsResponse> PutLogEventsAsync(string group, string stream, string? sequenceToken, IReadOnlyList<ShipEvent> events, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (events.Count * 48));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("logGroupName"u8, group);
            writer.WriteString("logStreamName"u8, stream);
            if (sequenceToken is not null)
            {
                writer.WriteString("sequenceToken"u8, sequenceToken);
            }

            writer.WriteStartArray("logEvents"u8);
            foreach (var e in events)
            {
                writer.WriteStartObject();
                writer.WriteNumber("timestamp"u8, e.TimestampMs);
                writer.WriteString("message"u8, e.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return _client.CallAsync(WireOperations.TargetPrefix + ".PutLogEvents", buffer.WrittenMemory, Json.PutLogEventsResponse, cancellationToken);
    }

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
    public Task<TOut> CallAsync<TIn, TOut>(string operation, TIn input, JsonTypeInfo<TIn> inputInfo, JsonTypeInfo<TOut> outputInfo, CancellationToken cancellationToken)
        => _client.CallAsync(WireOperations.TargetPrefix + "." + operation, input, inputInfo, outputInfo, cancellationToken);
}
