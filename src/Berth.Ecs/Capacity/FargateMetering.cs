using System.Text.Json.Serialization;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;

namespace Berth.Ecs.Capacity;

/// <summary>One FARGATE task's usage, as Fargate bills it.</summary>
public sealed class MeteredTask
{
    /// <summary>The task.</summary>
    public required string TaskArn { get; init; }

    /// <summary>Its cluster.</summary>
    public required string ClusterArn { get; init; }

    /// <summary>FARGATE (on-demand) or FARGATE_SPOT: the capacity it ran on, billed apart.</summary>
    public required string CapacityProviderName { get; init; }

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

    /// <summary>Every FARGATE task Berth still shows, oldest first.</summary>
    public required List<MeteredTask> Tasks { get; init; }

    /// <summary>FARGATE tasks that have expired from the state since they stopped; their usage is in the sums.</summary>
    public long ExpiredTasks { get; init; }

    /// <summary>Sum of vCPU-seconds.</summary>
    public double VcpuSeconds { get; init; }

    /// <summary>Sum of GB-seconds.</summary>
    public double GbSeconds { get; init; }

    /// <summary>The on-demand (FARGATE) part of the sums.</summary>
    public required MeteredTotal OnDemand { get; init; }

    /// <summary>The FARGATE_SPOT part of the sums, billed apart.</summary>
    public required MeteredTotal Spot { get; init; }
}

/// <summary>Usage of one kind of Fargate capacity.</summary>
public sealed class MeteredTotal
{
    /// <summary>How many tasks (expired ones included).</summary>
    public long Tasks { get; init; }

    /// <summary>vCPU-seconds.</summary>
    public double VcpuSeconds { get; init; }

    /// <summary>GB-seconds.</summary>
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
    /// <summary>The spot provider's name, as metering shows it.</summary>
    public const string SpotName = "FARGATE_SPOT";

    /// <summary>Fargate's minimum charge per task.</summary>
    public const int MinimumSeconds = 60;

    /// <summary>The report for every FARGATE task of <paramref name="accountId"/> (optionally of one cluster ARN).</summary>
    public static MeteringReport Report(EcsState state, string accountId, string? clusterArn, DateTimeOffset now)
    {
        var tasks = new List<MeteredTask>();
        foreach (var task in clusterArn is null ? state.Tasks.Values : state.TasksIn(clusterArn))
        {
            if (!FargateCapacity.Runs(task) || !task.TaskArn.Contains(":" + accountId + ":", StringComparison.Ordinal))
            {
                continue;
            }

            tasks.Add(Meter(task, now));
        }

        var expired = state.MeterTotals.Values
            .Where(t => (clusterArn is null || t.ClusterArn == clusterArn) && t.ClusterArn.Contains(":" + accountId + ":", StringComparison.Ordinal))
            .ToList();
        tasks.Sort((a, b) => Nullable.Compare(a.BillingStartedAt, b.BillingStartedAt) is var c && c != 0 ? c : string.CompareOrdinal(a.TaskArn, b.TaskArn));
        var spot = tasks.Where(t => t.CapacityProviderName == SpotName).ToList();
        var spotTotal = new MeteredTotal
        {
            Tasks = spot.Count + expired.Sum(t => t.SpotTasks),
            VcpuSeconds = spot.Sum(t => t.VcpuSeconds) + expired.Sum(t => t.SpotVcpuSeconds),
            GbSeconds = spot.Sum(t => t.GbSeconds) + expired.Sum(t => t.SpotGbSeconds),
        };
        var vcpu = tasks.Sum(t => t.VcpuSeconds) + expired.Sum(t => t.VcpuSeconds);
        var gb = tasks.Sum(t => t.GbSeconds) + expired.Sum(t => t.GbSeconds);
        var count = tasks.Count + expired.Sum(t => t.Tasks);
        return new MeteringReport
        {
            GeneratedAt = now,
            Tasks = tasks,
            ExpiredTasks = expired.Sum(t => t.Tasks),
            VcpuSeconds = vcpu,
            GbSeconds = gb,
            Spot = spotTotal,
            OnDemand = new MeteredTotal { Tasks = count - spotTotal.Tasks, VcpuSeconds = vcpu - spotTotal.VcpuSeconds, GbSeconds = gb - spotTotal.GbSeconds },
        };
    }

