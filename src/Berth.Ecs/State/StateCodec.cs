using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Storage.Documents;

namespace Berth.Ecs.State;

/// <summary>The JSON of stored documents: the wire shapes themselves, so what is stored is what ECS returns.</summary>
// Domain records are stored with the wire's camelCase names and enum texts, so a stored document reads as ECS's shape.
// No converter in the options and no number handling on a member: either makes System.Text.Json skip the generated
// fast path, and encoding documents is most of what a service pass that places thousands of tasks spends. Times are
// therefore stored as ISO 8601 text; StateCodec.Load also reads the epoch seconds and quoted numbers of older documents.
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Berth.Ecs.Clusters.ClusterRecord))]
[JsonSerializable(typeof(Berth.Ecs.TaskDefinitions.TaskDefinitionRecord))]
[JsonSerializable(typeof(Berth.Ecs.ContainerInstances.InstanceRecord))]
[JsonSerializable(typeof(Berth.Ecs.Tasks.TaskRecord))]
[JsonSerializable(typeof(Berth.Ecs.Services.ServiceRecord))]
[JsonSerializable(typeof(Service))]
[JsonSerializable(typeof(ServiceDeployment))]
[JsonSerializable(typeof(ServiceRevision))]
[JsonSerializable(typeof(StoredSetting))]
[JsonSerializable(typeof(TaskDefinition))]
[JsonSerializable(typeof(Berth.Ecs.Tasks.StoredClientToken))]
[JsonSerializable(typeof(Berth.Ecs.Capacity.StoredMeterTotal))]
[JsonSerializable(typeof(Berth.Ecs.CapacityProviders.CapacityProviderRecord))]
[JsonSerializable(typeof(Berth.Ecs.AgentAccess.JoinTokenRecord))]
[JsonSerializable(typeof(Berth.Ecs.AgentAccess.AgentKeyRecord))]
public sealed partial class StoredJsonContext : JsonSerializerContext
{
}

/// <summary>Maps state entries to stored documents and back. Document kinds are stable names, never type names.</summary>
public static class StateCodec
{
    /// <summary>Document kind of clusters.</summary>
    public const string ClusterKind = "ecs.cluster";

    /// <summary>Document kind of task definition revisions (id: the revision's ARN).</summary>
    public const string TaskDefinitionKind = "ecs.task-definition";

    /// <summary>Document kind of container instances.</summary>
    public const string ContainerInstanceKind = "ecs.container-instance";

    /// <summary>Document kind of tasks.</summary>
    public const string TaskKind = "ecs.task";

    /// <summary>Document kind of services.</summary>
    public const string ServiceKind = "ecs.service";

    /// <summary>Document kind of account settings.</summary>
    public const string SettingKind = "ecs.account-setting";

    /// <summary>Document kind of RunTask idempotency tokens (id: <c>region|clientToken</c>).</summary>
    public const string ClientTokenKind = "ecs.run-task-client-token";

    /// <summary>Document kind of the FARGATE usage of expired tasks (id: the cluster ARN).</summary>
    public const string MeterTotalKind = "ecs.metering-total";

    /// <summary>Document kind of capacity providers users created (id: the provider's ARN).</summary>
    public const string CapacityProviderKind = "ecs.capacity-provider";

    /// <summary>Document kind of join tokens (id: the token id).</summary>
    public const string JoinTokenKind = "ecs.join-token";

    /// <summary>Document kind of agents' own keys (id: the access key id).</summary>
    public const string AgentKeyKind = "ecs.agent-key";

    /// <summary>Serializes a stored entity.</summary>
    public static byte[] Encode<T>(T value, JsonTypeInfo<T> info) => JsonSerializer.SerializeToUtf8Bytes(value, info);

    /// <summary>The stored document of a task.</summary>
    public static Mutation Document(Berth.Ecs.Tasks.TaskRecord task) => Mutation.Put(TaskKind, task.TaskArn, Encode(task, StoredJsonContext.Default.TaskRecord));

