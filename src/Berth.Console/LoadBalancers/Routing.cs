using Berth.Elb.State;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.LoadBalancers;

/// <summary>Listener and rule actions and rule conditions in words, with links to the target groups they forward to.</summary>
public static class Routing
{
    /// <summary>The actions in order, as <c>forward to web</c>, <c>fixed response 503 ...</c> or <c>redirect ...</c>.</summary>
    public static Markup Actions(ElbState state, IEnumerable<ActionRecord> actions)
    {
        var described = actions.OrderBy(a => a.Order).Select(a => Action(state, a)).ToList();
        return described.Count == 0 ? Markup.Raw(Format.None) : Markup.Join(described.Select((a, i) => i == 0 ? a : Markup.Of($"; then {a}")));
    }

    /// <summary>One action in words.</summary>
    public static Markup Action(ElbState state, ActionRecord action) => action switch
    {
        { Type: "forward", TargetGroups: [var only] } => Markup.Of($"forward to {TargetGroupLink(state, only.TargetGroupArn)}{Stickiness(action)}"),
        { Type: "forward" } => Markup.Of($"forward to {Markup.Join(action.TargetGroups.Select((g, i) => Markup.Of($"{(i == 0 ? string.Empty : ", ")}{TargetGroupLink(state, g.TargetGroupArn)} (weight {g.Weight})")))}{Stickiness(action)}"),
        { Type: "fixed-response", FixedResponse: { } f } => Markup.Of($"fixed response {f.StatusCode}{(f.ContentType is null ? string.Empty : " (" + f.ContentType + ")")}{(string.IsNullOrEmpty(f.MessageBody) ? Markup.Empty : Markup.Of($": <q class=\"body\">{f.MessageBody}</q>"))}"),
        { Type: "redirect", Redirect: { } r } => Markup.Of($"redirect ({r.StatusCode.Replace("HTTP_", string.Empty, StringComparison.Ordinal)}) to <code>{r.Protocol}://{r.Host}:{r.Port}{r.Path}{(string.IsNullOrEmpty(r.Query) ? string.Empty : "?" + r.Query)}</code>"),
        _ => Markup.Of($"{action.Type}"),
    };

    /// <summary>The conditions (all must match) in words; <paramref name="none"/> when there are none.</summary>
    public static Markup Conditions(IEnumerable<ConditionRecord> conditions, string none)
    {
        var described = conditions.Select(Condition).ToList();
        return described.Count == 0 ? Markup.Of($"{none}") : Markup.Join(described.Select((c, i) => i == 0 ? c : Markup.Of($" and {c}")));
    }

    /// <summary>One condition in words.</summary>
    public static Markup Condition(ConditionRecord condition) => condition.Field switch
    {
        "path-pattern" => Markup.Of($"path is {Values(condition.Values)}"),
        "host-header" => Markup.Of($"host is {Values(condition.Values)}"),
        "http-header" => Markup.Of($"header <code>{condition.HeaderName}</code> is {Values(condition.Values)}"),
        "http-request-method" => Markup.Of($"method is {Values(condition.Values)}"),
        "source-ip" => Markup.Of($"source IP in {Values(condition.Values)}"),
        "query-string" => Markup.Of($"query has {Values(condition.QueryPatterns.Select(q => q.Key is null ? q.Value : q.Key + "=" + q.Value))}"),
        _ => Markup.Of($"{condition.Field} is {Values(condition.Values)}"),
    };

    /// <summary>A link to the target group's page (its ARN when it is gone).</summary>
    public static Markup TargetGroupLink(ElbState state, string arn)
        => state.TargetGroups.TryGetValue(arn, out var group)
            ? Markup.Of($"<a href=\"{Links.TargetGroup(group.Name)}\">{group.Name}</a>")
            : Markup.Of($"<code>{arn}</code>");

    private static Markup Values(IEnumerable<string> values)
        => Markup.Join(values.Select((v, i) => Markup.Of($"{(i == 0 ? string.Empty : " or ")}<code>{v}</code>")));

    private static Markup Stickiness(ActionRecord action)
        => action.StickinessEnabled ? Markup.Of($", sticky for {action.StickinessDurationSeconds ?? 0} s") : Markup.Empty;
}
