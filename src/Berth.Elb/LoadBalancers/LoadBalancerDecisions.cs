using System.Collections.Immutable;
using Berth.Elb.Arns;
using Berth.Elb.Listeners;
using Berth.Elb.Model;
using Berth.Elb.Paging;
using Berth.Elb.State;
using Berth.Elb.Tagging;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.Elb.LoadBalancers;

/// <summary>CreateLoadBalancer, DeleteLoadBalancer and the load balancer attributes, as pure decisions; Describe as queries.</summary>
public static class LoadBalancerDecisions
{
    /// <summary>
    /// Creates an application load balancer (active at once: there is nothing to provision). As on AWS, a second
    /// create with the same name and settings answers the existing one; other settings are DuplicateLoadBalancerName.
    /// </summary>
    public static Decision<ElbState, CreateLoadBalancerOutput> Create(ElbState state, ElbScope scope, CreateLoadBalancerInput input, Func<string, string, string, string> dnsName)
    {
        var name = input.Name!;
        ElbNames.CheckName(name, "load balancer");
        var type = input.Type ?? "application";
        if (type != "application")
        {
            throw ElbErrors.Validation($"Load balancer type '{type}' is not supported: Berth runs application load balancers");
        }

        var scheme = input.Scheme ?? "internet-facing";
        if (!WireEnums.LoadBalancerSchemeEnum.Contains(scheme))
        {
            throw ElbErrors.Of(WireErrors.InvalidSchemeException, $"The scheme '{scheme}' is not valid: it must be internet-facing or internal");
        }

        var ipAddressType = IpAddressType(input.IpAddressType ?? "ipv4");
        var subnets = Subnets(input.Subnets, input.SubnetMappings);

        var existing = state.LoadBalancers.Values.FirstOrDefault(lb => lb.Region == scope.Region && lb.Name == name);
        if (existing is not null)
        {
            if (existing.Scheme == scheme && (subnets.IsEmpty || existing.Subnets.SequenceEqual(subnets)))
            {
                return new(state, [], new CreateLoadBalancerOutput { LoadBalancers = [ToWire(existing)] });
            }

            throw ElbErrors.Of(WireErrors.DuplicateLoadBalancerNameException, "A load balancer with the same name exists, but with different settings");
        }

        var id = scope.NewIds[0];
        var record = new LoadBalancerRecord
        {
            Arn = ElbNames.LoadBalancerArn(scope.Region, scope.AccountId, name, id),
            Name = name,
            Id = id,
            Region = scope.Region,
            DnsName = dnsName(name, id, scope.Region),
            CreatedTime = scope.Now,
            Scheme = scheme,
            IpAddressType = ipAddressType,
            VpcId = ElbNames.DefaultVpcId,
            Subnets = subnets,
            SecurityGroups = [.. input.SecurityGroups ?? []],
            Tags = Tags.Add([], input.Tags),
        };
        return new(state.With(record), [ElbCodec.Put(record)], new CreateLoadBalancerOutput { LoadBalancers = [ToWire(record)] });
    }

    /// <summary>Deletes a load balancer with its listeners and rules; an unknown ARN succeeds, as on AWS. Deletion protection refuses it.</summary>
    public static Decision<ElbState, DeleteLoadBalancerOutput> Delete(ElbState state, DeleteLoadBalancerInput input)
    {
        if (!state.LoadBalancers.TryGetValue(input.LoadBalancerArn!, out var record))
        {
            return new(state, [], new DeleteLoadBalancerOutput());
        }

        if (record.Attributes.GetValueOrDefault(LoadBalancerAttributes.DeletionProtection) == "true")
        {
            throw ElbErrors.Of(WireErrors.OperationNotPermittedException, $"Load balancer '{record.Arn}' cannot be deleted because deletion protection is enabled");
        }

        var mutations = new List<Mutation> { ElbCodec.DeleteLoadBalancer(record.Arn) };
        var next = state with { LoadBalancers = state.LoadBalancers.Remove(record.Arn) };
        foreach (var listener in state.ListenersOf(record.Arn))
        {
            next = ListenerRemoval.Remove(next, listener, mutations);
        }

        return new(next, mutations, new DeleteLoadBalancerOutput());
    }

    /// <summary>SetSubnets: replaces the subnets (and optionally the IP address type) of a load balancer.</summary>
    public static Decision<ElbState, SetSubnetsOutput> SetSubnets(ElbState state, SetSubnetsInput input)
    {
        var record = Find(state, input.LoadBalancerArn!);
        var subnets = Subnets(input.Subnets, input.SubnetMappings);
        if (subnets.IsEmpty)
        {
            throw ElbErrors.Validation("At least one subnet must be specified");
        }

        var updated = record with { Subnets = subnets, IpAddressType = input.IpAddressType is { } type ? IpAddressType(type) : record.IpAddressType };
        var wire = ToWire(updated);
        return new(state.With(updated), [ElbCodec.Put(updated)], new SetSubnetsOutput { AvailabilityZones = wire.AvailabilityZones, IpAddressType = updated.IpAddressType });
    }

    /// <summary>SetSecurityGroups: replaces the security groups of a load balancer (kept and reported).</summary>
    public static Decision<ElbState, SetSecurityGroupsOutput> SetSecurityGroups(ElbState state, SetSecurityGroupsInput input)
    {
        var record = Find(state, input.LoadBalancerArn!);
        var updated = record with { SecurityGroups = [.. input.SecurityGroups!.Distinct()] };
        return new(state.With(updated), [ElbCodec.Put(updated)], new SetSecurityGroupsOutput { SecurityGroupIds = [.. updated.SecurityGroups] });
    }

