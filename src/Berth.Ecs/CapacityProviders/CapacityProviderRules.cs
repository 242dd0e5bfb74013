using System.Text.RegularExpressions;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;

namespace Berth.Ecs.CapacityProviders;

/// <summary>ECS's rules for capacity providers: names, the built-in Fargate providers, Auto Scaling group providers.</summary>
public static partial class CapacityProviderRules
{
    /// <summary>Fargate's on-demand provider.</summary>
    public const string Fargate = "FARGATE";

    /// <summary>Fargate's spot provider.</summary>
    public const string FargateSpot = "FARGATE_SPOT";

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,255}$")]
    private static partial Regex NamePattern();

    // arn:aws:autoscaling:REGION:ACCOUNT:autoScalingGroup:UUID:autoScalingGroupName/NAME
    [GeneratedRegex("^arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:[0-9]{12}:autoScalingGroup:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}:autoScalingGroupName/[^:]{1,255}$")]
    private static partial Regex GroupArnPattern();

    /// <summary>Whether <paramref name="name"/> is one of Fargate's built-in providers.</summary>
    public static bool IsFargate(string? name) => name is Fargate or FargateSpot;

    /// <summary>The ARN of a provider in this scope (the built-in ones too).</summary>
    public static string ArnOf(Scope scope, string name) => scope.EcsPrefix + "capacity-provider/" + name;

    /// <summary>The name a reference (a name or a capacity provider ARN) stands for.</summary>
    public static string NameOf(string reference)
        => reference.StartsWith("arn:", StringComparison.Ordinal) && reference.Contains(":capacity-provider/", StringComparison.Ordinal)
            ? reference[(reference.LastIndexOf('/') + 1)..]
            : reference;

    /// <summary>A provider the user created, by name or ARN, in this scope.</summary>
    public static CapacityProviderRecord? Find(EcsState state, Scope scope, string reference)
        => state.CapacityProviders.TryGetValue(ArnOf(scope, NameOf(reference)), out var found) ? found : null;

    /// <summary>Whether a provider of that name exists here (the built-in ones always do).</summary>
    public static bool Exists(EcsState state, Scope scope, string name) => IsFargate(name) || Find(state, scope, name) is not null;

    /// <summary>Checks a new provider's name: ECS's characters, and no reserved name or prefix.</summary>
    public static void ValidateName(string? name)
    {
        if (string.IsNullOrEmpty(name) || !NamePattern().IsMatch(name))
        {
            throw AwsException.InvalidParameter("The capacity provider name can have up to 255 characters. Valid characters are letters (uppercase and lowercase), numbers, underscores (_), and hyphens (-).");
        }

        if (name.StartsWith("aws", StringComparison.OrdinalIgnoreCase) || name.StartsWith("ecs", StringComparison.OrdinalIgnoreCase) || name.StartsWith("fargate", StringComparison.OrdinalIgnoreCase))
        {
            throw AwsException.InvalidParameter("The capacity provider name cannot be prefixed with 'aws', 'ecs', or 'fargate'. Specify a different name and try again.");
        }
    }

    /// <summary>Checks an Auto Scaling group ARN (the group's name alone is accepted too, as ECS does).</summary>
    public static void ValidateGroup(string? group)
    {
        if (string.IsNullOrEmpty(group))
        {
            throw AwsException.InvalidParameter("autoScalingGroupProvider.autoScalingGroupArn must be specified.");
        }

        if (group.StartsWith("arn:", StringComparison.Ordinal) ? !GroupArnPattern().IsMatch(group) : group.Length > 255 || group.Contains(':', StringComparison.Ordinal))
        {
            throw AwsException.InvalidParameter($"The specified Auto Scaling group ARN {group} is not valid. Specify a valid Auto Scaling group ARN and try again.");
        }
    }

    /// <summary>Checks managed scaling (ECS's ranges) and the ENABLED/DISABLED switches, filling in ECS's defaults.</summary>
    public static AutoScalingGroupProvider Normalize(AutoScalingGroupProvider given)
    {
        var scaling = given.ManagedScaling ?? new ManagedScaling { Status = "DISABLED" };
        var normalized = new AutoScalingGroupProvider
        {
            AutoScalingGroupArn = given.AutoScalingGroupArn,
            ManagedScaling = Scaling(scaling, null),
            ManagedTerminationProtection = Switch("managedTerminationProtection", given.ManagedTerminationProtection, "DISABLED"),
            ManagedDraining = Switch("managedDraining", given.ManagedDraining, "ENABLED"),
        };
        if (normalized.ManagedTerminationProtection == "ENABLED" && normalized.ManagedScaling!.Status != "ENABLED")
        {
            throw AwsException.InvalidParameter("The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, managed scaling must be enabled.");
        }

        return normalized;
    }

    /// <summary>An update's managed scaling over the stored one: members given replace, the rest stay.</summary>
    public static ManagedScaling Scaling(ManagedScaling given, ManagedScaling? before)
    {
        var status = Switch("managedScaling.status", given.Status ?? before?.Status, "DISABLED");
        var target = given.TargetCapacity ?? before?.TargetCapacity ?? 100;
        var min = given.MinimumScalingStepSize ?? before?.MinimumScalingStepSize ?? 1;
        var max = given.MaximumScalingStepSize ?? before?.MaximumScalingStepSize ?? 10000;
        var warmup = given.InstanceWarmupPeriod ?? before?.InstanceWarmupPeriod ?? 300;
        Range("managedScaling.targetCapacity", target, 1, 100);
        Range("managedScaling.minimumScalingStepSize", min, 1, 10000);
        Range("managedScaling.maximumScalingStepSize", max, 1, 10000);
        Range("managedScaling.instanceWarmupPeriod", warmup, 0, 10000);
        if (min > max)
        {
            throw AwsException.InvalidParameter("The minimum scaling step size must be less than or equal to the maximum scaling step size.");
        }

        return new ManagedScaling { Status = status, TargetCapacity = target, MinimumScalingStepSize = min, MaximumScalingStepSize = max, InstanceWarmupPeriod = warmup };
    }

    /// <summary>An ENABLED/DISABLED member, with its default when absent.</summary>
    public static string Switch(string member, string? value, string fallback)
        => value switch
        {
            null => fallback,
            "ENABLED" or "DISABLED" => value,
            _ => throw AwsException.InvalidParameter($"Invalid value for {member}: {value}. Valid values are ENABLED, DISABLED."),
        };

    private static void Range(string member, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            throw AwsException.InvalidParameter($"{member} must be between {min} and {max}.");
        }
    }

    /// <summary>Whether any ACTIVE cluster of this scope has <paramref name="name"/> among its providers.</summary>
    public static ClusterRecord? AssociatedWith(EcsState state, Scope scope, string name)
        => state.Clusters.Values.FirstOrDefault(c => c.Status == ClusterStatus.Active && c.ClusterArn.StartsWith(scope.EcsPrefix, StringComparison.Ordinal) && c.CapacityProviders.Contains(name));
}
