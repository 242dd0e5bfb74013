using System.Globalization;
using Berth.Elb.Arns;
using Berth.Elb.Listeners;
using Berth.Elb.Model;
using Berth.Elb.Paging;
using Berth.Elb.State;
using Berth.Elb.Tagging;
using Berth.Storage.Commit;

namespace Berth.Elb.Rules;

/// <summary>Listener rules as pure decisions and queries: create, modify, delete, set priorities, describe.</summary>
public static class RuleDecisions
{
    /// <summary>ALB's limit of rules per load balancer, over all its listeners (default rules not counted).</summary>
    public const int MaxPerLoadBalancer = 100;

    /// <summary>Creates a rule at a free priority (1-50000) of its listener.</summary>
    public static Decision<ElbState, CreateRuleOutput> Create(ElbState state, ElbScope scope, CreateRuleInput input)
    {
        var listener = ListenerDecisions.Find(state, input.ListenerArn!);
        var priority = CheckPriority(input.Priority!.Value);
        var conditions = Conditions.Parse(input.Conditions);
        var actions = Actions.Parse(state, listener.LoadBalancerArn, input.Actions);
        var rules = state.RulesOf(listener.Arn).ToList();
        if (rules.Any(r => r.Priority == priority))
        {
            throw ElbErrors.Of(WireErrors.PriorityInUseException, $"Priority '{priority}' is currently in use");
        }

        if (state.ListenersOf(listener.LoadBalancerArn).Sum(l => state.RulesOf(l.Arn).Count()) >= MaxPerLoadBalancer)
        {
            throw ElbErrors.Of(WireErrors.TooManyRulesException, $"A load balancer can have at most '{MaxPerLoadBalancer}' rules");
        }

        var record = new RuleRecord
        {
            Arn = ElbNames.RuleArn(listener.Arn, scope.NewIds[0]),
            ListenerArn = listener.Arn,
            Priority = priority,
            Conditions = conditions,
            Actions = actions,
            Tags = Tags.Add([], input.Tags),
        };
        return new(state.With(record), [ElbCodec.Put(record)], new CreateRuleOutput { Rules = [ToWire(record)] });
    }

    /// <summary>Replaces a rule's conditions and/or actions; the default rule's actions are its listener's default actions, its conditions cannot change.</summary>
    public static Decision<ElbState, ModifyRuleOutput> Modify(ElbState state, ModifyRuleInput input)
    {
        var arn = input.RuleArn!;
        if (DefaultRuleOf(state, arn) is { } listener)
        {
            if (input.Conditions is { Count: > 0 })
            {
                throw ElbErrors.Of(WireErrors.OperationNotPermittedException, "The conditions of a default rule cannot be modified");
            }

            var updatedListener = input.Actions is { Count: > 0 } ? listener with { DefaultActions = Actions.Parse(state, listener.LoadBalancerArn, input.Actions) } : listener;
            return new(state.With(updatedListener), [ElbCodec.Put(updatedListener)], new ModifyRuleOutput { Rules = [DefaultToWire(updatedListener)] });
        }

        var record = Find(state, arn);
        var owner = state.Listeners[record.ListenerArn];
        var updated = record with
        {
            Conditions = input.Conditions is { Count: > 0 } ? Conditions.Parse(input.Conditions) : record.Conditions,
            Actions = input.Actions is { Count: > 0 } ? Actions.Parse(state, owner.LoadBalancerArn, input.Actions) : record.Actions,
        };
        return new(state.With(updated), [ElbCodec.Put(updated)], new ModifyRuleOutput { Rules = [ToWire(updated)] });
    }

    /// <summary>Deletes a rule; the default rule cannot be deleted.</summary>
    public static Decision<ElbState, DeleteRuleOutput> Delete(ElbState state, DeleteRuleInput input)
    {
        var arn = input.RuleArn!;
        if (DefaultRuleOf(state, arn) is not null)
        {
            throw ElbErrors.Of(WireErrors.OperationNotPermittedException, "A default rule cannot be deleted");
        }

        var record = Find(state, arn);
        return new(state with { Rules = state.Rules.Remove(record.Arn) }, [ElbCodec.DeleteRule(record.Arn)], new DeleteRuleOutput());
    }

