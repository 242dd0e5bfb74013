using System.Globalization;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Elb.Arns;
using Berth.Elb.Health;
using Berth.Elb.Model;
using Berth.Elb.State;
using Berth.Elb.Targets;
using Berth.WebConsole.Hosting;

namespace Berth.WebConsole.LoadBalancers;

/// <summary>
/// One snapshot of load balancing for one page: the ELB state, the health source DescribeTargetHealth asks and the
/// time it would ask at, and how the server tells a service's targets (null when it does not).
/// </summary>
/// <param name="State">The ELB state.</param>
/// <param name="Health">The targets' health source (the data plane's health checks).</param>
/// <param name="Now">The time of the page.</param>
/// <param name="TaskTargets">The targets (group ARN, id, port) of a service's task, as the server registers them.</param>
public sealed record LoadBalancingView(
    ElbState State,
    ITargetHealthSource Health,
    DateTimeOffset Now,
    Func<EcsState, ServiceRecord, TaskRecord, IEnumerable<(string TargetGroupArn, string Id, int Port)>>? TaskTargets)
{
    /// <summary>The order the health states are counted in.</summary>
    private static readonly string[] StateOrder = ["healthy", "unhealthy", "initial", "draining", "unused", "unavailable"];

    /// <summary>The snapshot of <paramref name="sources"/>' load balancing now (an empty state when the server has none).</summary>
    public static LoadBalancingView Of(ConsoleSources sources) => sources.LoadBalancing is { } lb
        ? new LoadBalancingView(lb.Elb.Current, lb.Health, sources.Time.GetUtcNow(), lb.TaskTargets)
        : new LoadBalancingView(ElbState.Empty, NoTargetHealth.Instance, sources.Time.GetUtcNow(), null);

    /// <summary>The load balancers of <paramref name="region"/>, by name.</summary>
    public IEnumerable<LoadBalancerRecord> LoadBalancers(string region)
        => State.LoadBalancers.Values.Where(lb => lb.Region == region).OrderBy(lb => lb.Name, StringComparer.Ordinal);

    /// <summary>The target groups of <paramref name="region"/>, by name.</summary>
    public IEnumerable<TargetGroupRecord> TargetGroups(string region)
        => State.TargetGroups.Values.Where(tg => tg.Region == region).OrderBy(tg => tg.Name, StringComparer.Ordinal);

    /// <summary>
    /// The load balancer of that name in <paramref name="region"/>, or null. A name no load balancer could have is
    /// ELB's ValidationError (a 400 page), as CreateLoadBalancer words it.
    /// </summary>
    public LoadBalancerRecord? FindLoadBalancer(string region, string name)
    {
        ElbNames.CheckName(name, "load balancer");
        return LoadBalancers(region).FirstOrDefault(lb => lb.Name == name);
    }

    /// <summary>The target group of that name in <paramref name="region"/>, or null; a name none could have is ELB's ValidationError.</summary>
    public TargetGroupRecord? FindTargetGroup(string region, string name)
    {
        ElbNames.CheckName(name, "target group");
        return TargetGroups(region).FirstOrDefault(tg => tg.Name == name);
    }

    /// <summary>The group's targets with their health, exactly as DescribeTargetHealth reports them now.</summary>
    public List<TargetHealthDescription> HealthOf(TargetGroupRecord group)
        => TargetDecisions.DescribeHealth(State, Now, Health, new DescribeTargetHealthInput { TargetGroupArn = group.Arn }).TargetHealthDescriptions ?? [];

    /// <summary>
    /// The health of the targets of <paramref name="service"/>'s tasks in <paramref name="targetGroupArn"/> (every
    /// target of the group when the server does not tell a service's targets); null for a group that is gone.
    /// </summary>
    public List<TargetHealthDescription>? HealthOf(EcsState ecs, ServiceRecord service, string targetGroupArn)
    {
        if (!State.TargetGroups.TryGetValue(targetGroupArn, out var group))
        {
            return null;
        }

        var all = HealthOf(group);
        if (TaskTargets is null)
        {
            return all;
        }

        var keys = ServiceModel.TasksOf(ecs, service)
            .SelectMany(task => TaskTargets(ecs, service, task))
            .Where(t => t.TargetGroupArn == targetGroupArn)
            .Select(t => TargetRecord.TargetKey(t.Id, t.Port))
            .ToHashSet(StringComparer.Ordinal);
        return [.. all.Where(d => d.Target is { Id: { } id, Port: { } port } && keys.Contains(TargetRecord.TargetKey(id, port)))];
    }

    /// <summary>How many targets are in each health state, as <c>2 healthy, 1 draining</c>; <c>no targets</c> for none.</summary>
    public static string Counts(IEnumerable<TargetHealthDescription> targets)
    {
        var counts = targets.GroupBy(t => t.TargetHealth?.State ?? "unknown", StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        if (counts.Count == 0)
        {
            return "no targets";
        }

        var order = StateOrder.Concat(counts.Keys.Where(k => !StateOrder.Contains(k)).Order(StringComparer.Ordinal));
        return string.Join(", ", order.Where(counts.ContainsKey).Select(s => counts[s].ToString(CultureInfo.InvariantCulture) + " " + s));
    }
}
