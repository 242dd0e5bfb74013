using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Elb.Health;
using Berth.Elb.State;
using Berth.Storage.Commit;

namespace Berth.WebConsole.Hosting;

/// <summary>What the console reads of load balancing: the ELB state, its targets' health and which targets are a service's.</summary>
public sealed class ConsoleLoadBalancing
{
    /// <summary>The load balancing state; pages read <see cref="CommitPipeline{TState}.Current"/> and never write through it.</summary>
    public required CommitPipeline<ElbState> Elb { get; init; }

    /// <summary>Where the targets' health comes from: the one DescribeTargetHealth asks (the data plane's health checks).</summary>
    public ITargetHealthSource Health { get; init; } = NoTargetHealth.Instance;

    /// <summary>
    /// Subscribes a callback to changes of the targets' health (the data plane's), answering what unsubscribes it; null
    /// when nothing reports them (pages then follow the ELB state's commits only).
    /// </summary>
    public Func<Action, Action>? SubscribeHealthChanged { get; init; }

    /// <summary>
    /// The targets (target group ARN, id, port) a service's task has, as the server registers them; null when the
    /// server does not say (a service's page then counts every target of its target groups).
    /// </summary>
    public Func<EcsState, ServiceRecord, TaskRecord, IEnumerable<(string TargetGroupArn, string Id, int Port)>>? TaskTargets { get; init; }
}
