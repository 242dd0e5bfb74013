using Berth.Ecs.Model;

namespace Berth.Ecs.Tasks;

/// <summary>
/// What a RunTask <c>clientToken</c> stands for: a fingerprint of the request it came with and what that
/// request produced, so a retry gets the same tasks back and a different request under the token is refused.
/// </summary>
/// <param name="Token">The token as the client sent it.</param>
/// <param name="Fingerprint">SHA-256 (hex) of the request's JSON.</param>
/// <param name="TaskArns">The tasks the request started, in order.</param>
/// <param name="Failures">The failures it answered with.</param>
/// <param name="CreatedAt">When it was first used (it expires with the tasks it stands for); null in tokens stored before Berth kept it.</param>
public sealed record StoredClientToken(string Token, string Fingerprint, List<string> TaskArns, List<Failure> Failures, DateTimeOffset? CreatedAt = null);
