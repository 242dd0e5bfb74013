using Berth.Protocol.Errors;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>Refuses a value outside one of the model's enumerations (<c>WireEnums</c>) the way ECS does.</summary>
internal static class EnumRules
{
    /// <summary>Null is allowed (the member is optional); anything else must be one of <paramref name="allowed"/>, case included.</summary>
    public static void Require(string? value, string[] allowed)
    {
        // ECS answers unknown enum values with "<value> should be one of [a,b,c]" (as moto reproduces it).
        if (value is not null && Array.IndexOf(allowed, value) < 0)
            throw AwsException.InvalidParameter($"{value} should be one of [{string.Join(',', allowed)}]");
    }

    public static void RequireAll(IEnumerable<string?>? values, string[] allowed)
    {
        foreach (var value in values ?? [])
            Require(value, allowed);
    }
}
