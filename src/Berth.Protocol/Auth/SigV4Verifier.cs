using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Berth.Protocol.Auth;

/// <summary>
/// Verifies AWS Signature Version 4 requests, signed in the <c>Authorization</c> header or presigned in the query,
/// and says who signed them. Thread-safe; keep one per server so the signing-key cache is shared.
/// </summary>
public sealed partial class SigV4Verifier
{
    private readonly ICredentialStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxClockSkew;
    private readonly SigningKeyCache _keys = new(capacity: 1024);

    /// <param name="store">Where access keys are looked up.</param>
    /// <param name="time">The clock requests are checked against.</param>
    /// <param name="maxClockSkew">How far a request's date may be from now; AWS allows 15 minutes.</param>
    public SigV4Verifier(ICredentialStore store, TimeProvider time, TimeSpan? maxClockSkew = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _time = time;
        _maxClockSkew = maxClockSkew ?? TimeSpan.FromMinutes(15);
    }

    /// <summary>
    /// Checks the request's signature. Throws <see cref="Errors.AwsException"/> with AWS's error type and message on
    /// any failure; returns the signer's identity otherwise. <paramref name="normalizePath"/> is true for every AWS
    /// service except S3. A scoped key (a join token, an agent's key) is refused: the few places that serve them call
    /// <see cref="VerifyScoped"/>, so every other endpoint is closed to them without saying so.
    /// </summary>
    public SigV4Identity Verify(SigV4Request request, bool normalizePath = true)
    {
        var identity = VerifyScoped(request, normalizePath);
        return identity.Scope is null ? identity : throw AccessDenied.NotAuthorized(identity.PrincipalArn, null, null, 403);
    }

    /// <summary>As <see cref="Verify"/>, but scoped keys pass too: the caller checks <see cref="SigV4Identity.Scope"/>.</summary>
    public SigV4Identity VerifyScoped(SigV4Request request, bool normalizePath = true)
    {
        ArgumentNullException.ThrowIfNull(request);
        var auth = Parse(request);
        CheckScope(auth);
        var now = _time.GetUtcNow();
        CheckTime(auth, now);

        var credential = _store.Find(auth.AccessKeyId) ?? throw SigV4Errors.UnrecognizedClient();
        CheckSessionToken(credential, auth.SecurityToken, now);

        Span<char> bodyHash = stackalloc char[64];
        var payloadHash = PayloadHash(request, auth, bodyHash, out var unsignedPayload);

        Span<byte> provided = stackalloc byte[32];
        if (auth.Signature.Length != 64
            || Convert.FromHexString(auth.Signature, provided, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != 32)
        {
            throw SigV4Errors.SignatureMismatch();
        }

        var key = _keys.Get(credential.SecretAccessKey, auth.ScopeDate, auth.Region, auth.Service);
        if (!SignatureMatches(request, auth, payloadHash, normalizePath, omitSecurityToken: false, key, provided)
            // Some clients add X-Amz-Security-Token to a presigned URL after signing it; the token is still checked above.
            && !(auth.Presigned && auth.TokenInQuery
                 && SignatureMatches(request, auth, payloadHash, normalizePath, omitSecurityToken: true, key, provided)))
        {
            throw SigV4Errors.SignatureMismatch();
        }

        return new SigV4Identity(auth.AccessKeyId, auth.Region, auth.Service, credential.PrincipalArn, auth.Date, unsignedPayload) { Scope = credential.Scope };
    }

    private static bool SignatureMatches(
        SigV4Request request,
        Auth auth,
        ReadOnlySpan<char> payloadHash,
        bool normalizePath,
        bool omitSecurityToken,
        byte[] key,
        ReadOnlySpan<byte> provided)
    {
        var canonical = new CharBuffer(512);
        try
        {
            SigV4Canonical.WriteCanonicalRequest(
                ref canonical, request.Method, request.RawPath, request.RawQuery, request.Headers,
                auth.SignedHeaders, payloadHash, normalizePath, auth.Presigned, omitSecurityToken);
            Span<byte> expected = stackalloc byte[32];
            SigV4Canonical.ComputeSignature(key, auth.AmzDate, auth.Scope, canonical.Written, expected);
            return CryptographicOperations.FixedTimeEquals(expected, provided);
        }
        finally
        {
            canonical.Dispose();
        }
    }

    private static ReadOnlySpan<char> PayloadHash(SigV4Request request, Auth auth, Span<char> bodyHash, out bool unsignedPayload)
    {
        unsignedPayload = false;
        var declared = FindHeader(request.Headers, "x-amz-content-sha256") ?? auth.QueryContentSha256;
        if (declared is not null)
        {
            declared = declared.Trim();
            if (declared == SigV4Canonical.UnsignedPayload)
            {
                unsignedPayload = true;
                return declared;
            }

            if (declared.Length != 64 || !IsHex(declared))
            {
                throw SigV4Errors.Incomplete("x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.");
            }
        }

        if (request.Body.IsEmpty)
        {
            SigV4Canonical.EmptyPayloadHash.CopyTo(bodyHash);
        }
        else
        {
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(request.Body.Span, hash);
            Convert.TryToHexStringLower(hash, bodyHash, out _);
        }

        if (declared is null)
        {
            return bodyHash;
        }

        // A signed hash that the body does not match would let anyone swap the body of a captured request.
        if (!declared.AsSpan().Equals(bodyHash, StringComparison.OrdinalIgnoreCase))
        {
            throw SigV4Errors.InvalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
        }

        return declared;
    }

    private void CheckTime(Auth auth, DateTimeOffset now)
    {
        var minutes = _maxClockSkew.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture);
        if (auth.Date > now + _maxClockSkew)
        {
            throw SigV4Errors.InvalidSignature(
                $"Signature not yet current: {Format(auth.Date)} is still later than {Format(now + _maxClockSkew)} ({Format(now)} + {minutes} min.)");
        }

        if (auth.Presigned)
        {
            if (now > auth.Date.AddSeconds(auth.ExpiresSeconds))
            {
                throw SigV4Errors.PresignExpired();
            }
        }
        else if (auth.Date < now - _maxClockSkew)
        {
            throw SigV4Errors.InvalidSignature(
                $"Signature expired: {Format(auth.Date)} is now earlier than {Format(now - _maxClockSkew)} ({Format(now)} - {minutes} min.)");
        }
    }

