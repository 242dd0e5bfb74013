using System.Globalization;
using System.Security.Cryptography;

namespace Berth.LoadBalancing.Proxy;

/// <summary>ALB's own responses: the HTML error bodies and the trace id format.</summary>
public static class AlbResponses
{
    /// <summary>The <c>Server</c> header ALB sends on responses it generates itself.</summary>
    public const string Server = "awselb/2.0";

    /// <summary>ALB's HTML body for an error it generates (502, 503, 504, ...).</summary>
    public static string ErrorBody(int statusCode) =>
        $"<html>\r\n<head><title>{statusCode} {ReasonPhrase(statusCode)}</title></head>\r\n<body>\r\n<center><h1>{statusCode} {ReasonPhrase(statusCode)}</h1></center>\r\n</body>\r\n</html>\r\n";

    /// <summary>The reason phrase ALB uses in its error pages.</summary>
    public static string ReasonPhrase(int statusCode) => statusCode switch
    {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Time-out",
        460 => "Client Closed Request",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Temporarily Unavailable",
        504 => "Gateway Time-out",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(statusCode),
    };

    /// <summary>A new <c>X-Amzn-Trace-Id</c> value: <c>Root=1-{epoch seconds, 8 hex}-{96 random bits, 24 hex}</c>.</summary>
    public static string NewTraceId(DateTimeOffset now)
    {
        Span<byte> random = stackalloc byte[12];
        RandomNumberGenerator.Fill(random);
        return "Root=1-" + now.ToUnixTimeSeconds().ToString("x8", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(random);
    }
}
