using System.Globalization;
using System.Text.RegularExpressions;
using Berth.Elb.Arns;
using Berth.Elb.Model;
using Berth.Elb.Paging;
using Berth.Elb.State;
using Berth.Elb.Tagging;
using Berth.Storage.Commit;

namespace Berth.Elb.TargetGroups;

/// <summary>Target groups as pure decisions and queries: create, modify, delete, describe and their attributes.</summary>
public static partial class TargetGroupDecisions
{
    /// <summary>
    /// Creates an HTTP target group of type instance or ip with ALB's health check defaults. As on AWS, a second
    /// create with the same name and settings answers the existing one; other settings are DuplicateTargetGroupName.
    /// </summary>
    public static Decision<ElbState, CreateTargetGroupOutput> Create(ElbState state, ElbScope scope, CreateTargetGroupInput input)
    {
        var name = input.Name!;
        ElbNames.CheckName(name, "target group");
        var targetType = input.TargetType ?? "instance";
        if (targetType is not ("instance" or "ip"))
        {
            throw ElbErrors.Validation($"Target type '{targetType}' is not supported: Berth's target groups take instance or ip targets");
        }

        var protocol = input.Protocol ?? throw ElbErrors.Validation("A protocol must be specified");
        if (protocol != "HTTP")
        {
            throw ElbErrors.Of(WireErrors.UnsupportedProtocolException, $"Protocol '{protocol}' is not supported: Berth's target groups are HTTP");
        }

        var protocolVersion = input.ProtocolVersion ?? "HTTP1";
        if (protocolVersion != "HTTP1")
        {
            throw ElbErrors.Validation($"Protocol version '{protocolVersion}' is not supported: Berth's target groups are HTTP1");
        }

        var port = input.Port ?? throw ElbErrors.Validation("A port must be specified");
        CheckPort(port, "port");
        var ipAddressType = input.IpAddressType ?? "ipv4";
        if (ipAddressType is not ("ipv4" or "ipv6"))
        {
            throw ElbErrors.Validation($"The IP address type '{ipAddressType}' is not valid: it must be ipv4 or ipv6");
        }

        var healthCheck = HealthCheck(new HealthCheckRecord(), input.HealthCheckEnabled, input.HealthCheckProtocol, input.HealthCheckPort, input.HealthCheckPath,
            input.HealthCheckIntervalSeconds, input.HealthCheckTimeoutSeconds, input.HealthyThresholdCount, input.UnhealthyThresholdCount, input.Matcher);
        var record = new TargetGroupRecord
        {
            Arn = ElbNames.TargetGroupArn(scope.Region, scope.AccountId, name, scope.NewIds[0]),
            Name = name,
            Region = scope.Region,
            Protocol = protocol,
            ProtocolVersion = protocolVersion,
            Port = port,
            VpcId = input.VpcId ?? ElbNames.DefaultVpcId,
            TargetType = targetType,
            IpAddressType = ipAddressType,
            HealthCheck = healthCheck,
            Tags = Tags.Add([], input.Tags),
        };

        var existing = state.TargetGroups.Values.FirstOrDefault(tg => tg.Region == scope.Region && tg.Name == name);
        if (existing is not null)
        {
            if (existing with { Arn = record.Arn, Tags = record.Tags, Targets = record.Targets, Attributes = record.Attributes } == record)
            {
                return new(state, [], new CreateTargetGroupOutput { TargetGroups = [ToWire(state, existing)] });
            }

            throw ElbErrors.Of(WireErrors.DuplicateTargetGroupNameException, "A target group with the same name exists, but with different settings");
        }

        return new(state.With(record), [ElbCodec.Put(record)], new CreateTargetGroupOutput { TargetGroups = [ToWire(state, record)] });
    }

    /// <summary>Changes a target group's health check settings (each checked as on create).</summary>
    public static Decision<ElbState, ModifyTargetGroupOutput> Modify(ElbState state, ModifyTargetGroupInput input)
    {
        var record = Find(state, input.TargetGroupArn!);
        var healthCheck = HealthCheck(record.HealthCheck, input.HealthCheckEnabled, input.HealthCheckProtocol, input.HealthCheckPort, input.HealthCheckPath,
            input.HealthCheckIntervalSeconds, input.HealthCheckTimeoutSeconds, input.HealthyThresholdCount, input.UnhealthyThresholdCount, input.Matcher);
        var updated = record with { HealthCheck = healthCheck };
        var next = state.With(updated);
        return new(next, [ElbCodec.Put(updated)], new ModifyTargetGroupOutput { TargetGroups = [ToWire(next, updated)] });
    }