    private static void CheckSessionToken(SigningCredential credential, string? token, DateTimeOffset now)
    {
        if (credential.SessionToken is null)
        {
            if (token is not null)
            {
                throw SigV4Errors.UnrecognizedClient();
            }
        }
        else if (token is null || !CryptographicOperations.FixedTimeEquals(
                     Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(credential.SessionToken)))
        {
            throw SigV4Errors.UnrecognizedClient();
        }

        if (credential.Expiration is { } expiration && now >= expiration)
        {
            throw SigV4Errors.ExpiredToken();
        }
    }

    private static void CheckScope(Auth auth)
    {
        if (auth.Terminator != SigV4Canonical.Terminator)
        {
            throw SigV4Errors.InvalidSignature(
                $"Credential should be scoped with a valid terminator: '{SigV4Canonical.Terminator}', not '{auth.Terminator}'. ");
        }

        if (!RegionPattern().IsMatch(auth.Region))
        {
            throw SigV4Errors.InvalidSignature("Credential should be scoped to a valid region. ");
        }

        if (auth.Service.Length == 0)
        {
            throw SigV4Errors.InvalidSignature("Credential should be scoped to correct service. ");
        }

        var day = auth.AmzDate.AsSpan(0, 8);
        if (!day.SequenceEqual(auth.ScopeDate))
        {
            throw SigV4Errors.InvalidSignature(
                $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{auth.ScopeDate}' != '{day}', from '{auth.AmzDate}'.");
        }

        var host = false;
        var date = auth.DateHeaderName is null;
        var signed = auth.SignedHeaders.AsSpan();
        foreach (var range in signed.Split(';'))
        {
            var name = signed[range];
            if (name.Length == 0)
            {
                throw SigV4Errors.Incomplete($"SignedHeaders '{auth.SignedHeaders}' contains an empty header name.");
            }

            host |= name.Equals("host", StringComparison.OrdinalIgnoreCase);
            date |= auth.DateHeaderName is not null && name.Equals(auth.DateHeaderName, StringComparison.OrdinalIgnoreCase);
        }

        if (!host)
        {
            throw SigV4Errors.Incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
        }

        // An unsigned date could be refreshed by whoever captured the request, defeating the replay window.
        if (!date)
        {
            var shown = auth.DateHeaderName == "date" ? "Date" : "X-Amz-Date";
            throw SigV4Errors.Incomplete($"'{shown}' must be a 'SignedHeader' in the AWS Authorization.");
        }
    }

    private static Auth Parse(SigV4Request request)
    {
        var authorization = FindHeader(request.Headers, "authorization");
        if (authorization is not null && CountHeader(request.Headers, "authorization") > 1)
        {
            // Which of two signatures would count is a question no answer to is safe.
            throw SigV4Errors.Incomplete("Only one Authorization header is allowed.");
        }

        var query = request.RawQuery.Length == 0 ? default : ParsePresignQuery(request.RawQuery);
        if (authorization is null)
        {
            return query.IsPresigned ? ParsePresigned(request, query) : throw SigV4Errors.MissingAuthenticationToken();
        }

        if (query.IsPresigned)
        {
            throw SigV4Errors.Incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified");
        }

        return ParseAuthorizationHeader(request, authorization);
    }

    private static Auth ParseAuthorizationHeader(SigV4Request request, string header)
    {
        var text = header.AsSpan().Trim();
        var space = text.IndexOf(' ');
        var algorithm = space < 0 ? text : text[..space];
        if (!algorithm.SequenceEqual(SigV4Canonical.Algorithm))
        {
            throw SigV4Errors.Incomplete($"Unsupported AWS 'algorithm': '{algorithm}'. Authorization={header}");
        }

        string? credential = null, signedHeaders = null, signature = null;
        var rest = space < 0 ? [] : text[(space + 1)..];
        foreach (var range in rest.Split(','))
        {
            var part = rest[range].Trim();
            if (part.Length == 0)
            {
                continue;
            }

            var equals = part.IndexOf('=');
            if (equals < 0)
            {
                throw SigV4Errors.Incomplete(
                    $"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'.");
            }

            var name = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim().ToString();
            if (name is "Credential")
            {
                credential = value;
            }
            else if (name is "SignedHeaders")
            {
                signedHeaders = value;
            }
            else if (name is "Signature")
            {
                signature = value;
            }
        }

        string? dateHeaderName = "x-amz-date";
        var dateText = FindHeader(request.Headers, "x-amz-date");
        if (dateText is null)
        {
            dateHeaderName = "date";
            dateText = FindHeader(request.Headers, "date");
        }

        if (credential is null || signedHeaders is null || signature is null || dateText is null)
        {
            var message = new StringBuilder();
            if (credential is null)
            {
                message.Append("Authorization header requires 'Credential' parameter. ");
            }

            if (signature is null)
            {
                message.Append("Authorization header requires 'Signature' parameter. ");
            }

            if (signedHeaders is null)
            {
                message.Append("Authorization header requires 'SignedHeaders' parameter. ");
            }

            if (dateText is null)
            {
                message.Append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
            }

            message.Append("Authorization=").Append(header);
            throw SigV4Errors.Incomplete(message.ToString());
        }

        var date = dateHeaderName == "date" ? ParseHttpDate(dateText) : ParseBasicIso(dateText);
        var auth = new Auth
        {
            Signature = signature,
            SignedHeaders = signedHeaders,
            Date = date,
            AmzDate = Format(date),
            DateHeaderName = dateHeaderName,
            SecurityToken = FindHeader(request.Headers, "x-amz-security-token")?.Trim(),
        };
        SetCredential(auth, credential);
        return auth;
    }

    private static Auth ParsePresigned(SigV4Request request, PresignQuery query)
    {
        if (query.Algorithm is null || query.Credential is null || query.Date is null || query.SignedHeaders is null || query.Signature is null)
        {
            var message = new StringBuilder();
            AppendMissing(message, query.Algorithm, "X-Amz-Algorithm");
            AppendMissing(message, query.Credential, "X-Amz-Credential");
            AppendMissing(message, query.Signature, "X-Amz-Signature");
            AppendMissing(message, query.SignedHeaders, "X-Amz-SignedHeaders");
            AppendMissing(message, query.Date, "X-Amz-Date");
            message.Append("Re-examine the query-string parameters.");
            throw SigV4Errors.Incomplete(message.ToString());
        }

        if (query.Algorithm != SigV4Canonical.Algorithm)
        {
            throw SigV4Errors.Incomplete($"X-Amz-Algorithm only supports \"{SigV4Canonical.Algorithm}\"");
        }

        if (query.Expires is null)
        {
            throw SigV4Errors.Incomplete("AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters.");
        }

        if (!long.TryParse(query.Expires, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var expires))
        {
            throw SigV4Errors.Incomplete("X-Amz-Expires should be a number");
        }

        if (expires < 1)
        {
            throw SigV4Errors.Incomplete("X-Amz-Expires must be a positive number of seconds");
        }

        if (expires > SigV4Canonical.MaxPresignSeconds)
        {
            throw SigV4Errors.Incomplete(
                "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds");
        }

        var date = ParseBasicIso(query.Date);
        var token = query.SecurityToken;
        var auth = new Auth
        {
            Presigned = true,
            Signature = query.Signature,
            SignedHeaders = query.SignedHeaders,
            Date = date,
            AmzDate = query.Date,
            ExpiresSeconds = expires,
            SecurityToken = token ?? FindHeader(request.Headers, "x-amz-security-token")?.Trim(),
            TokenInQuery = token is not null,
            QueryContentSha256 = query.ContentSha256,
        };
        SetCredential(auth, query.Credential);
        return auth;

        static void AppendMissing(StringBuilder message, string? value, string name)
        {
            if (value is null)
            {
                message.Append("AWS query-string parameters must include '").Append(name).Append("'. ");
            }
        }
    }

    private static void SetCredential(Auth auth, string credential)
    {
        var parts = credential.Split('/');
        if (parts.Length != 5)
        {
            throw SigV4Errors.Incomplete(
                $"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'");
        }

        auth.AccessKeyId = parts[0];
        auth.ScopeDate = parts[1];
        auth.Region = parts[2];
        auth.Service = parts[3];
        auth.Terminator = parts[4];
        auth.Scope = credential[(parts[0].Length + 1)..];
    }

    private static PresignQuery ParsePresignQuery(string rawQuery)
    {
        var result = default(PresignQuery);
        var query = rawQuery.AsSpan();
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (!pair.StartsWith("X-Amz-", StringComparison.Ordinal))
            {
                continue;
            }

            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].ToString());
            switch (name)
            {
                case "X-Amz-Algorithm": result.Algorithm = value; break;
                case "X-Amz-Credential": result.Credential = value; break;
                case "X-Amz-Date": result.Date = value; break;
                case "X-Amz-Expires": result.Expires = value; break;
                case "X-Amz-SignedHeaders": result.SignedHeaders = value; break;
                case "X-Amz-Signature": result.Signature = value; break;
                case "X-Amz-Security-Token": result.SecurityToken = value; break;
                case "X-Amz-Content-Sha256": result.ContentSha256 = value; break;
                default: break;
            }
        }

        return result;
    }

    private static DateTimeOffset ParseBasicIso(string text)
    {
        if (text.Length != 16 || !DateTimeOffset.TryParseExact(
                text, SigV4Canonical.BasicIsoFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            throw SigV4Errors.Incomplete(
                $"Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601");
        }

        return date;
    }

    private static DateTimeOffset ParseHttpDate(string text)
    {
        if (!DateTimeOffset.TryParseExact(
                text.Trim(), "r", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            throw SigV4Errors.Incomplete($"Date must be in RFC 1123 format. Got '{text}'.");
        }

        return date;
    }

    private static string Format(DateTimeOffset date) =>
        date.UtcDateTime.ToString(SigV4Canonical.BasicIsoFormat, CultureInfo.InvariantCulture);

    private static int CountHeader(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        var count = 0;
        for (var i = 0; i < headers.Count; i++)
        {
            if (string.Equals(headers[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }

        return count;
    }

    internal static string? FindHeader(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            if (string.Equals(headers[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return headers[i].Value;
            }
        }

        return null;
    }

    private static bool IsHex(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    // AWS region names: two letters, one or more words, a number (us-east-1, us-gov-west-1, ap-southeast-2).
    [GeneratedRegex(@"^[a-z]{2}(-[a-z]+)+-[0-9]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex RegionPattern();

    private struct PresignQuery
    {
        public string? Algorithm;
        public string? Credential;
        public string? Date;
        public string? Expires;
        public string? SignedHeaders;
        public string? Signature;
        public string? SecurityToken;
        public string? ContentSha256;

        public readonly bool IsPresigned => Algorithm is not null || Credential is not null || Signature is not null;
    }

    private sealed class Auth
    {
        public bool Presigned { get; init; }
        public string AccessKeyId { get; set; } = "";
        public string ScopeDate { get; set; } = "";
        public string Region { get; set; } = "";
        public string Service { get; set; } = "";
        public string Terminator { get; set; } = "";
        public string Scope { get; set; } = "";
        public required string SignedHeaders { get; init; }
        public required string Signature { get; init; }
        public required DateTimeOffset Date { get; init; }
        public required string AmzDate { get; init; }
        public string? DateHeaderName { get; init; }
        public long ExpiresSeconds { get; init; }
        public string? SecurityToken { get; init; }
        public bool TokenInQuery { get; init; }
        public string? QueryContentSha256 { get; init; }
    }
}
