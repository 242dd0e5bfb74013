using System.Text.RegularExpressions;

namespace Berth.Registry.Ecr;

/// <summary>ECR's rules for names, tags and digests.</summary>
public static partial class RepositoryRules
{
    /// <summary>Lowercase components separated by <c>/</c>, each of alphanumerics joined by single <c>.</c>, <c>_</c> or <c>-</c>.</summary>
    public static bool IsValidName(string? name)
        => name is { Length: >= 2 and <= 256 } && NamePattern().IsMatch(name);

    /// <summary>An image tag: up to 300 characters of letters, digits, <c>_ . -</c>, not starting with <c>.</c> or <c>-</c>.</summary>
    public static bool IsValidTag(string? tag)
        => tag is { Length: >= 1 and <= 300 } && TagPattern().IsMatch(tag);

    /// <summary>Throws InvalidParameterException unless <paramref name="name"/> is a valid repository name.</summary>
    public static void RequireName(string? name)
    {
        if (!IsValidName(name))
        {
            throw EcrErrors.InvalidParameter("repositoryName",
                "must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*' and have a length between 2 and 256");
        }
    }

    /// <summary>The ARN of a repository.</summary>
    public static string Arn(string region, string accountId, string name) => $"arn:aws:ecr:{region}:{accountId}:repository/{name}";

    /// <summary>The repository name in a repository ARN, or null when it is not one.</summary>
    public static string? NameFromArn(string? arn)
    {
        if (arn is null)
        {
            return null;
        }

        var parts = arn.Split(':', 6);
        return parts.Length == 6 && parts[0] == "arn" && parts[2] == "ecr" && parts[5].StartsWith("repository/", StringComparison.Ordinal)
            ? parts[5]["repository/".Length..]
            : null;
    }

    [GeneratedRegex("^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}$")]
    private static partial Regex TagPattern();
}
