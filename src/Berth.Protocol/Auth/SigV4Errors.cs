using Berth.Protocol.Errors;

namespace Berth.Protocol.Auth;

// The error types and texts AWS's JSON services answer authentication failures with.
// Messages carry only what the client sent, never the secret or anything derived from it.
internal static class SigV4Errors
{
    public const string SignatureMismatchMessage =
        "The request signature we calculated does not match the signature you provided. " +
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

    public static AwsException MissingAuthenticationToken() =>
        new("MissingAuthenticationTokenException", "Missing Authentication Token");

    public static AwsException UnrecognizedClient() =>
        new("UnrecognizedClientException", "The security token included in the request is invalid.");

    public static AwsException ExpiredToken() =>
        new("ExpiredTokenException", "The security token included in the request is expired");

    public static AwsException Incomplete(string message) => new("IncompleteSignatureException", message);

    public static AwsException InvalidSignature(string message) => new("InvalidSignatureException", message);

    public static AwsException SignatureMismatch() => InvalidSignature(SignatureMismatchMessage);

    // S3 is the AWS service that enforces X-Amz-Expires; this is its answer, in JSON form.
    public static AwsException PresignExpired() => new("AccessDeniedException", "Request has expired");
}
