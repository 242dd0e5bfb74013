using System.Globalization;
using Berth.Elb.Health;
using Berth.Elb.Listeners;
using Berth.Elb.LoadBalancers;
using Berth.Elb.Model;
using Berth.Elb.Rules;
using Berth.Elb.State;
using Berth.Elb.Tagging;
using Berth.Elb.TargetGroups;
using Berth.Elb.Targets;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Query;
using Berth.Storage.Commit;

namespace Berth.Elb;

/// <summary>
/// Wires ELBv2's operations to the query-protocol dispatch table: decisions run on the pipeline's writer, queries on
/// its current snapshot. Ids are drawn here (outside the writer) so the decisions stay pure.
/// </summary>
public sealed class ElbApi(CommitPipeline<ElbState> pipeline, TimeProvider time, Random random)
{
    /// <summary>The query service ELBv2 is: signing name <c>elasticloadbalancing</c>, version 2015-12-01.</summary>
    public static readonly QueryService Service = new(WireOperations.SigningName, WireQuery.ApiVersion, WireQuery.XmlNamespace);

    private readonly Lock _randomLock = new();

    /// <summary>Where DescribeTargetHealth learns live health (the data plane); none by default.</summary>
    public ITargetHealthSource Health { get; init; } = NoTargetHealth.Instance;

    /// <summary>The DNS name of a new load balancer from its name, id and region.</summary>
    public Func<string, string, string, string> DnsName { get; init; } = DefaultDnsName;

    /// <summary>The default DNS name: <c>NAME-ID.REGION.elb.localhost</c>.</summary>
    public static string DefaultDnsName(string name, string id, string region) => $"{name}-{id}.{region}.elb.localhost".ToLowerInvariant();

