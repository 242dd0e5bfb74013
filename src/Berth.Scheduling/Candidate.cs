namespace Berth.Scheduling;

/// <summary>
/// One instance during one placement: its snapshot plus what the request's earlier tasks already took there,
/// so successive tasks of a request never count the same CPU, memory or port twice.
/// </summary>
public sealed class Candidate
{
    private readonly HashSet<int> _takenTcp = [];
    private readonly HashSet<int> _takenUdp = [];

    /// <summary>Starts with nothing taken.</summary>
    public Candidate(InstanceSnapshot instance) => Instance = instance;

    /// <summary>The instance as the snapshot shows it.</summary>
    public InstanceSnapshot Instance { get; }

    /// <summary>Tasks of this request placed here so far.</summary>
    public int PlacedHere { get; private set; }

    /// <summary>CPU units left for the next task.</summary>
    public int RemainingCpu { get; private set; }

    /// <summary>MiB of memory left for the next task.</summary>
    public int RemainingMemory { get; private set; }

    /// <summary>Whether a host TCP port is neither reserved nor bound nor taken by this request.</summary>
    public bool TcpPortFree(int port) =>
        !Instance.Registered.TcpPorts.Contains(port) && !Instance.Used.TcpPorts.Contains(port) && !_takenTcp.Contains(port);

    /// <summary>Whether a host UDP port is neither reserved nor bound nor taken by this request.</summary>
    public bool UdpPortFree(int port) =>
        !Instance.Registered.UdpPorts.Contains(port) && !Instance.Used.UdpPorts.Contains(port) && !_takenUdp.Contains(port);

    internal Candidate Reset()
    {
        RemainingCpu = Instance.Registered.Cpu - Instance.Used.Cpu;
        RemainingMemory = Instance.Registered.Memory - Instance.Used.Memory;
        return this;
    }

    internal void Take(PlacementRequest request)
    {
        RemainingCpu -= request.Cpu;
        RemainingMemory -= request.Memory;
        foreach (var port in request.TcpPorts)
        {
            if (port != 0)
            {
                _takenTcp.Add(port);
            }
        }

        foreach (var port in request.UdpPorts)
        {
            if (port != 0)
            {
                _takenUdp.Add(port);
            }
        }

        PlacedHere++;
    }
}
