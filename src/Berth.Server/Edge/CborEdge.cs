using System.Collections.Frozen;
using Berth.Protocol.Auth;
using Berth.Protocol.Cbor;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Edge;

/// <summary>A service the Smithy RPC v2 CBOR edge answers: how its members transcode and its model's errors.</summary>
/// <param name="Members">What the JSON to CBOR transcoding needs to know of the model's members.</param>
/// <param name="Errors">Each error code (as the query protocol names it) with its shape's name and HTTP status.</param>
public sealed record CborService(CborMembers Members, FrozenDictionary<string, (string Shape, int Status)> Errors);

/// <summary>
/// The HTTP edge of Smithy RPC v2 CBOR (CloudWatch, as current botocore speaks it):
/// <c>POST /service/SERVICE/operation/OPERATION</c> with a CBOR body. Reads the body (bounded), verifies SigV4, runs
/// the operation of the AWS JSON dispatch table (<c>SERVICE.OPERATION</c>) on the body transcoded to JSON and answers
/// its output transcoded to CBOR. Errors are CBOR maps <c>{"__type", "message"}</c>; for an error of the model,
/// <c>__type</c> is its shape and <c>x-amzn-query-error</c> carries the query-protocol code, as query-compatible
/// services send it (botocore reports that code).
/// </summary>
public sealed class CborEdge(DispatchTable table, SigV4Verifier verifier, string accountId, long maxBodyBytes, IReadOnlyDictionary<string, CborService> services, ILogger<CborEdge> logger)
{
    private const string ContentType = "application/cbor";

    private static readonly EdgeCodes Codes = new("RequestEntityTooLargeException", "SerializationException", "InternalFailure");

    /// <summary>The service and operation of <c>POST /service/SERVICE/operation/OPERATION</c>, when SERVICE is a CBOR service.</summary>
    public bool TryAccept(HttpContext http, out string service, out string operation)
    {
        service = operation = "";
        var path = http.Request.Path.Value;
        if (!HttpMethods.IsPost(http.Request.Method) || path is null || !path.StartsWith("/service/", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = path.Split('/');
        if (parts.Length != 5 || parts[3] != "operation" || !services.ContainsKey(parts[2]))
        {
            return false;
        }

        service = parts[2];
        operation = parts[4];
        return true;
    }

    /// <summary>Handles one request <see cref="TryAccept"/> took.</summary>
    public Task HandleAsync(HttpContext http, string service, string operationName)
    {
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        http.Response.Headers["smithy-protocol"] = "rpc-v2-cbor";
        var target = service + "." + operationName;
        var definition = services[service];
        return EdgeFrame.RunAsync(http, maxBodyBytes, Codes, logger, () => target, async body =>
        {
            var identity = verifier.Verify(EdgeFrame.ToSigV4Request(http, body));
            if (!table.TryGet(target, out var operation))
            {
                throw new AwsException("UnknownOperationException", $"The operation {operationName} is not recognized.", 404);
            }

            identity.RequireService(operation.SigningName);
            var json = CborJson.ToJson(body.Span);
            var context = new RequestContext(identity.Region, accountId, identity.PrincipalArn, requestId) { Cancellation = http.RequestAborted };
            var response = CborJson.ToCbor(await operation.Invoke(context, json), definition.Members);
            http.Response.StatusCode = 200;
            http.Response.ContentType = ContentType;
            http.Response.ContentLength = response.Length;
            await http.Response.Body.WriteAsync(response, http.RequestAborted);
        }, (status, type, message) => WriteErrorAsync(http, definition, status, type, message));
    }

    private static async Task WriteErrorAsync(HttpContext http, CborService service, int status, string code, string message)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        var type = code;
        if (service.Errors.TryGetValue(code, out var error))
        {
            type = error.Shape;
            http.Response.Headers["x-amzn-query-error"] = code + (status < 500 ? ";Sender" : ";Receiver");
        }

        var body = CborJson.Map(("__type", type), ("message", message));
        http.Response.StatusCode = status;
        http.Response.ContentType = ContentType;
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body);
    }
}
