using System.Collections.Frozen;

namespace Berth.Elb.LoadBalancers;

/// <summary>The attributes of an Application Load Balancer, with ALB's defaults and ranges.</summary>
public static class LoadBalancerAttributes
{
    /// <summary>Seconds a connection may idle (1-4000, default 60).</summary>
    public const string IdleTimeout = "idle_timeout.timeout_seconds";

    /// <summary>When true, DeleteLoadBalancer is refused.</summary>
    public const string DeletionProtection = "deletion_protection.enabled";

    /// <summary>Every key ALB takes on an application load balancer that Berth keeps.</summary>
    public static readonly FrozenDictionary<string, AttributeRule> Rules = new Dictionary<string, AttributeRule>
    {
        [IdleTimeout] = AttributeRule.Range(60, 1, 4000),
        [DeletionProtection] = AttributeRule.Boolean(false),
        ["client_keep_alive.seconds"] = AttributeRule.Range(3600, 60, 604800),
        ["access_logs.s3.enabled"] = AttributeRule.Boolean(false),
        ["access_logs.s3.bucket"] = AttributeRule.Any(string.Empty),
        ["access_logs.s3.prefix"] = AttributeRule.Any(string.Empty),
        ["routing.http.desync_mitigation_mode"] = AttributeRule.OneOf("defensive", "monitor", "strictest"),
        ["routing.http.drop_invalid_header_fields.enabled"] = AttributeRule.Boolean(false),
        ["routing.http.preserve_host_header.enabled"] = AttributeRule.Boolean(false),
        ["routing.http.x_amzn_tls_version_and_cipher_suite.enabled"] = AttributeRule.Boolean(false),
        ["routing.http.xff_client_port.enabled"] = AttributeRule.Boolean(false),
        ["routing.http.xff_header_processing.mode"] = AttributeRule.OneOf("append", "preserve", "remove"),
        ["routing.http2.enabled"] = AttributeRule.Boolean(true),
        ["waf.fail_open.enabled"] = AttributeRule.Boolean(false),
    }.ToFrozenDictionary(StringComparer.Ordinal);
}
