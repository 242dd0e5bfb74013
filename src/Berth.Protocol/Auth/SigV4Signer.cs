using System.Globalization;

namespace Berth.Protocol.Auth;

/// <summary>
/// Signs requests with SigV4 the way the AWS SDKs do for non-S3 services: every given header is signed,
/// the body is hashed, the path is normalized. For Berth's own clients and for tests of the verifier.
/// </summary>
public static class SigV4Signer
{
    /// <summary>
    /// Returns <paramref name="headers"/> plus <c>X-Amz-Date</c>, <c>X-Amz-Security-Token</c> (when the credential has one,
    /// and signed) and <c>Authorization</c>. Existing headers of those names are replaced. Include <c>Host</c>.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> SignHeaders(
        string method,
        string rawPath,
        string rawQuery,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        ReadOnlySpan<byte> body,
        string region,
        string service,
        SigningCredential credential,
        DateTimeOffset now,
        bool normalizePath = true)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(credential);
        var amzDate = Format(now);
        var result = new List<KeyValuePair<string, string>>(headers.Count + 3);
        foreach (var header in headers)
        {
            if (!Is(header.Key, "authorization")
                && !Is(header.Key, "x-amz-date")
                && !(credential.SessionToken is not null && Is(header.Key, "x-amz-security-token")))
            {
                result.Add(header);
            }
        }

        result.Add(new("X-Amz-Date", amzDate));
        if (credential.SessionToken is not null)
        {
            result.Add(new("X-Amz-Security-Token", credential.SessionToken));
        }

        var signedHeaders = SignedHeaders(result);
        var scope = Scope(amzDate, region, service);
        var canonical = SigV4Canonical.CanonicalRequest(
            method, rawPath, rawQuery, result, signedHeaders, PayloadHash(result, body), normalizePath);
        var signature = SigV4Canonical.Sign(
            SigV4Canonical.DeriveSigningKey(credential.SecretAccessKey, amzDate[..8], region, service), amzDate, scope, canonical);

        result.Add(new(
            "Authorization",
            $"{SigV4Canonical.Algorithm} Credential={credential.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}"));
        return result;
    }

    /// <summary>
    /// Presigns a request: returns the query string (without <c>?</c>) to send instead of <paramref name="rawQuery"/>,
    /// carrying the <c>X-Amz-*</c> parameters and the signature. Every header given is signed; include <c>Host</c>.
    /// </summary>
    public static string Presign(
        string method,
        string rawPath,
        string rawQuery,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        ReadOnlySpan<byte> body,
        string region,
        string service,
        SigningCredential credential,
        DateTimeOffset now,
        TimeSpan expires,
        bool normalizePath = true)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(credential);
        var seconds = (long)expires.TotalSeconds;
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1L, nameof(expires));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seconds, (long)SigV4Canonical.MaxPresignSeconds, nameof(expires));

        var amzDate = Format(now);
        var signedHeaders = SignedHeaders(headers);
        var scope = Scope(amzDate, region, service);
        var query = string.Concat(
            rawQuery.Length == 0 ? "" : rawQuery + "&",
            $"X-Amz-Algorithm={SigV4Canonical.Algorithm}",
            $"&X-Amz-Credential={SigV4Canonical.EncodeQueryValue(credential.AccessKeyId + "/" + scope)}",
            $"&X-Amz-Date={amzDate}",
            $"&X-Amz-Expires={seconds.ToString(CultureInfo.InvariantCulture)}",
            $"&X-Amz-SignedHeaders={SigV4Canonical.EncodeQueryValue(signedHeaders)}");
        if (credential.SessionToken is not null)
        {
            query += "&X-Amz-Security-Token=" + SigV4Canonical.EncodeQueryValue(credential.SessionToken);
        }

        var canonical = SigV4Canonical.CanonicalRequest(
            method, rawPath, query, headers, signedHeaders, PayloadHash(headers, body), normalizePath, presigned: true);
        var signature = SigV4Canonical.Sign(
            SigV4Canonical.DeriveSigningKey(credential.SecretAccessKey, amzDate[..8], region, service), amzDate, scope, canonical);
        return query + "&X-Amz-Signature=" + signature;
    }

    private static string PayloadHash(IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body) =>
        SigV4Verifier.FindHeader(headers, "x-amz-content-sha256")?.Trim() ?? SigV4Canonical.HashHex(body);

    private static string SignedHeaders(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var header in headers)
        {
            if (!Is(header.Key, "authorization"))
            {
                names.Add(header.Key.ToLowerInvariant());
            }
        }

        if (!names.Contains("host"))
        {
            throw new ArgumentException("SigV4 signs the Host header; add it to the headers.", nameof(headers));
        }

        return string.Join(';', names);
    }

    private static string Scope(string amzDate, string region, string service) =>
        $"{amzDate[..8]}/{region}/{service}/aws4_request";

    private static string Format(DateTimeOffset now) =>
        now.UtcDateTime.ToString(SigV4Canonical.BasicIsoFormat, CultureInfo.InvariantCulture);

    private static bool Is(string name, string expected) =>
        name.Equals(expected, StringComparison.OrdinalIgnoreCase);
}