    /// <summary>The stored document of a service.</summary>
    public static Mutation Document(Berth.Ecs.Services.ServiceRecord service) => Mutation.Put(ServiceKind, service.ServiceArn, Encode(service, StoredJsonContext.Default.ServiceRecord));

    // What Load reads with: the stored shapes, also as older versions wrote them (times as epoch seconds, a task's
    // cpu and memory as quoted numbers).
    private static readonly StoredJsonContext Reading = new(new JsonSerializerOptions(StoredJsonContext.Default.Options)
    {
        Converters = { new Berth.Protocol.Json.EpochSecondsConverter() },
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    });

    /// <summary>Rebuilds the state from every stored document.</summary>
    public static EcsState Load(IEnumerable<StoredDocument> documents)
    {
        var ctx = Reading;
        var clusters = ImmutableSortedDictionary.CreateBuilder<string, ClusterRecord>(StringComparer.Ordinal);
        var instances = ImmutableSortedDictionary.CreateBuilder<string, Berth.Ecs.ContainerInstances.InstanceRecord>(StringComparer.Ordinal);
        var tasks = ImmutableSortedDictionary.CreateBuilder<string, Berth.Ecs.Tasks.TaskRecord>(StringComparer.Ordinal);
        var services = ImmutableSortedDictionary.CreateBuilder<string, Berth.Ecs.Services.ServiceRecord>(StringComparer.Ordinal);
        var settings = ImmutableSortedDictionary.CreateBuilder<string, StoredSetting>(StringComparer.Ordinal);
        var tokens = ImmutableSortedDictionary.CreateBuilder<string, Berth.Ecs.Tasks.StoredClientToken>(StringComparer.Ordinal);
        var meters = ImmutableSortedDictionary.CreateBuilder<string, Berth.Ecs.Capacity.StoredMeterTotal>(StringComparer.Ordinal);
        var providers = ImmutableSortedDictionary.CreateBuilder<string, Berth.Ecs.CapacityProviders.CapacityProviderRecord>(StringComparer.Ordinal);
        var joinTokens = ImmutableSortedDictionary.CreateBuilder<string, Berth.Ecs.AgentAccess.JoinTokenRecord>(StringComparer.Ordinal);
        var agentKeys = ImmutableSortedDictionary.CreateBuilder<string, Berth.Ecs.AgentAccess.AgentKeyRecord>(StringComparer.Ordinal);
        var revisions = new Dictionary<string, List<Berth.Ecs.TaskDefinitions.TaskDefinitionRecord>>(StringComparer.Ordinal);
        foreach (var doc in documents)
        {
            switch (doc.Kind)
            {
                case ClusterKind:
                    clusters[doc.Id] = JsonSerializer.Deserialize(doc.Body, ctx.ClusterRecord)!;
                    break;
                case ContainerInstanceKind:
                    instances[doc.Id] = JsonSerializer.Deserialize(doc.Body, ctx.InstanceRecord)!;
                    break;
                case TaskKind:
                    tasks[doc.Id] = JsonSerializer.Deserialize(doc.Body, ctx.TaskRecord)!;
                    break;
                case ServiceKind:
                    services[doc.Id] = JsonSerializer.Deserialize(doc.Body, ctx.ServiceRecord)!;
                    break;
                case SettingKind:
                    settings[doc.Id] = JsonSerializer.Deserialize(doc.Body, ctx.StoredSetting)!;
                    break;
                case ClientTokenKind:
                    tokens[doc.Id] = JsonSerializer.Deserialize(doc.Body, ctx.StoredClientToken)!;
                    break;
                case MeterTotalKind:
                    meters[doc.Id] = JsonSerializer.Deserialize(doc.Body, ctx.StoredMeterTotal)!;
                    break;
                case CapacityProviderKind:
                    providers[doc.Id] = JsonSerializer.Deserialize(doc.Body, ctx.CapacityProviderRecord)!;
                    break;
                case JoinTokenKind:
                    joinTokens[doc.Id] = JsonSerializer.Deserialize(doc.Body, ctx.JoinTokenRecord)!;
                    break;
                case AgentKeyKind:
                    agentKeys[doc.Id] = JsonSerializer.Deserialize(doc.Body, ctx.AgentKeyRecord)!;
                    break;
                case TaskDefinitionKind:
                    var stored = Berth.Ecs.TaskDefinitions.TaskDefinitionRules.Loaded(JsonSerializer.Deserialize(doc.Body, ctx.TaskDefinitionRecord)!);
                    var familyKey = doc.Id[..doc.Id.LastIndexOf(':')];
                    if (!revisions.TryGetValue(familyKey, out var list))
                    {
                        revisions[familyKey] = list = [];
                    }

                    list.Add(stored);
                    break;
            }
        }

        var families = ImmutableSortedDictionary.CreateBuilder<string, TaskDefinitionFamily>(StringComparer.Ordinal);
        foreach (var (key, list) in revisions)
        {
            list.Sort((a, b) => a.Definition.Revision!.Value.CompareTo(b.Definition.Revision!.Value));
            families[key] = new TaskDefinitionFamily(list[0].Definition.Family!, [.. list]);
        }

        return new EcsState(clusters.ToImmutable(), families.ToImmutable(), instances.ToImmutable(), tasks.ToImmutable(), services.ToImmutable(), settings.ToImmutable())
        {
            ClientTokens = tokens.ToImmutable(),
            MeterTotals = meters.ToImmutable(),
            CapacityProviders = providers.ToImmutable(),
            JoinTokens = joinTokens.ToImmutable(),
            AgentKeys = agentKeys.ToImmutable(),
            ClientTokensByTime = [.. tokens.Select(p => (EcsState.MadeAt(p.Value), p.Key))],
        }.Reindexed();
    }

