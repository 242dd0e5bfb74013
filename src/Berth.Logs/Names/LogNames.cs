using System.Text.RegularExpressions;
using Berth.Protocol.Errors;

namespace Berth.Logs.Names;

/// <summary>Log group and stream names as the model constrains them, and their ARNs.</summary>
public static partial class LogNames
{
    /// <summary>The retention values PutRetentionPolicy accepts.</summary>
    public static readonly int[] RetentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

    /// <summary>Throws InvalidParameterException unless <paramref name="name"/> is a valid log group name.</summary>
    public static string Group(string? name, string member = "logGroupName")
    {
        if (name is null || name.Length is < 1 or > 512 || !GroupPattern().IsMatch(name))
        {
            throw AwsException.InvalidParameter($"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
        }

        return name;
    }

    /// <summary>Throws InvalidParameterException unless <paramref name="name"/> is a valid log stream name.</summary>
    public static string Stream(string? name, string member = "logStreamName")
    {
        if (name is null || name.Length is < 1 or > 512 || name.Contains(':', StringComparison.Ordinal) || name.Contains('*', StringComparison.Ordinal))
        {
            throw AwsException.InvalidParameter($"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*");
        }

        return name;
    }

    /// <summary>The group named by <c>logGroupName</c> or <c>logGroupIdentifier</c> (a name or an ARN), exactly one of them.</summary>
    public static string GroupOf(string? name, string? identifier)
    {
        if (name is not null && identifier is not null)
        {
            throw AwsException.InvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
        }

        if (identifier is not null)
        {
            return identifier.StartsWith("arn:", StringComparison.Ordinal) ? GroupOfArn(identifier) : Group(identifier, "logGroupIdentifier");
        }

        if (name is null)
        {
            throw AwsException.InvalidParameter("Either logGroupName or logGroupIdentifier should be provided.");
        }

        return Group(name);
    }

    /// <summary>The group name inside a log group ARN (with or without the trailing <c>:*</c>).</summary>
    public static string GroupOfArn(string arn)
    {
        var parts = arn.Split(':');
        if (parts.Length < 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group")
        {
            throw AwsException.InvalidParameter($"Invalid log group ARN: {arn}");
        }

        return Group(parts[6], "resourceArn");
    }

    /// <summary>The group's ARN as DescribeLogGroups' <c>arn</c> gives it (with <c>:*</c>).</summary>
    public static string GroupArnStar(string region, string account, string group) => $"arn:aws:logs:{region}:{account}:log-group:{group}:*";

    /// <summary>The group's ARN without <c>:*</c> (<c>logGroupArn</c>, and what TagResource takes).</summary>
    public static string GroupArn(string region, string account, string group) => $"arn:aws:logs:{region}:{account}:log-group:{group}";

    /// <summary>A stream's ARN.</summary>
    public static string StreamArn(string region, string account, string group, string stream) => $"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}";

    [GeneratedRegex(@"^[\.\-_/#A-Za-z0-9]+$")]
    private static partial Regex GroupPattern();
}
