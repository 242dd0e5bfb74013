namespace Berth.Ecs.AgentAccess;

/// <summary>
/// A join token: what an operator hands a new host so its agent can join, instead of the account's own keys. It is a
/// key pair (<see cref="TokenId"/> as the access key id) that signs one request, the join, until it expires or is
/// revoked; every agent that joins with it gets a key of its own.
/// </summary>
public sealed record JoinTokenRecord
{
    /// <summary>The token's id, also the access key id its secret signs the join with.</summary>
    public required string TokenId { get; init; }

    /// <summary>The secret half; <see langword="null"/> for the built-in token, whose secret the server derives from its own.</summary>
    public string? Secret { get; init; }

    /// <summary>The one cluster agents joining with it may join; <see langword="null"/>: the one the agent names.</summary>
    public string? Cluster { get; init; }

    /// <summary>What the operator wrote about it.</summary>
    public string? Description { get; init; }

    /// <summary>When it was made.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>After this no agent can join with it; <see langword="null"/>: never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When it was revoked: nothing it signs or issued works any more.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>The token of the agents the server runs itself (its local and FARGATE hosts, in-process Auto Scaling instances).</summary>
    public bool Builtin { get; init; }

    /// <summary>Whether an agent may join with it at <paramref name="now"/>.</summary>
    public bool Usable(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is not { } expires || now < expires);
}

/// <summary>An agent's own key: issued when it joined, good only for its own container instance (its cluster and instance id).</summary>
public sealed record AgentKeyRecord
{
    /// <summary>The access key id.</summary>
    public required string AccessKeyId { get; init; }

    /// <summary>The secret half (the server needs it to check signatures).</summary>
    public required string SecretAccessKey { get; init; }

    /// <summary>The join token it was issued under: revoking that revokes this.</summary>
    public required string TokenId { get; init; }

    /// <summary>The cluster (name) the agent joined.</summary>
    public required string Cluster { get; init; }

    /// <summary>The instance id the server gave the agent; its container instances carry it.</summary>
    public required string Ec2InstanceId { get; init; }

    /// <summary>When it was issued.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}
