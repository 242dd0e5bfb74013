using System.Collections.Immutable;
using Berth.Ecs.Clusters;
using Berth.Ecs.TaskDefinitions;

namespace Berth.Ecs.State;

/// <summary>A family's revisions, in order: <c>Revisions[i]</c> is revision <c>i + 1</c>. Revisions are never reused.</summary>
public sealed record TaskDefinitionFamily(string Family, ImmutableList<TaskDefinitionRecord> Revisions)
{
    /// <summary>The newest ACTIVE revision, if any.</summary>
    public TaskDefinitionRecord? LatestActive
    {
        get
        {
            for (var i = Revisions.Count - 1; i >= 0; i--)
            {
                if (Revisions[i].Status == TaskDefinitionStatus.Active)
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
    ImmutableSortedDictionary<string, ClusterRecord> Clusters,
    ImmutableSortedDictionary<string, TaskDefinitionFamily> Families,
    ImmutableSortedDictionary<string, Berth.Ecs.ContainerInstances.InstanceRecord> ContainerInstances,
    ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord> Tasks,
    ImmutableSortedDictionary<string, Berth.Ecs.Services.ServiceRecord> Services,
    ImmutableSortedDictionary<string, StoredSetting> Settings)
{
    // Declared before Empty: static initializers run in order, and Empty's instance initializers read it.
    private static ImmutableDictionary<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>> NoIndex { get; } =
        ImmutableDictionary.Create<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>>(StringComparer.Ordinal);

    /// <summary>The state of a new installation: nothing at all.</summary>
    public static EcsState Empty { get; } = new(
        ImmutableSortedDictionary.Create<string, ClusterRecord>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, TaskDefinitionFamily>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, Berth.Ecs.ContainerInstances.InstanceRecord>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, Berth.Ecs.Tasks.TaskRecord>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, Berth.Ecs.Services.ServiceRecord>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, StoredSetting>(StringComparer.Ordinal));

    /// <summary>RunTask's idempotency tokens, by <c>region|clientToken</c> (kept apart from the record's positional members so adding them changed no constructor).</summary>
    public ImmutableSortedDictionary<string, Berth.Ecs.Tasks.StoredClientToken> ClientTokens { get; init; } =
        ImmutableSortedDictionary.Create<string, Berth.Ecs.Tasks.StoredClientToken>(StringComparer.Ordinal);

    /// <summary>
    /// The tasks that still hold resources (<see cref="Berth.Ecs.Tasks.TaskRecord.Holds"/>), by container instance
    /// ARN and then task ARN: what runs where, found without walking every task. Derived from <see cref="Tasks"/>;
    /// <see cref="WithTask"/> and <see cref="WithoutTask"/> keep every index together with it.
    /// </summary>
    public ImmutableDictionary<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>> LiveTasksByInstance { get; init; } = NoIndex;

    /// <summary>Every task (stopped ones until they expire), by cluster ARN and then task ARN: what a cluster's lists and counts walk.</summary>
    public ImmutableDictionary<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>> TasksByCluster { get; init; } = NoIndex;

    /// <summary>Every task that has a group, by <c>cluster ARN|group</c> and then task ARN: a service's tasks (group <c>service:NAME</c>).</summary>
    public ImmutableDictionary<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>> TasksByGroup { get; init; } = NoIndex;

    /// <summary>The stopped tasks that hold nothing any more, oldest stop first: what expiry takes from the front.</summary>
    public ImmutableSortedSet<(DateTimeOffset At, string Arn)> StoppedTasks { get; init; } = ImmutableSortedSet<(DateTimeOffset At, string Arn)>.Empty;

    /// <summary>FARGATE usage of expired tasks, by cluster ARN.</summary>
    public ImmutableSortedDictionary<string, Berth.Ecs.Capacity.StoredMeterTotal> MeterTotals { get; init; } =
        ImmutableSortedDictionary.Create<string, Berth.Ecs.Capacity.StoredMeterTotal>(StringComparer.Ordinal);

    /// <summary>The capacity providers users created (FARGATE and FARGATE_SPOT are built in), by ARN.</summary>
    public ImmutableSortedDictionary<string, Berth.Ecs.CapacityProviders.CapacityProviderRecord> CapacityProviders { get; init; } =
        ImmutableSortedDictionary.Create<string, Berth.Ecs.CapacityProviders.CapacityProviderRecord>(StringComparer.Ordinal);

    /// <summary>Join tokens, by token id.</summary>
    public ImmutableSortedDictionary<string, Berth.Ecs.AgentAccess.JoinTokenRecord> JoinTokens { get; init; } =
        ImmutableSortedDictionary.Create<string, Berth.Ecs.AgentAccess.JoinTokenRecord>(StringComparer.Ordinal);

    /// <summary>The keys agents got when they joined, by access key id.</summary>
    public ImmutableSortedDictionary<string, Berth.Ecs.AgentAccess.AgentKeyRecord> AgentKeys { get; init; } =
        ImmutableSortedDictionary.Create<string, Berth.Ecs.AgentAccess.AgentKeyRecord>(StringComparer.Ordinal);

    /// <summary><see cref="ClientTokens"/> by when they were first used, oldest first: what expiry takes from the front.</summary>
    public ImmutableSortedSet<(DateTimeOffset At, string Key)> ClientTokensByTime { get; init; } = ImmutableSortedSet<(DateTimeOffset At, string Key)>.Empty;

    /// <summary>When a client token counts as made, for expiry (tokens stored without a time count as old).</summary>
    public static DateTimeOffset MadeAt(Berth.Ecs.Tasks.StoredClientToken token) => token.CreatedAt ?? DateTimeOffset.UnixEpoch;

    /// <summary>The tasks on <paramref name="containerInstanceArn"/> that still hold resources, by ARN.</summary>
    public IEnumerable<Berth.Ecs.Tasks.TaskRecord> LiveTasksOn(string containerInstanceArn) => Find(LiveTasksByInstance, containerInstanceArn);

    /// <summary>The tasks of <paramref name="clusterArn"/> (stopped ones until they expire), by ARN.</summary>
    public IEnumerable<Berth.Ecs.Tasks.TaskRecord> TasksIn(string clusterArn) => Find(TasksByCluster, clusterArn);

    /// <summary>The tasks of <paramref name="group"/> in <paramref name="clusterArn"/> (stopped ones until they expire), by ARN.</summary>
    public IEnumerable<Berth.Ecs.Tasks.TaskRecord> TasksOfGroup(string clusterArn, string group) => Find(TasksByGroup, GroupKey(clusterArn, group));

    /// <summary>The state with <paramref name="task"/> put (new or changed), every index kept.</summary>
    public EcsState WithTask(Berth.Ecs.Tasks.TaskRecord task)
    {
        var arn = task.TaskArn;
        Tasks.TryGetValue(arn, out var before);
        return Indexed(before, task) with { Tasks = Tasks.SetItem(arn, task) };
    }

    /// <summary>
    /// The state with <paramref name="tasks"/> put (new or changed, in order), every index kept. Many go in through the
    /// collections' builders, one pass per index: a batch of RunTasks or a service pass puts hundreds of tasks at once,
    /// and putting them one by one would copy each index's path once per task.
    /// </summary>
    public EcsState WithTasks(IReadOnlyList<Berth.Ecs.Tasks.TaskRecord> tasks)
    {
        // A few: one by one is as cheap.
        if (tasks.Count < 8)
        {
            var state = this;
            foreach (var task in tasks)
            {
                state = state.WithTask(task);
            }

            return state;
        }

        var all = Tasks.ToBuilder();
        var stopped = StoppedTasks.ToBuilder();
        var live = new IndexEdit(LiveTasksByInstance);
        var byCluster = new IndexEdit(TasksByCluster);
        var byGroup = new IndexEdit(TasksByGroup);
        foreach (var task in tasks)
        {
            var arn = task.TaskArn;
            all.TryGetValue(arn, out var before);
            all[arn] = task;
            if (before is not null && StoppedAt(before) is { } was)
            {
                stopped.Remove((was, arn));
            }

            if (StoppedAt(task) is { } at)
            {
                stopped.Add((at, arn));
            }

            live.Move(LiveKey(before), LiveKey(task), arn, task);
            byCluster.Move(before?.ClusterArn, task.ClusterArn, arn, task);
            byGroup.Move(GroupOf(before), GroupOf(task), arn, task);
        }

        return this with
        {
            Tasks = all.ToImmutable(),
            StoppedTasks = stopped.ToImmutable(),
            LiveTasksByInstance = live.Done(),
            TasksByCluster = byCluster.Done(),
            TasksByGroup = byGroup.Done(),
        };
    }

    // The keys of a task in the indexes (null: not in that index).
    private static string? LiveKey(Berth.Ecs.Tasks.TaskRecord? task) => task is not null && task.Holds ? task.ContainerInstanceArn : null;

    private static string? GroupOf(Berth.Ecs.Tasks.TaskRecord? task) => task is { Group: { } group } ? GroupKey(task.ClusterArn, group) : null;

    // One index changed through builders: each key's entries get one builder, made on first touch.
    private sealed class IndexEdit(ImmutableDictionary<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>> index)
    {
        private readonly Dictionary<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>.Builder> _touched = new(StringComparer.Ordinal);

        public void Move(string? from, string? to, string arn, Berth.Ecs.Tasks.TaskRecord task)
        {
            if (from is not null && from != to)
            {
                Entries(from).Remove(arn);
            }

            if (to is not null)
            {
                Entries(to)[arn] = task;
            }
        }

        public ImmutableDictionary<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>> Done()
        {
            if (_touched.Count == 0)
            {
                return index;
            }

            var builder = index.ToBuilder();
            foreach (var (key, entries) in _touched)
            {
                if (entries.Count == 0)
                {
                    builder.Remove(key);
                }
                else
                {
                    builder[key] = entries.ToImmutable();
                }
            }

            return builder.ToImmutable();
        }

        private ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>.Builder Entries(string key)
        {
            if (!_touched.TryGetValue(key, out var entries))
            {
                var current = index.TryGetValue(key, out var found) ? found : ImmutableSortedDictionary.Create<string, Berth.Ecs.Tasks.TaskRecord>(StringComparer.Ordinal);
                _touched.Add(key, entries = current.ToBuilder());
            }

            return entries;
        }
    }

    /// <summary>The state without the task <paramref name="arn"/> (expired), every index kept.</summary>
    public EcsState WithoutTask(string arn)
        => Tasks.TryGetValue(arn, out var before) ? Indexed(before, null) with { Tasks = Tasks.Remove(arn) } : this;

    /// <summary>When a stopped task stopped, for expiry; null while it still holds resources.</summary>
    public static DateTimeOffset? StoppedAt(Berth.Ecs.Tasks.TaskRecord task)
        => task.Holds ? null : task.StoppedAt ?? task.ExecutionStoppedAt ?? task.CreatedAt;

    /// <summary>The state with every task index built from <see cref="Tasks"/> alone (a load, and the tests' check).</summary>
    public EcsState Reindexed()
    {
        var state = this with { LiveTasksByInstance = NoIndex, TasksByCluster = NoIndex, TasksByGroup = NoIndex, StoppedTasks = StoppedTasks.Clear() };
        foreach (var task in Tasks.Values)
        {
            state = state.Indexed(null, task);
        }

        return state;
    }

    private EcsState Indexed(Berth.Ecs.Tasks.TaskRecord? before, Berth.Ecs.Tasks.TaskRecord? after)
    {
        var arn = (before ?? after)!.TaskArn;
        var stopped = StoppedTasks;
        if (before is not null && StoppedAt(before) is { } was)
        {
            stopped = stopped.Remove((was, arn));
        }

        if (after is not null && StoppedAt(after) is { } now)
        {
            stopped = stopped.Add((now, arn));
        }

        return this with
        {
            LiveTasksByInstance = Move(LiveTasksByInstance, LiveKey(before), LiveKey(after), arn, after),
            TasksByCluster = Move(TasksByCluster, before?.ClusterArn, after?.ClusterArn, arn, after),
            TasksByGroup = Move(TasksByGroup, GroupOf(before), GroupOf(after), arn, after),
            StoppedTasks = stopped,
        };
    }

    // One index entry moved from one key to another (either may be null: not indexed).
    private static ImmutableDictionary<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>> Move(
        ImmutableDictionary<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>> index, string? from, string? to, string arn, Berth.Ecs.Tasks.TaskRecord? task)
    {
        if (from is not null && (from != to || task is null) && index.TryGetValue(from, out var left))
        {
            left = left.Remove(arn);
            index = left.IsEmpty ? index.Remove(from) : index.SetItem(from, left);
        }

        if (to is not null && task is not null)
        {
            var current = index.TryGetValue(to, out var found) ? found : ImmutableSortedDictionary.Create<string, Berth.Ecs.Tasks.TaskRecord>(StringComparer.Ordinal);
            index = index.SetItem(to, current.SetItem(arn, task));
        }

        return index;
    }

    private static IEnumerable<Berth.Ecs.Tasks.TaskRecord> Find(ImmutableDictionary<string, ImmutableSortedDictionary<string, Berth.Ecs.Tasks.TaskRecord>> index, string key)
        => index.TryGetValue(key, out var tasks) ? tasks.Values : [];

    private static string GroupKey(string clusterArn, string group) => clusterArn + "|" + group;

    /// <summary>Key of an account setting.</summary>
    public static string SettingKey(string region, string principalArn, string name) => $"{region}|{principalArn}|{name}";
}