    /// <summary>Deletes a target group no listener or rule forwards to (ResourceInUse otherwise); an unknown ARN succeeds.</summary>
    public static Decision<ElbState, DeleteTargetGroupOutput> Delete(ElbState state, DeleteTargetGroupInput input)
    {
        var arn = input.TargetGroupArn!;
        if (!state.TargetGroups.ContainsKey(arn))
        {
            return new(state, [], new DeleteTargetGroupOutput());
        }

        if (state.IsInUse(arn))
        {
            throw ElbErrors.Of(WireErrors.ResourceInUseException, $"Target group '{arn}' is currently in use by a listener or a rule");
        }

        return new(state with { TargetGroups = state.TargetGroups.Remove(arn) }, [ElbCodec.DeleteTargetGroup(arn)], new DeleteTargetGroupOutput());
    }

    /// <summary>DescribeTargetGroups: by load balancer, by ARNs or by names (one of them at most), else all of the region, paged.</summary>
    public static DescribeTargetGroupsOutput Describe(ElbState state, string region, DescribeTargetGroupsInput input)
    {
        var filters = (input.LoadBalancerArn is null ? 0 : 1) + (input.TargetGroupArns is { Count: > 0 } ? 1 : 0) + (input.Names is { Count: > 0 } ? 1 : 0);
        if (filters > 1)
        {
            throw ElbErrors.Validation("You can specify only one of load balancer ARN, target group ARNs or target group names");
        }

        List<TargetGroupRecord> found;
        if (input.LoadBalancerArn is { } lb)
        {
            if (!state.LoadBalancers.ContainsKey(lb))
            {
                throw ElbErrors.LoadBalancerNotFound($"Load balancer '{lb}' not found");
            }

            found = [.. state.TargetGroups.Values.Where(tg => state.LoadBalancersUsing(tg.Arn).Contains(lb)).OrderBy(tg => tg.Name, StringComparer.Ordinal)];
        }
        else if (input.TargetGroupArns is { Count: > 0 } arns)
        {
            found = [.. arns.Select(a => state.TargetGroups.GetValueOrDefault(a) ?? throw ElbErrors.TargetGroupNotFound($"Target groups '[{a}]' not found"))];
        }
        else if (input.Names is { Count: > 0 } names)
        {
            found = [.. names.Select(n => state.TargetGroups.Values.FirstOrDefault(tg => tg.Region == region && tg.Name == n) ?? throw ElbErrors.TargetGroupNotFound($"Target groups '[{n}]' not found"))];
        }
        else
        {
            found = [.. state.TargetGroups.Values.Where(tg => tg.Region == region).OrderBy(tg => tg.Name, StringComparer.Ordinal)];
        }

        var (page, next) = Pages.Take(found, input.Marker, input.PageSize);
        return new DescribeTargetGroupsOutput { TargetGroups = [.. page.Select(tg => ToWire(state, tg))], NextMarker = next };
    }

    /// <summary>Sets attributes (each key and value checked, all or nothing) and answers every attribute.</summary>
    public static Decision<ElbState, ModifyTargetGroupAttributesOutput> ModifyAttributes(ElbState state, ModifyTargetGroupAttributesInput input)
    {
        var record = Find(state, input.TargetGroupArn!);
        var attributes = AttributeSet.Apply(record.Attributes, input.Attributes!.Select(a => (a.Key, a.Value)), TargetGroupAttributes.Rules, "Target group");
        var updated = record with { Attributes = attributes };
        return new(state.With(updated), [ElbCodec.Put(updated)], new ModifyTargetGroupAttributesOutput { Attributes = AttributesOf(updated) });
    }

    /// <summary>Every attribute of a target group with its value.</summary>
    public static DescribeTargetGroupAttributesOutput DescribeAttributes(ElbState state, DescribeTargetGroupAttributesInput input)
        => new() { Attributes = AttributesOf(Find(state, input.TargetGroupArn!)) };

    /// <summary>The target group <paramref name="arn"/>, or TargetGroupNotFound.</summary>
    public static TargetGroupRecord Find(ElbState state, string arn)
        => state.TargetGroups.GetValueOrDefault(arn) ?? throw ElbErrors.TargetGroupNotFound($"Target groups '[{arn}]' not found");

