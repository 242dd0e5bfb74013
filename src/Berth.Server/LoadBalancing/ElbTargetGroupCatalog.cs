using Berth.Ecs.Services;
using Berth.Elb.State;
using Berth.Storage.Commit;

namespace Berth.Server.LoadBalancing;

/// <summary>ECS's view of the target groups, read from the newest load balancing snapshot.</summary>
public sealed class ElbTargetGroupCatalog(CommitPipeline<ElbState> elb) : ITargetGroupCatalog
{
    /// <inheritdoc />
    public TargetGroupFacts? Find(string arn)
    {
        var state = elb.Current;
        return state.TargetGroups.TryGetValue(arn, out var group)
            ? new TargetGroupFacts(group.Arn, group.TargetType, !state.LoadBalancersUsing(group.Arn).IsEmpty)
            : null;
    }
}
