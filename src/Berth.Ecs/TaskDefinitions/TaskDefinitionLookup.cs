using System.Globalization;
using Berth.Ecs.Arns;
using Berth.Ecs.State;
using Berth.Protocol.Errors;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>Resolves the ways a request names a task definition: <c>family</c>, <c>family:revision</c> or a full ARN.</summary>
public static class TaskDefinitionLookup
{
    /// <summary>A task definition reference split into the family's key and the revision (null: latest ACTIVE).</summary>
    public readonly record struct Reference(string FamilyKey, string Family, int? Revision);

    private const string OwnResource = "task-definition/";

    /// <summary>Parses a reference; InvalidParameterException for a malformed one.</summary>
    public static Reference Parse(Scope scope, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw AwsException.Client("Task Definition can not be blank.");
        }

        string familyAndRevision;
        Scope owner = scope;
        var own = scope.EcsPrefix;
        if (text.StartsWith(own, StringComparison.Ordinal) && text.AsSpan(own.Length).StartsWith(OwnResource, StringComparison.Ordinal)
            && text.LastIndexOf(':') is var last && last > own.Length + OwnResource.Length)
        {
            // The caller's own full ARN (what scheduled targets and services hold): the family's key is the ARN up
            // to its revision, taken without parsing the ARN into its parts.
            if (!int.TryParse(text.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
            {
                throw AwsException.Client("Invalid revision number. Number: " + text[(last + 1)..]);
            }

            return new Reference(text[..last], text[(own.Length + OwnResource.Length)..last], number);
        }

        if (text.StartsWith("arn:", StringComparison.Ordinal))
        {
            if (!EcsArn.TryParse(text, out var arn) || arn.ResourceType != "task-definition")
            {
                throw AwsException.InvalidParameter("Invalid revision number. Number: " + text);
            }

            owner = new Scope(arn.Region, arn.AccountId);
            familyAndRevision = arn.Resource;
        }
        else
        {
            familyAndRevision = text;
        }

        var colon = familyAndRevision.LastIndexOf(':');
        if (colon < 0)
        {
            return new Reference(Arn.TaskDefinitionFamily(owner, familyAndRevision), familyAndRevision, null);
        }

        var family = familyAndRevision[..colon];
        var revisionText = familyAndRevision[(colon + 1)..];
        if (!int.TryParse(revisionText, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) || revision < 1)
        {
            throw AwsException.Client("Invalid revision number. Number: " + revisionText);
        }

        return new Reference(Arn.TaskDefinitionFamily(owner, family), family, revision);
    }

    /// <summary>The revision a reference names, or null; a bare family means its latest ACTIVE revision.</summary>
    public static TaskDefinitionRecord? Find(EcsState state, Reference reference)
    {
        if (!state.Families.TryGetValue(reference.FamilyKey, out var family))
        {
            return null;
        }

        if (reference.Revision is not { } number)
        {
            return family.LatestActive;
        }

        return number <= family.Revisions.Count ? family.Revisions[number - 1] : null;
    }
}
