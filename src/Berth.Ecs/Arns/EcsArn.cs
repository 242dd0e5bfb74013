using System.Diagnostics.CodeAnalysis;

namespace Berth.Ecs.Arns;

/// <summary>Where a request lives: its region (from the SigV4 scope) and the account Berth serves.</summary>
public readonly record struct Scope(string Region, string AccountId)
{
    /// <summary>The partition of the region (<c>aws</c>, <c>aws-cn</c> or <c>aws-us-gov</c>).</summary>
    public string Partition => Region.StartsWith("cn-", StringComparison.Ordinal) ? "aws-cn"
        : Region.StartsWith("us-gov-", StringComparison.Ordinal) ? "aws-us-gov" : "aws";

    // The last prefix made: a server serves one account, nearly always in one region, and a burst of RunTasks asks
    // for it a few times per task. One entry, so a caller cycling through made-up regions cannot grow it.
    private static PrefixEntry? s_lastPrefix;

    /// <summary>The prefix every ECS ARN of this scope starts with: <c>arn:aws:ecs:REGION:ACCOUNT:</c>.</summary>
    public string EcsPrefix
    {
        get
        {
            if (s_lastPrefix is { } last && last.Region == Region && last.AccountId == AccountId)
            {
                return last.Prefix;
            }

            var prefix = $"arn:{Partition}:ecs:{Region}:{AccountId}:";
            s_lastPrefix = new PrefixEntry(Region, AccountId, prefix);
            return prefix;
        }
    }

    /// <summary>The account's root principal, <c>arn:aws:iam::ACCOUNT:root</c>.</summary>
    public string RootPrincipal => $"arn:{Partition}:iam::{AccountId}:root";

    private sealed record PrefixEntry(string Region, string AccountId, string Prefix);
}

/// <summary>A parsed ECS ARN: <c>arn:PARTITION:ecs:REGION:ACCOUNT:TYPE/RESOURCE</c>.</summary>
public sealed record EcsArn(string Partition, string Region, string AccountId, string ResourceType, string Resource)
{
    /// <summary>Parses an ECS ARN; false for anything else (including other services' ARNs).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out EcsArn? arn)
    {
        arn = null;
        if (!TrySplit(text, out var parts, out var slash))
        {
            return false;
        }

        arn = new EcsArn(text[parts.Partition], text[parts.Region], text[parts.Account], text[parts.Resource][..slash], text[parts.Resource][(slash + 1)..]);
        return true;
    }

    /// <summary>Whether <paramref name="text"/> is an ECS ARN of <paramref name="resourceType"/>; reads it without copying any part.</summary>
    public static bool IsOf(string? text, string resourceType) =>
        TrySplit(text, out var parts, out var slash) && text.AsSpan()[parts.Resource][..slash].SequenceEqual(resourceType);

    // arn:PARTITION:ecs:REGION:ACCOUNT:TYPE/RESOURCE, split at its first five colons (a resource may hold more).
    private static bool TrySplit([NotNullWhen(true)] string? text, out (Range Partition, Range Region, Range Account, Range Resource) parts, out int slash)
    {
        parts = default;
        slash = -1;
        if (text is null || !text.StartsWith("arn:", StringComparison.Ordinal))
        {
            return false;
        }

        var span = text.AsSpan();
        Span<Range> ranges = stackalloc Range[6];
        if (span.Split(ranges, ':') != 6 || !span[ranges[2]].SequenceEqual("ecs")
            || span[ranges[1]].IsEmpty || span[ranges[3]].IsEmpty || span[ranges[4]].IsEmpty)
        {
            return false;
        }

        var resource = span[ranges[5]];
        slash = resource.IndexOf('/');
        if (slash <= 0 || slash == resource.Length - 1)
        {
            return false;
        }

        parts = (ranges[1], ranges[3], ranges[4], ranges[5]);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"arn:{Partition}:ecs:{Region}:{AccountId}:{ResourceType}/{Resource}";
}

/// <summary>Builds the ARNs ECS gives its resources.</summary>
public static class Arn
{
    /// <summary><c>arn:aws:ecs:REGION:ACCOUNT:cluster/NAME</c>.</summary>
    public static string Cluster(Scope scope, string name) => scope.EcsPrefix + "cluster/" + name;

    /// <summary>The family's ARN without a revision; the key under which its revisions are kept.</summary>
    public static string TaskDefinitionFamily(Scope scope, string family) => scope.EcsPrefix + "task-definition/" + family;

    /// <summary><c>arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION</c>.</summary>
    public static string TaskDefinition(Scope scope, string family, int revision) => $"{TaskDefinitionFamily(scope, family)}:{revision}";

    /// <summary><c>arn:aws:ecs:REGION:ACCOUNT:container-instance/CLUSTER/ID</c>.</summary>
    public static string ContainerInstance(Scope scope, string cluster, string id) => $"{scope.EcsPrefix}container-instance/{cluster}/{id}";

    /// <summary>The name of a cluster given by name or ARN (its last path segment).</summary>
    public static string ClusterName(string clusterArn) => clusterArn[(clusterArn.LastIndexOf('/') + 1)..];
}
