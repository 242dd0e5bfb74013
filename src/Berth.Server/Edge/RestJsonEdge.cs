using System.Buffers;
using Berth.Protocol.Auth;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;
using Berth.Protocol.RestJson;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Edge;

/// <summary>
/// The HTTP edge of the rest-json services (EventBridge Scheduler): a request whose SigV4 credential scope names one of
/// them. Reads the body (bounded), verifies SigV4, finds the operation by method and URI template, binds its input from
/// the body, path and query, and answers JSON; errors as rest-json sends them (<c>x-amzn-ErrorType</c> and
/// <c>{"Message": ...}</c>, with the status the model gives the error).
/// </summary>
public sealed class RestJsonEdge(RestJsonDispatchTable table, SigV4Verifier verifier, string accountId, long maxBodyBytes, ILogger<RestJsonEdge> logger)
{
    private const string ContentType = "application/json";

    private static readonly EdgeCodes Codes = new("RequestEntityTooLargeException", "SerializationException", "InternalServerException");

    /// <summary>The rest-json service <paramref name="http"/> is signed for, if any: everything else stays with the other edges.</summary>
    public bool TryAccept(HttpContext http, out string service)
    {
        service = QueryEdge.ScopeService(http.Request.Headers.Authorization.ToString()) ?? "";
        return table.HasService(service);
    }

    /// <summary>Handles one request <see cref="TryAccept"/> took.</summary>
    public Task HandleAsync(HttpContext http, string service)
    {
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        var name = $"{http.Request.Method} {http.Request.Path}";
        return EdgeFrame.RunAsync(http, maxBodyBytes, Codes, logger, () => name, async body =>
        {
            var identity = verifier.Verify(EdgeFrame.ToSigV4Request(http, body));
            identity.RequireService(service);
            var rawTarget = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.ToString();
            var question = rawTarget.IndexOf('?', StringComparison.Ordinal);
            var rawPath = question < 0 ? rawTarget : rawTarget[..question];
            if (!table.TryMatch(service, http.Request.Method, rawPath, out var operation, out var labels, out var pathKnown))
            {
                throw new AwsException("UnknownOperationException", pathKnown
                    ? $"The method {http.Request.Method} is not allowed on {rawPath}."
                    : $"No operation at {http.Request.Method} {rawPath}.", pathKnown ? 405 : 404);
            }

            name = operation.Name;
            var query = RestJsonDispatchTable.ParseQuery(question < 0 ? string.Empty : rawTarget[(question + 1)..]);
            var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var context = new RequestContext(identity.Region, accountId, identity.PrincipalArn, requestId) { Cancellation = http.RequestAborted };
            var response = await operation.Invoke(context, new RestRequest(labels, query, headers), body);
            http.Response.StatusCode = operation.SuccessCode;
            http.Response.ContentType = ContentType;
            http.Response.ContentLength = response.Length;
            await http.Response.Body.WriteAsync(response, http.RequestAborted);
        }, (status, type, message) => WriteErrorAsync(http, status, type, message));
    }

    /// <summary>Writes a rest-json error: the type in <c>x-amzn-ErrorType</c>, the body <c>{"Message": ...}</c>.</summary>
    public static async Task WriteErrorAsync(HttpContext http, int status, string type, string message)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("Message", message);
            writer.WriteEndObject();
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = ContentType;
        http.Response.Headers["x-amzn-ErrorType"] = type;
        http.Response.ContentLength = buffer.WrittenCount;
        await http.Response.Body.WriteAsync(buffer.WrittenMemory);
    }
}