    /// <summary>Registers every operation Berth answers.</summary>
    public void Register(QueryDispatchTable table)
    {
        Command<CreateLoadBalancerInput, CreateLoadBalancerOutput>(table, "CreateLoadBalancer", (s, scope, i) => LoadBalancerDecisions.Create(s, scope, i, DnsName));
        Query<DescribeLoadBalancersInput, DescribeLoadBalancersOutput>(table, "DescribeLoadBalancers", (s, c, i) => LoadBalancerDecisions.Describe(s, c.Region, i));
        Command<DeleteLoadBalancerInput, DeleteLoadBalancerOutput>(table, "DeleteLoadBalancer", (s, _, i) => LoadBalancerDecisions.Delete(s, i));
        Command<ModifyLoadBalancerAttributesInput, ModifyLoadBalancerAttributesOutput>(table, "ModifyLoadBalancerAttributes", (s, _, i) => LoadBalancerDecisions.ModifyAttributes(s, i));
        Query<DescribeLoadBalancerAttributesInput, DescribeLoadBalancerAttributesOutput>(table, "DescribeLoadBalancerAttributes", (s, _, i) => LoadBalancerDecisions.DescribeAttributes(s, i));
        Command<SetSubnetsInput, SetSubnetsOutput>(table, "SetSubnets", (s, _, i) => LoadBalancerDecisions.SetSubnets(s, i));
        Command<SetSecurityGroupsInput, SetSecurityGroupsOutput>(table, "SetSecurityGroups", (s, _, i) => LoadBalancerDecisions.SetSecurityGroups(s, i));
        Command<SetIpAddressTypeInput, SetIpAddressTypeOutput>(table, "SetIpAddressType", (s, _, i) => LoadBalancerDecisions.SetIpAddressType(s, i));
        Query<DescribeAccountLimitsInput, DescribeAccountLimitsOutput>(table, "DescribeAccountLimits", (_, _, i) => AccountLimits.Describe(i));

        Command<CreateTargetGroupInput, CreateTargetGroupOutput>(table, "CreateTargetGroup", TargetGroupDecisions.Create);
        Query<DescribeTargetGroupsInput, DescribeTargetGroupsOutput>(table, "DescribeTargetGroups", (s, c, i) => TargetGroupDecisions.Describe(s, c.Region, i));
        Command<ModifyTargetGroupInput, ModifyTargetGroupOutput>(table, "ModifyTargetGroup", (s, _, i) => TargetGroupDecisions.Modify(s, i));
        Command<DeleteTargetGroupInput, DeleteTargetGroupOutput>(table, "DeleteTargetGroup", (s, _, i) => TargetGroupDecisions.Delete(s, i));
        Command<ModifyTargetGroupAttributesInput, ModifyTargetGroupAttributesOutput>(table, "ModifyTargetGroupAttributes", (s, _, i) => TargetGroupDecisions.ModifyAttributes(s, i));
        Query<DescribeTargetGroupAttributesInput, DescribeTargetGroupAttributesOutput>(table, "DescribeTargetGroupAttributes", (s, _, i) => TargetGroupDecisions.DescribeAttributes(s, i));

        Command<RegisterTargetsInput, RegisterTargetsOutput>(table, "RegisterTargets", (s, scope, i) => TargetDecisions.Register(s, scope.Now, i));
        Command<DeregisterTargetsInput, DeregisterTargetsOutput>(table, "DeregisterTargets", (s, scope, i) => TargetDecisions.Deregister(s, scope.Now, i));
        Query<DescribeTargetHealthInput, DescribeTargetHealthOutput>(table, "DescribeTargetHealth", (s, _, i) => TargetDecisions.DescribeHealth(s, time.GetUtcNow(), Health, i));

        Command<CreateListenerInput, CreateListenerOutput>(table, "CreateListener", ListenerDecisions.Create);
        Query<DescribeListenersInput, DescribeListenersOutput>(table, "DescribeListeners", (s, _, i) => ListenerDecisions.Describe(s, i));
        Command<ModifyListenerInput, ModifyListenerOutput>(table, "ModifyListener", (s, _, i) => ListenerDecisions.Modify(s, i));
        Command<DeleteListenerInput, DeleteListenerOutput>(table, "DeleteListener", (s, _, i) => ListenerDecisions.Delete(s, i));

        Command<CreateRuleInput, CreateRuleOutput>(table, "CreateRule", RuleDecisions.Create);
        Query<DescribeRulesInput, DescribeRulesOutput>(table, "DescribeRules", (s, _, i) => RuleDecisions.Describe(s, i));
        Command<ModifyRuleInput, ModifyRuleOutput>(table, "ModifyRule", (s, _, i) => RuleDecisions.Modify(s, i));
        Command<DeleteRuleInput, DeleteRuleOutput>(table, "DeleteRule", (s, _, i) => RuleDecisions.Delete(s, i));
        Command<SetRulePrioritiesInput, SetRulePrioritiesOutput>(table, "SetRulePriorities", (s, _, i) => RuleDecisions.SetPriorities(s, i));

        Command<AddTagsInput, AddTagsOutput>(table, "AddTags", (s, _, i) => TagDecisions.Add(s, i));
        Command<RemoveTagsInput, RemoveTagsOutput>(table, "RemoveTags", (s, _, i) => TagDecisions.Remove(s, i));
        Query<DescribeTagsInput, DescribeTagsOutput>(table, "DescribeTags", (s, _, i) => TagDecisions.Describe(s, i));
    }

    private void Command<TInput, TOutput>(QueryDispatchTable table, string action, Func<ElbState, ElbScope, TInput, Decision<ElbState, TOutput>> decide)
        where TInput : IQueryShape<TInput>
        where TOutput : IQueryShape<TOutput>
        => table.Add<TInput, TOutput>(Service, action, async (context, input) =>
        {
            var scope = new ElbScope(context.Region, context.AccountId, time.GetUtcNow(), [NewId(), NewId()]);
            return await pipeline.ExecuteAsync(state => decide(state, scope, input));
        });

    private void Query<TInput, TOutput>(QueryDispatchTable table, string action, Func<ElbState, RequestContext, TInput, TOutput> query)
        where TInput : IQueryShape<TInput>
        where TOutput : IQueryShape<TOutput>
        => table.Add<TInput, TOutput>(Service, action, (context, input) => ValueTask.FromResult(query(pipeline.Current, context, input)));

    private string NewId()
    {
        lock (_randomLock)
        {
            return random.NextInt64().ToString("x16", CultureInfo.InvariantCulture);
        }
    }
}
