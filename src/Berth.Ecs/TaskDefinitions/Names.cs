using System.Text.RegularExpressions;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>The name syntax ECS uses for families, containers and volumes: 1–255 letters, numbers, hyphens, underscores.</summary>
internal static partial class Names
{
    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>Images: up to 255 letters, numbers, hyphens, underscores, colons, periods, slashes, number signs, plus '@' for digests.</summary>
    public static bool IsValidImage(string image) => ImagePattern().IsMatch(image);

    /// <summary>Whether the image lives in a private ECR registry (needs ECR auth, and on Fargate an execution role).</summary>
    public static bool IsEcrImage(string? image) => image is not null && EcrPattern().IsMatch(image);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,255}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    [GeneratedRegex("^[A-Za-z0-9_:./#@-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ImagePattern();

    [GeneratedRegex(@"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/", RegexOptions.CultureInvariant)]
    private static partial Regex EcrPattern();
}
