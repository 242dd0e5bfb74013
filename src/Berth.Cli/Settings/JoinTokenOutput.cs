using System.Text;
using System.Text.Json;

namespace Berth.Cli.Settings;

/// <summary>What <c>berth join-token</c> prints from the server's JSON answers.</summary>
internal static class JoinTokenOutput
{
    /// <summary>A new token: what it is for, then the token alone on the last line (what scripts take).</summary>
    public static string Created(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var text = new StringBuilder();
        text.Append("Join token ").Append(root.GetProperty("tokenId").GetString())
            .Append(" for ").Append(root.TryGetProperty("cluster", out var cluster) ? "cluster " + cluster.GetString() : "any cluster")
            .Append(", ").Append(root.TryGetProperty("expiresAt", out var expires) ? "expires " + expires.GetString() : "never expires")
            .AppendLine(". Run on the agent's host:")
            .AppendLine("  berth agent --join-token TOKEN --endpoint URL --data-dir DIR [--cluster NAME]")
            .AppendLine(root.GetProperty("token").GetString());
        return text.ToString();
    }

    /// <summary>The tokens as a table: id, cluster, expiry, state, agents, description.</summary>
    public static string Table(string json)
    {
        using var document = JsonDocument.Parse(json);
        var text = new StringBuilder();
        text.AppendLine("TOKEN-ID              CLUSTER          EXPIRES                        STATE    AGENTS  DESCRIPTION");
        foreach (var token in document.RootElement.GetProperty("joinTokens").EnumerateArray())
        {
            string? Text(string name) => token.TryGetProperty(name, out var value) ? value.GetString() : null;
            var state = Text("revokedAt") is not null ? "revoked" : Text("expiresAt") is { } at && DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture) <= DateTimeOffset.UtcNow ? "expired" : "usable";
            text.Append((Text("tokenId") ?? string.Empty).PadRight(22))
                .Append((Text("cluster") ?? "(any)").PadRight(17))
                .Append((Text("expiresAt") ?? "never").PadRight(31))
                .Append(state.PadRight(9))
                .Append(token.GetProperty("agents").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture).PadRight(8))
                .AppendLine(Text("description") ?? string.Empty);
        }

        return text.ToString();
    }
}
