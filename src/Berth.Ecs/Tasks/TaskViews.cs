using System.Globalization;
using Berth.Ecs.Capacity;
using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.Tasks;

/// <summary>The edge between a task record and ECS's wire shapes, both ways.</summary>
public static class TaskViews
{
    /// <summary>
    /// ECS's <c>Task</c> shape of <paramref name="task"/>: tags only when asked; a FARGATE task shows no container
    /// instance unless <paramref name="forAgent"/> (the agent runs it on Berth's capacity host).
    /// </summary>
    public static EcsTask ToWire(TaskRecord task, bool withTags = true, bool forAgent = false) => new()
    {
        TaskArn = task.TaskArn,
        ClusterArn = task.ClusterArn,
        TaskDefinitionArn = task.TaskDefinitionArn,
        ContainerInstanceArn = FargateCapacity.Runs(task) && !forAgent ? null : task.ContainerInstanceArn,
        AvailabilityZone = task.AvailabilityZone,
        Attachments = [.. task.Attachments.Select(a => new Attachment
        {
            Id = a.Id,
            Type = a.Type,
            Status = a.Status,
            Details = [.. a.Details.Select(d => new Model.KeyValuePair { Name = d.Name, Value = d.Value })],
        })],
        Attributes = [],
        Containers = [.. task.Containers.Select(c => ToWire(task, c))],
        Cpu = Text(task.Cpu),
        Memory = Text(task.Memory),
        CreatedAt = task.CreatedAt,
        DesiredStatus = WireText.Of(forAgent ? task.AgentDesiredStatus : task.DesiredStatus),
        LastStatus = WireText.Of(task.LastStatus),
        EnableExecuteCommand = task.EnableExecuteCommand,
        Group = task.Group,
        HealthStatus = WireText.Of(task.HealthStatus),
        LaunchType = WireText.Of(task.LaunchType),
        CapacityProviderName = task.CapacityProviderName,
        Connectivity = WireText.Of(task.Connectivity),
        ConnectivityAt = task.ConnectivityAt,
        PlatformVersion = task.PlatformVersion,
        PlatformFamily = task.PlatformFamily,
        EphemeralStorage = task.EphemeralStorage is { } storage ? new EphemeralStorage { SizeInGiB = storage.SizeInGiB } : null,
        Overrides = task.Overrides?.Thaw(WireJsonContext.Default.TaskOverride),
        StartedBy = task.StartedBy,
        StopCode = WireText.Of(task.StopCode),
        StoppedReason = task.StoppedReason,
        PullStartedAt = task.PullStartedAt,
        PullStoppedAt = task.PullStoppedAt,
        StartedAt = task.StartedAt,
        StoppingAt = task.StoppingAt,
        ExecutionStoppedAt = task.ExecutionStoppedAt,
        StoppedAt = task.StoppedAt,
        Tags = withTags ? ResourceTag.ToWire(task.Tags) : null,
        Version = task.Version,
    };

    /// <summary>ECS's <c>Container</c> shape of one container of <paramref name="task"/>.</summary>
    public static Container ToWire(TaskRecord task, ContainerRecord container) => new()
    {
        ContainerArn = container.ContainerArn,
        TaskArn = task.TaskArn,
        Name = container.Name,
        Image = container.Image,
        ImageDigest = container.ImageDigest,
        RuntimeId = container.RuntimeId,
        LastStatus = WireText.Of(container.LastStatus),
        ExitCode = container.ExitCode,
        Reason = container.Reason,
        HealthStatus = WireText.Of(container.HealthStatus),
        NetworkBindings = [.. container.NetworkBindings.Select(ToWire)],
        NetworkInterfaces = [.. container.NetworkInterfaces.Select(i => new NetworkInterface { AttachmentId = i.AttachmentId, PrivateIpv4Address = i.PrivateIpv4Address })],
        Cpu = container.Cpu,
        Memory = container.Memory,
        MemoryReservation = container.MemoryReservation,
    };

    /// <summary>ECS's <c>NetworkBinding</c> shape.</summary>
    public static NetworkBinding ToWire(PortBinding binding) => new()
    {
        BindIP = binding.BindIp,
        ContainerPort = binding.ContainerPort,
        HostPort = binding.HostPort,
        Protocol = WireText.Of(binding.Protocol),
        ContainerPortRange = binding.ContainerPortRange,
        HostPortRange = binding.HostPortRange,
    };

    /// <summary>A binding the agent reported (a protocol Berth does not know counts as tcp, as ECS's default).</summary>
    public static PortBinding FromWire(NetworkBinding binding) => new()
    {
        BindIp = binding.BindIP,
        ContainerPort = binding.ContainerPort,
        HostPort = binding.HostPort,
        Protocol = WireText.Parse<PortProtocol>(binding.Protocol) ?? PortProtocol.Tcp,
        ContainerPortRange = binding.ContainerPortRange,
        HostPortRange = binding.HostPortRange,
    };

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
