namespace Berth.Scheduling.Capacity;

/// <summary>A host of spot capacity as the preemption decision sees it: its free room now.</summary>
/// <param name="Id">The host (container instance ARN).</param>
/// <param name="FreeCpu">CPU units free now.</param>
/// <param name="FreeMemory">MiB of memory free now.</param>
/// <param name="Usable">Whether new tasks may go there (ACTIVE, agent connected).</param>
public sealed record SpotHost(string Id, int FreeCpu, int FreeMemory, bool Usable = true);

/// <summary>A FARGATE_SPOT task holding room on a host.</summary>
/// <param name="TaskArn">The task.</param>
/// <param name="Host">Its host.</param>
/// <param name="Cpu">CPU units it holds.</param>
/// <param name="Memory">MiB of memory it holds.</param>
/// <param name="Interrupting">Already asked to stop: its room is coming free, it is not chosen again.</param>
/// <param name="StartedAt">When it was placed (the youngest are interrupted first, as they lose the least work).</param>
public sealed record SpotTask(string TaskArn, string Host, int Cpu, int Memory, bool Interrupting, DateTimeOffset StartedAt);

/// <summary>
/// Which FARGATE_SPOT tasks to interrupt so on-demand tasks find room, as a pure function. Room already coming
/// free (spot tasks being interrupted) counts first, so asking again for the same need interrupts nothing more.
/// For each on-demand task in turn the host needing the fewest interruptions is taken (then the most room left,
/// then the host's order); on a host the largest spot tasks go first (fewest interruptions), the youngest among
/// equals. An on-demand task that would not fit even with every spot task gone interrupts nothing.
/// </summary>
public static class SpotPreemption
{
    /// <summary>The spot tasks to interrupt so that <paramref name="count"/> tasks of (<paramref name="cpu"/>, <paramref name="memory"/>) fit.</summary>
    public static IReadOnlyList<string> Choose(IReadOnlyList<SpotHost> hosts, IReadOnlyList<SpotTask> spot, int cpu, int memory, int count)
        => Choose(hosts, spot, [.. Enumerable.Repeat((cpu, memory), Math.Max(0, count))]);

    /// <summary>The spot tasks to interrupt so that every on-demand task of <paramref name="needs"/> (CPU units, MiB each) fits, in order.</summary>
    public static IReadOnlyList<string> Choose(IReadOnlyList<SpotHost> hosts, IReadOnlyList<SpotTask> spot, IReadOnlyList<(int Cpu, int Memory)> needs)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(spot);
        ArgumentNullException.ThrowIfNull(needs);
        var chosen = new List<string>();
        if (needs.Count == 0)
        {
            return chosen;
        }

        // Free room per host counts the room of tasks already being interrupted.
        var free = new Dictionary<string, (long Cpu, long Memory)>(StringComparer.Ordinal);
        var candidates = new Dictionary<string, List<SpotTask>>(StringComparer.Ordinal);
        foreach (var host in hosts.Where(h => h.Usable))
        {
            free[host.Id] = (host.FreeCpu, host.FreeMemory);
            candidates[host.Id] = [];
        }

        foreach (var task in spot)
        {
            if (!free.TryGetValue(task.Host, out var room))
            {
                continue;
            }

            if (task.Interrupting)
            {
                free[task.Host] = (room.Cpu + task.Cpu, room.Memory + task.Memory);
            }
            else
            {
                candidates[task.Host].Add(task);
            }
        }

        foreach (var list in candidates.Values)
        {
            // Largest first (fewest interruptions), then youngest, then by ARN so the choice is stable.
            list.Sort((a, b) => (b.Cpu + b.Memory).CompareTo(a.Cpu + a.Memory) is var c && c != 0 ? c
                : b.StartedAt.CompareTo(a.StartedAt) is var d && d != 0 ? d : string.CompareOrdinal(a.TaskArn, b.TaskArn));
        }

        foreach (var (cpu, memory) in needs)
        {
            string? bestHost = null;
            var bestVictims = 0;
            long bestLeft = 0;
            foreach (var host in hosts.Where(h => h.Usable))
            {
                var (freeCpu, freeMemory) = free[host.Id];
                var victims = 0;
                var list = candidates[host.Id];
                while ((freeCpu < cpu || freeMemory < memory) && victims < list.Count)
                {
                    freeCpu += list[victims].Cpu;
                    freeMemory += list[victims].Memory;
                    victims++;
                }

                if (freeCpu < cpu || freeMemory < memory)
                {
                    continue;
                }

                var left = freeCpu - cpu + freeMemory - memory;
                if (bestHost is null || victims < bestVictims || (victims == bestVictims && left > bestLeft))
                {
                    (bestHost, bestVictims, bestLeft) = (host.Id, victims, left);
                }
            }

            if (bestHost is null)
            {
                // No host can take it even with every spot task gone: nothing more to interrupt for it.
                continue;
            }

            var (c0, m0) = free[bestHost];
            var taken = candidates[bestHost];
            for (var i = 0; i < bestVictims; i++)
            {
                c0 += taken[i].Cpu;
                m0 += taken[i].Memory;
                chosen.Add(taken[i].TaskArn);
            }

            taken.RemoveRange(0, bestVictims);
            free[bestHost] = (c0 - cpu, m0 - memory);
        }

        return chosen;
    }
}