    /// <summary>Sets the priorities of rules of one listener at once; the priorities after the change must be unique.</summary>
    public static Decision<ElbState, SetRulePrioritiesOutput> SetPriorities(ElbState state, SetRulePrioritiesInput input)
    {
        var pairs = input.RulePriorities!;
        var changed = new Dictionary<string, RuleRecord>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var arn = pair.RuleArn ?? throw ElbErrors.Validation("A rule ARN must be specified");
            if (DefaultRuleOf(state, arn) is not null)
            {
                throw ElbErrors.Of(WireErrors.OperationNotPermittedException, "The priority of a default rule cannot be changed");
            }

            var record = Find(state, arn);
            if (changed.ContainsKey(arn))
            {
                throw ElbErrors.Validation($"Rule '{arn}' is specified more than once");
            }

            changed[arn] = record with { Priority = CheckPriority(pair.Priority ?? throw ElbErrors.Validation("A priority must be specified")) };
        }

        if (changed.Values.Select(r => r.ListenerArn).Distinct().Count() > 1)
        {
            throw ElbErrors.Validation("The rules must all belong to the same listener");
        }

        var next = state;
        foreach (var rule in changed.Values)
        {
            next = next.With(rule);
        }

        foreach (var listenerArn in changed.Values.Select(r => r.ListenerArn).Distinct())
        {
            var duplicate = next.RulesOf(listenerArn).GroupBy(r => r.Priority).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                throw ElbErrors.Of(WireErrors.PriorityInUseException, $"Priority '{duplicate.Key}' is currently in use");
            }
        }

        return new(next, [.. changed.Values.Select(ElbCodec.Put)], new SetRulePrioritiesOutput { Rules = [.. changed.Values.OrderBy(r => r.Priority).Select(ToWire)] });
    }

    /// <summary>DescribeRules: of a listener (its rules by priority, then the default rule) or by ARNs, paged.</summary>
    public static DescribeRulesOutput Describe(ElbState state, DescribeRulesInput input)
    {
        List<Rule> found;
        if (input.RuleArns is { Count: > 0 } arns)
        {
            if (input.ListenerArn is not null)
            {
                throw ElbErrors.Validation("Rule ARNs and a listener ARN cannot be specified at the same time");
            }

            found = [.. arns.Select(a => DefaultRuleOf(state, a) is { } listener ? DefaultToWire(listener) : ToWire(Find(state, a)))];
        }
        else if (input.ListenerArn is { } listenerArn)
        {
            var listener = ListenerDecisions.Find(state, listenerArn);
            found = [.. state.RulesOf(listener.Arn).Select(ToWire), DefaultToWire(listener)];
        }
        else
        {
            throw ElbErrors.Validation("You must specify either rule ARNs or a listener ARN");
        }

        var (page, next) = Pages.Take(found, input.Marker, input.PageSize);
        return new DescribeRulesOutput { Rules = page, NextMarker = next };
    }

    /// <summary>The rule <paramref name="arn"/> (not a default rule), or RuleNotFound.</summary>
    public static RuleRecord Find(ElbState state, string arn)
        => state.Rules.GetValueOrDefault(arn) ?? throw ElbErrors.RuleNotFound($"Rule '{arn}' not found");

    /// <summary>The listener whose default rule is <paramref name="arn"/>, if it is one.</summary>
    public static ListenerRecord? DefaultRuleOf(ElbState state, string arn)
        => state.Listeners.Values.FirstOrDefault(l => l.DefaultRuleArn == arn);

    /// <summary>The wire shape of <paramref name="record"/>.</summary>
    public static Rule ToWire(RuleRecord record) => new()
    {
        RuleArn = record.Arn,
        Priority = record.Priority.ToString(CultureInfo.InvariantCulture),
        Conditions = [.. record.Conditions.Select(Conditions.ToWire)],
        Actions = [.. record.Actions.Select(Actions.ToWire)],
        IsDefault = false,
    };

    /// <summary>The default rule of <paramref name="listener"/> as DescribeRules shows it.</summary>
    public static Rule DefaultToWire(ListenerRecord listener) => new()
    {
        RuleArn = listener.DefaultRuleArn,
        Priority = "default",
        Conditions = [],
        Actions = [.. listener.DefaultActions.Select(Actions.ToWire)],
        IsDefault = true,
    };

    private static int CheckPriority(int priority)
    {
        if (priority is < 1 or > 50000)
        {
            throw ElbErrors.Validation($"1 validation error detected: Value '{priority}' at 'priority' failed to satisfy constraint: Member must have value between 1 and 50000");
        }

        return priority;
    }
}
