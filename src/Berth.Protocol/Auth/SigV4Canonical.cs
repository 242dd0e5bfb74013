using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Protocol.Auth;

/// <summary>
/// The SigV4 canonical request, string to sign and signing key, as the non-S3 AWS services build them.
/// </summary>
/// <remarks>
/// Public so tools and tests can show what was signed; the verifier and signer use the same code.
/// </remarks>
public static class SigV4Canonical
{
    /// <summary>The only algorithm accepted.</summary>
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>The <c>x-amz-content-sha256</c> value that leaves the body out of the signature.</summary>
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";

    /// <summary>Hex SHA-256 of an empty body.</summary>
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    internal const string BasicIsoFormat = "yyyyMMdd'T'HHmmss'Z'";
    internal const string Terminator = "aws4_request";
    internal const int MaxPresignSeconds = 604800;
    internal const string SignatureParam = "X-Amz-Signature";
    internal const string SecurityTokenParam = "X-Amz-Security-Token";

    /// <summary>
    /// The canonical request. <paramref name="signedHeaders"/> is the <c>SignedHeaders</c> value (<c>host;x-amz-date</c>).
    /// <paramref name="presigned"/> leaves <c>X-Amz-Signature</c> out of the query; <paramref name="omitSecurityToken"/>
    /// also leaves out <c>X-Amz-Security-Token</c>, for clients that add the token after signing.
    /// </summary>
    public static string CanonicalRequest(
        string method,
        string rawPath,
        string rawQuery,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        string signedHeaders,
        string payloadHash,
        bool normalizePath = true,
        bool presigned = false,
        bool omitSecurityToken = false)
    {
        var buffer = new CharBuffer(256);
        try
        {
            WriteCanonicalRequest(ref buffer, method, rawPath, rawQuery, headers, signedHeaders, payloadHash, normalizePath, presigned, omitSecurityToken);
            return buffer.ToString();
        }
        finally
        {
            buffer.Dispose();
        }
    }

    /// <summary>The string to sign for a canonical request.</summary>
    public static string StringToSign(string amzDate, string scope, string canonicalRequest)
    {
        Span<char> hash = stackalloc char[64];
        HashHex(canonicalRequest, hash);
        return string.Concat(Algorithm, "\n", amzDate, "\n", scope, "\n", hash.ToString());
    }

    /// <summary>The canonical URI: dot segments and empty segments removed when <paramref name="normalizePath"/>, then every segment URI-encoded.</summary>
    /// <remarks>The raw path is encoded again as received, so <c>%20</c> on the wire signs as <c>%2520</c>, as AWS's non-S3 services expect.</remarks>
    public static string CanonicalUri(string rawPath, bool normalizePath = true)
    {
        var buffer = new CharBuffer(Math.Max(16, rawPath.Length * 2));
        try
        {
            WriteCanonicalUri(ref buffer, rawPath, normalizePath);
            return buffer.ToString();
        }
        finally
        {
            buffer.Dispose();
        }
    }