    /// <summary>
    /// The state after another server's commit: each document put or deleted as <see cref="StateEdit"/> would have,
    /// every index kept (a commit touches a few entries, so the rest of the state is shared, not rebuilt).
    /// </summary>
    public static EcsState Apply(EcsState state, IReadOnlyList<Mutation> mutations)
    {
        var ctx = Reading;
        foreach (var mutation in mutations)
        {
            var (kind, id, body) = (mutation.Kind, mutation.Id, mutation.Body);
            state = kind switch
            {
                ClusterKind => state with { Clusters = body is null ? state.Clusters.Remove(id) : state.Clusters.SetItem(id, JsonSerializer.Deserialize(body, ctx.ClusterRecord)!) },
                ContainerInstanceKind => state with
                {
                    ContainerInstances = body is null ? state.ContainerInstances.Remove(id) : state.ContainerInstances.SetItem(id, JsonSerializer.Deserialize(body, ctx.InstanceRecord)!),
                },
                TaskKind => body is null ? state.WithoutTask(id) : state.WithTask(JsonSerializer.Deserialize(body, ctx.TaskRecord)!),
                ServiceKind => state with { Services = body is null ? state.Services.Remove(id) : state.Services.SetItem(id, JsonSerializer.Deserialize(body, ctx.ServiceRecord)!) },
                SettingKind => state with { Settings = body is null ? state.Settings.Remove(id) : state.Settings.SetItem(id, JsonSerializer.Deserialize(body, ctx.StoredSetting)!) },
                ClientTokenKind => ApplyToken(state, id, body is null ? null : JsonSerializer.Deserialize(body, ctx.StoredClientToken)),
                MeterTotalKind => state with { MeterTotals = body is null ? state.MeterTotals.Remove(id) : state.MeterTotals.SetItem(id, JsonSerializer.Deserialize(body, ctx.StoredMeterTotal)!) },
                CapacityProviderKind => state with
                {
                    CapacityProviders = body is null ? state.CapacityProviders.Remove(id) : state.CapacityProviders.SetItem(id, JsonSerializer.Deserialize(body, ctx.CapacityProviderRecord)!),
                },
                JoinTokenKind => state with { JoinTokens = body is null ? state.JoinTokens.Remove(id) : state.JoinTokens.SetItem(id, JsonSerializer.Deserialize(body, ctx.JoinTokenRecord)!) },
                AgentKeyKind => state with { AgentKeys = body is null ? state.AgentKeys.Remove(id) : state.AgentKeys.SetItem(id, JsonSerializer.Deserialize(body, ctx.AgentKeyRecord)!) },
                TaskDefinitionKind when body is not null => ApplyRevision(state, id, Berth.Ecs.TaskDefinitions.TaskDefinitionRules.Loaded(JsonSerializer.Deserialize(body, ctx.TaskDefinitionRecord)!)),
                _ => state,
            };
        }

        return state;
    }

