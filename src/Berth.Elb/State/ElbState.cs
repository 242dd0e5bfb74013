using System.Collections.Immutable;

namespace Berth.Elb.State;

/// <summary>
/// Everything the load balancing control plane knows, as one immutable snapshot: only the commit pipeline makes the
/// next one. The data plane reads it as it is (<c>CommitPipeline.Current</c> and <c>Committed</c>).
/// </summary>
public sealed record ElbState
{
    private static readonly ImmutableSortedDictionary<string, LoadBalancerRecord> NoLoadBalancers = ImmutableSortedDictionary.Create<string, LoadBalancerRecord>(StringComparer.Ordinal);
    private static readonly ImmutableSortedDictionary<string, ListenerRecord> NoListeners = ImmutableSortedDictionary.Create<string, ListenerRecord>(StringComparer.Ordinal);
    private static readonly ImmutableSortedDictionary<string, RuleRecord> NoRules = ImmutableSortedDictionary.Create<string, RuleRecord>(StringComparer.Ordinal);
    private static readonly ImmutableSortedDictionary<string, TargetGroupRecord> NoTargetGroups = ImmutableSortedDictionary.Create<string, TargetGroupRecord>(StringComparer.Ordinal);

    /// <summary>No load balancers, listeners, rules or target groups.</summary>
    public static ElbState Empty { get; } = new();

    /// <summary>Load balancers by ARN.</summary>
    public ImmutableSortedDictionary<string, LoadBalancerRecord> LoadBalancers { get; init; } = NoLoadBalancers;

    /// <summary>Listeners by ARN.</summary>
    public ImmutableSortedDictionary<string, ListenerRecord> Listeners { get; init; } = NoListeners;

    /// <summary>Rules (not the default ones, which live in their listener) by ARN.</summary>
    public ImmutableSortedDictionary<string, RuleRecord> Rules { get; init; } = NoRules;

    /// <summary>Target groups by ARN.</summary>
    public ImmutableSortedDictionary<string, TargetGroupRecord> TargetGroups { get; init; } = NoTargetGroups;

    /// <summary>The listeners of <paramref name="loadBalancerArn"/>, by port.</summary>
    public IEnumerable<ListenerRecord> ListenersOf(string loadBalancerArn)
        => Listeners.Values.Where(l => l.LoadBalancerArn == loadBalancerArn).OrderBy(l => l.Port);

    /// <summary>The rules of <paramref name="listenerArn"/>, by priority.</summary>
    public IEnumerable<RuleRecord> RulesOf(string listenerArn)
        => Rules.Values.Where(r => r.ListenerArn == listenerArn).OrderBy(r => r.Priority);

    /// <summary>The load balancers whose listeners or rules forward to <paramref name="targetGroupArn"/>.</summary>
    public ImmutableSortedSet<string> LoadBalancersUsing(string targetGroupArn)
    {
        var result = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var listener in Listeners.Values)
        {
            if (Forwards(listener.DefaultActions, targetGroupArn))
            {
                result.Add(listener.LoadBalancerArn);
            }
        }

        foreach (var rule in Rules.Values)
        {
            if (Forwards(rule.Actions, targetGroupArn) && Listeners.TryGetValue(rule.ListenerArn, out var listener))
            {
                result.Add(listener.LoadBalancerArn);
            }
        }

        return result.ToImmutable();
    }

    /// <summary>True when some listener or rule forwards to <paramref name="targetGroupArn"/>.</summary>
    public bool IsInUse(string targetGroupArn)
        => Listeners.Values.Any(l => Forwards(l.DefaultActions, targetGroupArn)) || Rules.Values.Any(r => Forwards(r.Actions, targetGroupArn));

    /// <summary>The state with <paramref name="record"/> put in place.</summary>
    public ElbState With(LoadBalancerRecord record) => this with { LoadBalancers = LoadBalancers.SetItem(record.Arn, record) };

    /// <summary>The state with <paramref name="record"/> put in place.</summary>
    public ElbState With(ListenerRecord record) => this with { Listeners = Listeners.SetItem(record.Arn, record) };

    /// <summary>The state with <paramref name="record"/> put in place.</summary>
    public ElbState With(RuleRecord record) => this with { Rules = Rules.SetItem(record.Arn, record) };

    /// <summary>The state with <paramref name="record"/> put in place.</summary>
    public ElbState With(TargetGroupRecord record) => this with { TargetGroups = TargetGroups.SetItem(record.Arn, record) };

    private static bool Forwards(ImmutableArray<ActionRecord> actions, string targetGroupArn)
        => actions.Any(a => a.TargetGroups.Any(t => t.TargetGroupArn == targetGroupArn));
}
