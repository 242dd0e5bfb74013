using System.Collections.Frozen;

namespace Berth.Ec2AutoScaling.LaunchConfigurations;

/// <summary>
/// The CPU and memory of common EC2 instance types, as AWS publishes them (vCPUs and GiB), in ECS's units:
/// 1024 CPU units per vCPU and MiB of memory. An instance of the type registers exactly that much.
/// </summary>
public static class InstanceSizes
{
    private static readonly FrozenDictionary<string, (int VCpus, double MemoryGiB)> Sizes = new Dictionary<string, (int, double)>(StringComparer.Ordinal)
    {
        ["t2.nano"] = (1, 0.5),
        ["t2.micro"] = (1, 1),
        ["t2.small"] = (1, 2),
        ["t2.medium"] = (2, 4),
        ["t2.large"] = (2, 8),
        ["t2.xlarge"] = (4, 16),
        ["t2.2xlarge"] = (8, 32),
        ["t3.nano"] = (2, 0.5),
        ["t3.micro"] = (2, 1),
        ["t3.small"] = (2, 2),
        ["t3.medium"] = (2, 4),
        ["t3.large"] = (2, 8),
        ["t3.xlarge"] = (4, 16),
        ["t3.2xlarge"] = (8, 32),
        ["t3a.nano"] = (2, 0.5),
        ["t3a.micro"] = (2, 1),
        ["t3a.small"] = (2, 2),
        ["t3a.medium"] = (2, 4),
        ["t3a.large"] = (2, 8),
        ["t3a.xlarge"] = (4, 16),
        ["t3a.2xlarge"] = (8, 32),
        ["t4g.nano"] = (2, 0.5),
        ["t4g.micro"] = (2, 1),
        ["t4g.small"] = (2, 2),
        ["t4g.medium"] = (2, 4),
        ["t4g.large"] = (2, 8),
        ["t4g.xlarge"] = (4, 16),
        ["t4g.2xlarge"] = (8, 32),
        ["m5.large"] = (2, 8),
        ["m5.xlarge"] = (4, 16),
        ["m5.2xlarge"] = (8, 32),
        ["m5.4xlarge"] = (16, 64),
        ["m5.8xlarge"] = (32, 128),
        ["m5.12xlarge"] = (48, 192),
        ["m5.16xlarge"] = (64, 256),
        ["m5.24xlarge"] = (96, 384),
        ["m6i.large"] = (2, 8),
        ["m6i.xlarge"] = (4, 16),
        ["m6i.2xlarge"] = (8, 32),
        ["m6i.4xlarge"] = (16, 64),
        ["m6g.medium"] = (1, 4),
        ["m6g.large"] = (2, 8),
        ["m6g.xlarge"] = (4, 16),
        ["m6g.2xlarge"] = (8, 32),
        ["m7g.medium"] = (1, 4),
        ["m7g.large"] = (2, 8),
        ["m7g.xlarge"] = (4, 16),
        ["c5.large"] = (2, 4),
        ["c5.xlarge"] = (4, 8),
        ["c5.2xlarge"] = (8, 16),
        ["c5.4xlarge"] = (16, 32),
        ["c5.9xlarge"] = (36, 72),
        ["c6i.large"] = (2, 4),
        ["c6i.xlarge"] = (4, 8),
        ["c6i.2xlarge"] = (8, 16),
        ["c6g.medium"] = (1, 2),
        ["c6g.large"] = (2, 4),
        ["c6g.xlarge"] = (4, 8),
        ["r5.large"] = (2, 16),
        ["r5.xlarge"] = (4, 32),
        ["r5.2xlarge"] = (8, 64),
        ["r6i.large"] = (2, 16),
        ["r6i.xlarge"] = (4, 32),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The types Berth knows, sorted.</summary>
    public static IEnumerable<string> Known => Sizes.Keys.Order(StringComparer.Ordinal);

    /// <summary>The registered CPU units and memory (MiB) of <paramref name="instanceType"/>, or null when unknown.</summary>
    public static (int CpuUnits, int MemoryMiB)? Of(string instanceType)
        => Sizes.TryGetValue(instanceType, out var size) ? (size.VCpus * 1024, (int)(size.MemoryGiB * 1024)) : null;
}
