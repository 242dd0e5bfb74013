using Berth.Protocol.Errors;

namespace Berth.Events.Scheduler;

/// <summary>EventBridge Scheduler's errors with the HTTP statuses its model gives them, and its messages.</summary>
public static class SchedulerErrors
{
    /// <summary>ValidationException (HTTP 400).</summary>
    public static AwsException Validation(string message) => new("ValidationException", message, 400);

    /// <summary>A member that breaks its model constraint, in AWS's "1 validation error detected" form.</summary>
    public static AwsException Constraint(string? value, string member, string constraint) =>
        Validation($"1 validation error detected: Value {(value is null ? "null" : $"'{value}'")} at '{member}' failed to satisfy constraint: {constraint}");

    /// <summary>A required member that is missing; <paramref name="path"/> is its wire path (<c>Target.Arn</c>).</summary>
    public static AwsException Missing(string path) => Constraint(null, Camel(path), "Member must not be null");

    /// <summary>ResourceNotFoundException (HTTP 404).</summary>
    public static AwsException NotFound(string message) => new("ResourceNotFoundException", message, 404);

    /// <summary>ResourceNotFoundException for a schedule.</summary>
    public static AwsException ScheduleNotFound(string name) => NotFound($"Schedule {name} does not exist.");

    /// <summary>ResourceNotFoundException for a schedule group.</summary>
    public static AwsException GroupNotFound(string name) => NotFound($"Schedule group {name} does not exist.");

    /// <summary>ConflictException (HTTP 409).</summary>
    public static AwsException Conflict(string message) => new("ConflictException", message, 409);

    /// <summary>ServiceQuotaExceededException (HTTP 402).</summary>
    public static AwsException Quota(string message) => new("ServiceQuotaExceededException", message, 402);

    /// <summary><c>Target.RetryPolicy</c> as the validation messages spell member paths: <c>target.retryPolicy</c>.</summary>
    public static string Camel(string path) =>
        string.Join('.', path.Split('.').Select(p => p.Length == 0 ? p : char.ToLowerInvariant(p[0]) + p[1..]));
}
