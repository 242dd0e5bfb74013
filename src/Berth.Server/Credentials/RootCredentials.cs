using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
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

/// <summary>The credentials the verifier knows: the root pair now; issued task and agent credentials later.</summary>
public sealed class CredentialStore(SigningCredential root) : ICredentialStore
{
    /// <summary>The root credential.</summary>
    public SigningCredential Root { get; } = root;

    /// <inheritdoc />
    public SigningCredential? Find(string accessKeyId) => accessKeyId == Root.AccessKeyId ? Root : null;
}