    /// <summary>The wire shape of <paramref name="record"/>, with the load balancers that forward to it.</summary>
    public static TargetGroup ToWire(ElbState state, TargetGroupRecord record) => new()
    {
        TargetGroupArn = record.Arn,
        TargetGroupName = record.Name,
        Protocol = record.Protocol,
        ProtocolVersion = record.ProtocolVersion,
        Port = record.Port,
        VpcId = record.VpcId,
        TargetType = record.TargetType,
        IpAddressType = record.IpAddressType,
        HealthCheckEnabled = record.HealthCheck.Enabled,
        HealthCheckProtocol = record.HealthCheck.Protocol,
        HealthCheckPort = record.HealthCheck.Port,
        HealthCheckPath = record.HealthCheck.Path,
        HealthCheckIntervalSeconds = record.HealthCheck.IntervalSeconds,
        HealthCheckTimeoutSeconds = record.HealthCheck.TimeoutSeconds,
        HealthyThresholdCount = record.HealthCheck.HealthyThreshold,
        UnhealthyThresholdCount = record.HealthCheck.UnhealthyThreshold,
        Matcher = new Matcher { HttpCode = record.HealthCheck.Matcher },
        LoadBalancerArns = [.. state.LoadBalancersUsing(record.Arn)],
    };

    /// <summary>
    /// The health check settings after applying the given changes to <paramref name="current"/>, with ALB's ranges:
    /// interval 5-300, timeout 2-120 and less than the interval, thresholds 2-10, path starting with '/', matcher codes
    /// 200-499 as a code, a list or a range.
    /// </summary>
    public static HealthCheckRecord HealthCheck(HealthCheckRecord current, bool? enabled, string? protocol, string? port, string? path, int? interval, int? timeout, int? healthy, int? unhealthy, Matcher? matcher)
    {
        if (protocol is not null and not "HTTP")
        {
            throw ElbErrors.Validation($"Health check protocol '{protocol}' is not supported: Berth checks over HTTP");
        }

        if (port is not null and not "traffic-port")
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                throw ElbErrors.Validation($"Health check port '{port}' is not valid: it must be traffic-port or 1-65535");
            }
        }

        if (path is not null && (!path.StartsWith('/') || path.Length > 1024))
        {
            throw ElbErrors.Validation($"Health check path '{path}' is not valid: it must start with '/' and be at most 1024 characters");
        }

        var next = current with
        {
            Enabled = enabled ?? current.Enabled,
            Protocol = protocol ?? current.Protocol,
            Port = port ?? current.Port,
            Path = path ?? current.Path,
            IntervalSeconds = Range(interval, 5, 300, "Health check interval") ?? current.IntervalSeconds,
            TimeoutSeconds = Range(timeout, 2, 120, "Health check timeout") ?? current.TimeoutSeconds,
            HealthyThreshold = Range(healthy, 2, 10, "Healthy threshold count") ?? current.HealthyThreshold,
            UnhealthyThreshold = Range(unhealthy, 2, 10, "Unhealthy threshold count") ?? current.UnhealthyThreshold,
            Matcher = matcher is null ? current.Matcher : Matcher(matcher),
        };
        if (next.TimeoutSeconds >= next.IntervalSeconds)
        {
            throw ElbErrors.Validation($"Health check timeout '{next.TimeoutSeconds}' must be smaller than the interval '{next.IntervalSeconds}'");
        }

        return next;
    }

    /// <summary>Checks a port number (1-65535).</summary>
    public static void CheckPort(int port, string what)
    {
        if (port is < 1 or > 65535)
        {
            throw ElbErrors.Validation($"1 validation error detected: Value '{port}' at '{what}' failed to satisfy constraint: Member must have value between 1 and 65535");
        }
    }

    private static int? Range(int? value, int min, int max, string what)
    {
        if (value is { } v && (v < min || v > max))
        {
            throw ElbErrors.Validation($"{what} '{v}' must be between {min} and {max}");
        }

        return value;
    }

    private static string Matcher(Matcher matcher)
    {
        if (matcher.GrpcCode is not null)
        {
            throw ElbErrors.Validation("A gRPC code matcher applies only to gRPC target groups");
        }

        var code = matcher.HttpCode ?? throw ElbErrors.Validation("A matcher must have an HTTP code");
        foreach (var part in code.Split(','))
        {
            var match = MatcherPart().Match(part);
            var valid = match.Success;
            if (valid)
            {
                var low = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                var high = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : low;
                valid = low is >= 200 and <= 499 && high is >= 200 and <= 499 && low <= high;
            }

            if (!valid)
            {
                throw ElbErrors.Validation($"The matcher HTTP code '{code}' is not valid: use codes from 200 to 499, as '200', '200,202' or '200-299'");
            }
        }

        return code;
    }

    private static List<TargetGroupAttribute> AttributesOf(TargetGroupRecord record)
        => [.. AttributeSet.All(record.Attributes, TargetGroupAttributes.Rules).Select(a => new TargetGroupAttribute { Key = a.Key, Value = a.Value })];

    [GeneratedRegex("^(\\d{3})(?:-(\\d{3}))?$")]
    private static partial Regex MatcherPart();
}