    /// <summary>SetIpAddressType: ipv4 or dualstack.</summary>
    public static Decision<ElbState, SetIpAddressTypeOutput> SetIpAddressType(ElbState state, SetIpAddressTypeInput input)
    {
        var record = Find(state, input.LoadBalancerArn!);
        var updated = record with { IpAddressType = IpAddressType(input.IpAddressType!) };
        return new(state.With(updated), [ElbCodec.Put(updated)], new SetIpAddressTypeOutput { IpAddressType = updated.IpAddressType });
    }

    /// <summary>DescribeLoadBalancers: by ARNs or by names (not both), else all of the region, paged.</summary>
    public static DescribeLoadBalancersOutput Describe(ElbState state, string region, DescribeLoadBalancersInput input)
    {
        if (input.LoadBalancerArns is { Count: > 0 } && input.Names is { Count: > 0 })
        {
            throw ElbErrors.Validation("Load balancer names and load balancer ARNs cannot be specified at the same time");
        }

        List<LoadBalancerRecord> found;
        if (input.LoadBalancerArns is { Count: > 0 } arns)
        {
            found = [.. arns.Select(a => state.LoadBalancers.GetValueOrDefault(a) ?? throw ElbErrors.LoadBalancerNotFound($"Load balancers '[{a}]' not found"))];
        }
        else if (input.Names is { Count: > 0 } names)
        {
            found = [.. names.Select(n => state.LoadBalancers.Values.FirstOrDefault(lb => lb.Region == region && lb.Name == n) ?? throw ElbErrors.LoadBalancerNotFound($"Load balancers '[{n}]' not found"))];
        }
        else
        {
            found = [.. state.LoadBalancers.Values.Where(lb => lb.Region == region).OrderBy(lb => lb.Name, StringComparer.Ordinal)];
        }

        var (page, next) = Pages.Take(found, input.Marker, input.PageSize);
        return new DescribeLoadBalancersOutput { LoadBalancers = [.. page.Select(ToWire)], NextMarker = next };
    }

    /// <summary>Sets attributes (each key and value checked, all or nothing) and answers every attribute.</summary>
    public static Decision<ElbState, ModifyLoadBalancerAttributesOutput> ModifyAttributes(ElbState state, ModifyLoadBalancerAttributesInput input)
    {
        var record = Find(state, input.LoadBalancerArn!);
        var attributes = AttributeSet.Apply(record.Attributes, input.Attributes!.Select(a => (a.Key, a.Value)), LoadBalancerAttributes.Rules, "Load balancer");
        var updated = record with { Attributes = attributes };
        return new(state.With(updated), [ElbCodec.Put(updated)], new ModifyLoadBalancerAttributesOutput { Attributes = AttributesOf(updated) });
    }

    /// <summary>Every attribute of a load balancer with its value.</summary>
    public static DescribeLoadBalancerAttributesOutput DescribeAttributes(ElbState state, DescribeLoadBalancerAttributesInput input)
        => new() { Attributes = AttributesOf(Find(state, input.LoadBalancerArn!)) };

    /// <summary>The load balancer <paramref name="arn"/>, or LoadBalancerNotFound.</summary>
    public static LoadBalancerRecord Find(ElbState state, string arn)
        => state.LoadBalancers.GetValueOrDefault(arn) ?? throw ElbErrors.LoadBalancerNotFound($"Load balancer '{arn}' not found");

    /// <summary>The wire shape of <paramref name="record"/>.</summary>
    public static LoadBalancer ToWire(LoadBalancerRecord record) => new()
    {
        LoadBalancerArn = record.Arn,
        LoadBalancerName = record.Name,
        DNSName = record.DnsName,
        CanonicalHostedZoneId = ElbNames.CanonicalHostedZoneId,
        CreatedTime = record.CreatedTime,
        Scheme = record.Scheme,
        VpcId = record.VpcId,
        State = new LoadBalancerState { Code = "active" },
        Type = "application",
        IpAddressType = record.IpAddressType,
        AvailabilityZones = [.. record.Subnets.Select((s, i) => new AvailabilityZone { SubnetId = s, ZoneName = ElbNames.ZoneOf(record.Region, i), LoadBalancerAddresses = [] })],
        SecurityGroups = [.. record.SecurityGroups],
    };

    private static string IpAddressType(string type) => type is "ipv4" or "dualstack"
        ? type
        : throw ElbErrors.Validation($"The IP address type '{type}' is not valid for an application load balancer: it must be ipv4 or dualstack");

    private static ImmutableArray<string> Subnets(List<string>? subnets, List<SubnetMapping>? mappings)
    {
        if (subnets is { Count: > 0 } && mappings is { Count: > 0 })
        {
            throw ElbErrors.Validation("You can specify subnets or subnet mappings, not both");
        }

        var result = (subnets is { Count: > 0 } ? subnets : mappings?.Select(m => m.SubnetId ?? throw ElbErrors.Validation("A subnet mapping must have a subnet ID")).ToList() ?? []).ToImmutableArray();
        if (result.Distinct().Count() != result.Length)
        {
            throw ElbErrors.Validation("A subnet can be specified only once");
        }

        return result;
    }

    private static List<LoadBalancerAttribute> AttributesOf(LoadBalancerRecord record)
        => [.. AttributeSet.All(record.Attributes, LoadBalancerAttributes.Rules).Select(a => new LoadBalancerAttribute { Key = a.Key, Value = a.Value })];
}
