using System.Collections.Immutable;
using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.CapacityProviders;

/// <summary>
/// A capacity provider the user created (FARGATE and FARGATE_SPOT are built in and never stored): its Auto Scaling
/// group provider (ECS's shape, frozen; the group itself comes with the Auto Scaling API) and its tags.
/// </summary>
public sealed record CapacityProviderRecord
{
    /// <summary>Its ARN (<c>arn:aws:ecs:REGION:ACCOUNT:capacity-provider/NAME</c>).</summary>
    public required string CapacityProviderArn { get; init; }

    /// <summary>Its name.</summary>
    public required string Name { get; init; }

    /// <summary>ECS's <c>AutoScalingGroupProvider</c>, defaults filled in.</summary>
    public required FrozenJson AutoScalingGroupProvider { get; init; }

    /// <summary>ECS's <c>updateStatus</c> of the last change.</summary>
    public string? UpdateStatus { get; init; }

    /// <summary>Its tags.</summary>
    public ImmutableArray<ResourceTag> Tags { get; init; } = [];

    /// <summary>The group's ARN (or name) as the request gave it.</summary>
    public string GroupArn => AutoScalingGroupProvider.Thaw(WireJsonContext.Default.AutoScalingGroupProvider).AutoScalingGroupArn ?? string.Empty;
}