    private static EcsState ApplyToken(EcsState state, string key, Berth.Ecs.Tasks.StoredClientToken? token)
    {
        var byTime = state.ClientTokens.TryGetValue(key, out var before) ? state.ClientTokensByTime.Remove((EcsState.MadeAt(before), key)) : state.ClientTokensByTime;
        return token is null
            ? state with { ClientTokens = state.ClientTokens.Remove(key), ClientTokensByTime = byTime }
            : state with { ClientTokens = state.ClientTokens.SetItem(key, token), ClientTokensByTime = byTime.Add((EcsState.MadeAt(token), key)) };
    }

    // Revisions come in commit order and are gapless, so revision n is either replaced or appended as the n-th.
    private static EcsState ApplyRevision(EcsState state, string arn, Berth.Ecs.TaskDefinitions.TaskDefinitionRecord revision)
    {
        var familyKey = arn[..arn.LastIndexOf(':')];
        var number = revision.Definition.Revision!.Value;
        state.Families.TryGetValue(familyKey, out var family);
        var list = family?.Revisions ?? [];
        list = number <= list.Count ? list.SetItem(number - 1, revision) : list.Add(revision);
        return state with { Families = state.Families.SetItem(familyKey, new TaskDefinitionFamily(revision.Definition.Family!, list)) };
    }
}

/// <summary>
/// Builds the next state and, alongside, the mutations that make it durable — so a decision can never
/// change the state without saying what to store, nor store what it did not change.
/// </summary>
public sealed class StateEdit(EcsState state)
{
    private readonly List<Mutation> _mutations = [];

    /// <summary>The state with every change so far.</summary>
    public EcsState State { get; private set; } = state;

    /// <summary>Puts a cluster.</summary>
    public void Put(ClusterRecord cluster)
    {
        State = State with { Clusters = State.Clusters.SetItem(cluster.ClusterArn, cluster) };
        _mutations.Add(Mutation.Put(StateCodec.ClusterKind, cluster.ClusterArn, StateCodec.Encode(cluster, StoredJsonContext.Default.ClusterRecord)));
    }

    /// <summary>Puts a task definition revision (new or changed) under its family.</summary>
    public void Put(string familyKey, Berth.Ecs.TaskDefinitions.TaskDefinitionRecord revision)
    {
        var number = revision.Definition.Revision!.Value;
        State.Families.TryGetValue(familyKey, out var family);
        var list = family?.Revisions ?? [];
        list = number <= list.Count ? list.SetItem(number - 1, revision) : list.Add(revision);
        State = State with { Families = State.Families.SetItem(familyKey, new TaskDefinitionFamily(revision.Definition.Family!, list)) };
        _mutations.Add(Mutation.Put(StateCodec.TaskDefinitionKind, revision.Definition.TaskDefinitionArn!, StateCodec.Encode(revision, StoredJsonContext.Default.TaskDefinitionRecord)));
    }

