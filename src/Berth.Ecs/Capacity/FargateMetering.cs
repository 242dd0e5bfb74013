using System.Globalization;
using System.Text.Json.Serialization;
using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.Capacity;

/// <summary>One FARGATE task's usage, as Fargate bills it.</summary>
public sealed class MeteredTask
{
    /// <summary>The task.</summary>
    public required string TaskArn { get; init; }

    /// <summary>Its cluster.</summary>
    public required string ClusterArn { get; init; }

    /// <summary>The task's last status when metered.</summary>
    public required string LastStatus { get; init; }

    /// <summary>vCPUs (task cpu units / 1024).</summary>
    public double Vcpu { get; init; }

    /// <summary>GB of memory (task memory MiB / 1024).</summary>
    public double MemoryGb { get; init; }

    /// <summary>Where billing starts: the image pull, else the start; null when the task never got that far.</summary>
    public DateTimeOffset? BillingStartedAt { get; init; }

    /// <summary>Where billing ends: the stop, or null while it runs (metered up to now).</summary>
    public DateTimeOffset? BillingStoppedAt { get; init; }

    /// <summary>Billed seconds: whole seconds rounded up, at least 60 once billing started.</summary>
    public long BilledSeconds { get; init; }

    /// <summary>vCPU-seconds.</summary>
    public double VcpuSeconds { get; init; }

    /// <summary>GB-seconds.</summary>
    public double GbSeconds { get; init; }
}

/// <summary>FARGATE usage of an account, per task and in total.</summary>
public sealed class MeteringReport
{
    /// <summary>When the report was made (running tasks are metered up to here).</summary>
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>Every FARGATE task Berth knows, oldest first.</summary>
    public required List<MeteredTask> Tasks { get; init; }

    /// <summary>Sum of vCPU-seconds.</summary>
    public double VcpuSeconds { get; init; }

    /// <summary>Sum of GB-seconds.</summary>
    public double GbSeconds { get; init; }
}

/// <summary>The metering report's JSON shape.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(MeteringReport))]
public sealed partial class MeteringJsonContext : JsonSerializerContext;

/// <summary>
/// Metering as Fargate bills: from the start of the image pull to the task's stop, rounded up to the second,
/// one minute at least, for the task's vCPU and GB of memory. A pure function of the state and the time.
/// </summary>
public static class FargateMetering
{
    /// <summary>Fargate's minimum charge per task.</summary>
    public const int MinimumSeconds = 60;

    /// <summary>The report for every FARGATE task of <paramref name="accountId"/> (optionally of one cluster ARN).</summary>
    public static MeteringReport Report(EcsState state, string accountId, string? clusterArn, DateTimeOffset now)
    {
        var tasks = new List<MeteredTask>();
        foreach (var task in state.Tasks.Values)
        {
            if (!FargateCapacity.Runs(task) || (clusterArn is not null && task.ClusterArn != clusterArn) || !task.TaskArn!.Contains(":" + accountId + ":", StringComparison.Ordinal))
            {
                continue;
            }

            tasks.Add(Meter(task, now));
        }

        tasks.Sort((a, b) => Nullable.Compare(a.BillingStartedAt, b.BillingStartedAt) is var c && c != 0 ? c : string.CompareOrdinal(a.TaskArn, b.TaskArn));
        return new MeteringReport
        {
            GeneratedAt = now,
            Tasks = tasks,
            VcpuSeconds = tasks.Sum(t => t.VcpuSeconds),
            GbSeconds = tasks.Sum(t => t.GbSeconds),
        };
    }

    /// <summary>One task's usage up to <paramref name="now"/>.</summary>
    public static MeteredTask Meter(EcsTask task, DateTimeOffset now)
    {
        var vcpu = Units(task.Cpu) / 1024.0;
        var gb = Units(task.Memory) / 1024.0;
        var start = task.PullStartedAt ?? task.StartedAt;
        var stop = task.LastStatus == "STOPPED" ? task.ExecutionStoppedAt ?? task.StoppedAt ?? now : (DateTimeOffset?)null;
        long seconds = 0;
        if (start is { } from)
        {
            var until = stop ?? now;
            seconds = Math.Max(MinimumSeconds, (long)Math.Ceiling(Math.Max(0, (until - from).TotalSeconds)));
        }

        return new MeteredTask
        {
            TaskArn = task.TaskArn!,
            ClusterArn = task.ClusterArn!,
            LastStatus = task.LastStatus ?? "PROVISIONING",
            Vcpu = vcpu,
            MemoryGb = gb,
            BillingStartedAt = start,
            BillingStoppedAt = start is null ? null : stop,
            BilledSeconds = seconds,
            VcpuSeconds = vcpu * seconds,
            GbSeconds = gb * seconds,
        };
    }

    private static int Units(string? value) => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
