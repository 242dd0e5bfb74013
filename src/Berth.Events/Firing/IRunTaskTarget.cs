using Berth.Events.State;

namespace Berth.Events.Firing;

/// <summary>One RunTask a firing asks for: the target's ECS parameters, its Input and the startedBy to give.</summary>
/// <param name="Region">The rule's region.</param>
/// <param name="ClusterArn">The target's Arn: the cluster to run in.</param>
/// <param name="Parameters">The target's EcsParameters.</param>
/// <param name="Input">The target's Input: <c>{"containerOverrides": [...]}</c>, ECS's task overrides.</param>
/// <param name="StartedBy"><c>events-rule/RULE-NAME</c> or <c>chronos-schedule/SCHEDULE-NAME</c>.</param>
public sealed record RunTaskCall(string Region, string ClusterArn, EcsTargetRecord Parameters, string? Input, string StartedBy)
{
    /// <summary>
    /// A whole RunTask request as JSON (Scheduler's universal target <c>aws-sdk:ecs:runTask</c>): used instead of the
    /// cluster, parameters and input; <see cref="StartedBy"/> fills its startedBy when it names none.
    /// </summary>
    public string? RequestJson { get; init; }

    /// <summary>
    /// RunTask's <c>clientToken</c> for this invocation (see <see cref="FiringPlan.Token"/>): the same firing invoked
    /// again after a restart replays the tasks it already started instead of starting more. Null for event deliveries.
    /// </summary>
    public string? ClientToken { get; init; }

    /// <summary>The rule or schedule invoking (the dimensions of its metrics); null when not known.</summary>
    public InvocationSource? Source { get; init; }
}

/// <summary>What invokes a target.</summary>
public enum InvocationKind
{
    /// <summary>An EventBridge rule (scheduled or matching events).</summary>
    Rule,

    /// <summary>An EventBridge Scheduler schedule.</summary>
    Schedule,
}

/// <summary>The rule or schedule behind an invocation.</summary>
/// <param name="Kind">Rule or schedule.</param>
/// <param name="Name">Its name.</param>
/// <param name="Parent">A rule's event bus, a schedule's group.</param>
public sealed record InvocationSource(InvocationKind Kind, string Name, string Parent);

/// <summary>What a RunTask gave: the tasks started and the failures (reason strings), or an error.</summary>
/// <param name="TaskArns">The tasks started.</param>
/// <param name="Failures">ECS's failures (e.g. no capacity) or the error RunTask answered.</param>
public sealed record RunTaskOutcome(IReadOnlyList<string> TaskArns, IReadOnlyList<string> Failures)
{
    /// <summary>
    /// The invocation failed on Berth's side (RunTask gave no answer, its store failed), not because ECS refused it: the
    /// target's RetryPolicy tries it again, with the same client token. What ECS refuses is never retried.
    /// </summary>
    public bool Retryable { get; init; }
}

/// <summary>
/// Runs tasks for ECS targets. Berth.Events does not know ECS: the server implements this over the ECS API's own
/// RunTask, so a firing is validated, placed and committed exactly as a client's RunTask.
/// </summary>
public interface IRunTaskTarget
{
    /// <summary>Runs the task(s); never throws for what ECS refuses (that is a failure in the outcome).</summary>
    Task<RunTaskOutcome> RunTaskAsync(RunTaskCall call, CancellationToken cancellationToken);

    /// <summary>
    /// Runs the tasks of several calls made at the same instant (one outcome per call, in order). A target that can
    /// place them together does; by default each call is made on its own.
    /// </summary>
    async Task<IReadOnlyList<RunTaskOutcome>> RunTasksAsync(IReadOnlyList<RunTaskCall> calls, CancellationToken cancellationToken) =>
        await Task.WhenAll(calls.Select(c => RunTaskAsync(c, cancellationToken)));
}
