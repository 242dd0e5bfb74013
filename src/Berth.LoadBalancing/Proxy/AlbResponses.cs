using System.Globalization;

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
    /// <remarks>Trace ids only need to be unique, not unpredictable: <see cref="Random.Shared"/> keeps this off the crypto provider on every request.</remarks>
    public static string NewTraceId(DateTimeOffset now) =>
        string.Create(7 + 8 + 1 + 24, (Seconds: (uint)now.ToUnixTimeSeconds(), High: (uint)Random.Shared.Next(), Low: Random.Shared.NextInt64()), static (span, state) =>
        {
            "Root=1-".CopyTo(span);
            state.Seconds.TryFormat(span[7..], out _, "x8", CultureInfo.InvariantCulture);
            span[15] = '-';
            state.High.TryFormat(span[16..], out _, "x8", CultureInfo.InvariantCulture);
            state.Low.TryFormat(span[24..], out _, "x16", CultureInfo.InvariantCulture);
        });
}