    /// <summary>Puts a container instance.</summary>
    public void Put(Berth.Ecs.ContainerInstances.InstanceRecord instance)
    {
        State = State with { ContainerInstances = State.ContainerInstances.SetItem(instance.ContainerInstanceArn, instance) };
        _mutations.Add(Mutation.Put(StateCodec.ContainerInstanceKind, instance.ContainerInstanceArn, StateCodec.Encode(instance, StoredJsonContext.Default.InstanceRecord)));
    }

    /// <summary>Puts a task.</summary>
    public void Put(Berth.Ecs.Tasks.TaskRecord task)
    {
        State = State.WithTask(task);
        _mutations.Add(StateCodec.Document(task));
    }

    /// <summary>Puts a cluster's metered totals of expired FARGATE tasks.</summary>
    public void Put(Berth.Ecs.Capacity.StoredMeterTotal total)
    {
        State = State with { MeterTotals = State.MeterTotals.SetItem(total.ClusterArn, total) };
        _mutations.Add(Mutation.Put(StateCodec.MeterTotalKind, total.ClusterArn, StateCodec.Encode(total, StoredJsonContext.Default.StoredMeterTotal)));
    }

    /// <summary>Puts a capacity provider.</summary>
    public void Put(Berth.Ecs.CapacityProviders.CapacityProviderRecord provider)
    {
        State = State with { CapacityProviders = State.CapacityProviders.SetItem(provider.CapacityProviderArn, provider) };
        _mutations.Add(Mutation.Put(StateCodec.CapacityProviderKind, provider.CapacityProviderArn, StateCodec.Encode(provider, StoredJsonContext.Default.CapacityProviderRecord)));
    }

    /// <summary>Puts a join token.</summary>
    public void Put(Berth.Ecs.AgentAccess.JoinTokenRecord token)
    {
        State = State with { JoinTokens = State.JoinTokens.SetItem(token.TokenId, token) };
        _mutations.Add(Mutation.Put(StateCodec.JoinTokenKind, token.TokenId, StateCodec.Encode(token, StoredJsonContext.Default.JoinTokenRecord)));
    }

    /// <summary>Puts an agent's key.</summary>
    public void Put(Berth.Ecs.AgentAccess.AgentKeyRecord key)
    {
        State = State with { AgentKeys = State.AgentKeys.SetItem(key.AccessKeyId, key) };
        _mutations.Add(Mutation.Put(StateCodec.AgentKeyKind, key.AccessKeyId, StateCodec.Encode(key, StoredJsonContext.Default.AgentKeyRecord)));
    }

    /// <summary>Removes an agent's key (its token was revoked).</summary>
    public void RemoveAgentKey(string accessKeyId)
    {
        State = State with { AgentKeys = State.AgentKeys.Remove(accessKeyId) };
        _mutations.Add(Mutation.Delete(StateCodec.AgentKeyKind, accessKeyId));
    }

    /// <summary>Removes a capacity provider (deleted).</summary>
    public void RemoveCapacityProvider(string arn)
    {
        State = State with { CapacityProviders = State.CapacityProviders.Remove(arn) };
        _mutations.Add(Mutation.Delete(StateCodec.CapacityProviderKind, arn));
    }

    /// <summary>Removes a task (expired), with its containers.</summary>
    public void RemoveTask(string arn)
    {
        State = State.WithoutTask(arn);
        _mutations.Add(Mutation.Delete(StateCodec.TaskKind, arn));
    }

    /// <summary>Removes a service (INACTIVE past its retention).</summary>
    public void RemoveService(string arn)
    {
        State = State with { Services = State.Services.Remove(arn) };
        _mutations.Add(Mutation.Delete(StateCodec.ServiceKind, arn));
    }

    /// <summary>Removes a RunTask idempotency token (expired).</summary>
    public void RemoveClientToken(string key)
    {
        State = State.ClientTokens.TryGetValue(key, out var token)
            ? State with { ClientTokens = State.ClientTokens.Remove(key), ClientTokensByTime = State.ClientTokensByTime.Remove((EcsState.MadeAt(token), key)) }
            : State;
        _mutations.Add(Mutation.Delete(StateCodec.ClientTokenKind, key));
    }

