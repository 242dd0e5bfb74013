using Berth.Protocol.Errors;

namespace Berth.Protocol.Auth;

/// <summary>The refusal of a signed request its key may not make, worded as IAM words it.</summary>
public static class AccessDenied
{
    /// <summary>The error type the AWS JSON services answer a denied call with.</summary>
    public const string ErrorType = "AccessDeniedException";

    /// <summary>
    /// <c>User: P is not authorized to perform: A on resource: R because no identity-based policy allows the A action</c>,
    /// or, when the action is not known here, <c>User: P is not authorized to perform this operation</c>.
    /// </summary>
    /// <remarks>400 as the AWS JSON services send it; <paramref name="status"/> 403 where the refusal is not one operation's.</remarks>
    public static AwsException NotAuthorized(string principalArn, string? action, string? resource, int status = 400)
        => new(ErrorType, action is null
            ? $"User: {principalArn} is not authorized to perform this operation"
            : $"User: {principalArn} is not authorized to perform: {action} on resource: {resource ?? "*"} because no identity-based policy allows the {action} action", status);
}
