namespace Berth.Scheduling;

/// <summary>A placement constraint as ECS takes it: <c>distinctInstance</c>, or <c>memberOf</c> with an expression.</summary>
public sealed record ConstraintSpec(string Type, string? Expression = null);

/// <summary>A placement strategy as ECS takes it: <c>random</c>, <c>spread</c> or <c>binpack</c> with a field.</summary>
public sealed record StrategySpec(string Type, string? Field = null);

/// <summary>
/// What <see cref="PlacementSession.Place"/> places: <paramref name="Count"/> identical tasks, each needing
/// <paramref name="Cpu"/> units, <paramref name="Memory"/> MiB and the given host ports.
/// </summary>
/// <param name="TcpPorts">Host ports each task binds over TCP; 0 means a dynamic port, which never conflicts.</param>
/// <param name="Cpu">CPU units each task needs.</param>
/// <param name="Memory">MiB of memory each task needs.</param>
/// <param name="UdpPorts">Host ports each task binds over UDP; 0 means a dynamic port.</param>
/// <param name="Count">How many tasks (RunTask's <c>count</c>).</param>
public sealed record PlacementRequest(int Cpu, int Memory, IReadOnlyList<int> TcpPorts, IReadOnlyList<int> UdpPorts, int Count = 1)
{
    /// <summary>A request for nothing: what checks that ignore the request are asked with.</summary>
    public static PlacementRequest None { get; } = new(0, 0, [], [], 0);

    /// <summary>The task group the tasks belong to (<c>family:NAME</c> by default in ECS).</summary>
    public string? Group { get; init; }

    /// <summary>Placement constraints: the request's and the task definition's, in order.</summary>
    public IReadOnlyList<ConstraintSpec> Constraints { get; init; } = [];

    /// <summary>Placement strategies in order; none means random.</summary>
    public IReadOnlyList<StrategySpec> Strategies { get; init; } = [];

    /// <summary>
    /// StartTask's manual placement: task <c>i</c> goes to the instance with ID or ARN <c>PinnedInstances[i]</c>
    /// if it fits, and <see cref="Count"/> is ignored. Null for RunTask's placement.
    /// </summary>
    public IReadOnlyList<string>? PinnedInstances { get; init; }
}
