using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Ecs.AgentAccess;
using Berth.Ecs.State;
using Berth.Protocol.Auth;

namespace Berth.Server.Credentials;

/// <summary>The key pair stored in the data dir when none comes from the environment.</summary>
public sealed record StoredKeyPair(
    [property: JsonPropertyName("accessKeyId")] string AccessKeyId,
    [property: JsonPropertyName("secretAccessKey")] string SecretAccessKey);

[JsonSerializable(typeof(StoredKeyPair))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class CredentialsJsonContext : JsonSerializerContext
{
}

/// <summary>
/// The account's root credentials: the key pair the user chose (<c>BERTH_ACCESS_KEY_ID</c> / <c>BERTH_SECRET_ACCESS_KEY</c>)
/// when there is one, otherwise generated on first start and kept in <c>DATA_DIR/credentials.json</c> (mode 0600).
/// </summary>
public static class RootCredentials
{
    /// <summary>The file in the data dir that holds a generated key pair.</summary>
    public const string FileName = "credentials.json";

    /// <summary>The chosen key pair, else loads or creates the stored one; <paramref name="generated"/> is true only the first time.</summary>
    public static SigningCredential LoadOrCreate(string dataDir, string accountId, StoredKeyPair? chosen, out bool generated)
    {
        generated = false;
        var principal = $"arn:aws:iam::{accountId}:root";
        if (chosen is not null)
        {
            return new SigningCredential(chosen.AccessKeyId, chosen.SecretAccessKey, null, null, principal);
        }

        var path = Path.Combine(dataDir, FileName);
        if (File.Exists(path))
        {
            var stored = JsonSerializer.Deserialize(File.ReadAllBytes(path), CredentialsJsonContext.Default.StoredKeyPair)
                ?? throw new InvalidDataException($"{path} is empty.");
            return new SigningCredential(stored.AccessKeyId, stored.SecretAccessKey, null, null, principal);
        }

        var pair = new StoredKeyPair("BKIA" + RandomString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), RandomString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40));
        WriteAtomically(path, JsonSerializer.SerializeToUtf8Bytes(pair, CredentialsJsonContext.Default.StoredKeyPair));
        generated = true;
        return new SigningCredential(pair.AccessKeyId, pair.SecretAccessKey, null, null, principal);
    }

    private static string RandomString(string alphabet, int length)
    {
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return new string(chars);
    }

    // Temporary file, fsync, rename: a crash leaves either no file or the whole file.
    private static void WriteAtomically(string path, byte[] content)
    {
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>
/// The credentials the verifier knows: the account's root pair, join tokens (which sign only an agent's join) and the
/// keys agents got when they joined (which act only for their own instance). Tokens and keys are read from the
/// current ECS state, so every server sees the same ones.
/// </summary>
public sealed class CredentialStore(SigningCredential root, string accountId, Func<EcsState>? state = null) : ICredentialStore
{
    /// <summary>The root credential.</summary>
    public SigningCredential Root { get; } = root;

    /// <inheritdoc />
    public SigningCredential? Find(string accessKeyId)
    {
        if (accessKeyId == Root.AccessKeyId)
        {
            return Root;
        }

        if (state?.Invoke() is not { } current)
        {
            return null;
        }

        if (current.JoinTokens.TryGetValue(accessKeyId, out var token) && token.RevokedAt is null)
        {
            // An expired token is found, so that the verifier answers ExpiredTokenException rather than "invalid".
            return new SigningCredential(token.TokenId, token.Secret ?? AgentKeys.BuiltinSecret(Root.SecretAccessKey), null, token.ExpiresAt, AgentAccessRules.TokenPrincipal(accountId, token.TokenId))
            {
                Scope = new CredentialScope(CredentialKind.JoinToken, token.TokenId, token.Cluster, null),
            };
        }

        if (current.AgentKeys.TryGetValue(accessKeyId, out var key) && current.JoinTokens.TryGetValue(key.TokenId, out var issuer) && issuer.RevokedAt is null)
        {
            return new SigningCredential(key.AccessKeyId, key.SecretAccessKey, null, null, AgentAccessRules.AgentPrincipal(accountId, key.Ec2InstanceId))
            {
                Scope = new CredentialScope(CredentialKind.Agent, key.TokenId, key.Cluster, key.Ec2InstanceId),
            };
        }

        return null;
    }
}

/// <summary>Ids, secrets and the text form of join tokens and agents' keys.</summary>
public static class AgentKeys
{
    /// <summary>The id of the token the server's own agents join with; its secret derives from the root secret.</summary>
    public const string BuiltinTokenId = "BJTBUILTINLOCALAGENT";

    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A new id of 20 characters, as AWS's access key ids are, starting with <paramref name="prefix"/>.</summary>
    public static string NewId(string prefix) => prefix + Random(IdAlphabet, 20 - prefix.Length);

    /// <summary>A new secret of 40 characters (letters and digits, so a token is one word in a shell).</summary>
    public static string NewSecret() => Random(SecretAlphabet, 40);

    /// <summary>The token as the operator hands it over: <c>ID.SECRET</c>.</summary>
    public static string TokenText(string tokenId, string secret) => tokenId + "." + secret;

    /// <summary>The built-in token's secret: every server with the same root secret derives the same one, and none is stored.</summary>
    public static string BuiltinSecret(string rootSecret)
    {
        var mac = HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(rootSecret), "berth built-in join token v1"u8);
        var chars = new char[40];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = SecretAlphabet[mac[i % mac.Length] % SecretAlphabet.Length];
        }

        return new string(chars);
    }

    private static string Random(string alphabet, int length)
    {
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return new string(chars);
    }
}
