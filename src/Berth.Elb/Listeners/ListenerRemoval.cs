using Berth.Elb.State;
using Berth.Storage.Documents;

namespace Berth.Elb.Listeners;

/// <summary>Removing a listener takes its rules with it.</summary>
public static class ListenerRemoval
{
    /// <summary>The state without <paramref name="listener"/> and its rules; their deletions are added to <paramref name="mutations"/>.</summary>
    public static ElbState Remove(ElbState state, ListenerRecord listener, List<Mutation> mutations)
    {
        var rules = state.RulesOf(listener.Arn).ToList();
        mutations.Add(ElbCodec.DeleteListener(listener.Arn));
        mutations.AddRange(rules.Select(r => ElbCodec.DeleteRule(r.Arn)));
        return state with { Listeners = state.Listeners.Remove(listener.Arn), Rules = state.Rules.RemoveRange(rules.Select(r => r.Arn)) };
    }
}
