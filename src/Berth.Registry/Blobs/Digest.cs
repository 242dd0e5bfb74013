using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Berth.Registry.Blobs;

/// <summary>A content digest as the distribution spec writes it; Berth stores and accepts <c>sha256</c> only.</summary>
public static class Digest
{
    /// <summary>The algorithm prefix every digest Berth accepts starts with.</summary>
    public const string Sha256Prefix = "sha256:";

    /// <summary>True when <paramref name="value"/> is <c>sha256:</c> followed by 64 lowercase hex digits.</summary>
    public static bool IsValid([NotNullWhen(true)] string? value)
    {
        if (value is null || value.Length != Sha256Prefix.Length + 64 || !value.StartsWith(Sha256Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in value.AsSpan(Sha256Prefix.Length))
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The hex part of a valid digest.</summary>
    public static string Hex(string digest) => digest[Sha256Prefix.Length..];

    /// <summary>The digest of <paramref name="content"/>.</summary>
    public static string Of(ReadOnlySpan<byte> content) => Sha256Prefix + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Formats a finished hash as a digest.</summary>
    public static string FromHash(ReadOnlySpan<byte> sha256) => Sha256Prefix + Convert.ToHexStringLower(sha256);
}
