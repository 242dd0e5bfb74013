using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>A task definition revision's <c>status</c>.</summary>
public enum TaskDefinitionStatus
{
    /// <summary>Usable by new tasks and services.</summary>
    [JsonStringEnumMemberName("ACTIVE")]
    Active,

    /// <summary>Deregistered: running tasks and services keep it, new ones cannot use it.</summary>
    [JsonStringEnumMemberName("INACTIVE")]
    Inactive,

    /// <summary>Being deleted.</summary>
    [JsonStringEnumMemberName("DELETE_IN_PROGRESS")]
    DeleteInProgress,
}

/// <summary>
/// One task definition revision as the control plane keeps it: what changes after registration (its status and
/// when it changed) typed on the record, and the definition as registered, which nothing writes after
/// <see cref="TaskDefinitionDecisions.Register"/> made it (ECS revisions are immutable). <see cref="Wire"/> is the
/// definition as ECS shows it now.
/// </summary>
/// <param name="Definition">The definition as registered (its status fields are those of registration).</param>
/// <param name="Tags">Its tags.</param>
public sealed record TaskDefinitionRecord(TaskDefinition Definition, ImmutableArray<ResourceTag> Tags)
{
    /// <summary>Its status now.</summary>
    public TaskDefinitionStatus Status { get; init; }

    /// <summary>When it was deregistered.</summary>
    public DateTimeOffset? DeregisteredAt { get; init; }

    /// <summary>When its deletion was asked for.</summary>
    public DateTimeOffset? DeleteRequestedAt { get; init; }

    /// <summary>The revision's ARN.</summary>
    [JsonIgnore]
    public string Arn => Definition.TaskDefinitionArn!;

    /// <summary>The revision's number.</summary>
    [JsonIgnore]
    public int Revision => Definition.Revision!.Value;

    /// <summary>Its tags as ECS shows them.</summary>
    public List<Tag> WireTags() => ResourceTag.ToWire(Tags);

    /// <summary>
    /// ECS's <c>TaskDefinition</c> as it is now: a new top-level object with the current status (the registered
    /// definition's nested values are shared, never written).
    /// </summary>
    public TaskDefinition Wire() => new()
    {
        TaskDefinitionArn = Definition.TaskDefinitionArn,
        ContainerDefinitions = Definition.ContainerDefinitions,
        Family = Definition.Family,
        TaskRoleArn = Definition.TaskRoleArn,
        ExecutionRoleArn = Definition.ExecutionRoleArn,
        NetworkMode = Definition.NetworkMode,
        Revision = Definition.Revision,
        Volumes = Definition.Volumes,
        Status = WireText.Of(Status),
        RequiresAttributes = Definition.RequiresAttributes,
        PlacementConstraints = Definition.PlacementConstraints,
        Compatibilities = Definition.Compatibilities,
        RuntimePlatform = Definition.RuntimePlatform,
        RequiresCompatibilities = Definition.RequiresCompatibilities,
        Cpu = Definition.Cpu,
        Memory = Definition.Memory,
        InferenceAccelerators = Definition.InferenceAccelerators,
        PidMode = Definition.PidMode,
        IpcMode = Definition.IpcMode,
        ProxyConfiguration = Definition.ProxyConfiguration,
        RegisteredAt = Definition.RegisteredAt,
        DeregisteredAt = DeregisteredAt,
        DeleteRequestedAt = DeleteRequestedAt,
        RegisteredBy = Definition.RegisteredBy,
        EphemeralStorage = Definition.EphemeralStorage,
        EnableFaultInjection = Definition.EnableFaultInjection,
    };
}