    /// <summary>The hex SHA-256 of <paramref name="data"/>, lower case.</summary>
    public static string HashHex(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The signing key for a scope: HMAC chain over date, region, service and <c>aws4_request</c>.</summary>
    public static byte[] DeriveSigningKey(string secretAccessKey, string date, string region, string service)
    {
        var secret = Encoding.UTF8.GetBytes("AWS4" + secretAccessKey);
        var key = new byte[32];
        try
        {
            HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(date), key);
            HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region), key);
            HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service), key);
            HMACSHA256.HashData(key, "aws4_request"u8, key);
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The lower-case hex signature of a canonical request under a signing key.</summary>
    public static string Sign(ReadOnlySpan<byte> signingKey, string amzDate, string scope, string canonicalRequest)
    {
        Span<byte> signature = stackalloc byte[32];
        ComputeSignature(signingKey, amzDate, scope, canonicalRequest, signature);
        return Convert.ToHexStringLower(signature);
    }

    internal static void ComputeSignature(
        ReadOnlySpan<byte> signingKey,
        ReadOnlySpan<char> amzDate,
        ReadOnlySpan<char> scope,
        ReadOnlySpan<char> canonicalRequest,
        Span<byte> signature)
    {
        Span<char> hash = stackalloc char[64];
        HashHex(canonicalRequest, hash);

        var stringToSign = new CharBuffer(Algorithm.Length + amzDate.Length + scope.Length + 67);
        byte[]? rented = null;
        try
        {
            stringToSign.Append(Algorithm);
            stringToSign.Append('\n');
            stringToSign.Append(amzDate);
            stringToSign.Append('\n');
            stringToSign.Append(scope);
            stringToSign.Append('\n');
            stringToSign.Append(hash);

            var text = stringToSign.Written;
            var max = Encoding.UTF8.GetMaxByteCount(text.Length);
            Span<byte> bytes = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
            var count = Encoding.UTF8.GetBytes(text, bytes);
            HMACSHA256.HashData(signingKey, bytes[..count], signature);
        }
        finally
        {
            stringToSign.Dispose();
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    internal static void HashHex(ReadOnlySpan<char> text, Span<char> destination)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var count = Encoding.UTF8.GetBytes(text, rented);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(rented.AsSpan(0, count), hash);
            Convert.TryToHexStringLower(hash, destination, out _);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static void WriteCanonicalRequest(
        ref CharBuffer buffer,
        string method,
        string rawPath,
        string rawQuery,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        string signedHeaders,
        ReadOnlySpan<char> payloadHash,
        bool normalizePath,
        bool presigned,
        bool omitSecurityToken)
    {
        buffer.Append(method);
        buffer.Append('\n');
        WriteCanonicalUri(ref buffer, rawPath, normalizePath);
        buffer.Append('\n');
        WriteCanonicalQuery(ref buffer, rawQuery, presigned, omitSecurityToken);
        buffer.Append('\n');
        foreach (var range in signedHeaders.AsSpan().Split(';'))
        {
            var name = signedHeaders.AsSpan(range);
            buffer.Append(name);
            buffer.Append(':');
            var first = true;
            for (var i = 0; i < headers.Count; i++)
            {
                var header = headers[i];
                if (!name.Equals(header.Key, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (!first)
                {
                    buffer.Append(',');
                }

                first = false;
                AppendTrimmedValue(ref buffer, header.Value);
            }

            buffer.Append('\n');
        }

        buffer.Append('\n');
        buffer.Append(signedHeaders);
        buffer.Append('\n');
        buffer.Append(payloadHash);
    }

    internal static void WriteCanonicalUri(ref CharBuffer buffer, string rawPath, bool normalizePath)
    {
        if (rawPath.Length == 0)
        {
            buffer.Append('/');
            return;
        }

        if (!normalizePath)
        {
            AppendUriEncoded(ref buffer, rawPath, decodePercent: false, keepSlash: true);
            return;
        }

        // Resolve '.', '..' and empty segments on ranges of the raw path, then encode what is left.
        var path = rawPath.AsSpan();
        var slashes = path.Count('/') + 1;
        Range[]? rented = null;
        Span<Range> kept = slashes <= 32 ? stackalloc Range[32] : (rented = ArrayPool<Range>.Shared.Rent(slashes));
        try
        {
            var count = 0;
            var trailingSlash = false;
            foreach (var range in path.Split('/'))
            {
                var segment = path[range];
                trailingSlash = segment.Length == 0 || segment is "." || segment is "..";
                if (segment.Length == 0 || segment is ".")
                {
                    continue;
                }

                if (segment is "..")
                {
                    if (count > 0)
                    {
                        count--;
                    }

                    continue;
                }

                kept[count++] = range;
            }

            buffer.Append('/');
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    buffer.Append('/');
                }

                AppendUriEncoded(ref buffer, path[kept[i]], decodePercent: false, keepSlash: false);
            }

            if (count > 0 && trailingSlash)
            {
                buffer.Append('/');
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<Range>.Shared.Return(rented);
            }
        }
    }

    internal static void WriteCanonicalQuery(ref CharBuffer buffer, string rawQuery, bool presigned, bool omitSecurityToken)
    {
        if (rawQuery.Length == 0)
        {
            return;
        }

        var query = rawQuery.AsSpan();
        var pairs = ArrayPool<KeyValuePair<string, string>>.Shared.Rent(query.Count('&') + 1);
        try
        {
            var count = 0;
            foreach (var range in query.Split('&'))
            {
                var pair = query[range];
                if (pair.Length == 0)
                {
                    continue;
                }

                var equals = pair.IndexOf('=');
                var name = EncodeQueryComponent(equals < 0 ? pair : pair[..equals]);
                if ((presigned && name == SignatureParam) || (omitSecurityToken && name == SecurityTokenParam))
                {
                    continue;
                }

                var value = equals < 0 ? string.Empty : EncodeQueryComponent(pair[(equals + 1)..]);
                pairs[count++] = new(name, value);
            }

            Array.Sort(pairs, 0, count, QueryPairComparer.Instance);
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    buffer.Append('&');
                }

                buffer.Append(pairs[i].Key);
                buffer.Append('=');
                buffer.Append(pairs[i].Value);
            }
        }
        finally
        {
            ArrayPool<KeyValuePair<string, string>>.Shared.Return(pairs, clearArray: true);
        }
    }

    /// <summary>Percent-decodes then RFC 3986-encodes a query name or value, so clients that encode differently still agree.</summary>
    internal static string EncodeQueryComponent(ReadOnlySpan<char> raw)
    {
        var plain = true;
        foreach (var c in raw)
        {
            if (c >= 0x80 || !IsUnreserved(c))
            {
                plain = false;
                break;
            }
        }

        if (plain)
        {
            return raw.ToString();
        }

        var buffer = new CharBuffer(raw.Length * 3);
        try
        {
            AppendUriEncoded(ref buffer, raw, decodePercent: true, keepSlash: false);
            return buffer.ToString();
        }
        finally
        {
            buffer.Dispose();
        }
    }

    /// <summary>RFC 3986 encoding of a value for a query string (the signer's side).</summary>
    internal static string EncodeQueryValue(string value)
    {
        var buffer = new CharBuffer(value.Length * 3 + 1);
        try
        {
            AppendUriEncoded(ref buffer, value, decodePercent: false, keepSlash: false);
            return buffer.ToString();
        }
        finally
        {
            buffer.Dispose();
        }
    }

    internal static void AppendUriEncoded(ref CharBuffer buffer, ReadOnlySpan<char> raw, bool decodePercent, bool keepSlash)
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c < 0x80)
            {
                if (decodePercent && c == '%' && i + 2 < raw.Length && char.IsAsciiHexDigit(raw[i + 1]) && char.IsAsciiHexDigit(raw[i + 2]))
                {
                    var b = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                    i += 2;
                    if (b < 0x80 && IsUnreserved((char)b))
                    {
                        buffer.Append((char)b);
                    }
                    else
                    {
                        buffer.AppendPercentEncoded(b);
                    }
                }
                else if (IsUnreserved(c) || (keepSlash && c == '/'))
                {
                    buffer.Append(c);
                }
                else
                {
                    buffer.AppendPercentEncoded((byte)c);
                }

                continue;
            }

            if (Rune.DecodeFromUtf16(raw[i..], out var rune, out var consumed) != OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
                consumed = 1;
            }

            var written = rune.EncodeToUtf8(utf8);
            for (var k = 0; k < written; k++)
            {
                buffer.AppendPercentEncoded(utf8[k]);
            }

            i += consumed - 1;
        }
    }

    // Trims the value and folds every run of whitespace to one space ("trimall" in AWS's description).
    private static void AppendTrimmedValue(ref CharBuffer buffer, string value)
    {
        var pendingSpace = false;
        var started = false;
        foreach (var c in value)
        {
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                pendingSpace = started;
                continue;
            }

            if (pendingSpace)
            {
                buffer.Append(' ');
                pendingSpace = false;
            }

            buffer.Append(c);
            started = true;
        }
    }

    private static bool IsUnreserved(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~';

    private static int HexValue(char c) =>
        c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private sealed class QueryPairComparer : IComparer<KeyValuePair<string, string>>
    {
        public static readonly QueryPairComparer Instance = new();

        public int Compare(KeyValuePair<string, string> x, KeyValuePair<string, string> y)
        {
            var byName = string.CompareOrdinal(x.Key, y.Key);
            return byName != 0 ? byName : string.CompareOrdinal(x.Value, y.Value);
        }
    }
}
