namespace Berth.Scheduling.Feasibility;

/// <summary>The instance's agent must be connected: nothing else could start the task (reason <c>AGENT</c>).</summary>
public sealed class AgentConnectedCheck : IFeasibilityCheck
{
    /// <summary>The one instance (it holds no state).</summary>
    public static AgentConnectedCheck Instance { get; } = new();

    /// <inheritdoc />
    public string Reason => "AGENT";

    /// <inheritdoc />
    public bool Admits(Candidate candidate, PlacementRequest request) => candidate.Instance.AgentConnected;
}

/// <summary>Enough CPU units left (reason <c>RESOURCE:CPU</c>).</summary>
public sealed class CpuCheck : IFeasibilityCheck
{
    /// <summary>The one instance (it holds no state).</summary>
    public static CpuCheck Instance { get; } = new();

    /// <inheritdoc />
    public string Reason => "RESOURCE:CPU";

    /// <inheritdoc />
    public bool Admits(Candidate candidate, PlacementRequest request) => candidate.RemainingCpu >= request.Cpu;
}

/// <summary>Enough memory left (reason <c>RESOURCE:MEMORY</c>).</summary>
public sealed class MemoryCheck : IFeasibilityCheck
{
    /// <summary>The one instance (it holds no state).</summary>
    public static MemoryCheck Instance { get; } = new();

    /// <inheritdoc />
    public string Reason => "RESOURCE:MEMORY";

    /// <inheritdoc />
    public bool Admits(Candidate candidate, PlacementRequest request) => candidate.RemainingMemory >= request.Memory;
}

/// <summary>Every static TCP host port free (reason <c>RESOURCE:PORTS</c>); dynamic ports (0) always fit.</summary>
public sealed class TcpPortsCheck : IFeasibilityCheck
{
    /// <summary>The one instance (it holds no state).</summary>
    public static TcpPortsCheck Instance { get; } = new();

    /// <inheritdoc />
    public string Reason => "RESOURCE:PORTS";

    /// <inheritdoc />
    public bool Admits(Candidate candidate, PlacementRequest request) => request.TcpPorts.All(p => p == 0 || candidate.TcpPortFree(p));
}

/// <summary>Every static UDP host port free (reason <c>RESOURCE:PORTS_UDP</c>).</summary>
public sealed class UdpPortsCheck : IFeasibilityCheck
{
    /// <summary>The one instance (it holds no state).</summary>
    public static UdpPortsCheck Instance { get; } = new();

    /// <inheritdoc />
    public string Reason => "RESOURCE:PORTS_UDP";

    /// <inheritdoc />
    public bool Admits(Candidate candidate, PlacementRequest request) => request.UdpPorts.All(p => p == 0 || candidate.UdpPortFree(p));
}
