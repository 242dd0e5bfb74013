using Berth.CloudWatch.Ecs;
using Berth.CloudWatch.Store;
using Berth.Ecs.Model.Agent;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Server.Metrics;

/// <summary>
/// <c>BerthAgentV1.SubmitTaskMetrics</c>: an agent's samples of its tasks become the AWS/ECS metrics. Each task is
/// looked up in the ECS state's current snapshot (read only: nothing goes through the ECS writer) for its cluster, its
/// service (<c>group = service:NAME</c>) and what it reserved; the samples are aggregated per period
/// (<see cref="EcsMetrics.Aggregate"/>) and added to the metric store. Samples of tasks the server does not know, or
/// that another instance runs, are not counted.
/// </summary>
public sealed class TaskMetricsIngest(CommitPipeline<EcsState> pipeline, MetricStore store, TimeProvider time)
{
    /// <summary>Adds the operation to <paramref name="table"/> (signed for <c>ecs</c>, as the agent's other calls).</summary>
    public void Register(DispatchTable table)
        => table.Add("BerthAgentV1", "SubmitTaskMetrics", "ecs", AgentJsonContext.Default.AgentTaskMetrics, AgentJsonContext.Default.AgentTaskMetricsResult, (context, input) => ValueTask.FromResult(Submit(input, context.Scope, new Berth.Ecs.Arns.Scope(context.Region, context.AccountId))));

    /// <summary>Counts the samples of <paramref name="input"/>.</summary>
    public AgentTaskMetricsResult Submit(AgentTaskMetrics input, Berth.Protocol.Auth.CredentialScope? caller = null, Berth.Ecs.Arns.Scope scope = default)
    {
        var instance = input.ContainerInstanceArn ?? throw AwsException.InvalidParameter("containerInstanceArn can not be null.");
        var state = pipeline.Current;
        if (caller is not null && !Berth.Ecs.AgentAccess.AgentAccessRules.OwnsInstance(state, caller, instance))
        {
            // An agent reports only its own instance's tasks.
            throw Berth.Ecs.AgentAccess.AgentAccessRules.Denied(scope, caller, "ecs:SubmitTaskMetrics", instance);
        }

        var now = time.GetUtcNow();
        var usages = Usages(state, instance, input.Samples ?? [], now);
        foreach (var point in EcsMetrics.Aggregate(usages, store.Period))
        {
            store.Put(point.Key, point.PeriodStart, point.Values, EcsMetrics.Unit, now);
        }

        return new AgentTaskMetricsResult { Accepted = usages.Count };
    }

    /// <summary>The samples as <see cref="TaskUsage"/>s, each placed by the state (pure).</summary>
    internal static List<TaskUsage> Usages(EcsState state, string instance, IEnumerable<AgentTaskSample> samples, DateTimeOffset now)
    {
        var usages = new List<TaskUsage>();
        foreach (var sample in samples)
        {
            if (sample.TaskArn is not { } arn || !state.Tasks.TryGetValue(arn, out var task) || !IsOn(task, instance)
                || !state.Clusters.TryGetValue(task.ClusterArn, out var cluster))
            {
                continue;
            }

            // A sample is counted in the period it was taken in, but never in a future one (an agent's clock ahead).
            var at = sample.At is { } taken && taken <= now ? taken : now;
            var service = task.Group is { } group && group.StartsWith("service:", StringComparison.Ordinal) ? group["service:".Length..] : null;
            usages.Add(new TaskUsage(at, cluster.ClusterName, service, sample.CpuUnitsUsed, task.Cpu, sample.MemoryMiBUsed ?? 0, task.Memory));
        }

        return usages;
    }

    // FARGATE tasks are stored with the capacity host's ARN too, so the reporting instance is the task's own in both cases.
    private static bool IsOn(TaskRecord task, string instance) => task.ContainerInstanceArn == instance;
}