    /// <summary>One task's usage up to <paramref name="now"/>.</summary>
    public static MeteredTask Meter(TaskRecord task, DateTimeOffset now)
    {
        var vcpu = task.Cpu / 1024.0;
        var gb = task.Memory / 1024.0;
        var start = task.PullStartedAt ?? task.StartedAt;
        var stop = task.LastStatus == EcsTaskStatus.Stopped ? task.ExecutionStoppedAt ?? task.StoppedAt ?? now : (DateTimeOffset?)null;
        long seconds = 0;
        if (start is { } from)
        {
            var until = stop ?? now;
            seconds = Math.Max(MinimumSeconds, (long)Math.Ceiling(Math.Max(0, (until - from).TotalSeconds)));
        }

        return new MeteredTask
        {
            TaskArn = task.TaskArn,
            ClusterArn = task.ClusterArn,
            CapacityProviderName = task.CapacityProviderName == SpotName ? SpotName : "FARGATE",
            LastStatus = WireText.Of(task.LastStatus),
            Vcpu = vcpu,
            MemoryGb = gb,
            BillingStartedAt = start,
            BillingStoppedAt = start is null ? null : stop,
            BilledSeconds = seconds,
            VcpuSeconds = vcpu * seconds,
            GbSeconds = gb * seconds,
        };
    }
}

/// <summary>The FARGATE usage of a cluster's tasks that have expired from the state (their rows are gone; their usage is not).</summary>
/// <param name="ClusterArn">The cluster.</param>
/// <param name="Tasks">How many expired tasks it sums.</param>
/// <param name="VcpuSeconds">Their vCPU-seconds.</param>
/// <param name="GbSeconds">Their GB-seconds.</param>
public sealed record StoredMeterTotal(string ClusterArn, long Tasks, double VcpuSeconds, double GbSeconds)
{
    /// <summary>How many of them ran on FARGATE_SPOT.</summary>
    public long SpotTasks { get; init; }

    /// <summary>Their FARGATE_SPOT vCPU-seconds (part of <see cref="VcpuSeconds"/>).</summary>
    public double SpotVcpuSeconds { get; init; }

    /// <summary>Their FARGATE_SPOT GB-seconds (part of <see cref="GbSeconds"/>).</summary>
    public double SpotGbSeconds { get; init; }
}

/// <summary>Folds an expiring task's usage into its cluster's <see cref="StoredMeterTotal"/>.</summary>
public static class MeterTotals
{
    /// <summary>The cluster's totals with <paramref name="task"/> (stopped, so its usage is final) added.</summary>
    public static StoredMeterTotal Add(EcsState state, TaskRecord task)
    {
        var metered = FargateMetering.Meter(task, task.StoppedAt ?? DateTimeOffset.UnixEpoch);
        var total = state.MeterTotals.TryGetValue(task.ClusterArn, out var found) ? found : new StoredMeterTotal(task.ClusterArn, 0, 0, 0);
        var spot = metered.CapacityProviderName == FargateMetering.SpotName;
        return total with
        {
            Tasks = total.Tasks + 1,
            VcpuSeconds = total.VcpuSeconds + metered.VcpuSeconds,
            GbSeconds = total.GbSeconds + metered.GbSeconds,
            SpotTasks = total.SpotTasks + (spot ? 1 : 0),
            SpotVcpuSeconds = total.SpotVcpuSeconds + (spot ? metered.VcpuSeconds : 0),
            SpotGbSeconds = total.SpotGbSeconds + (spot ? metered.GbSeconds : 0),
        };
    }
}
