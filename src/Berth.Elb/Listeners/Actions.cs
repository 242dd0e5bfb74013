using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Berth.Elb.Model;
using Berth.Elb.State;

namespace Berth.Elb.Listeners;

/// <summary>Listener and rule actions: ALB's checks, and the mapping between the wire shapes and the records.</summary>
public static partial class Actions
{
    private static readonly string[] ContentTypes = ["text/plain", "text/css", "text/html", "application/javascript", "application/json"];

    /// <summary>
    /// Checks <paramref name="actions"/> as ALB does and returns them as records, ordered. Exactly one of them ends
    /// the rule (forward, fixed-response or redirect), and it comes last; every target group must exist, be of this
    /// load balancer (or of none yet), and be an HTTP group.
    /// </summary>
    public static ImmutableArray<ActionRecord> Parse(ElbState state, string loadBalancerArn, List<ActionValue>? actions)
    {
        if (actions is null || actions.Count == 0)
        {
            throw ElbErrors.Validation("At least one action must be specified");
        }

        if (actions.Count > 5)
        {
            throw ElbErrors.Of(WireErrors.TooManyActionsException, "A rule can have at most '5' actions");
        }

        var records = new List<ActionRecord>();
        for (var i = 0; i < actions.Count; i++)
        {
            records.Add(ParseOne(state, loadBalancerArn, actions[i], i + 1));
        }

        var ordered = records.OrderBy(a => a.Order).ToImmutableArray();
        if (ordered.Select(a => a.Order).Distinct().Count() != ordered.Length)
        {
            throw ElbErrors.Validation("The action orders must be unique");
        }

        if (ordered.Length > 1)
        {
            throw ElbErrors.InvalidAction("Only one forward, fixed-response or redirect action can be specified, and it must be the last action");
        }

        return ordered;
    }

