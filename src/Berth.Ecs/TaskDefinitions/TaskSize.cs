using System.Globalization;
using System.Text.RegularExpressions;
using Berth.Protocol.Errors;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>
/// Task-level <c>cpu</c> (units) and <c>memory</c> (MiB): parsing of the forms ECS accepts ("1024", "1 vCPU",
/// "2 GB") and Fargate's table of valid pairs.
/// </summary>
internal static partial class TaskSize
{
    /// <summary>Range of task cpu ECS accepts outside Fargate (0.125 to 192 vCPU).</summary>
    public const int MinEc2Cpu = 128;
    public const int MaxEc2Cpu = 196608;

    private const int UnitsPerVcpu = 1024;
    private const int MibPerGb = 1024;

    /// <summary>Fargate's cpu values with the memory each allows: first, last and step (MiB).</summary>
    private static readonly Dictionary<int, (int Min, int Max, int Step)> FargateMemoryByCpu = new()
    {
        [256] = (512, 2048, 512),
        [512] = (1024, 4096, 1024),
        [1024] = (2048, 8192, 1024),
        [2048] = (4096, 16384, 1024),
        [4096] = (8192, 30720, 1024),
        [8192] = (16384, 61440, 4096),
        [16384] = (32768, 122880, 8192),
    };

    /// <summary>Every (cpu, memory) pair Fargate runs, in table order.</summary>
    public static IEnumerable<(int Cpu, int Memory)> FargatePairs()
    {
        foreach (var (cpu, range) in FargateMemoryByCpu)
        {
            for (var memory = range.Min; memory <= range.Max; memory += range.Step)
            {
                // 256 CPU allows 512, 1024 and 2048 only: 1536 is not on the table.
                if (cpu == 256 && memory == 1536)
                    continue;
                yield return (cpu, memory);
            }
        }
    }

    public static bool IsFargatePair(int cpu, int memory) =>
        FargateMemoryByCpu.TryGetValue(cpu, out var range)
        && memory >= range.Min && memory <= range.Max && (memory - range.Min) % range.Step == 0
        && !(cpu == 256 && memory == 1536);

    /// <summary>Parses task cpu: whole units ("1024") or vCPUs ("1 vCPU", "0.25 vcpu"). Null when absent.</summary>
    public static int? ParseCpu(string? text) =>
        text is null ? null : Parse(text, CpuPattern(), _ => UnitsPerVcpu) ?? throw InvalidTaskSetting("cpu");

    /// <summary>Parses task memory: whole MiB ("2048") or with a unit ("2 GB", "512 MiB"). Null when absent.</summary>
    public static int? ParseMemory(string? text) =>
        text is null ? null : Parse(text, MemoryPattern(), unit => unit.StartsWith('g') ? MibPerGb : 1) ?? throw InvalidTaskSetting("memory");

    /// <summary>ECS's error for a task-level cpu or memory it cannot use (from the ECS troubleshooting guide).</summary>
    public static AwsException InvalidTaskSetting(string field) => AwsException.Client($"Invalid '{field}' setting for task.");

    private static int? Parse(string text, Regex pattern, Func<string, int> scaleForUnit)
    {
        var match = pattern.Match(text.Trim());
        if (!match.Success)
            return null;
        var unit = match.Groups["unit"].Value.ToLowerInvariant();
        var scale = unit.Length == 0 ? 1 : scaleForUnit(unit);
        if (!decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            return null;
        var value = number * scale;
        // Fractions must land on a whole unit ("0.25 vCPU" is 256; "0.0001 vCPU" is not a value).
        if (value <= 0 || value != decimal.Truncate(value) || value > int.MaxValue)
            return null;
        return (int)value;
    }

    [GeneratedRegex(@"^(?<number>\d+(\.\d+)?)\s*(?<unit>vcpus?)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CpuPattern();

    [GeneratedRegex(@"^(?<number>\d+(\.\d+)?)\s*(?<unit>gb|gib|mb|mib)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MemoryPattern();
}
