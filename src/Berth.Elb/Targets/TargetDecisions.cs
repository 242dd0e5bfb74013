using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Berth.Elb.Health;
using Berth.Elb.Model;
using Berth.Elb.State;
using Berth.Elb.TargetGroups;
using Berth.Storage.Commit;

namespace Berth.Elb.Targets;

/// <summary>Registering and deregistering targets (pure decisions) and their health as ALB reports it (a query).</summary>
public static partial class TargetDecisions
{
    /// <summary>ALB's limit of targets per target group.</summary>
    public const int MaxPerTargetGroup = 1000;

    /// <summary>Registers targets (port: the group's unless given); registering a draining target brings it back.</summary>
    public static Decision<ElbState, RegisterTargetsOutput> Register(ElbState state, DateTimeOffset now, RegisterTargetsInput input)
    {
        var group = Prune(TargetGroupDecisions.Find(state, input.TargetGroupArn!), now);
        var targets = group.Targets;
        foreach (var target in input.Targets!)
        {
            var id = target.Id!;
            CheckId(group, id);
            var port = target.Port ?? group.Port;
            TargetGroupDecisions.CheckPort(port, "targets.member.port");
            var key = TargetRecord.TargetKey(id, port);
            targets = targets.TryGetValue(key, out var existing) && existing.DrainingUntil is null
                ? targets
                : targets.SetItem(key, new TargetRecord(id, port, target.AvailabilityZone, now));
        }

        if (targets.Count > MaxPerTargetGroup)
        {
            throw ElbErrors.Of(WireErrors.TooManyTargetsException, $"A target group can have at most '{MaxPerTargetGroup}' targets");
        }

        var updated = group with { Targets = targets };
        return new(state.With(updated), [ElbCodec.Put(updated)], new RegisterTargetsOutput());
    }

    /// <summary>
    /// Deregisters targets: each drains for the group's deregistration delay (gone at once with a delay of 0).
    /// A target that is not registered is InvalidTarget.
    /// </summary>
    public static Decision<ElbState, DeregisterTargetsOutput> Deregister(ElbState state, DateTimeOffset now, DeregisterTargetsInput input)
    {
        var group = Prune(TargetGroupDecisions.Find(state, input.TargetGroupArn!), now);
        var delay = int.Parse(group.Attribute(TargetGroupAttributes.DeregistrationDelay), CultureInfo.InvariantCulture);
        var targets = group.Targets;
        var missing = new List<string>();
        foreach (var target in input.Targets!)
        {
            var key = TargetRecord.TargetKey(target.Id!, target.Port ?? group.Port);
            if (!targets.TryGetValue(key, out var existing))
            {
                missing.Add(target.Id!);
                continue;
            }

            if (existing.DrainingUntil is not null)
            {
                continue;
            }

            targets = delay == 0 ? targets.Remove(key) : targets.SetItem(key, existing with { DrainingUntil = now.AddSeconds(delay) });
        }

        if (missing.Count > 0)
        {
            throw ElbErrors.Of(WireErrors.InvalidTargetException, $"The following targets are not registered in target group '{group.Arn}': '{string.Join("', '", missing)}'");
        }

        var updated = group with { Targets = targets };
        return new(state.With(updated), [ElbCodec.Put(updated)], new DeregisterTargetsOutput());
    }

    /// <summary>
    /// The health of the group's targets (or of the ones asked for) as ALB reports it: draining while the
    /// deregistration delay runs, unused when no listener or rule routes to the group, unavailable with health checks
    /// disabled, else what <paramref name="health"/> reports, initial (registration in progress) until it does.
    /// </summary>
    public static DescribeTargetHealthOutput DescribeHealth(ElbState state, DateTimeOffset now, ITargetHealthSource health, DescribeTargetHealthInput input)
    {
        var group = TargetGroupDecisions.Find(state, input.TargetGroupArn!);
        var inUse = state.IsInUse(group.Arn);
        IEnumerable<(string Id, int Port, TargetRecord? Record)> asked = input.Targets is { Count: > 0 } targets
            ? targets.Select(t => (t.Id!, t.Port ?? group.Port, group.Targets.GetValueOrDefault(TargetRecord.TargetKey(t.Id!, t.Port ?? group.Port)) is { } r && !r.IsGone(now) ? r : null))
            : group.Targets.Values.Where(t => !t.IsGone(now)).Select(t => (t.Id, t.Port, (TargetRecord?)t));
        var descriptions = new List<TargetHealthDescription>();
        foreach (var (id, port, record) in asked)
        {
            var state_ = record switch
            {
                null => new TargetHealth { State = "unused", Reason = "Target.NotRegistered", Description = "Target is not registered to the target group" },
                { DrainingUntil: not null } => new TargetHealth { State = "draining", Reason = "Target.DeregistrationInProgress", Description = "Target deregistration is in progress" },
                _ when !inUse => new TargetHealth { State = "unused", Reason = "Target.NotInUse", Description = "Target group is not configured to receive traffic from the load balancer" },
                _ when !group.HealthCheck.Enabled => new TargetHealth { State = "unavailable", Reason = "Target.HealthCheckDisabled", Description = "Health checks are disabled" },
                _ => health.Report(group.Arn, id, port) is { } report
                    ? new TargetHealth { State = report.State, Reason = report.Reason, Description = report.Description }
                    : new TargetHealth { State = "initial", Reason = "Elb.RegistrationInProgress", Description = "Target registration is in progress" },
            };
            descriptions.Add(new TargetHealthDescription
            {
                Target = new TargetDescription { Id = id, Port = port, AvailabilityZone = record?.AvailabilityZone },
                HealthCheckPort = group.HealthCheck.Port == "traffic-port" ? port.ToString(CultureInfo.InvariantCulture) : group.HealthCheck.Port,
                TargetHealth = state_,
            });
        }

        return new DescribeTargetHealthOutput { TargetHealthDescriptions = descriptions };
    }

    /// <summary>The group without the targets whose deregistration delay has run out.</summary>
    public static TargetGroupRecord Prune(TargetGroupRecord group, DateTimeOffset now)
    {
        var gone = group.Targets.Values.Where(t => t.IsGone(now)).Select(t => t.Key).ToList();
        return gone.Count == 0 ? group : group with { Targets = group.Targets.RemoveRange(gone) };
    }

    private static void CheckId(TargetGroupRecord group, string id)
    {
        if (group.TargetType == "ip")
        {
            if (!IPAddress.TryParse(id, out var address) || address.ToString() != id)
            {
                throw ElbErrors.Of(WireErrors.InvalidTargetException, $"The IP address '{id}' is not a valid IPv4 or IPv6 address");
            }

            if (group.IpAddressType == "ipv4" != (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork))
            {
                throw ElbErrors.Of(WireErrors.InvalidTargetException, $"The IP address '{id}' is not of the target group's IP address type '{group.IpAddressType}'");
            }
        }
        else if (!InstanceId().IsMatch(id))
        {
            throw ElbErrors.Of(WireErrors.InvalidTargetException, $"The following targets are not valid instance IDs: '{id}'");
        }
    }

    [GeneratedRegex("^i-[0-9a-f]{8,17}$")]
    private static partial Regex InstanceId();
}