    private static ActionRecord ParseOne(ElbState state, string loadBalancerArn, ActionValue action, int position)
    {
        var order = action.Order ?? position;
        if (order is < 1 or > 50000)
        {
            throw ElbErrors.Validation($"1 validation error detected: Value '{order}' at 'actions.{position}.member.order' failed to satisfy constraint: Member must have value between 1 and 50000");
        }

        switch (action.Type)
        {
            case "forward":
                return Forward(state, loadBalancerArn, action, order);
            case "fixed-response":
                var fixedResponse = action.FixedResponseConfig ?? throw ElbErrors.Validation("A fixed-response action must have a FixedResponseConfig");
                if (fixedResponse.StatusCode is null || !StatusCodePattern().IsMatch(fixedResponse.StatusCode))
                {
                    throw ElbErrors.Validation($"The fixed-response status code '{fixedResponse.StatusCode}' is not valid: it must be 2XX, 4XX or 5XX");
                }

                if (fixedResponse.ContentType is { } type && !ContentTypes.Contains(type))
                {
                    throw ElbErrors.Validation($"The content type '{type}' is not valid: it must be one of {string.Join(", ", ContentTypes)}");
                }

                if (fixedResponse.MessageBody is { Length: > 1024 })
                {
                    throw ElbErrors.Validation("The fixed-response message body cannot be longer than 1024 characters");
                }

                return new ActionRecord { Type = "fixed-response", Order = order, FixedResponse = new FixedResponseRecord(fixedResponse.StatusCode, fixedResponse.ContentType, fixedResponse.MessageBody) };
            case "redirect":
                var redirect = action.RedirectConfig ?? throw ElbErrors.Validation("A redirect action must have a RedirectConfig");
                if (redirect.StatusCode is not ("HTTP_301" or "HTTP_302"))
                {
                    throw ElbErrors.Validation($"The redirect status code '{redirect.StatusCode}' is not valid: it must be HTTP_301 or HTTP_302");
                }

                var record = new RedirectRecord(
                    redirect.StatusCode,
                    redirect.Protocol ?? "#{protocol}",
                    redirect.Port ?? "#{port}",
                    redirect.Host ?? "#{host}",
                    redirect.Path ?? "/#{path}",
                    redirect.Query ?? "#{query}");
                if (record.Protocol is not ("HTTP" or "HTTPS" or "#{protocol}"))
                {
                    throw ElbErrors.Validation($"The redirect protocol '{record.Protocol}' is not valid: it must be HTTP, HTTPS or #{{protocol}}");
                }

                if (record.Port != "#{port}" && !(int.TryParse(record.Port, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535))
                {
                    throw ElbErrors.Validation($"The redirect port '{record.Port}' is not valid: it must be 1-65535 or #{{port}}");
                }

                if (!record.Path.StartsWith('/'))
                {
                    throw ElbErrors.Validation($"The redirect path '{record.Path}' must start with a '/'");
                }

                if (record is { Protocol: "#{protocol}", Port: "#{port}", Host: "#{host}", Path: "/#{path}", Query: "#{query}" })
                {
                    throw ElbErrors.InvalidAction("The redirect must change at least one of protocol, port, host, path or query: it would redirect to itself");
                }

                return new ActionRecord { Type = "redirect", Order = order, Redirect = record };
            case "authenticate-oidc" or "authenticate-cognito" or "jwt-validation":
                throw ElbErrors.InvalidAction($"The action type '{action.Type}' is not supported by Berth's load balancers (they do not terminate TLS)");
            default:
                throw ElbErrors.Validation($"1 validation error detected: Value '{action.Type}' at 'actions.{position}.member.type' failed to satisfy constraint: Member must satisfy enum value set: [forward, fixed-response, redirect, authenticate-oidc, authenticate-cognito, jwt-validation]");
        }
    }

    private static ActionRecord Forward(ElbState state, string loadBalancerArn, ActionValue action, int order)
    {
        var groups = new List<WeightedTargetGroup>();
        if (action.ForwardConfig?.TargetGroups is { Count: > 0 } tuples)
        {
            if (tuples.Count > 5)
            {
                throw ElbErrors.InvalidAction("A forward action can have at most '5' target groups");
            }

            foreach (var tuple in tuples)
            {
                var weight = tuple.Weight ?? 1;
                if (weight is < 0 or > 999)
                {
                    throw ElbErrors.Validation($"The target group weight '{weight}' is not valid: it must be from 0 to 999");
                }

                groups.Add(new WeightedTargetGroup(tuple.TargetGroupArn ?? throw ElbErrors.Validation("A target group ARN must be specified"), weight));
            }

            if (action.TargetGroupArn is { } single && (groups.Count != 1 || groups[0].TargetGroupArn != single))
            {
                throw ElbErrors.InvalidAction("You cannot specify both a target group ARN and a ForwardConfig with different target groups");
            }
        }
        else if (action.TargetGroupArn is { } arn)
        {
            groups.Add(new WeightedTargetGroup(arn, 1));
        }
        else
        {
            throw ElbErrors.Validation("A target group ARN must be specified for a forward action");
        }

        if (groups.Select(g => g.TargetGroupArn).Distinct().Count() != groups.Count)
        {
            throw ElbErrors.InvalidAction("A target group can be specified only once in a forward action");
        }

        foreach (var group in groups)
        {
            if (!state.TargetGroups.TryGetValue(group.TargetGroupArn, out var targetGroup))
            {
                throw ElbErrors.TargetGroupNotFound($"Target group '{group.TargetGroupArn}' not found");
            }

            if (state.LoadBalancersUsing(targetGroup.Arn).Any(lb => lb != loadBalancerArn))
            {
                throw ElbErrors.Of(WireErrors.TargetGroupAssociationLimitException, $"The following target groups cannot be associated with more than one load balancer: {targetGroup.Arn}");
            }
        }

        var stickiness = action.ForwardConfig?.TargetGroupStickinessConfig;
        if (stickiness?.DurationSeconds is { } duration && duration is < 1 or > 604800)
        {
            throw ElbErrors.Validation($"The target group stickiness duration '{duration}' is not valid: it must be from 1 to 604800 seconds");
        }

        if (stickiness?.Enabled == true && stickiness.DurationSeconds is null)
        {
            throw ElbErrors.Validation("A target group stickiness duration must be specified when stickiness is enabled");
        }

        return new ActionRecord
        {
            Type = "forward",
            Order = order,
            TargetGroups = [.. groups],
            StickinessEnabled = stickiness?.Enabled ?? false,
            StickinessDurationSeconds = stickiness?.DurationSeconds,
        };
    }

    /// <summary>The wire shape of <paramref name="record"/>, as DescribeListeners and DescribeRules show it.</summary>
    public static ActionValue ToWire(ActionRecord record) => new()
    {
        Type = record.Type,
        Order = record.Order,
        TargetGroupArn = record.TargetGroups.Length == 1 ? record.TargetGroups[0].TargetGroupArn : null,
        ForwardConfig = record.Type == "forward"
            ? new ForwardActionConfig
            {
                TargetGroups = [.. record.TargetGroups.Select(g => new TargetGroupTuple { TargetGroupArn = g.TargetGroupArn, Weight = g.Weight })],
                TargetGroupStickinessConfig = new TargetGroupStickinessConfig { Enabled = record.StickinessEnabled, DurationSeconds = record.StickinessDurationSeconds },
            }
            : null,
        FixedResponseConfig = record.FixedResponse is { } f ? new FixedResponseActionConfig { StatusCode = f.StatusCode, ContentType = f.ContentType, MessageBody = f.MessageBody } : null,
        RedirectConfig = record.Redirect is { } r ? new RedirectActionConfig { StatusCode = r.StatusCode, Protocol = r.Protocol, Port = r.Port, Host = r.Host, Path = r.Path, Query = r.Query } : null,
    };

    [GeneratedRegex("^(2|4|5)\\d\\d$")]
    private static partial Regex StatusCodePattern();
}
