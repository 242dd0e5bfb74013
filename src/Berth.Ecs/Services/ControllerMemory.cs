namespace Berth.Ecs.Services;

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
