using System.Collections.Immutable;
using Berth.Elb.Listeners;
using Berth.Elb.LoadBalancers;
using Berth.Elb.Model;
using Berth.Elb.Rules;
using Berth.Elb.State;
using Berth.Elb.TargetGroups;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.Elb.Tagging;

/// <summary>AddTags, RemoveTags and DescribeTags over load balancers, target groups, listeners and rules.</summary>
public static class TagDecisions
{
    /// <summary>ALB's limit of resources per tagging call.</summary>
    public const int MaxResources = 20;

    /// <summary>Adds (or overwrites) tags on every resource named.</summary>
    public static Decision<ElbState, AddTagsOutput> Add(ElbState state, AddTagsInput input)
    {
        var (next, mutations) = Change(state, input.ResourceArns!, tags => Tags.Add(tags, input.Tags));
        return new(next, mutations, new AddTagsOutput());
    }

    /// <summary>Removes tags (by key) from every resource named.</summary>
    public static Decision<ElbState, RemoveTagsOutput> Remove(ElbState state, RemoveTagsInput input)
    {
        var (next, mutations) = Change(state, input.ResourceArns!, tags => Tags.Remove(tags, input.TagKeys!));
        return new(next, mutations, new RemoveTagsOutput());
    }

    /// <summary>The tags of every resource named, in the order asked.</summary>
    public static DescribeTagsOutput Describe(ElbState state, DescribeTagsInput input)
    {
        CheckCount(input.ResourceArns!);
        return new DescribeTagsOutput
        {
            TagDescriptions = [.. input.ResourceArns!.Select(arn => new TagDescription { ResourceArn = arn, Tags = Tags.ToWire(TagsOf(state, arn)) })],
        };
    }

    private static (ElbState State, List<Mutation> Mutations) Change(ElbState state, List<string> arns, Func<ImmutableArray<ElbTag>, ImmutableArray<ElbTag>> change)
    {
        CheckCount(arns);
        var mutations = new List<Mutation>();
        foreach (var arn in arns.Distinct())
        {
            var tags = change(TagsOf(state, arn));
            if (state.LoadBalancers.TryGetValue(arn, out var lb))
            {
                lb = lb with { Tags = tags };
                state = state.With(lb);
                mutations.Add(ElbCodec.Put(lb));
            }
            else if (state.TargetGroups.TryGetValue(arn, out var tg))
            {
                tg = tg with { Tags = tags };
                state = state.With(tg);
                mutations.Add(ElbCodec.Put(tg));
            }
            else if (state.Listeners.TryGetValue(arn, out var listener))
            {
                listener = listener with { Tags = tags };
                state = state.With(listener);
                mutations.Add(ElbCodec.Put(listener));
            }
            else if (state.Rules.TryGetValue(arn, out var rule))
            {
                rule = rule with { Tags = tags };
                state = state.With(rule);
                mutations.Add(ElbCodec.Put(rule));
            }
            else if (RuleDecisions.DefaultRuleOf(state, arn) is { } owner)
            {
                owner = owner with { DefaultRuleTags = tags };
                state = state.With(owner);
                mutations.Add(ElbCodec.Put(owner));
            }
        }

        // Several changes of one document in a call: only the last put of each counts, and it holds them all.
        return (state, mutations.GroupBy(m => (m.Kind, m.Id)).Select(g => g.Last()).ToList());
    }

    private static ImmutableArray<ElbTag> TagsOf(ElbState state, string arn)
    {
        if (arn.Contains(":loadbalancer/", StringComparison.Ordinal))
        {
            return LoadBalancerDecisions.Find(state, arn).Tags;
        }

        if (arn.Contains(":targetgroup/", StringComparison.Ordinal))
        {
            return TargetGroupDecisions.Find(state, arn).Tags;
        }

        if (arn.Contains(":listener/", StringComparison.Ordinal))
        {
            return ListenerDecisions.Find(state, arn).Tags;
        }

        if (arn.Contains(":listener-rule/", StringComparison.Ordinal))
        {
            return RuleDecisions.DefaultRuleOf(state, arn) is { } owner ? owner.DefaultRuleTags : RuleDecisions.Find(state, arn).Tags;
        }

        throw ElbErrors.Validation($"The resource ARN '{arn}' is not valid");
    }

    private static void CheckCount(List<string> arns)
    {
        if (arns.Count is 0 or > MaxResources)
        {
            throw ElbErrors.Validation($"Between 1 and {MaxResources} resource ARNs must be specified");
        }
    }
}
