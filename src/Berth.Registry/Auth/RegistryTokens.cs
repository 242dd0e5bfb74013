using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Registry.Auth;

/// <summary>
/// The registry password GetAuthorizationToken hands out: self-verifying, so <c>/v2/</c> checks it without state.
/// Format <c>berth1.PAYLOAD.MAC</c> where PAYLOAD is base64url of <c>expiry-unix-seconds|principal</c> and MAC is
/// HMAC-SHA256 over it with the server's registry key.
/// </summary>
public sealed class RegistryTokens(byte[] key, TimeProvider time)
{
    /// <summary>The user name docker login uses with these passwords, as with ECR.</summary>
    public const string UserName = "AWS";

    /// <summary>How long a token is valid (ECR's 12 hours).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private const string Prefix = "berth1.";

    /// <summary>
    /// Derives the registry key from a server secret and the account the server serves, so tokens survive restarts
    /// without another file, and a token one account's server issued opens no other account's registry even where
    /// the servers share a secret. (Not the region: a server's one registry serves every region, as its host does.)
    /// </summary>
    public static byte[] DeriveKey(string serverSecret, string accountId)
        => HMACSHA256.HashData(Encoding.UTF8.GetBytes(serverSecret), Encoding.UTF8.GetBytes("berth registry token key v2|" + accountId));

    /// <summary>
    /// Issues a password for <paramref name="principal"/>; returns it and its expiry. With <paramref name="pullOnly"/>
    /// it opens only those repositories, and only to pull (what an agent gets for its task's images).
    /// </summary>
    public (string Password, DateTimeOffset ExpiresAt) Issue(string principal, IReadOnlyCollection<string>? pullOnly = null)
    {
        var expires = time.GetUtcNow() + Lifetime;
        var scope = pullOnly is null ? string.Empty : "|pull=" + string.Join(',', pullOnly);
        var payload = Encoding.UTF8.GetBytes($"{expires.ToUnixTimeSeconds()}|{principal}{scope}");
        var mac = HMACSHA256.HashData(key, payload);
        return (Prefix + Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(mac), DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()));
    }

    /// <summary>The principal of a valid, unexpired password; null otherwise.</summary>
    public string? Verify(string? password) => VerifyGrant(password)?.Principal;

    /// <summary>What a valid, unexpired password grants; null otherwise.</summary>
    public RegistryGrant? VerifyGrant(string? password)
    {
        if (password is null || !password.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = password[Prefix.Length..].Split('.');
        if (parts.Length != 2)
        {
            return null;
        }

        byte[] payload, mac;
        try
        {
            payload = Base64Url.DecodeFromChars(parts[0]);
            mac = Base64Url.DecodeFromChars(parts[1]);
        }
        catch (FormatException)
        {
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(key, payload)))
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(payload);
        var bar = text.IndexOf('|', StringComparison.Ordinal);
        // Compared as numbers: an expiry past year 9999 is no DateTimeOffset, and no token this server issues.
        if (bar < 0 || !long.TryParse(text.AsSpan(0, bar), out var expires)
            || expires <= time.GetUtcNow().ToUnixTimeSeconds() || expires > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return null;
        }

        var rest = text[(bar + 1)..];
        var pull = rest.IndexOf("|pull=", StringComparison.Ordinal);
        return pull < 0
            ? new RegistryGrant(rest, null)
            : new RegistryGrant(rest[..pull], rest[(pull + "|pull=".Length)..].Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// The principal behind an <c>Authorization</c> header: <c>Basic</c> with user AWS and a token as password, or
    /// <c>Bearer</c> with the token itself or with GetAuthorizationToken's base64 <c>AWS:token</c>.
    /// </summary>
    public RegistryGrant? VerifyHeader(string? authorization)
    {
        if (string.IsNullOrEmpty(authorization))
        {
            return null;
        }

        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            return null;
        }

        var scheme = authorization[..space];
        var value = authorization[(space + 1)..].Trim();
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) && VerifyGrant(value) is { } direct)
        {
            return direct;
        }

        if (!scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && decoded[..colon] == UserName ? VerifyGrant(decoded[(colon + 1)..]) : null;
    }
}

/// <summary>What a registry password opens.</summary>
/// <param name="Principal">Who it was issued to.</param>
/// <param name="PullOnly">The only repositories it may pull from, and nothing else; <see langword="null"/>: everything the account may do.</param>
public sealed record RegistryGrant(string Principal, IReadOnlySet<string>? PullOnly)
{
    /// <summary>Whether a request of <paramref name="method"/> to a route of <paramref name="kind"/> in <paramref name="repository"/> is allowed.</summary>
    public bool Allows(string method, Distribution.RouteKind kind, string repository)
        => PullOnly is not { } pull
            || kind == Distribution.RouteKind.Base
            || ((method == "GET" || method == "HEAD") && kind is Distribution.RouteKind.Manifest or Distribution.RouteKind.Blob && pull.Contains(repository));
}
