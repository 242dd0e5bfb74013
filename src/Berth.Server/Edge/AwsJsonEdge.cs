using System.Buffers;
using System.Text.Json;
using Berth.Protocol.Auth;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Edge;

/// <summary>
/// The HTTP edge of every AWS JSON 1.1 service: reads the body (bounded), verifies SigV4, finds the
/// operation by <c>X-Amz-Target</c>, runs it and writes the answer or the error as AWS does.
/// </summary>
public sealed class AwsJsonEdge(DispatchTable table, SigV4Verifier verifier, string accountId, long maxBodyBytes, ILogger<AwsJsonEdge> logger)
{
    private const string ContentType = "application/x-amz-json-1.1";

    private static readonly EdgeCodes Codes = new("RequestEntityTooLargeException", "SerializationException", "ServerException");

    /// <summary>Requests whose target starts with this get <see cref="LargeBodyBytes"/> as their limit (null: none do).</summary>
    public string? LargeBodyTargetPrefix { get; init; }

    /// <summary>The body limit of <see cref="LargeBodyTargetPrefix"/>'s requests.</summary>
    public long LargeBodyBytes { get; init; }

    /// <summary>
    /// Lets a scoped key (an agent's own) through to the operations it may call, or throws; without one, the edge
    /// refuses every scoped key.
    /// </summary>
    public Action<SigV4Identity, Operation, ReadOnlyMemory<byte>>? ScopedKeys { get; init; }

    /// <summary>Handles one request to <c>POST /</c>.</summary>
    public Task HandleAsync(HttpContext http)
    {
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        var target = http.Request.Headers["X-Amz-Target"].ToString();
        var limit = LargeBodyTargetPrefix is { } large && target.StartsWith(large, StringComparison.Ordinal) ? LargeBodyBytes : maxBodyBytes;
        return EdgeFrame.RunAsync(http, limit, Codes, logger, () => target, async body =>
        {
            var request = EdgeFrame.ToSigV4Request(http, body);
            var identity = ScopedKeys is null ? verifier.Verify(request) : verifier.VerifyScoped(request);
            if (!table.TryGet(target, out var operation))
            {
                throw new AwsException("UnknownOperationException", string.IsNullOrEmpty(target) ? "Missing X-Amz-Target header." : $"The operation {target} is not recognized.");
            }

            identity.RequireService(operation.SigningName);
            if (identity.Scope is not null)
            {
                ScopedKeys!(identity, operation, body);
            }

            var context = new RequestContext(identity.Region, accountId, identity.PrincipalArn, requestId) { Cancellation = http.RequestAborted, Scope = identity.Scope };
            var response = await operation.Invoke(context, body);
            http.Response.StatusCode = 200;
            http.Response.ContentType = ContentType;
            http.Response.ContentLength = response.Length;
            await http.Response.Body.WriteAsync(response, http.RequestAborted);
        }, (status, type, message) => WriteErrorAsync(http, status, type, message));
    }

    /// <summary>Writes an AWS JSON error: <c>{"__type": ..., "message": ...}</c>.</summary>
    public static async Task WriteErrorAsync(HttpContext http, int status, string type, string message)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("__type", type);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = ContentType;
        http.Response.Headers["x-amzn-ErrorType"] = type;
        http.Response.ContentLength = buffer.WrittenCount;
        await http.Response.Body.WriteAsync(buffer.WrittenMemory);
    }
}
