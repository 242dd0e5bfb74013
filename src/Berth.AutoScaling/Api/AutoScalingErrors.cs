using Berth.Protocol.Errors;

namespace Berth.AutoScaling.Api;

/// <summary>Application Auto Scaling's errors as its model names them, with its messages.</summary>
public static class AutoScalingErrors
{
    /// <summary>ValidationException (HTTP 400).</summary>
    public static AwsException Validation(string message) => new("ValidationException", message);

    /// <summary>A member that breaks its model constraint, in AWS's "1 validation error detected" form.</summary>
    public static AwsException Constraint(string? value, string member, string constraint) =>
        Validation($"1 validation error detected: Value {(value is null ? "null" : $"'{value}'")} at '{member}' failed to satisfy constraint: {constraint}");

    /// <summary>A required member that is missing.</summary>
    public static AwsException Missing(string member) => Constraint(null, member, "Member must not be null");

    /// <summary>A resource id, namespace and dimension that do not name a supported scalable resource.</summary>
    public static AwsException Unsupported() => Validation("Unsupported service namespace, resource type or scalable dimension");

    /// <summary>ObjectNotFoundException for a target.</summary>
    public static AwsException NoTarget(string ns, string resourceId, string dimension) =>
        new("ObjectNotFoundException", $"No scalable target registered for service namespace: {ns}, resource ID: {resourceId}, scalable dimension: {dimension}");

    /// <summary>ObjectNotFoundException for a policy.</summary>
    public static AwsException NoPolicy(string ns, string resourceId, string dimension, string name) =>
        new("ObjectNotFoundException", $"No scaling policy found for service namespace: {ns}, resource ID: {resourceId}, scalable dimension: {dimension}, policy name: {name}");

    /// <summary>ObjectNotFoundException for a scheduled action.</summary>
    public static AwsException NoScheduledAction(string ns, string resourceId, string dimension, string name) =>
        new("ObjectNotFoundException", $"No scheduled action found for service namespace: {ns}, resource ID: {resourceId}, scalable dimension: {dimension}, scheduled action name: {name}");

    /// <summary>LimitExceededException.</summary>
    public static AwsException Limit(string message) => new("LimitExceededException", message);

    /// <summary>InvalidNextTokenException.</summary>
    public static AwsException NextToken() => new("InvalidNextTokenException", "Invalid NextToken");

    /// <summary>ResourceNotFoundException of the tagging operations.</summary>
    public static AwsException NoResource(string arn) => new("ResourceNotFoundException", $"No scalable target found for ARN: {arn}");

    /// <summary>TooManyTagsException.</summary>
    public static AwsException TooManyTags() => new("TooManyTagsException", "The number of tags exceeds the limit of 50 tags per resource.");
}
