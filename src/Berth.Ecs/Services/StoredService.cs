using Berth.Ecs.Model;

namespace Berth.Ecs.Services;

/// <summary>
/// A service as Berth keeps it: the wire shape ECS returns (counts, deployments, events kept current by every
/// decision), the revisions and service deployments the newer deployment APIs list, and what the controller
/// remembers between passes.
/// </summary>
public sealed record StoredService
{
    /// <summary>The service as DescribeServices shows it (tags included; queries leave them out unless asked).</summary>
    public required Service Service { get; init; }

    /// <summary>Every revision of the service, oldest first: one per deployment (DescribeServiceRevisions).</summary>
    public List<ServiceRevision> Revisions { get; init; } = [];

    /// <summary>Every service deployment, oldest first (ListServiceDeployments, DescribeServiceDeployments).</summary>
    public List<ServiceDeployment> History { get; init; } = [];

    /// <summary>What the controller remembers between passes.</summary>
    public ControllerMemory Controller { get; init; } = new();

    /// <summary>When the service became INACTIVE (it is purged a retention period later, as ECS may purge them).</summary>
    public DateTimeOffset? InactiveAt { get; init; }
}

/// <summary>The controller's memory of one service: placement backoff and whether steady state was reported.</summary>
public sealed record ControllerMemory
{
    /// <summary>No placement is tried before this time (backoff after a pass that could not place every task).</summary>
    public DateTimeOffset? RetryPlacementAt { get; init; }

    /// <summary>Passes in a row that could not place every task (the backoff doubles with each, up to a limit).</summary>
    public int PlacementFailures { get; init; }

    /// <summary>When the last "unable to place" event was written (ECS writes it at most every few minutes).</summary>
    public DateTimeOffset? LastUnableEventAt { get; init; }

    /// <summary>Whether the service's steady state has been reported since it last changed.</summary>
    public bool SteadyReported { get; init; }
}
