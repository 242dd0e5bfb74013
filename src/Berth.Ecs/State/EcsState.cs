using System.Collections.Immutable;
using Berth.Ecs.Model;

namespace Berth.Ecs.State;

/// <summary>One task definition revision as stored: the wire shape plus its tags (which ECS returns beside it).</summary>
public sealed record StoredTaskDefinition(TaskDefinition Definition, List<Tag> Tags);

/// <summary>A family's revisions, in order: <c>Revisions[i]</c> is revision <c>i + 1</c>. Revisions are never reused.</summary>
public sealed record TaskDefinitionFamily(string Family, ImmutableList<StoredTaskDefinition> Revisions)
{
    /// <summary>The newest ACTIVE revision, if any.</summary>
    public StoredTaskDefinition? LatestActive
    {
        get
        {
            for (var i = Revisions.Count - 1; i >= 0; i--)
            {
                if (Revisions[i].Definition.Status == "ACTIVE")
                {
                    return Revisions[i];
                }
            }

            return null;
        }
    }
}

/// <summary>An account setting for one principal (the account default is kept under the root principal).</summary>
public sealed record StoredSetting(string Region, string Name, string Value, string PrincipalArn);

/// <summary>
/// Everything the ECS control plane knows, as one immutable snapshot. Readers take the current
/// snapshot once per request; only <see cref="Berth.Storage.Commit.CommitPipeline{TState}"/> makes
/// the next one. Keys sort in the order ECS lists things, which is what pagination walks.
/// </summary>
/// <param name="Clusters">By cluster ARN.</param>
/// <param name="Families">By family ARN (task-definition ARN without the revision).</param>
/// <param name="ContainerInstances">By container instance ARN.</param>
/// <param name="Tasks">By task ARN.</param>
/// <param name="Services">By service ARN.</param>
/// <param name="Settings">By <c>region|principal|name</c>.</param>
public sealed record EcsState(
    ImmutableSortedDictionary<string, Cluster> Clusters,
    ImmutableSortedDictionary<string, TaskDefinitionFamily> Families,
    ImmutableSortedDictionary<string, ContainerInstance> ContainerInstances,
    ImmutableSortedDictionary<string, EcsTask> Tasks,
    ImmutableSortedDictionary<string, Berth.Ecs.Services.StoredService> Services,
    ImmutableSortedDictionary<string, StoredSetting> Settings)
{
    /// <summary>The state of a new installation: nothing at all.</summary>
    public static EcsState Empty { get; } = new(
        ImmutableSortedDictionary.Create<string, Cluster>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, TaskDefinitionFamily>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, ContainerInstance>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, EcsTask>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, Berth.Ecs.Services.StoredService>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, StoredSetting>(StringComparer.Ordinal));

    /// <summary>RunTask's idempotency tokens, by <c>region|clientToken</c> (kept apart from the record's positional members so adding them changed no constructor).</summary>
    public ImmutableSortedDictionary<string, Berth.Ecs.Tasks.StoredClientToken> ClientTokens { get; init; } =
        ImmutableSortedDictionary.Create<string, Berth.Ecs.Tasks.StoredClientToken>(StringComparer.Ordinal);

    /// <summary>
    /// The tasks that still hold resources (<see cref="Berth.Ecs.Tasks.TaskResources.Holds"/>), by container instance
    /// ARN and then task ARN: what runs where, found without walking every task ever run (stopped tasks stay in
    /// <see cref="Tasks"/>). Derived from <see cref="Tasks"/>; <see cref="WithTask"/> keeps the two together.
    /// </summary>
    public ImmutableDictionary<string, ImmutableSortedDictionary<string, EcsTask>> LiveTasksByInstance { get; init; } =
        ImmutableDictionary.Create<string, ImmutableSortedDictionary<string, EcsTask>>(StringComparer.Ordinal);

    /// <summary>The tasks on <paramref name="containerInstanceArn"/> that still hold resources, by ARN.</summary>
    public IEnumerable<EcsTask> LiveTasksOn(string containerInstanceArn)
        => LiveTasksByInstance.TryGetValue(containerInstanceArn, out var tasks) ? tasks.Values : [];

    /// <summary>The state with <paramref name="task"/> put (new or changed), <see cref="LiveTasksByInstance"/> kept.</summary>
    public EcsState WithTask(EcsTask task)
    {
        var arn = task.TaskArn!;
        var live = LiveTasksByInstance;
        var on = Berth.Ecs.Tasks.TaskResources.Holds(task) ? task.ContainerInstanceArn : null;
        if (Tasks.TryGetValue(arn, out var before) && before.ContainerInstanceArn is { } was && was != on && live.TryGetValue(was, out var left))
        {
            left = left.Remove(arn);
            live = left.IsEmpty ? live.Remove(was) : live.SetItem(was, left);
        }

        if (on is not null)
        {
            live = live.SetItem(on, (live.TryGetValue(on, out var current) ? current : ImmutableSortedDictionary.Create<string, EcsTask>(StringComparer.Ordinal)).SetItem(arn, task));
        }

        return this with { Tasks = Tasks.SetItem(arn, task), LiveTasksByInstance = live };
    }

    /// <summary><see cref="LiveTasksByInstance"/> computed from <paramref name="tasks"/> alone (a load, and the tests' check).</summary>
    public static ImmutableDictionary<string, ImmutableSortedDictionary<string, EcsTask>> LiveTasksOf(IEnumerable<EcsTask> tasks)
        => tasks.Where(t => t.ContainerInstanceArn is not null && Berth.Ecs.Tasks.TaskResources.Holds(t))
            .GroupBy(t => t.ContainerInstanceArn!, StringComparer.Ordinal)
            .ToImmutableDictionary(g => g.Key, g => g.ToImmutableSortedDictionary(t => t.TaskArn!, t => t, StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Key of an account setting.</summary>
    public static string SettingKey(string region, string principalArn, string name) => $"{region}|{principalArn}|{name}";
}
