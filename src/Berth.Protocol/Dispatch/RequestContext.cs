namespace Berth.Protocol.Dispatch;

/// <summary>Who asked, where, and which request this is: what every operation handler receives besides its input.</summary>
/// <param name="Region">The region of the request's SigV4 scope; it goes into every ARN the request makes.</param>
/// <param name="AccountId">The account Berth serves.</param>
/// <param name="PrincipalArn">The caller's principal (root, or a role for issued credentials).</param>
/// <param name="RequestId">The <c>x-amzn-RequestId</c> of the response.</param>
public sealed record RequestContext(string Region, string AccountId, string PrincipalArn, string RequestId)
{
    /// <summary>Cancelled when the client goes away or the server stops.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>The limits of the caller's key (an agent's own key); <see langword="null"/> for the account's keys.</summary>
    public Berth.Protocol.Auth.CredentialScope? Scope { get; init; }
}
