using System.Collections.Frozen;
using System.Globalization;

namespace Berth.Elb.TargetGroups;

/// <summary>The attributes of a target group of an Application Load Balancer, with ALB's defaults and ranges.</summary>
public static class TargetGroupAttributes
{
    /// <summary>Seconds a deregistered target drains (0-3600, default 300).</summary>
    public const string DeregistrationDelay = "deregistration_delay.timeout_seconds";

    /// <summary>Seconds a new target ramps up its share (0, or 30-900).</summary>
    public const string SlowStart = "slow_start.duration_seconds";

    /// <summary><c>round_robin</c> or <c>least_outstanding_requests</c>.</summary>
    public const string Algorithm = "load_balancing.algorithm.type";

    /// <summary>Whether lb_cookie stickiness is on.</summary>
    public const string StickinessEnabled = "stickiness.enabled";

    /// <summary><c>lb_cookie</c>.</summary>
    public const string StickinessType = "stickiness.type";

    /// <summary>Seconds an lb_cookie lasts (1-604800, default 86400).</summary>
    public const string CookieDuration = "stickiness.lb_cookie.duration_seconds";

    /// <summary>Every key Berth takes on a target group.</summary>
    public static readonly FrozenDictionary<string, AttributeRule> Rules = new Dictionary<string, AttributeRule>
    {
        [DeregistrationDelay] = AttributeRule.Range(300, 0, 3600),
        [SlowStart] = new("0", v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && (n == 0 || n is >= 30 and <= 900), "0 or an integer from 30 to 900"),
        [Algorithm] = AttributeRule.OneOf("round_robin", "least_outstanding_requests"),
        [StickinessEnabled] = AttributeRule.Boolean(false),
        [StickinessType] = AttributeRule.OneOf("lb_cookie"),
        [CookieDuration] = AttributeRule.Range(86400, 1, 604800),
        ["load_balancing.cross_zone.enabled"] = AttributeRule.OneOf("use_load_balancer_configuration", "true", "false"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every key's default.</summary>
    public static readonly FrozenDictionary<string, string> Defaults = Rules.ToFrozenDictionary(r => r.Key, r => r.Value.Default, StringComparer.Ordinal);
}
