using Berth.AutoScaling;
using Berth.AutoScaling.Api;
using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Server.AutoScaling;

/// <summary>ECS services as Application Auto Scaling's scalable resources, read from the ECS state's current snapshot.</summary>
public sealed class EcsScalableResources(CommitPipeline<EcsState> pipeline, string accountId) : IScalableResources
{
    /// <inheritdoc />
    public int? DesiredCount(string region, string resourceId) => Find(pipeline.Current, new Scope(region, accountId), resourceId)?.DesiredCount;

    /// <summary>The ACTIVE replica service <paramref name="resourceId"/> names, or null.</summary>
    public static ServiceRecord? Find(EcsState state, Scope scope, string resourceId)
    {
        if (ScalingDecisions.ParseResource(resourceId) is not var (cluster, service))
        {
            return null;
        }

        return state.Services.TryGetValue($"{scope.EcsPrefix}service/{cluster}/{service}", out var found)
            && found.Status == ServiceStatus.Active && found.SchedulingStrategy != SchedulingStrategy.Daemon
            ? found
            : null;
    }

    /// <summary>
    /// The writer's half of a scaling change: the service's desired count becomes <paramref name="to"/> through
    /// UpdateService's own decision, only while it is still <paramref name="from"/>, the count the change was planned
    /// on (a user's UpdateService meanwhile wins; the next round plans again).
    /// </summary>
    public static Decision<EcsState, bool> ScaleTo(EcsState state, Scope scope, DateTimeOffset now, string resourceId, int from, int to)
    {
        var service = Find(state, scope, resourceId);
        if (service is null || service.DesiredCount != from)
        {
            return new(state, [], false);
        }

        var (cluster, name) = ScalingDecisions.ParseResource(resourceId)!.Value;
        try
        {
            var decision = ServiceDecisions.Update(state, scope, IdSource.Random, now, new UpdateServiceRequest { Cluster = cluster, Service = name, DesiredCount = to });
            return new(decision.State, decision.Mutations, true);
        }
        catch (AwsException)
        {
            return new(state, [], false);
        }
    }
}
