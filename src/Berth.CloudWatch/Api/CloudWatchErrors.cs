using System.Globalization;
using System.Text.RegularExpressions;
using Berth.Protocol.Errors;

namespace Berth.CloudWatch.Api;

/// <summary>CloudWatch's errors, with the codes its model gives them and members named as CloudWatch names them (<c>MetricData.member.1.Value</c>).</summary>
public static partial class CloudWatchErrors
{
    /// <summary>InvalidParameterValue (400).</summary>
    public static AwsException InvalidValue(string message) => new("InvalidParameterValue", message);

    /// <summary>InvalidParameterValue for a member's value, in CloudWatch's words.</summary>
    public static AwsException InvalidValue(string member, string? value) => new("InvalidParameterValue", $"The value {value} for parameter {member} is invalid.");

    /// <summary>MissingParameter (400).</summary>
    public static AwsException Missing(string member) => new("MissingParameter", $"The parameter {member} is required.");

    /// <summary>InvalidParameterCombination (400).</summary>
    public static AwsException Combination(string message) => new("InvalidParameterCombination", message);

    /// <summary>InvalidNextToken (400).</summary>
    public static AwsException NextToken() => new("InvalidNextToken", "The service couldn't process the provided next token.");

    /// <summary>A member path as the dispatch table's required-member check gives it (<c>MetricData[0].MetricName</c>) in CloudWatch's words.</summary>
    public static string MemberName(string path) => IndexPattern().Replace(path, m => ".member." + (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture));

    /// <summary>The path of an item of a list member: <c>MetricData.member.3</c> for index 2.</summary>
    public static string Item(string list, int index) => $"{list}.member.{index + 1}";

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex IndexPattern();
}