    /// <summary>Puts a task whose document was encoded already (a plan made outside the writer).</summary>
    public void Put(Berth.Ecs.Tasks.TaskRecord task, Mutation document)
    {
        State = State.WithTask(task);
        _mutations.Add(document);
    }

    /// <summary>Puts tasks whose documents were encoded already (planned outside the writer), in one pass.</summary>
    public void PutAll(IReadOnlyList<(Berth.Ecs.Tasks.TaskRecord Task, Mutation Document)> tasks)
    {
        State = State.WithTasks([.. tasks.Select(t => t.Task)]);
        _mutations.AddRange(tasks.Select(t => t.Document));
    }

    /// <summary>Puts RunTask idempotency tokens that are not in the state yet, their documents encoded already, in one pass.</summary>
    public void PutNew(IReadOnlyList<(string Key, Berth.Ecs.Tasks.StoredClientToken Token, Mutation Document)> tokens)
    {
        var all = State.ClientTokens.ToBuilder();
        var byTime = State.ClientTokensByTime.ToBuilder();
        foreach (var (key, token, document) in tokens)
        {
            if (all.TryGetValue(key, out var before))
            {
                byTime.Remove((EcsState.MadeAt(before), key));
            }

            all[key] = token;
            byTime.Add((EcsState.MadeAt(token), key));
            _mutations.Add(document);
        }

        State = State with { ClientTokens = all.ToImmutable(), ClientTokensByTime = byTime.ToImmutable() };
    }

    /// <summary>The document of a RunTask idempotency token.</summary>
    public static Mutation Document(string key, Berth.Ecs.Tasks.StoredClientToken token) =>
        Mutation.Put(StateCodec.ClientTokenKind, key, StateCodec.Encode(token, StoredJsonContext.Default.StoredClientToken));

    /// <summary>Puts a service whose document was encoded already (a plan made outside the writer).</summary>
    public void Put(Berth.Ecs.Services.ServiceRecord service, Mutation document)
    {
        State = State with { Services = State.Services.SetItem(service.ServiceArn, service) };
        _mutations.Add(document);
    }

    /// <summary>Puts a service.</summary>
    public void Put(Berth.Ecs.Services.ServiceRecord service)
    {
        var arn = service.ServiceArn;
        State = State with { Services = State.Services.SetItem(arn, service) };
        _mutations.Add(StateCodec.Document(service));
    }

    /// <summary>Puts a RunTask idempotency token under <paramref name="key"/>.</summary>
    public void Put(string key, Berth.Ecs.Tasks.StoredClientToken token)
    {
        var byTime = State.ClientTokens.TryGetValue(key, out var before) ? State.ClientTokensByTime.Remove((EcsState.MadeAt(before), key)) : State.ClientTokensByTime;
        State = State with { ClientTokens = State.ClientTokens.SetItem(key, token), ClientTokensByTime = byTime.Add((EcsState.MadeAt(token), key)) };
        _mutations.Add(Document(key, token));
    }

    /// <summary>Puts an account setting.</summary>
    public void Put(string key, StoredSetting setting)
    {
        State = State with { Settings = State.Settings.SetItem(key, setting) };
        _mutations.Add(Mutation.Put(StateCodec.SettingKind, key, StateCodec.Encode(setting, StoredJsonContext.Default.StoredSetting)));
    }

    /// <summary>Removes an account setting.</summary>
    public void RemoveSetting(string key)
    {
        State = State with { Settings = State.Settings.Remove(key) };
        _mutations.Add(Mutation.Delete(StateCodec.SettingKind, key));
    }

    /// <summary>The mutations of every change so far.</summary>
    public IReadOnlyList<Mutation> Mutations => _mutations;

    /// <summary>Ends the edit with the command's answer.</summary>
    public Berth.Storage.Commit.Decision<EcsState, TResult> Done<TResult>(TResult result) => new(State, _mutations, result);
}
