namespace Berth.Protocol.Auth;

/// <summary>
/// Who signed a request that verified, and the scope they signed it for.
/// </summary>
/// <param name="AccessKeyId">The access key that signed.</param>
/// <param name="Region">The region from the credential scope.</param>
/// <param name="Service">The signing name from the credential scope; check it with <see cref="RequireService"/>.</param>
/// <param name="PrincipalArn">The principal of the credential.</param>
/// <param name="SignedAt">The request's date (<c>X-Amz-Date</c> or <c>Date</c>).</param>
/// <param name="UnsignedPayload"><see langword="true"/> when the client sent <c>UNSIGNED-PAYLOAD</c>, so the body is not covered by the signature.</param>
public sealed record SigV4Identity(
    string AccessKeyId,
    string Region,
    string Service,
    string PrincipalArn,
    DateTimeOffset SignedAt,
    bool UnsignedPayload = false)
{
    /// <summary>The limits of the key that signed; <see langword="null"/> for the account's own keys.</summary>
    public CredentialScope? Scope { get; init; }

    /// <summary>Throws as AWS does when the request was signed for another service.</summary>
    public void RequireService(string signingName)
    {
        if (!string.Equals(Service, signingName, StringComparison.Ordinal))
        {
            throw SigV4Errors.InvalidSignature($"Credential should be scoped to correct service: '{signingName}'. ");
        }
    }
}
