using System.Globalization;
using Berth.Elb.Listeners;
using Berth.Elb.Model;
using Berth.Elb.Paging;
using Berth.Elb.Rules;
using Berth.Elb.Tagging;
using Berth.Elb.Targets;

namespace Berth.Elb;

/// <summary>DescribeAccountLimits: the limits Berth enforces, under ALB's names.</summary>
public static class AccountLimits
{
    private static readonly (string Name, int Max)[] Limits =
    [
        ("listeners-per-application-load-balancer", ListenerDecisions.MaxPerLoadBalancer),
        ("rules-per-application-load-balancer", RuleDecisions.MaxPerLoadBalancer),
        ("targets-per-target-group", TargetDecisions.MaxPerTargetGroup),
        ("target-groups-per-action-on-application-load-balancer", 5),
        ("condition-values-per-alb-rule", Conditions.MaxValuesPerRule),
        ("tags-per-resource", Tags.MaxPerResource),
    ];

    /// <summary>The limits, paged.</summary>
    public static DescribeAccountLimitsOutput Describe(DescribeAccountLimitsInput input)
    {
        var (page, next) = Pages.Take(Limits, input.Marker, input.PageSize);
        return new DescribeAccountLimitsOutput { Limits = [.. page.Select(l => new Limit { Name = l.Name, Max = l.Max.ToString(CultureInfo.InvariantCulture) })], NextMarker = next };
    }
}
