using Berth.Scheduling.Expressions;

namespace Berth.Scheduling;

/// <summary>
/// One instance during a <see cref="PlacementSession"/>: its snapshot plus what the session has placed there
/// so far, so successive tasks never count the same CPU, memory or port twice.
/// </summary>
public sealed class Candidate : IQueryTarget
{
    private readonly HashSet<int> _takenTcp = [];
    private readonly HashSet<int> _takenUdp = [];
    private Dictionary<string, int>? _placedGroups;
    private HashSet<string>? _groups;

    internal Candidate(InstanceSnapshot instance, int index, int rank)
    {
        Instance = instance;
        Index = index;
        Rank = rank;
        RemainingCpu = instance.Registered.Cpu - instance.Used.Cpu;
        RemainingMemory = instance.Registered.Memory - instance.Used.Memory;
        RunningTasksCount = instance.RunningTasksCount;
    }

    /// <summary>The instance as the snapshot shows it.</summary>
    public InstanceSnapshot Instance { get; }

    /// <summary>Position in the snapshot.</summary>
    public int Index { get; }

    /// <summary>
    /// The instance's place in the session's seeded random order: the last tie-break of every strategy,
    /// so ties are broken at random yet every placement is reproducible from its seed.
    /// </summary>
    public int Rank { get; }

    /// <summary>CPU units left for the next task.</summary>
    public int RemainingCpu { get; private set; }

    /// <summary>MiB of memory left for the next task.</summary>
    public int RemainingMemory { get; private set; }

    /// <summary>Tasks placed here by the request being placed (what distinctInstance compares without a group).</summary>
    public int PlacedByRequest { get; private set; }

    /// <inheritdoc />
    public IReadOnlySet<string> TaskGroups => _groups ??= BuildGroups();

    /// <inheritdoc />
    public string? Ec2InstanceId => Instance.Ec2InstanceId;

    /// <inheritdoc />
    public int RunningTasksCount { get; private set; }

    /// <inheritdoc />
    public bool AgentConnected => Instance.AgentConnected;

    /// <inheritdoc />
    public string? AgentVersion => Instance.AgentVersion;

    /// <inheritdoc />
    public DateTimeOffset? RegisteredAt => Instance.RegisteredAt;

    internal int RequestGeneration { get; private set; } = -1;

    /// <inheritdoc />
    public bool TryGetAttribute(string name, out string? value) => Instance.Attributes.TryGetValue(name, out value);

    /// <summary>Tasks of <paramref name="group"/> on the instance, counting what the session placed.</summary>
    public int GroupCount(string group) =>
        (Instance.GroupCounts.TryGetValue(group, out var there) ? there : 0) + (_placedGroups is not null && _placedGroups.TryGetValue(group, out var placed) ? placed : 0);

    /// <summary>The groups with at least one task on the instance, counting what the session placed.</summary>
    internal IEnumerable<string> HeldGroups()
    {
        foreach (var name in Instance.GroupCounts.Keys)
        {
            if (GroupCount(name) > 0)
            {
                yield return name;
            }
        }

        if (_placedGroups is not null)
        {
            foreach (var name in _placedGroups.Keys)
            {
                if (!Instance.GroupCounts.ContainsKey(name) && GroupCount(name) > 0)
                {
                    yield return name;
                }
            }
        }
    }

    /// <summary>Whether a host TCP port is neither reserved nor bound nor taken in this session.</summary>
    public bool TcpPortFree(int port) =>
        !Instance.Registered.TcpPorts.Contains(port) && !Instance.Used.TcpPorts.Contains(port) && !_takenTcp.Contains(port);

    /// <summary>Whether a host UDP port is neither reserved nor bound nor taken in this session.</summary>
    public bool UdpPortFree(int port) =>
        !Instance.Registered.UdpPorts.Contains(port) && !Instance.Used.UdpPorts.Contains(port) && !_takenUdp.Contains(port);

    /// <summary>Starts counting <see cref="PlacedByRequest"/> afresh for the request numbered <paramref name="generation"/>.</summary>
    internal void Touch(int generation)
    {
        if (RequestGeneration != generation)
        {
            RequestGeneration = generation;
            PlacedByRequest = 0;
        }
    }

    internal void Take(PlacementRequest request, int generation)
    {
        Touch(generation);
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

        if (request.Group is { } group)
        {
            _placedGroups ??= new Dictionary<string, int>(StringComparer.Ordinal);
            _placedGroups[group] = (_placedGroups.TryGetValue(group, out var n) ? n : 0) + 1;
            _groups = null;
        }

        PlacedByRequest++;
        RunningTasksCount++;
    }

    private HashSet<string> BuildGroups()
    {
        var groups = new HashSet<string>(Instance.GroupCounts.Where(g => g.Value > 0).Select(g => g.Key), StringComparer.Ordinal);
        if (_placedGroups is not null)
        {
            groups.UnionWith(_placedGroups.Keys);
        }

        return groups;
    }
}
