using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Berth.Elb.LoadBalancers;
using Berth.Elb.State;
using Berth.LoadBalancing.Config;
using ElbWeighted = Berth.Elb.State.WeightedTargetGroup;
using PlaneWeighted = Berth.LoadBalancing.Config.WeightedTargetGroup;

namespace Berth.Server.LoadBalancing;

/// <summary>
/// The data plane's input as a pure function of the load balancing state: load balancers with an address, their
/// listeners and rules in priority order, and target groups with the targets that take new requests. A target
/// that is draining in the state is left out, so the data plane drains it (it keeps the deregistration delay of its
/// group); a target whose host cannot be told (an instance id no agent has) is left out too.
/// </summary>
public static class DataPlaneMap
{
    /// <summary>Maps <paramref name="state"/>; <paramref name="addressOf"/> gives a load balancer's listening address, <paramref name="instanceHost"/> an instance target's host.</summary>
    public static DataPlaneConfig Map(ElbState state, Func<LoadBalancerRecord, IPAddress?> addressOf, Func<string, string?> instanceHost)
    {
        var balancers = new List<LoadBalancerConfig>();
        foreach (var lb in state.LoadBalancers.Values)
        {
            if (addressOf(lb) is not { } address)
            {
                continue;
            }

            var listeners = state.ListenersOf(lb.Arn).Select(l => new ListenerConfig
            {
                Id = l.Arn,
                Port = l.Port,
                DefaultActions = Actions(l.DefaultActions),
                Rules = [.. state.RulesOf(l.Arn).Select(r => new RuleConfig
                {
                    Id = r.Arn,
                    Priority = r.Priority,
                    Conditions = [.. r.Conditions.Select(Condition).OfType<RuleCondition>()],
                    Actions = Actions(r.Actions),
                })],
            }).ToList();
            balancers.Add(new LoadBalancerConfig
            {
                Id = lb.Arn,
                Address = address,
                IdleTimeout = TimeSpan.FromSeconds(Int(lb.Attributes, LoadBalancerAttributes.IdleTimeout) ?? 60),
                Listeners = listeners,
            });
        }

        var groups = state.TargetGroups.Values.Select(g => new TargetGroupConfig
        {
            Id = g.Arn,
            HealthCheck = new HealthCheckConfig
            {
                Enabled = g.HealthCheck.Enabled,
                Path = g.HealthCheck.Path,
                Port = int.TryParse(g.HealthCheck.Port, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null,
                Interval = TimeSpan.FromSeconds(g.HealthCheck.IntervalSeconds),
                Timeout = TimeSpan.FromSeconds(g.HealthCheck.TimeoutSeconds),
                HealthyThreshold = g.HealthCheck.HealthyThreshold,
                UnhealthyThreshold = g.HealthCheck.UnhealthyThreshold,
                Matcher = g.HealthCheck.Matcher,
            },
            Attributes = new Berth.LoadBalancing.Config.TargetGroupAttributes
            {
                DeregistrationDelay = TimeSpan.FromSeconds(Int(g.Attributes, Berth.Elb.TargetGroups.TargetGroupAttributes.DeregistrationDelay) ?? 300),
                SlowStart = TimeSpan.FromSeconds(Int(g.Attributes, Berth.Elb.TargetGroups.TargetGroupAttributes.SlowStart) ?? 0),
                Algorithm = g.Attributes.GetValueOrDefault(Berth.Elb.TargetGroups.TargetGroupAttributes.Algorithm) == "least_outstanding_requests"
                    ? LoadBalancingAlgorithm.LeastOutstandingRequests
                    : LoadBalancingAlgorithm.RoundRobin,
                StickinessEnabled = g.Attributes.GetValueOrDefault(Berth.Elb.TargetGroups.TargetGroupAttributes.StickinessEnabled) == "true",
                StickinessDuration = TimeSpan.FromSeconds(Int(g.Attributes, Berth.Elb.TargetGroups.TargetGroupAttributes.CookieDuration) ?? 86400),
            },
            Targets = [.. g.Targets.Values
                .Where(t => t.DrainingUntil is null)
                .Select(t => (Target: t, Host: g.TargetType == "ip" ? t.Id : instanceHost(t.Id)))
                .Where(t => t.Host is not null)
                .Select(t => new TargetConfig(t.Target.Key, t.Host!, t.Target.Port))],
        }).ToList();
        return new DataPlaneConfig { LoadBalancers = balancers, TargetGroups = groups };
    }

    private static List<ListenerAction> Actions(ImmutableArray<ActionRecord> actions)
    {
        // ALB performs the actions in order; of the kinds Berth keeps, the first one decides the answer.
        var result = new List<ListenerAction>();
        foreach (var action in actions.OrderBy(a => a.Order))
        {
            switch (action.Type)
            {
                case "forward":
                    result.Add(new ForwardAction([.. action.TargetGroups.Select((ElbWeighted w) => new PlaneWeighted(w.TargetGroupArn, w.Weight))])
                    {
                        StickinessDuration = action.StickinessEnabled ? TimeSpan.FromSeconds(action.StickinessDurationSeconds ?? 3600) : null,
                    });
                    break;
                case "fixed-response" when action.FixedResponse is { } fixedResponse:
                    result.Add(new FixedResponseAction(int.Parse(fixedResponse.StatusCode, CultureInfo.InvariantCulture), fixedResponse.ContentType, fixedResponse.MessageBody));
                    break;
                case "redirect" when action.Redirect is { } redirect:
                    result.Add(new RedirectAction
                    {
                        Protocol = redirect.Protocol,
                        Host = redirect.Host,
                        Port = redirect.Port,
                        Path = redirect.Path,
                        Query = redirect.Query,
                        StatusCode = redirect.StatusCode == "HTTP_301" ? 301 : 302,
                    });
                    break;
            }
        }

        return result;
    }

    private static RuleCondition? Condition(ConditionRecord condition) => condition.Field switch
    {
        "path-pattern" => new PathPatternCondition([.. condition.Values]),
        "host-header" => new HostHeaderCondition([.. condition.Values]),
        "http-request-method" => new HttpRequestMethodCondition([.. condition.Values]),
        "http-header" when condition.HeaderName is { } name => new HttpHeaderCondition(name, [.. condition.Values]),
        "query-string" => new QueryStringCondition([.. condition.QueryPatterns.Select(q => new QueryStringPair(q.Key, q.Value))]),
        "source-ip" => new SourceIpCondition([.. condition.Values.Select(v => IPNetwork.TryParse(v, out var network) ? network : (IPNetwork?)null).OfType<IPNetwork>()]),
        _ => null,
    };

    private static int? Int(ImmutableSortedDictionary<string, string> attributes, string key)
        => attributes.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}
