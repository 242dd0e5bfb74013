using Berth.Agent.Metadata;
using Berth.Docker;

namespace Berth.Agent.Tests.Metadata;

/// <summary>Where the agent serves task metadata to bridge containers: the bridge network's gateway, however the engine lists it.</summary>
public sealed class BridgeGatewayTests
{
    private static NetworkInspect Bridge(IReadOnlyDictionary<string, string>? options, params IpamConfig[] configs) =>
        new() { Id = "b", Name = "bridge", IPAM = new Ipam { Config = configs }, Options = options };

    [Fact]
    public void TheListedIpv4GatewayIsUsed()
    {
        var bridge = Bridge(null, new IpamConfig { Subnet = "fd00::/64", Gateway = "fd00::1" }, new IpamConfig { Subnet = "172.17.0.0/16", Gateway = "172.17.0.1" });
        Assert.Equal(("172.17.0.0/16", "172.17.0.1"), AgentEndpoints.BridgeGateway(bridge, _ => throw new InvalidOperationException("not asked")));
    }

    [Fact]
    public void WithoutAListedGatewayTheBridgesOwnInterfaceAddressIsUsed()
    {
        // Docker 20.10 lists the default bridge as {"Subnet":"172.17.0.0/16"} on some hosts.
        var asked = new List<string>();
        var gateway = AgentEndpoints.BridgeGateway(
            Bridge(new Dictionary<string, string> { ["com.docker.network.bridge.name"] = "br-custom" }, new IpamConfig { Subnet = "172.30.0.0/16" }),
            name => { asked.Add(name); return "172.30.0.1"; });
        Assert.Equal(("172.30.0.0/16", "172.30.0.1"), gateway);
        Assert.Equal(["br-custom"], asked);

        Assert.Equal(("172.17.0.0/16", "172.17.0.1"), AgentEndpoints.BridgeGateway(Bridge(null, new IpamConfig { Subnet = "172.17.0.0/16" }), name => name == "docker0" ? "172.17.0.1" : null));
    }

    [Fact]
    public void NoInterfaceMeansNoGateway() =>
        Assert.Equal(((string?)null, (string?)null), AgentEndpoints.BridgeGateway(Bridge(null), _ => null));
}
