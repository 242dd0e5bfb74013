using System.Text.Json.Serialization;

namespace Berth.Ecs.Model.Agent;

/// <summary>One task an agent should know about, with the definition it runs.</summary>
public sealed class AgentAssignment
{
    /// <summary>The task as the control plane has it (desiredStatus is what the agent acts on).</summary>
    [JsonPropertyName("task")]
    public EcsTask? Task { get; set; }

    /// <summary>The task definition revision the task runs.</summary>
    [JsonPropertyName("taskDefinition")]
    public TaskDefinition? TaskDefinition { get; set; }

    /// <summary>Pull credentials the server hands the task for registries it serves (the task execution role's, in ECS terms).</summary>
    [JsonPropertyName("registryCredentials")]
    public List<AgentRegistryCredential>? RegistryCredentials { get; set; }

    /// <summary>The account's <c>defaultLogDriverMode</c> when the task was handed out: a container's log <c>mode</c> when it names none.</summary>
    [JsonPropertyName("defaultLogDriverMode")]
    public string? DefaultLogDriverMode { get; set; }
}

/// <summary>A pull credential for one registry: images named <c>REGISTRY/...</c> are pulled with it.</summary>
public sealed class AgentRegistryCredential
{
    /// <summary>The registry's <c>HOST:PORT</c>, as image names start.</summary>
    [JsonPropertyName("registry")]
    public string? Registry { get; set; }

    /// <summary>User name (<c>AWS</c>, as with ECR).</summary>
    [JsonPropertyName("username")]
    public string? Username { get; set; }

    /// <summary>The short-lived registry password.</summary>
    [JsonPropertyName("password")]
    public string? Password { get; set; }
}

/// <summary>
/// A line of the agent channel (<c>GET /_berth/agent/v1/channel</c>, newline-delimited JSON): the instance's tasks
/// (every one in the channel's first message, then those that are new or whose desired status changed), and a
/// heartbeat after a quiet period so both sides notice a dead peer.
/// </summary>
public sealed class AgentChannelMessage
{
    /// <summary>Message type for assignments.</summary>
    public const string AssignmentsType = "assignments";

    /// <summary>Message type for a heartbeat.</summary>
    public const string HeartbeatType = "heartbeat";

    /// <summary><see cref="AssignmentsType"/> or <see cref="HeartbeatType"/>.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    /// <summary>Tasks on the instance that are not yet STOPPED on the control plane: all of them in the first message, then the changed ones.</summary>
    [JsonPropertyName("tasks")]
    public List<AgentAssignment>? Tasks { get; set; }

    /// <summary>Server time of the message.</summary>
    [JsonPropertyName("at")]
    public DateTimeOffset? At { get; set; }
}

/// <summary>
/// What an agent measured of its tasks in one metric period (<c>BerthAgentV1.SubmitTaskMetrics</c>, a signed AWS JSON
/// call like the agent's ECS calls): the server turns it into the AWS/ECS CloudWatch metrics.
/// </summary>
public sealed class AgentTaskMetrics
{
    /// <summary>The operation's target.</summary>
    public const string Target = "BerthAgentV1.SubmitTaskMetrics";

    /// <summary>The reporting instance.</summary>
    [JsonPropertyName("containerInstanceArn")]
    public string? ContainerInstanceArn { get; set; }

    /// <summary>One sample per running task.</summary>
    [JsonPropertyName("samples")]
    public List<AgentTaskSample>? Samples { get; set; }
}

/// <summary>One task's use over the last sampling interval.</summary>
public sealed class AgentTaskSample
{
    /// <summary>The task.</summary>
    [JsonPropertyName("taskArn")]
    public string? TaskArn { get; set; }

    /// <summary>When it was taken.</summary>
    [JsonPropertyName("at")]
    public DateTimeOffset? At { get; set; }

    /// <summary>CPU units used over the interval (1,024 per core), absent on a container's first sample.</summary>
    [JsonPropertyName("cpuUnitsUsed")]
    public double? CpuUnitsUsed { get; set; }

    /// <summary>Memory in use (page cache excluded), in MiB.</summary>
    [JsonPropertyName("memoryMiBUsed")]
    public double? MemoryMiBUsed { get; set; }
}

/// <summary>The answer to <see cref="AgentTaskMetrics"/>: how many samples counted (tasks the server knows).</summary>
public sealed class AgentTaskMetricsResult
{
    /// <summary>Samples counted.</summary>
    [JsonPropertyName("accepted")]
    public int? Accepted { get; set; }
}

/// <summary>JSON of the agent channel.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Converters = [typeof(Berth.Protocol.Json.EpochSecondsConverter)])]
[JsonSerializable(typeof(AgentChannelMessage))]
[JsonSerializable(typeof(AgentTaskMetrics))]
[JsonSerializable(typeof(AgentTaskMetricsResult))]
public sealed partial class AgentJsonContext : JsonSerializerContext
{
}
