using System.Globalization;

namespace Berth.Agent.Runtime;

/// <summary>
/// Task-level cpu and memory as one limit for all of a task's containers, as the ECS agent does it: a cgroup
/// per task with the limits, under which Docker creates each container's cgroup (<c>CgroupParent</c>).
/// Where that cannot be done (cgroup v2, or Docker on the systemd cgroup driver) the agent falls back to
/// capping each container at the task's limits.
/// </summary>
public static class TaskCgroup
{
    private const string Root = "/sys/fs/cgroup";

    /// <summary>Whether this host runs cgroup v1 with Docker on the cgroupfs driver (Docker's containers sit under <c>/docker</c>).</summary>
    public static bool Supported => Directory.Exists(Path.Combine(Root, "memory", "docker")) && Directory.Exists(Path.Combine(Root, "cpu", "docker"));

    /// <summary>The cgroup parent of a task's containers.</summary>
    public static string ParentOf(string taskId) => "/berth/" + taskId;

    /// <summary>Creates the task's cgroup with its limits; returns the parent to give Docker, or null when unsupported.</summary>
    public static string? Create(string taskId, int? cpuUnits, int? memoryMiB)
    {
        if (!Supported || (cpuUnits is not > 0 && memoryMiB is not > 0))
        {
            return null;
        }

        try
        {
            var parent = ParentOf(taskId);
            var memory = Path.Combine(Root, "memory") + parent;
            var cpu = Path.Combine(Root, "cpu") + parent;
            Directory.CreateDirectory(memory);
            Directory.CreateDirectory(cpu);
            if (memoryMiB is > 0)
            {
                var bytes = (memoryMiB.Value * 1024L * 1024L).ToString(CultureInfo.InvariantCulture);
                File.WriteAllText(Path.Combine(memory, "memory.limit_in_bytes"), bytes);
            }

            if (cpuUnits is > 0)
            {
                // 1024 units are one CPU: a quota of that share of each 100 ms period.
                File.WriteAllText(Path.Combine(cpu, "cpu.cfs_period_us"), "100000");
                File.WriteAllText(Path.Combine(cpu, "cpu.cfs_quota_us"), (cpuUnits.Value * 100000L / 1024).ToString(CultureInfo.InvariantCulture));
            }

            return parent;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Removes the task's cgroup once its containers are gone.</summary>
    public static void Remove(string taskId)
    {
        foreach (var controller in new[] { "memory", "cpu" })
        {
            try
            {
                var path = Path.Combine(Root, controller) + ParentOf(taskId);
                if (Directory.Exists(path))
                {
                    Directory.Delete(path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Still in use, or not ours to remove: left for the next cleanup.
            }
        }
    }
}
