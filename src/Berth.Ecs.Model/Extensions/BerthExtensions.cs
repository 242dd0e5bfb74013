using System.Text.Json.Serialization;

namespace Berth.Ecs.Model;

// Members Berth's agent sends beyond ECS's model. ECS ignores unknown members, so a request carrying them
// stays valid ECS; the AWS agent simply never sends them.

/// <summary>Berth extension: a container's Docker health check result, reported by Berth's agent.</summary>
public sealed partial class ContainerStateChange
{
    /// <summary>HEALTHY, UNHEALTHY or UNKNOWN; becomes the container's <c>healthStatus</c>.</summary>
    [JsonPropertyName("healthStatus")]
    public string? HealthStatus { get; set; }
}

/// <summary>Berth extension: the container's health beside its state.</summary>
public sealed partial class SubmitContainerStateChangeRequest
{
    /// <summary>HEALTHY, UNHEALTHY or UNKNOWN; becomes the container's <c>healthStatus</c>.</summary>
    [JsonPropertyName("healthStatus")]
    public string? HealthStatus { get; set; }
}

/// <summary>Berth extension: the task's health beside its state.</summary>
public sealed partial class SubmitTaskStateChangeRequest
{
    /// <summary>HEALTHY, UNHEALTHY or UNKNOWN; becomes the task's <c>healthStatus</c>.</summary>
    [JsonPropertyName("healthStatus")]
    public string? HealthStatus { get; set; }
}

/// <summary>Berth extension: the host's identity when there is no EC2 instance identity document.</summary>
public sealed partial class RegisterContainerInstanceRequest
{
    /// <summary>The instance ID to show as <c>ec2InstanceId</c>; Berth makes one up when absent.</summary>
    [JsonPropertyName("ec2InstanceId")]
    public string? Ec2InstanceId { get; set; }
}

/// <summary>Berth extension: the attachment's details (for an awsvpc task's network interface: its address).</summary>
public sealed partial class AttachmentStateChange
{
    /// <summary>Details to merge into the attachment's <c>details</c>, e.g. <c>privateIPv4Address</c>.</summary>
    [JsonPropertyName("details")]
    public List<KeyValuePair>? Details { get; set; }
}
