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
    // Keeps the secret out of logs that print the record.
    public override string ToString() =>
        $"SigningCredential {{ AccessKeyId = {AccessKeyId}, PrincipalArn = {PrincipalArn}, Expiration = {Expiration} }}";
}

/// <summary>
/// Looks up credentials by access key id. Called once per request, so implementations should be cheap and thread-safe.
/// </summary>
public interface ICredentialStore
{
    /// <summary>The credential for <paramref name="accessKeyId"/>, or <see langword="null"/> when the key is unknown.</summary>
    SigningCredential? Find(string accessKeyId);
}
