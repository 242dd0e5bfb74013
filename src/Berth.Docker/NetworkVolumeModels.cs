namespace Berth.Docker;

/// <summary>The body of <c>POST /networks/create</c>.</summary>
public sealed record NetworkSpec
{
    public required string Name { get; init; }

    /// <summary><c>bridge</c> by default.</summary>
    public string? Driver { get; init; }

    /// <summary>Refuse to create a second network with the same name (the engine otherwise allows duplicates).</summary>
    public bool CheckDuplicate { get; init; } = true;

    /// <summary>No external connectivity.</summary>
    public bool? Internal { get; init; }

    public bool? Attachable { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public IReadOnlyDictionary<string, string>? Options { get; init; }
    public Ipam? IPAM { get; init; }
}

/// <summary>IP address management of a network.</summary>
public sealed record Ipam
{
    public string? Driver { get; init; }
    public IReadOnlyList<IpamConfig>? Config { get; init; }
}

/// <summary>One subnet of a network.</summary>
public sealed record IpamConfig
{
    public string? Subnet { get; init; }
    public string? IPRange { get; init; }
    public string? Gateway { get; init; }
}

/// <summary>The fields of <c>GET /networks/{id}</c> that Berth uses.</summary>
public sealed record NetworkInspect
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public string? Driver { get; init; }
    public string? Scope { get; init; }
    public bool Internal { get; init; }
    public Ipam? IPAM { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>The driver's options, e.g. <c>com.docker.network.bridge.name</c>.</summary>
    public IReadOnlyDictionary<string, string>? Options { get; init; }

    /// <summary>Attached containers keyed by container id.</summary>
    public IReadOnlyDictionary<string, NetworkContainer>? Containers { get; init; }
}

/// <summary>A container attached to a network.</summary>
public sealed record NetworkContainer
{
    public string? Name { get; init; }
    public string? EndpointID { get; init; }
    public string? MacAddress { get; init; }

    /// <summary>CIDR notation, e.g. <c>172.18.0.2/16</c>.</summary>
    public string? IPv4Address { get; init; }
}

/// <summary>The body of <c>POST /volumes/create</c> (ECS <c>dockerVolumeConfiguration</c>).</summary>
public sealed record VolumeSpec
{
    public required string Name { get; init; }

    /// <summary><c>local</c> by default.</summary>
    public string? Driver { get; init; }

    public IReadOnlyDictionary<string, string>? DriverOpts { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>A Docker volume.</summary>
public sealed record VolumeInfo
{
    public required string Name { get; init; }
    public string? Driver { get; init; }
    public string? Mountpoint { get; init; }

    /// <summary><c>local</c> or <c>global</c>.</summary>
    public string? Scope { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public IReadOnlyDictionary<string, string>? Options { get; init; }
}

internal sealed record CreateNetworkResponse(string Id, string? Warning);

internal sealed record NetworkConnectRequest
{
    public required string Container { get; init; }
    public EndpointConfig? EndpointConfig { get; init; }
}

internal sealed record NetworkDisconnectRequest
{
    public required string Container { get; init; }
    public bool Force { get; init; }
}
