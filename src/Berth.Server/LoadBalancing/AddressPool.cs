using System.Buffers.Binary;
using System.Net;
using Berth.Elb;
using Berth.Elb.State;

namespace Berth.Server.LoadBalancing;

/// <summary>
/// Gives each new load balancer an address of its own from one network (by default on loopback), used as its
/// DNSName: an address literal resolves through any resolver, and several load balancers can listen on the same
/// port, as on AWS. Addresses go out in order after the highest one in use and are not reused while a load
/// balancer holds them.
/// </summary>
public sealed class AddressPool
{
    private readonly uint _first;
    private readonly uint _last;
    private readonly Func<ElbState> _current;
    private readonly Lock _gate = new();
    private uint _next;

    /// <summary>A pool over <paramref name="network"/> (its network and broadcast addresses are never given).</summary>
    public AddressPool(IPNetwork network, Func<ElbState> current)
    {
        var size = 1u << (32 - network.PrefixLength);
        _first = ToUInt(network.BaseAddress) + 1;
        _last = ToUInt(network.BaseAddress) + size - 2;
        _current = current;
        _next = _first;
        foreach (var lb in current().LoadBalancers.Values)
        {
            if (AddressOf(lb) is { } address && ToUInt(address) is var n && n >= _first && n <= _last && n >= _next)
            {
                _next = n == _last ? _first : n + 1;
            }
        }
    }

    /// <summary>The address a load balancer listens on: its DNSName, when that is an address.</summary>
    public static IPAddress? AddressOf(LoadBalancerRecord lb) => IPAddress.TryParse(lb.DnsName, out var address) ? address : null;

    /// <summary>The DNSName of a new load balancer (the signature ElbApi.DnsName takes).</summary>
    public string DnsName(string name, string id, string region)
    {
        lock (_gate)
        {
            var used = _current().LoadBalancers.Values.Select(AddressOf).OfType<IPAddress>().Select(ToUInt).ToHashSet();
            for (var tried = 0u; tried <= _last - _first; tried++)
            {
                var candidate = _next;
                _next = _next == _last ? _first : _next + 1;
                if (!used.Contains(candidate))
                {
                    return ToAddress(candidate).ToString();
                }
            }
        }

        throw ElbErrors.Of(("TooManyLoadBalancers", 400), "The maximum number of load balancers has been reached: every address of Berth's --lb-addresses network is in use");
    }

    private static uint ToUInt(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    private static IPAddress ToAddress(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }
}
