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

    /// <summary>Issues a password for <paramref name="principal"/>; returns it and its expiry.</summary>
    public (string Password, DateTimeOffset ExpiresAt) Issue(string principal)
    {
        var expires = time.GetUtcNow() + Lifetime;
        var payload = Encoding.UTF8.GetBytes($"{expires.ToUnixTimeSeconds()}|{principal}");
        var mac = HMACSHA256.HashData(key, payload);
        return (Prefix + Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(mac), DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()));
    }

    /// <summary>The principal of a valid, unexpired password; null otherwise.</summary>
    public string? Verify(string? password)
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

        return text[(bar + 1)..];
    }

    /// <summary>
    /// The principal behind an <c>Authorization</c> header: <c>Basic</c> with user AWS and a token as password, or
    /// <c>Bearer</c> with the token itself or with GetAuthorizationToken's base64 <c>AWS:token</c>.
    /// </summary>
    public string? VerifyHeader(string? authorization)
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
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) && Verify(value) is { } direct)
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
        return colon > 0 && decoded[..colon] == UserName ? Verify(decoded[(colon + 1)..]) : null;
    }
}
