using System.Collections.Immutable;

namespace Berth.Ec2AutoScaling.State;

/// <summary>A launch configuration: what its instances are (their size comes from the instance type) and where they join.</summary>
public sealed record LaunchConfigurationRecord
{
    /// <summary>The name (unique per account and region).</summary>
    public required string Name { get; init; }

    /// <summary>The ARN.</summary>
    public required string Arn { get; init; }

    /// <summary>The image id as given (instances are Berth agents; it is only shown).</summary>
    public required string ImageId { get; init; }

    /// <summary>The EC2 instance type; it chooses CPU and memory.</summary>
    public required string InstanceType { get; init; }

    /// <summary>The user data as given (base64).</summary>
    public string? UserData { get; init; }

    /// <summary>The ECS cluster the user data names (<c>ECS_CLUSTER=NAME</c>), <c>default</c> when it names none.</summary>
    public required string Cluster { get; init; }

    /// <summary>The security groups as given.</summary>
    public ImmutableArray<string> SecurityGroups { get; init; } = [];

    /// <summary>The IAM instance profile as given.</summary>
    public string? IamInstanceProfile { get; init; }

    /// <summary>The key pair as given.</summary>
    public string? KeyName { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedTime { get; init; }
}

/// <summary>A tag of a group.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
/// <param name="PropagateAtLaunch">Whether instances get it.</param>
public sealed record GroupTag(string Key, string Value, bool PropagateAtLaunch);

/// <summary>An Auto Scaling group.</summary>
public sealed record GroupRecord
{
    /// <summary>The name (unique per account and region).</summary>
    public required string Name { get; init; }

    /// <summary>The ARN.</summary>
    public required string Arn { get; init; }

    /// <summary>The launch configuration new instances use.</summary>
    public required string LaunchConfigurationName { get; init; }

    /// <summary>The minimum size.</summary>
    public required int MinSize { get; init; }

    /// <summary>The maximum size.</summary>
    public required int MaxSize { get; init; }

    /// <summary>The desired capacity.</summary>
    public required int DesiredCapacity { get; init; }

    /// <summary>The default cooldown, seconds.</summary>
    public int DefaultCooldown { get; init; } = 300;

    /// <summary>The Availability Zones.</summary>
    public ImmutableArray<string> AvailabilityZones { get; init; } = [];

    /// <summary>The subnets as given.</summary>
    public string? VpcZoneIdentifier { get; init; }

    /// <summary>EC2 or ELB.</summary>
    public string HealthCheckType { get; init; } = "EC2";

    /// <summary>The health check grace period, seconds.</summary>
    public int HealthCheckGracePeriod { get; init; }

    /// <summary>The termination policies as given (Berth applies the default one).</summary>
    public ImmutableArray<string> TerminationPolicies { get; init; } = ["Default"];

    /// <summary>Whether new instances start protected from scale-in.</summary>
    public bool NewInstancesProtectedFromScaleIn { get; init; }

    /// <summary>The tags.</summary>
    public ImmutableArray<GroupTag> Tags { get; init; } = [];

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedTime { get; init; }

    /// <summary>"Delete in progress" once a ForceDelete is terminating its instances.</summary>
    public string? Status { get; init; }

    /// <summary>Whether the group is being deleted.</summary>
    public bool Deleting => Status is not null;
}

/// <summary>Where an instance is in its life, as Auto Scaling names it.</summary>
public enum LifecycleState
{
    /// <summary>Launch recorded; the provisioner is starting it (written before it acts, so a restart finishes it).</summary>
    Pending,

    /// <summary>Running.</summary>
    InService,

    /// <summary>Termination recorded; the provisioner is draining and stopping it.</summary>
    Terminating,
}

/// <summary>An instance of a group.</summary>
public sealed record InstanceRecord
{
    /// <summary><c>i-</c> and 17 hex digits.</summary>
    public required string InstanceId { get; init; }

    /// <summary>Its group's key (<c>REGION|NAME</c>).</summary>
    public required string GroupKey { get; init; }

    /// <summary>The launch configuration it was launched from.</summary>
    public required string LaunchConfigurationName { get; init; }

    /// <summary>Its instance type.</summary>
    public required string InstanceType { get; init; }

    /// <summary>Its image id.</summary>
    public required string ImageId { get; init; }

    /// <summary>Its Availability Zone.</summary>
    public required string AvailabilityZone { get; init; }

    /// <summary>Where it is in its life.</summary>
    public required LifecycleState LifecycleState { get; init; }

    /// <summary>Whether scale-in may not choose it.</summary>
    public bool ProtectedFromScaleIn { get; init; }

    /// <summary>When its launch was recorded.</summary>
    public required DateTimeOffset LaunchedAt { get; init; }

    /// <summary>The activity that launched or is terminating it.</summary>
    public string? ActivityId { get; init; }

    /// <summary>Whether it counts towards the group's capacity (not terminating).</summary>
    public bool Live => LifecycleState != LifecycleState.Terminating;
}

/// <summary>A scaling activity.</summary>
public sealed record ActivityRecord
{
    /// <summary>A UUID.</summary>
    public required string ActivityId { get; init; }

    /// <summary>The group's key (<c>REGION|NAME</c>).</summary>
    public required string GroupKey { get; init; }

    /// <summary>The group's name.</summary>
    public required string GroupName { get; init; }

    /// <summary>The group's ARN.</summary>
    public required string GroupArn { get; init; }

    /// <summary>What it does.</summary>
    public required string Description { get; init; }

    /// <summary>Why.</summary>
    public required string Cause { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartTime { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>InProgress, Successful, Failed, Cancelled.</summary>
    public required string StatusCode { get; init; }

    /// <summary>Percent done.</summary>
    public int Progress { get; init; }

    /// <summary>Details as JSON text, as AWS shows them.</summary>
    public string Details { get; init; } = "{}";

    /// <summary>A message for a failure.</summary>
    public string? StatusMessage { get; init; }
}
