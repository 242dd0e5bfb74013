using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>The task definition operations that change state, as pure functions of (state, request, now).</summary>
public static class TaskDefinitionDecisions
{
    /// <summary>
    /// RegisterTaskDefinition: the next revision of the family (revisions are gapless because every
    /// registration is decided one after another on the commit pipeline).
    /// </summary>
    public static Decision<EcsState, TaskDefinitionRecord> Register(EcsState state, Scope scope, string principal, DateTimeOffset now, RegisterTaskDefinitionRequest request)
    {
        // The family is checked first so the ARN below is well formed; Build checks everything else.
        var family = request.Family ?? string.Empty;
        var familyKey = Arn.TaskDefinitionFamily(scope, family);
        var revision = (state.Families.TryGetValue(familyKey, out var existing) ? existing.Revisions.Count : 0) + 1;
        var definition = TaskDefinitionRules.Build(request, Arn.TaskDefinition(scope, family, revision), revision, now, principal);
        TagRules.Validate(request.Tags);
        var stored = new TaskDefinitionRecord(definition, ResourceTag.FromWire(request.Tags)) { Status = TaskDefinitionStatus.Active };
        var edit = new StateEdit(state);
        edit.Put(familyKey, stored);
        return edit.Done(stored);
    }

    /// <summary>DeregisterTaskDefinition: the revision becomes INACTIVE (existing tasks and services keep it).</summary>
    public static Decision<EcsState, TaskDefinition> Deregister(EcsState state, Scope scope, DateTimeOffset now, DeregisterTaskDefinitionRequest request)
    {
        var reference = TaskDefinitionLookup.Parse(scope, request.TaskDefinition);
        if (reference.Revision is null)
        {
            throw AwsException.Client("Revision is required. Specify a task definition as family:revision or its full ARN.");
        }

        var stored = TaskDefinitionLookup.Find(state, reference);
        if (stored is null || stored.Status == TaskDefinitionStatus.DeleteInProgress)
        {
            throw AwsException.Client("The specified task definition does not exist.");
        }

        var edit = new StateEdit(state);
        if (stored.Status == TaskDefinitionStatus.Active)
        {
            stored = stored with { Status = TaskDefinitionStatus.Inactive, DeregisteredAt = now };
            edit.Put(reference.FamilyKey, stored);
        }

        return edit.Done(stored.Wire());
    }

    /// <summary>DeleteTaskDefinitions: INACTIVE revisions go to DELETE_IN_PROGRESS; others come back as failures.</summary>
    public static Decision<EcsState, DeleteTaskDefinitionsResponse> Delete(EcsState state, Scope scope, DeleteTaskDefinitionsRequest request)
    {
        var requested = request.TaskDefinitions ?? [];
        if (requested.Count is 0 or > 10)
        {
            throw AwsException.InvalidParameter("The taskDefinitions parameter must contain between 1 and 10 task definitions.");
        }

        var edit = new StateEdit(state);
        var response = new DeleteTaskDefinitionsResponse { TaskDefinitions = [], Failures = [] };
        foreach (var text in requested)
        {
            TaskDefinitionLookup.Reference reference;
            try
            {
                reference = TaskDefinitionLookup.Parse(scope, text);
            }
            catch (AwsException)
            {
                response.Failures.Add(new Failure { Arn = text, Reason = "The specified task definition identifier is invalid. Specify a valid name or ARN and try again." });
                continue;
            }

            var stored = reference.Revision is null ? null : TaskDefinitionLookup.Find(edit.State, reference);
            if (stored is null)
            {
                response.Failures.Add(new Failure { Arn = text, Reason = "The specified task definition does not exist. Specify a valid account, family, revision and try again." });
                continue;
            }

            if (stored.Status == TaskDefinitionStatus.Active)
            {
                response.Failures.Add(new Failure { Arn = stored.Arn, Reason = "The specified task definition is still in ACTIVE status. Please deregister the target and try again." });
                continue;
            }

            if (stored.Status != TaskDefinitionStatus.DeleteInProgress)
            {
                stored = stored with { Status = TaskDefinitionStatus.DeleteInProgress };
                edit.Put(reference.FamilyKey, stored);
            }

            response.TaskDefinitions.Add(stored.Wire());
        }

        return edit.Done(response);
    }
}
