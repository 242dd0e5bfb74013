using Berth.Protocol.Errors;

namespace Berth.Events.Rules;

/// <summary>EventBridge's errors as its model names them, with its messages.</summary>
public static class EventsErrors
{
    /// <summary>ValidationException (HTTP 400).</summary>
    public static AwsException Validation(string message) => new("ValidationException", message);

    /// <summary>A member that breaks its model constraint, in AWS's "1 validation error detected" form.</summary>
    public static AwsException Constraint(string? value, string member, string constraint) =>
        Validation($"1 validation error detected: Value {(value is null ? "null" : $"'{value}'")} at '{member}' failed to satisfy constraint: {constraint}");

    /// <summary>ResourceNotFoundException for a rule.</summary>
    public static AwsException RuleNotFound(string name, string bus) =>
        new("ResourceNotFoundException", $"Rule {name} does not exist on EventBus {bus}.");

    /// <summary>ResourceNotFoundException for a bus.</summary>
    public static AwsException BusNotFound(string bus) => new("ResourceNotFoundException", $"Event bus {bus} does not exist.");

    /// <summary>ResourceAlreadyExistsException for a bus.</summary>
    public static AwsException BusExists(string arn) => new("ResourceAlreadyExistsException", $"Event bus {arn} already exists.");

    /// <summary>InvalidEventPatternException.</summary>
    public static AwsException InvalidPattern(string reason) => new("InvalidEventPatternException", $"Event pattern is not valid. Reason: {reason}");

    /// <summary>LimitExceededException.</summary>
    public static AwsException Limit(string message) => new("LimitExceededException", message);
}
