using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Berth.Protocol.Auth;

namespace Berth.WebConsole.Auth;

/// <summary>A signed-in browser: who, until when, and the nonce its form tokens are bound to.</summary>
/// <param name="AccessKeyId">The access key the user signed in with.</param>
/// <param name="PrincipalArn">Who that key is (actions run as this principal).</param>
/// <param name="Nonce">Random per sign-in; the CSRF token is derived from it.</param>
/// <param name="ExpiresAt">When the cookie stops working.</param>
public sealed record ConsoleSession(string AccessKeyId, string PrincipalArn, string Nonce, DateTimeOffset ExpiresAt);

/// <summary>
/// Sign-in and the session cookie. The cookie is <c>v1.PAYLOAD.MAC</c>: PAYLOAD is base64url of
/// <c>expiry-unix-seconds|access-key-id|nonce</c>, MAC is HMAC-SHA256 over it with a key derived from the root secret
/// and the account, so sessions survive restarts without a file and end when the secret changes. No secret is in it.
/// Each request checks the key still exists, so a removed key ends its sessions at once.
/// </summary>
public sealed class ConsoleSessions(ICredentialStore credentials, byte[] key, TimeProvider time)
{
    /// <summary>The cookie's name.</summary>
    public const string CookieName = "berth_console";

    /// <summary>How long a session lasts (no sliding: a new sign-in after it).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    /// <summary>How long a sign-in link from <c>./berth console</c> can be used (once).</summary>
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromMinutes(5);

    private const string Prefix = "v1.";
    private const string LinkPrefix = "link1.";

    // The links used so far and until when they would have worked: a link signs in once (on this server).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _usedLinks = new(StringComparer.Ordinal);

    /// <summary>The key the sessions are signed with, from the server's root secret and its account.</summary>
    public static byte[] DeriveKey(string rootSecret, string accountId)
        => HMACSHA256.HashData(Encoding.UTF8.GetBytes(rootSecret), Encoding.UTF8.GetBytes("berth console session key v1|" + accountId));

    /// <summary>
    /// Checks a key pair as SigV4 would (the same credential store; long-term keys only: temporary ones need a
    /// session token a form does not carry). Null when refused; the secret is compared in constant time.
    /// </summary>
    public ConsoleSession? SignIn(string? accessKeyId, string? secretAccessKey)
    {
        if (string.IsNullOrEmpty(accessKeyId) || string.IsNullOrEmpty(secretAccessKey) || credentials.Find(accessKeyId) is not { } credential)
        {
            return null;
        }

        if (credential.SessionToken is not null
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secretAccessKey), Encoding.UTF8.GetBytes(credential.SecretAccessKey)))
        {
            return null;
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds((time.GetUtcNow() + Lifetime).ToUnixTimeSeconds());
        return new ConsoleSession(credential.AccessKeyId, credential.PrincipalArn, Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)), expires);
    }

    /// <summary>
    /// A one-time sign-in token for <paramref name="accessKeyId"/> (a key the caller proved it holds by signing the
    /// request): <c>link1.PAYLOAD.MAC</c> over <c>expiry|access-key-id|nonce</c>, good for <see cref="LinkLifetime"/>.
    /// </summary>
    public string IssueLink(string accessKeyId)
    {
        var expires = (time.GetUtcNow() + LinkLifetime).ToUnixTimeSeconds();
        var payload = Encoding.UTF8.GetBytes($"{expires}|{accessKeyId}|{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16))}");
        return LinkPrefix + Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(key, LinkMac(payload)));
    }

    /// <summary>The session a sign-in link opens, once: null when it is forged, expired, used already or its key is gone.</summary>
    public ConsoleSession? RedeemLink(string? token)
    {
        var now = time.GetUtcNow();
        foreach (var (used, usableUntil) in _usedLinks)
        {
            if (usableUntil <= now)
            {
                _usedLinks.TryRemove(used, out _);
            }
        }

        if (token is null || !token.StartsWith(LinkPrefix, StringComparison.Ordinal) || token.Length > 1024)
        {
            return null;
        }

        var parts = token[LinkPrefix.Length..].Split('.');
        byte[] payload, mac;
        try
        {
            if (parts.Length != 2)
            {
                return null;
            }

            payload = Base64Url.DecodeFromChars(parts[0]);
            mac = Base64Url.DecodeFromChars(parts[1]);
        }
        catch (FormatException)
        {
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(key, LinkMac(payload))))
        {
            return null;
        }

        var fields = Encoding.UTF8.GetString(payload).Split('|');
        if (fields.Length != 3 || !long.TryParse(fields[0], out var seconds) || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return null;
        }

        var until = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (until <= now || credentials.Find(fields[1]) is not { SessionToken: null } credential || !_usedLinks.TryAdd(fields[2], until))
        {
            return null;
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds((now + Lifetime).ToUnixTimeSeconds());
        return new ConsoleSession(credential.AccessKeyId, credential.PrincipalArn, Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)), expires);
    }

    // A link's MAC covers a prefix too, so no session cookie's payload is ever a valid link, nor the other way round.
    private static byte[] LinkMac(byte[] payload) => [.. "link|"u8, .. payload];

    /// <summary>The cookie value of <paramref name="session"/>.</summary>
    public string Encode(ConsoleSession session)
    {
        var payload = Encoding.UTF8.GetBytes($"{session.ExpiresAt.ToUnixTimeSeconds()}|{session.AccessKeyId}|{session.Nonce}");
        return Prefix + Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(key, payload));
    }

    /// <summary>The session a cookie value stands for: null when it is malformed, forged, expired or its key is gone.</summary>
    public ConsoleSession? Decode(string? cookie)
    {
        if (cookie is null || !cookie.StartsWith(Prefix, StringComparison.Ordinal) || cookie.Length > 1024)
        {
            return null;
        }

        var parts = cookie[Prefix.Length..].Split('.');
        if (parts.Length != 2)
        {
            return null;
        }

        byte[] payload;
        byte[] mac;
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

        var fields = Encoding.UTF8.GetString(payload).Split('|');
        if (fields.Length != 3 || !long.TryParse(fields[0], out var expiresSeconds))
        {
            return null;
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(expiresSeconds);
        if (expires <= time.GetUtcNow() || credentials.Find(fields[1]) is not { SessionToken: null } credential)
        {
            return null;
        }

        return new ConsoleSession(credential.AccessKeyId, credential.PrincipalArn, fields[2], expires);
    }

    /// <summary>The form token of a session: bound to its nonce, so a token from another session (or none) is refused.</summary>
    public string CsrfToken(ConsoleSession session)
        => Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("csrf|" + session.Nonce)));

    /// <summary>Whether <paramref name="token"/> is the form token of <paramref name="session"/> (constant time).</summary>
    public bool CheckCsrf(ConsoleSession session, string? token)
        => token is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(CsrfToken(session)));
}
