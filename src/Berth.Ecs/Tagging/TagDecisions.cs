using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.Tagging;

/// <summary>TagResource, UntagResource and ListTagsForResource over every taggable ECS resource.</summary>
public static class TagDecisions
{
    /// <summary>ListTagsForResource.</summary>
    public static List<Tag> List(EcsState state, Scope scope, string? resourceArn) => Read(state, scope, resourceArn);

    /// <summary>TagResource: new keys are added, existing keys get the new value; at most 50 in all.</summary>
    public static Decision<EcsState, bool> Tag(EcsState state, Scope scope, TagResourceRequest request)
    {
        TagRules.Validate(request.Tags);
        var tags = new List<Tag>(Read(state, scope, request.ResourceArn));
        foreach (var tag in request.Tags ?? [])
        {
            tags.RemoveAll(t => t.Key == tag.Key);
            tags.Add(new Tag { Key = tag.Key, Value = tag.Value });
        }

        TagRules.Validate(tags);
        return Write(state, scope, request.ResourceArn, tags);
    }

    /// <summary>UntagResource: removes the keys given; missing keys are ignored.</summary>
    public static Decision<EcsState, bool> Untag(EcsState state, Scope scope, UntagResourceRequest request)
    {
        var keys = request.TagKeys ?? [];
        var tags = Read(state, scope, request.ResourceArn).Where(t => !keys.Contains(t.Key!)).ToList();
        return Write(state, scope, request.ResourceArn, tags);
    }

    private static EcsArn ParseArn(string? resourceArn)
    {
        if (!EcsArn.TryParse(resourceArn, out var arn))
        {
            throw AwsException.InvalidParameter("The ARN provided is invalid.");
        }

        return arn;
    }

    private static List<Tag> Read(EcsState state, Scope scope, string? resourceArn)
    {
        var arn = ParseArn(resourceArn);
        switch (arn.ResourceType)
        {
            case "cluster":
                return state.Clusters.TryGetValue(resourceArn!, out var cluster) && cluster.Status == Clusters.ClusterStatus.Active
                    ? ResourceTag.ToWire(cluster.Tags)
                    : throw new AwsException("ClusterNotFoundException", "Cluster not found.");
            case "task-definition":
                var reference = TaskDefinitionLookup.Parse(scope, resourceArn);
                var stored = reference.Revision is null ? null : TaskDefinitionLookup.Find(state, reference);
                return stored?.WireTags() ?? throw NotFound();
            case "container-instance":
                return state.ContainerInstances.TryGetValue(resourceArn!, out var instance) ? ResourceTag.ToWire(instance.Tags) : throw NotFound();
            case "task":
                return state.Tasks.TryGetValue(resourceArn!, out var task) ? ResourceTag.ToWire(task.Tags) : throw NotFound();
            case "service":
                return state.Services.TryGetValue(resourceArn!, out var service) ? ResourceTag.ToWire(service.Tags) : throw NotFound();
            case "task-set":
                return TaskSetOf(state, arn, resourceArn!) is ({ } _, { } taskSet) ? ResourceTag.ToWire(taskSet.Tags) : throw NotFound();
            case "capacity-provider":
                return state.CapacityProviders.TryGetValue(resourceArn!, out var provider) ? ResourceTag.ToWire(provider.Tags)
                    : CapacityProviders.CapacityProviderRules.IsFargate(CapacityProviders.CapacityProviderRules.NameOf(resourceArn!)) ? [] : throw NotFound();
            default:
                throw AwsException.InvalidParameter("The ARN provided is invalid.");
        }
    }

    private static Decision<EcsState, bool> Write(EcsState state, Scope scope, string? resourceArn, List<Tag> tags)
    {
        var arn = ParseArn(resourceArn);
        var edit = new StateEdit(state);
        switch (arn.ResourceType)
        {
            case "cluster":
                var cluster = state.Clusters[resourceArn!];
                if (Capacity.FargateCapacity.IsCapacity(cluster))
                {
                    throw Clusters.ClusterRules.Reserved(cluster.ClusterName);
                }

                edit.Put(cluster with { Tags = ResourceTag.FromWire(tags) });
                break;
            case "task-definition":
                var reference = TaskDefinitionLookup.Parse(scope, resourceArn);
                edit.Put(reference.FamilyKey, TaskDefinitionLookup.Find(state, reference)! with { Tags = ResourceTag.FromWire(tags) });
                break;
            case "container-instance":
                var instance = state.ContainerInstances[resourceArn!];
                edit.Put(instance with { Tags = ResourceTag.FromWire(tags) });
                break;
            case "capacity-provider":
                if (!state.CapacityProviders.TryGetValue(resourceArn!, out var provider))
                {
                    throw AwsException.InvalidParameter("The FARGATE and FARGATE_SPOT capacity providers are reserved and cannot be tagged.");
                }

                edit.Put(provider with { Tags = ResourceTag.FromWire(tags) });
                break;
            case "task":
                edit.Put(state.Tasks[resourceArn!] with { Tags = ResourceTag.FromWire(tags) });
                break;
            case "service":
                edit.Put(state.Services[resourceArn!] with { Tags = ResourceTag.FromWire(tags) });
                break;
            case "task-set":
                var (owner, taskSet) = TaskSetOf(state, arn, resourceArn!);
                edit.Put(owner! with { TaskSets = owner!.TaskSets.Replace(taskSet!, taskSet! with { Tags = ResourceTag.FromWire(tags) }) });
                break;
            default:
                throw AwsException.InvalidParameter("The ARN provided is invalid.");
        }

        return edit.Done(true);
    }

    // A task set's ARN is task-set/CLUSTER/SERVICE/ID (its ID has a slash too): its service, and it, or nulls.
    private static (Services.ServiceRecord? Service, Services.TaskSetRecord? TaskSet) TaskSetOf(EcsState state, EcsArn arn, string resourceArn)
    {
        var parts = arn.Resource.Split('/', 3);
        if (parts.Length != 3 || !state.Services.TryGetValue($"arn:{arn.Partition}:ecs:{arn.Region}:{arn.AccountId}:service/{parts[0]}/{parts[1]}", out var service))
        {
            return (null, null);
        }

        return service.TaskSets.FirstOrDefault(t => t.TaskSetArn == resourceArn) is { } taskSet ? (service, taskSet) : (null, null);
    }

    private static AwsException NotFound() => new("ResourceNotFoundException", "The specified resource could not be found.");
}
