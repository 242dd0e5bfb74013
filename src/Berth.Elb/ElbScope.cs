namespace Berth.Elb;

/// <summary>What a decision needs besides the state and the request: where, who, when, and fresh ids made outside it.</summary>
/// <param name="Region">The region of the request (it goes into every ARN).</param>
/// <param name="AccountId">The account.</param>
/// <param name="Now">The time of the request.</param>
/// <param name="NewIds">Fresh 16-hex-digit ids for what the decision creates (at most two are used).</param>
public sealed record ElbScope(string Region, string AccountId, DateTimeOffset Now, IReadOnlyList<string> NewIds);
