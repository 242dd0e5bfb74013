using Berth.Elb.Arns;
using Berth.Elb.LoadBalancers;
using Berth.Elb.Model;
using Berth.Elb.Paging;
using Berth.Elb.State;
using Berth.Elb.Tagging;
using Berth.Elb.TargetGroups;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.Elb.Listeners;

/// <summary>Listeners as pure decisions and queries: create, modify, delete, describe.</summary>
public static class ListenerDecisions
{
    /// <summary>ALB's limit of listeners per load balancer.</summary>
    public const int MaxPerLoadBalancer = 50;

    /// <summary>
    /// Creates an HTTP listener with its default actions. A listener on the same port with the same settings is
    /// answered as it is (as on AWS); with other settings it is DuplicateListener.
    /// </summary>
    public static Decision<ElbState, CreateListenerOutput> Create(ElbState state, ElbScope scope, CreateListenerInput input)
    {
        var loadBalancer = LoadBalancerDecisions.Find(state, input.LoadBalancerArn!);
        var protocol = Protocol(input.Protocol ?? "HTTP", input.Certificates);
        var port = input.Port ?? throw ElbErrors.Validation("A listener port must be specified");
        TargetGroupDecisions.CheckPort(port, "port");
        var actions = Actions.Parse(state, loadBalancer.Arn, input.DefaultActions);
        var existing = state.ListenersOf(loadBalancer.Arn).FirstOrDefault(l => l.Port == port);
        if (existing is not null)
        {
            if (existing.Protocol == protocol && existing.DefaultActions.SequenceEqual(actions, ActionComparer.Instance))
            {
                return new(state, [], new CreateListenerOutput { Listeners = [ToWire(existing)] });
            }

            throw ElbErrors.Of(WireErrors.DuplicateListenerException, "A listener already exists on this port for this load balancer");
        }

        if (state.ListenersOf(loadBalancer.Arn).Count() >= MaxPerLoadBalancer)
        {
            throw ElbErrors.Of(WireErrors.TooManyListenersException, $"A load balancer can have at most '{MaxPerLoadBalancer}' listeners");
        }

        var arn = ElbNames.ListenerArn(scope.Region, scope.AccountId, loadBalancer.Name, loadBalancer.Id, scope.NewIds[0]);
        var record = new ListenerRecord
        {
            Arn = arn,
            LoadBalancerArn = loadBalancer.Arn,
            Port = port,
            Protocol = protocol,
            DefaultActions = actions,
            DefaultRuleArn = ElbNames.RuleArn(arn, scope.NewIds[1]),
            Tags = Tags.Add([], input.Tags),
        };
        return new(state.With(record), [ElbCodec.Put(record)], new CreateListenerOutput { Listeners = [ToWire(record)] });
    }

    /// <summary>Changes a listener's port, protocol or default actions.</summary>
    public static Decision<ElbState, ModifyListenerOutput> Modify(ElbState state, ModifyListenerInput input)
    {
        var record = Find(state, input.ListenerArn!);
        var port = input.Port ?? record.Port;
        TargetGroupDecisions.CheckPort(port, "port");
        if (state.ListenersOf(record.LoadBalancerArn).Any(l => l.Port == port && l.Arn != record.Arn))
        {
            throw ElbErrors.Of(WireErrors.DuplicateListenerException, "A listener already exists on this port for this load balancer");
        }

        var updated = record with
        {
            Port = port,
            Protocol = input.Protocol is { } protocol ? Protocol(protocol, input.Certificates) : record.Protocol,
            DefaultActions = input.DefaultActions is { Count: > 0 } ? Actions.Parse(state, record.LoadBalancerArn, input.DefaultActions) : record.DefaultActions,
        };
        return new(state.With(updated), [ElbCodec.Put(updated)], new ModifyListenerOutput { Listeners = [ToWire(updated)] });
    }

    /// <summary>Deletes a listener with its rules (ListenerNotFound for an unknown one).</summary>
    public static Decision<ElbState, DeleteListenerOutput> Delete(ElbState state, DeleteListenerInput input)
    {
        var record = Find(state, input.ListenerArn!);
        var mutations = new List<Mutation>();
        return new(ListenerRemoval.Remove(state, record, mutations), mutations, new DeleteListenerOutput());
    }

    /// <summary>DescribeListeners: of a load balancer or by ARNs (one of them is required), paged.</summary>
    public static DescribeListenersOutput Describe(ElbState state, DescribeListenersInput input)
    {
        List<ListenerRecord> found;
        if (input.ListenerArns is { Count: > 0 } arns)
        {
            if (input.LoadBalancerArn is not null)
            {
                throw ElbErrors.Validation("Listener ARNs and a load balancer ARN cannot be specified at the same time");
            }

            found = [.. arns.Select(a => Find(state, a))];
        }
        else if (input.LoadBalancerArn is { } lb)
        {
            found = [.. state.ListenersOf(LoadBalancerDecisions.Find(state, lb).Arn)];
        }
        else
        {
            throw ElbErrors.Validation("You must specify either listener ARNs or a load balancer ARN");
        }

        var (page, next) = Pages.Take(found, input.Marker, input.PageSize);
        return new DescribeListenersOutput { Listeners = [.. page.Select(ToWire)], NextMarker = next };
    }

    /// <summary>The listener <paramref name="arn"/>, or ListenerNotFound.</summary>
    public static ListenerRecord Find(ElbState state, string arn)
        => state.Listeners.GetValueOrDefault(arn) ?? throw ElbErrors.ListenerNotFound($"Listener '{arn}' not found");

    /// <summary>The wire shape of <paramref name="record"/>.</summary>
    public static Listener ToWire(ListenerRecord record) => new()
    {
        ListenerArn = record.Arn,
        LoadBalancerArn = record.LoadBalancerArn,
        Port = record.Port,
        Protocol = record.Protocol,
        DefaultActions = [.. record.DefaultActions.Select(Actions.ToWire)],
    };

    private static string Protocol(string protocol, List<Certificate>? certificates)
    {
        if (protocol == "HTTPS" || certificates is { Count: > 0 })
        {
            throw ElbErrors.Of(WireErrors.UnsupportedProtocolException, "HTTPS listeners are not supported: Berth's load balancers do not terminate TLS yet");
        }

        if (protocol != "HTTP")
        {
            throw ElbErrors.Of(WireErrors.UnsupportedProtocolException, $"Protocol '{protocol}' is not supported by application load balancers");
        }

        return protocol;
    }
}

/// <summary>Compares actions by value (their lists included), for idempotent creates.</summary>
internal sealed class ActionComparer : IEqualityComparer<ActionRecord>
{
    public static readonly ActionComparer Instance = new();

    public bool Equals(ActionRecord? x, ActionRecord? y)
        => x is not null && y is not null && x.Type == y.Type && x.Order == y.Order && x.TargetGroups.SequenceEqual(y.TargetGroups)
            && x.StickinessEnabled == y.StickinessEnabled && x.StickinessDurationSeconds == y.StickinessDurationSeconds
            && x.FixedResponse == y.FixedResponse && x.Redirect == y.Redirect;

    public int GetHashCode(ActionRecord obj) => HashCode.Combine(obj.Type, obj.Order);
}
