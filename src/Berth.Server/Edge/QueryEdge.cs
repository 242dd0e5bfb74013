using Berth.Protocol.Auth;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Query;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Edge;

/// <summary>
/// The HTTP edge of the AWS query-protocol services (ELBv2): a form-encoded POST whose SigV4 credential scope names
/// one of them. Reads the body (bounded), verifies SigV4, runs the form's <c>Action</c> and answers XML, errors as
/// the query protocol's <c>ErrorResponse</c>.
/// </summary>
public sealed class QueryEdge(QueryDispatchTable table, SigV4Verifier verifier, string accountId, long maxBodyBytes, ILogger<QueryEdge> logger)
{
    private const string ContentType = "text/xml";

    private static readonly EdgeCodes Codes = new("RequestEntityTooLarge", "MalformedQueryString", "InternalFailure");

    /// <summary>
    /// The query service <paramref name="http"/> is for: a form-encoded body without <c>X-Amz-Target</c> whose credential
    /// scope's service is a query service. Anything else stays with the JSON edge.
    /// </summary>
    public bool TryAccept(HttpContext http, out QueryService service)
    {
        service = null!;
        var request = http.Request;
        if (request.Headers.ContainsKey("X-Amz-Target")
            || request.ContentType is not { } type
            || !type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return table.TryGetService(ScopeService(request.Headers.Authorization.ToString()), out service);
    }

    /// <summary>Handles one request <see cref="TryAccept"/> took.</summary>
    public Task HandleAsync(HttpContext http, QueryService service)
    {
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        var action = "-";
        return EdgeFrame.RunAsync(http, maxBodyBytes, Codes, logger, () => action, async body =>
        {
            var identity = verifier.Verify(EdgeFrame.ToSigV4Request(http, body));
            identity.RequireService(service.SigningName);
            var form = QueryForm.Parse(body.Span);
            action = form.GetValueOrDefault("Action") ?? "-";
            var context = new RequestContext(identity.Region, accountId, identity.PrincipalArn, requestId) { Cancellation = http.RequestAborted };
            var response = await table.InvokeAsync(service, context, form);
            http.Response.StatusCode = 200;
            http.Response.ContentType = ContentType;
            http.Response.ContentLength = response.Length;
            await http.Response.Body.WriteAsync(response, http.RequestAborted);
        }, (status, code, message) => WriteErrorAsync(http, service, requestId, status, code, message));
    }

    /// <summary>The service of <c>Credential=AKID/DATE/REGION/SERVICE/aws4_request</c> in an Authorization header.</summary>
    internal static string? ScopeService(string authorization)
    {
        var start = authorization.IndexOf("Credential=", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += "Credential=".Length;
        var end = authorization.IndexOfAny([',', ' '], start);
        var parts = (end < 0 ? authorization[start..] : authorization[start..end]).Split('/');
        return parts.Length == 5 ? parts[3] : null;
    }

    private static async Task WriteErrorAsync(HttpContext http, QueryService service, string requestId, int status, string code, string message)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        var body = QueryXmlWriter.Error(service.XmlNamespace, code, message, requestId, senderFault: status < 500);
        http.Response.StatusCode = status;
        http.Response.ContentType = ContentType;
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body);
    }
}
