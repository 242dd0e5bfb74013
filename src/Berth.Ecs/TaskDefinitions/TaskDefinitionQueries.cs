using System.Globalization;
using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.Paging;
using Berth.Ecs.State;
using Berth.Protocol.Errors;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>The read-only task definition operations over one state snapshot.</summary>
public static class TaskDefinitionQueries
{
    /// <summary>DescribeTaskDefinition.</summary>
    public static DescribeTaskDefinitionResponse Describe(EcsState state, Scope scope, DescribeTaskDefinitionRequest request)
    {
        var stored = TaskDefinitionLookup.Find(state, TaskDefinitionLookup.Parse(scope, request.TaskDefinition))
            ?? throw AwsException.Client("Unable to describe task definition.");
        return new DescribeTaskDefinitionResponse
        {
            TaskDefinition = stored.Wire(),
            Tags = request.Include?.Contains("TAGS") == true ? stored.WireTags() : null,
        };
    }

    /// <summary>ListTaskDefinitions: by family, then revision; ACTIVE unless another status is asked for.</summary>
    public static ListTaskDefinitionsResponse List(EcsState state, Scope scope, ListTaskDefinitionsRequest request)
    {
        var status = request.Status ?? "ACTIVE";
        CheckEnum(status, WireEnums.TaskDefinitionStatus, "status");
        var sort = request.Sort ?? "ASC";
        CheckEnum(sort, WireEnums.SortOrder, "sort");
        var size = Page.Size(request.MaxResults, 100);
        var descending = sort == "DESC";
        // Despite its name, ECS treats familyPrefix here as the full family name.
        var ordered = (request.FamilyPrefix is { } family
                ? state.Families.TryGetValue(Arn.TaskDefinitionFamily(scope, family), out var exact) ? exact.Revisions : []
                : Revisions(state, scope, null))
            .Where(r => WireText.Of(r.Status) == status)
            .Select(r => (Key(r.Definition), r.Definition.TaskDefinitionArn!));
        if (descending)
        {
            ordered = ordered.Reverse();
        }

        var (arns, next) = Page.Take(ordered, size, request.NextToken, "ListTaskDefinitions", descending);
        return new ListTaskDefinitionsResponse { TaskDefinitionArns = arns, NextToken = next };
    }

    /// <summary>ListTaskDefinitionFamilies: ACTIVE (has an ACTIVE revision), INACTIVE (has none) or ALL (the default, as in ECS).</summary>
    public static ListTaskDefinitionFamiliesResponse ListFamilies(EcsState state, Scope scope, ListTaskDefinitionFamiliesRequest request)
    {
        var status = request.Status ?? "ALL";
        CheckEnum(status, WireEnums.TaskDefinitionFamilyStatus, "status");
        var size = Page.Size(request.MaxResults, 100);
        var ordered = Families(state, scope, request.FamilyPrefix)
            .Where(f => f.Revisions.Any(r => r.Status != TaskDefinitionStatus.DeleteInProgress))
            .Where(f => status switch
            {
                "ACTIVE" => f.LatestActive is not null,
                "INACTIVE" => f.LatestActive is null,
                _ => true,
            })
            .Select(f => (f.Family, f.Family));
        var (families, next) = Page.Take(ordered, size, request.NextToken, "ListTaskDefinitionFamilies");
        return new ListTaskDefinitionFamiliesResponse { Families = families, NextToken = next };
    }

    private static IEnumerable<TaskDefinitionFamily> Families(EcsState state, Scope scope, string? familyPrefix)
    {
        var prefix = Arn.TaskDefinitionFamily(scope, familyPrefix ?? string.Empty);
        foreach (var (key, family) in state.Families)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return family;
            }
        }
    }

    private static IEnumerable<TaskDefinitionRecord> Revisions(EcsState state, Scope scope, string? familyPrefix)
        => Families(state, scope, familyPrefix).SelectMany(f => f.Revisions);

    // Family, then the revision zero-padded so that ordinal order is numeric order.
    private static string Key(TaskDefinition d) => d.Family + "\u0001" + d.Revision!.Value.ToString("D10", CultureInfo.InvariantCulture);

    private static void CheckEnum(string value, string[] allowed, string member)
    {
        if (Array.IndexOf(allowed, value) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for {member}: {value}. Valid values are {string.Join(", ", allowed)}.");
        }
    }
}
