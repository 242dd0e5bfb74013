using Berth.Scheduling.Feasibility;
using Berth.Scheduling.Ranking;

namespace Berth.Scheduling;

/// <summary>Why one instance was refused for one task: the instance's ARN and ECS's reason.</summary>
public sealed record PlacementFailure(string Arn, string Reason);

/// <summary>Where one task goes: an instance, or none, with the reason each instance refused it.</summary>
public sealed record TaskPlacement(InstanceSnapshot? Instance, IReadOnlyList<PlacementFailure> Failures)
{
    /// <summary>Whether an instance was found.</summary>
    public bool Placed => Instance is not null;
}

/// <summary>
/// ECS task placement as a pure function: filter the instances through feasibility checks (each naming its
/// failure reason), then rank what is left. Tasks of one request are placed one after another, each seeing
/// what the earlier ones took.
/// </summary>
public static class Placement
{
    /// <summary>Reason given for a pinned instance that is not in the cluster.</summary>
    public const string Missing = "MISSING";

    /// <summary>Reason given for a pinned instance that is not ACTIVE or DRAINING.</summary>
    public const string Inactive = "INACTIVE";

    /// <summary>
    /// The checks a request is held to, in the order ECS reports them: the agent first, then resources, then
    /// constraints. The one place where rules are wired; memberOf joins here.
    /// </summary>
    public static IReadOnlyList<IFeasibilityCheck> ChecksFor(PlacementRequest request)
    {
        var checks = new List<IFeasibilityCheck>
        {
            new AgentConnectedCheck(),
            new CpuCheck(),
            new MemoryCheck(),
            new TcpPortsCheck(),
            new UdpPortsCheck(),
        };
        if (request.Constraints.Any(c => c.Type == "distinctInstance"))
        {
            checks.Add(new DistinctInstanceCheck());
        }

        return checks;
    }

    /// <summary>The ranking a request's strategies ask for; binpack and spread join here.</summary>
    public static IRanking RankingFor(PlacementRequest request) => RandomRanking.Instance;

    /// <summary>Places every task of <paramref name="request"/>; one entry per task, in order.</summary>
    public static IReadOnlyList<TaskPlacement> Place(ClusterSnapshot snapshot, PlacementRequest request, Random rng)
    {
        var checks = ChecksFor(request);
        var ranking = RankingFor(request);
        var candidates = snapshot.Instances.Select(i => new Candidate(i).Reset()).ToList();
        if (request.PinnedInstances is { } pinned)
        {
            return pinned.Select(target => PlacePinned(candidates, target, checks, request)).ToList();
        }

        // DRAINING and INACTIVE instances are not candidates at all: ECS names no failure for them.
        var active = candidates.Where(c => c.Instance.Status == "ACTIVE").ToList();
        var placements = new List<TaskPlacement>(request.Count);
        for (var i = 0; i < request.Count; i++)
        {
            var feasible = new List<Candidate>(active.Count);
            var failures = new List<PlacementFailure>();
            foreach (var candidate in active)
            {
                var refusal = FirstRefusal(candidate, checks, request);
                if (refusal is null)
                {
                    feasible.Add(candidate);
                }
                else
                {
                    failures.Add(new PlacementFailure(candidate.Instance.Arn, refusal));
                }
            }

            if (feasible.Count == 0)
            {
                placements.Add(new TaskPlacement(null, failures));
                continue;
            }

            var chosen = ranking.Choose(feasible, request, rng);
            chosen.Take(request);
            placements.Add(new TaskPlacement(chosen.Instance, []));
        }

        return placements;
    }

    private static TaskPlacement PlacePinned(List<Candidate> candidates, string target, IReadOnlyList<IFeasibilityCheck> checks, PlacementRequest request)
    {
        var candidate = candidates.FirstOrDefault(c => c.Instance.Arn == target || c.Instance.Id == target);
        if (candidate is null)
        {
            return new TaskPlacement(null, [new PlacementFailure(target, Missing)]);
        }

        // Manual placement may use a DRAINING instance: draining only stops the schedulers from choosing it.
        if (candidate.Instance.Status is not ("ACTIVE" or "DRAINING"))
        {
            return new TaskPlacement(null, [new PlacementFailure(candidate.Instance.Arn, Inactive)]);
        }

        var refusal = FirstRefusal(candidate, checks, request);
        if (refusal is not null)
        {
            return new TaskPlacement(null, [new PlacementFailure(candidate.Instance.Arn, refusal)]);
        }

        candidate.Take(request);
        return new TaskPlacement(candidate.Instance, []);
    }

    private static string? FirstRefusal(Candidate candidate, IReadOnlyList<IFeasibilityCheck> checks, PlacementRequest request)
    {
        foreach (var check in checks)
        {
            if (!check.Admits(candidate, request))
            {
                return check.Reason;
            }
        }

        return null;
    }
}
