using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.AgentAccess;

/// <summary>A join token as the operator sees it: never its secret.</summary>
/// <param name="Token">The record.</param>
/// <param name="Agents">How many agents hold a key issued under it.</param>
public sealed record JoinTokenSummary(JoinTokenRecord Token, int Agents);

/// <summary>Join tokens and the agents' own keys: made, used and revoked as decisions on the ECS state.</summary>
public static partial class AgentAccessDecisions
{
    /// <summary>How many join tokens that still work may exist at once.</summary>
    public const int MaxUsableTokens = 100;

    /// <summary>The longest description a token takes.</summary>
    public const int MaxDescriptionLength = 256;

    /// <summary>The error of an unknown or unusable token id.</summary>
    public static AwsException NotFound(string tokenId) => new("ResourceNotFoundException", $"The join token {tokenId} does not exist.");

    /// <summary>Adds a new join token.</summary>
    public static Decision<EcsState, JoinTokenRecord> Create(EcsState state, DateTimeOffset now, JoinTokenRecord token)
    {
        if (token.Cluster is { } cluster)
        {
            ClusterRules.ValidateName(cluster);
        }

        if (token.Description is { Length: > MaxDescriptionLength })
        {
            throw AwsException.InvalidParameter($"The description of a join token can have up to {MaxDescriptionLength} characters.");
        }

        if (token.ExpiresAt is { } expires && expires <= now)
        {
            throw AwsException.InvalidParameter("A join token must expire in the future.");
        }

        if (state.JoinTokens.ContainsKey(token.TokenId))
        {
            throw AwsException.InvalidParameter($"The join token {token.TokenId} exists already.");
        }

        if (state.JoinTokens.Values.Count(t => !t.Builtin && t.Usable(now)) >= MaxUsableTokens)
        {
            throw new AwsException("LimitExceededException", $"The limit of {MaxUsableTokens} join tokens that have not expired or been revoked has been reached. Revoke one first.");
        }

        var edit = new StateEdit(state);
        edit.Put(token);
        return edit.Done(token);
    }

    /// <summary>Makes sure the built-in token of the server's own agents exists (once per state, whichever server starts first).</summary>
    public static Decision<EcsState, bool> EnsureBuiltin(EcsState state, DateTimeOffset now, string tokenId)
    {
        if (state.JoinTokens.ContainsKey(tokenId))
        {
            return new(state, [], false);
        }

        var edit = new StateEdit(state);
        edit.Put(new JoinTokenRecord { TokenId = tokenId, Builtin = true, CreatedAt = now, Description = "The agents Berth runs itself" });
        return edit.Done(true);
    }

    /// <summary>Revokes a token: no agent joins with it any more, and the keys issued under it stop working (they are removed).</summary>
    public static Decision<EcsState, JoinTokenSummary> Revoke(EcsState state, DateTimeOffset now, string tokenId)
    {
        if (!state.JoinTokens.TryGetValue(tokenId, out var token))
        {
            throw NotFound(tokenId);
        }

        if (token.Builtin)
        {
            throw AwsException.InvalidParameter($"The join token {tokenId} is Berth's own, for the agents it runs itself; it cannot be revoked.");
        }

        var edit = new StateEdit(state);
        var revoked = token.RevokedAt is null ? token with { RevokedAt = now } : token;
        edit.Put(revoked);
        var keys = state.AgentKeys.Values.Where(k => k.TokenId == tokenId).Select(k => k.AccessKeyId).ToList();
        foreach (var key in keys)
        {
            edit.RemoveAgentKey(key);
        }

        return edit.Done(new JoinTokenSummary(revoked, 0));
    }

    /// <summary>
    /// An agent joins with <paramref name="tokenId"/>: it gets <paramref name="key"/>, bound to the token's cluster
    /// (or, for a token of any cluster, the one it asked for) and to an instance id of its own: the one it asks for
    /// (<paramref name="requestedEc2InstanceId"/>, e.g. an Auto Scaling instance's) when no container instance and no
    /// other key has it, else the key's new one — so a token holder cannot take over another host's id.
    /// </summary>
    public static Decision<EcsState, AgentKeyRecord> Join(EcsState state, DateTimeOffset now, string tokenId, string? requestedCluster, AgentKeyRecord key, string? requestedEc2InstanceId = null)
    {
        if (!state.JoinTokens.TryGetValue(tokenId, out var token) || !token.Usable(now))
        {
            throw NotFound(tokenId);
        }

        var requested = string.IsNullOrEmpty(requestedCluster) ? null : ClusterName(requestedCluster);
        if (token.Cluster is { } bound && requested is not null && requested != bound)
        {
            throw AwsException.InvalidParameter($"The join token {tokenId} is for cluster {bound}, not {requested}.");
        }

        var cluster = token.Cluster ?? requested ?? ClusterRules.DefaultName;
        ClusterRules.ValidateName(cluster);
        // Joins are rare and instances few: the look for the id's other holders is a walk, not an index.
        var ec2 = requestedEc2InstanceId is { } asked && Ec2InstanceIdPattern().IsMatch(asked)
            && !state.AgentKeys.Values.Any(k => k.Ec2InstanceId == asked)
            && !state.ContainerInstances.Values.Any(i => i.Ec2InstanceId == asked)
            ? asked
            : key.Ec2InstanceId;
        var issued = key with { TokenId = tokenId, Cluster = cluster, CreatedAt = now, Ec2InstanceId = ec2 };
        var edit = new StateEdit(state);
        edit.Put(issued);
        return edit.Done(issued);
    }

    /// <summary>Every token, oldest first, with how many agents joined with it.</summary>
    public static IReadOnlyList<JoinTokenSummary> List(EcsState state)
    {
        var agents = state.AgentKeys.Values.GroupBy(k => k.TokenId).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return [.. state.JoinTokens.Values.OrderBy(t => t.CreatedAt).ThenBy(t => t.TokenId, StringComparer.Ordinal)
            .Select(t => new JoinTokenSummary(t, agents.GetValueOrDefault(t.TokenId)))];
    }

    [System.Text.RegularExpressions.GeneratedRegex("^i-[0-9a-f]{8,17}$")]
    private static partial System.Text.RegularExpressions.Regex Ec2InstanceIdPattern();

    // An agent may name its cluster by ARN, as RegisterContainerInstance takes it.
    private static string ClusterName(string reference) => reference.StartsWith("arn:", StringComparison.Ordinal) ? Arn.ClusterName(reference) : reference;
}
