namespace Berth.Protocol.Auth;

/// <summary>
/// A key pair the server accepts, and who it belongs to.
/// </summary>
/// <param name="AccessKeyId">The public half, as it appears in <c>Credential=</c>.</param>
/// <param name="SecretAccessKey">The secret half; never echoed in any error.</param>
/// <param name="SessionToken">For temporary credentials: the token every request must carry as <c>X-Amz-Security-Token</c>.</param>
/// <param name="Expiration">When temporary credentials stop working; <see langword="null"/> for long-term keys.</param>
/// <param name="PrincipalArn">The identity the key authenticates as.</param>
public sealed record SigningCredential(
    string AccessKeyId,
    string SecretAccessKey,
    string? SessionToken,
    DateTimeOffset? Expiration,
    string PrincipalArn)
{
    /// <summary>
    /// What the key may do when it is not the account's own: a join token may only join an agent, an agent's key only
    /// act for its own container instance. <see langword="null"/> for the account's keys.
    /// </summary>
    public CredentialScope? Scope { get; init; }

    // Keeps the secret out of logs that print the record.
    public override string ToString() =>
        $"SigningCredential {{ AccessKeyId = {AccessKeyId}, PrincipalArn = {PrincipalArn}, Expiration = {Expiration} }}";
}

/// <summary>What a scoped key is for.</summary>
public enum CredentialKind
{
    /// <summary>A join token: it signs only the request that joins an agent.</summary>
    JoinToken,

    /// <summary>An agent's own key: it acts only for its own container instance and tasks.</summary>
    Agent,
}

/// <summary>The limits of a scoped key.</summary>
/// <param name="Kind">Join token or agent.</param>
/// <param name="TokenId">The join token (itself, or the one the agent joined with).</param>
/// <param name="Cluster">The cluster name the key is bound to; <see langword="null"/> for a token any cluster may use.</param>
/// <param name="Ec2InstanceId">The agent's instance id (agents only).</param>
public sealed record CredentialScope(CredentialKind Kind, string TokenId, string? Cluster, string? Ec2InstanceId);

/// <summary>
/// Looks up credentials by access key id. Called once per request, so implementations should be cheap and thread-safe.
/// </summary>
public interface ICredentialStore
{
    /// <summary>The credential for <paramref name="accessKeyId"/>, or <see langword="null"/> when the key is unknown.</summary>
    SigningCredential? Find(string accessKeyId);
}
