using System.Collections.Immutable;

namespace Berth.Elb.State;

/// <summary>A resource tag (load balancers, target groups, listeners and rules carry them).</summary>
public sealed record ElbTag(string Key, string? Value);

/// <summary>An Application Load Balancer.</summary>
public sealed record LoadBalancerRecord
{
    /// <summary>Its ARN (<c>...:loadbalancer/app/NAME/ID</c>).</summary>
    public required string Arn { get; init; }

    /// <summary>Its name, unique in the region.</summary>
    public required string Name { get; init; }

    /// <summary>The 16 hex digits at the end of its ARN.</summary>
    public required string Id { get; init; }

    /// <summary>The region it lives in.</summary>
    public required string Region { get; init; }

    /// <summary>Its DNS name.</summary>
    public required string DnsName { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedTime { get; init; }

    /// <summary><c>internet-facing</c> or <c>internal</c>.</summary>
    public string Scheme { get; init; } = "internet-facing";

    /// <summary><c>ipv4</c> or <c>dualstack</c>.</summary>
    public string IpAddressType { get; init; } = "ipv4";

    /// <summary>The VPC it is in.</summary>
    public required string VpcId { get; init; }

    /// <summary>The subnets it was given (accepted and reported; Berth has no subnets of its own).</summary>
    public ImmutableArray<string> Subnets { get; init; } = [];

    /// <summary>Its security groups (accepted and reported).</summary>
    public ImmutableArray<string> SecurityGroups { get; init; } = [];

    /// <summary>Attributes set away from their defaults (key → value).</summary>
    public ImmutableSortedDictionary<string, string> Attributes { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>Resource tags.</summary>
    public ImmutableArray<ElbTag> Tags { get; init; } = [];
}

/// <summary>A target group of weighted forwarding.</summary>
public sealed record WeightedTargetGroup(string TargetGroupArn, int Weight);

/// <summary>A fixed response: status code, content type and body.</summary>
public sealed record FixedResponseRecord(string StatusCode, string? ContentType, string? MessageBody);

/// <summary>A redirect; each part may be one of ALB's <c>#{protocol}</c>, <c>#{host}</c>, ... placeholders.</summary>
public sealed record RedirectRecord(string StatusCode, string Protocol, string Port, string Host, string Path, string Query);

/// <summary>An action of a listener's default rule or of a rule.</summary>
public sealed record ActionRecord
{
    /// <summary><c>forward</c>, <c>fixed-response</c> or <c>redirect</c>.</summary>
    public required string Type { get; init; }

    /// <summary>Its order among the rule's actions (lowest first).</summary>
    public required int Order { get; init; }

    /// <summary>forward: the target groups and their weights (one for a plain forward).</summary>
    public ImmutableArray<WeightedTargetGroup> TargetGroups { get; init; } = [];

    /// <summary>forward: whether target group stickiness is on.</summary>
    public bool StickinessEnabled { get; init; }

    /// <summary>forward: how long target group stickiness lasts (seconds).</summary>
    public int? StickinessDurationSeconds { get; init; }

    /// <summary>fixed-response: what to answer.</summary>
    public FixedResponseRecord? FixedResponse { get; init; }

    /// <summary>redirect: where to.</summary>
    public RedirectRecord? Redirect { get; init; }
}

/// <summary>A query-string condition's key/value pattern (key optional).</summary>
public sealed record QueryPattern(string? Key, string Value);

/// <summary>A rule condition.</summary>
public sealed record ConditionRecord
{
    /// <summary><c>path-pattern</c>, <c>host-header</c>, <c>http-header</c>, <c>http-request-method</c>, <c>query-string</c> or <c>source-ip</c>.</summary>
    public required string Field { get; init; }

    /// <summary>The patterns (path, host, header values, methods, CIDRs).</summary>
    public ImmutableArray<string> Values { get; init; } = [];

    /// <summary>http-header: the header's name.</summary>
    public string? HeaderName { get; init; }

    /// <summary>query-string: the key/value patterns.</summary>
    public ImmutableArray<QueryPattern> QueryPatterns { get; init; } = [];
}

/// <summary>A listener: a port and protocol on a load balancer, with the actions of its default rule.</summary>
public sealed record ListenerRecord
{
    /// <summary>Its ARN (<c>...:listener/app/LB-NAME/LB-ID/ID</c>).</summary>
    public required string Arn { get; init; }

    /// <summary>The load balancer it belongs to.</summary>
    public required string LoadBalancerArn { get; init; }

    /// <summary>Its port.</summary>
    public required int Port { get; init; }

    /// <summary><c>HTTP</c>.</summary>
    public string Protocol { get; init; } = "HTTP";

    /// <summary>The actions of its default rule.</summary>
    public ImmutableArray<ActionRecord> DefaultActions { get; init; } = [];

    /// <summary>The ARN of its default rule (DescribeRules shows it, with priority <c>default</c>).</summary>
    public required string DefaultRuleArn { get; init; }

    /// <summary>Resource tags.</summary>
    public ImmutableArray<ElbTag> Tags { get; init; } = [];

    /// <summary>Tags of its default rule.</summary>
    public ImmutableArray<ElbTag> DefaultRuleTags { get; init; } = [];
}

/// <summary>A listener rule other than the default one.</summary>
public sealed record RuleRecord
{
    /// <summary>Its ARN (<c>...:listener-rule/app/LB-NAME/LB-ID/LISTENER-ID/ID</c>).</summary>
    public required string Arn { get; init; }

    /// <summary>The listener it belongs to.</summary>
    public required string ListenerArn { get; init; }

    /// <summary>1-50000, unique in the listener; lower is evaluated first.</summary>
    public required int Priority { get; init; }

    /// <summary>All must match.</summary>
    public ImmutableArray<ConditionRecord> Conditions { get; init; } = [];

    /// <summary>What happens when it matches.</summary>
    public ImmutableArray<ActionRecord> Actions { get; init; } = [];

    /// <summary>Resource tags.</summary>
    public ImmutableArray<ElbTag> Tags { get; init; } = [];
}

/// <summary>A target group's health check settings.</summary>
public sealed record HealthCheckRecord
{
    /// <summary>Whether health checks run.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary><c>HTTP</c>.</summary>
    public string Protocol { get; init; } = "HTTP";

    /// <summary><c>traffic-port</c> or a port number.</summary>
    public string Port { get; init; } = "traffic-port";

    /// <summary>The path checked.</summary>
    public string Path { get; init; } = "/";

    /// <summary>Seconds between checks (5-300).</summary>
    public int IntervalSeconds { get; init; } = 30;

    /// <summary>Seconds a check may take (2-120).</summary>
    public int TimeoutSeconds { get; init; } = 5;

    /// <summary>Consecutive successes to become healthy (2-10).</summary>
    public int HealthyThreshold { get; init; } = 5;

    /// <summary>Consecutive failures to become unhealthy (2-10).</summary>
    public int UnhealthyThreshold { get; init; } = 2;

    /// <summary>The HTTP codes that count as success: <c>200</c>, <c>200,202</c>, <c>200-299</c>.</summary>
    public string Matcher { get; init; } = "200";
}

/// <summary>A registered target.</summary>
/// <param name="Id">An instance id (target type instance) or an IP address (ip).</param>
/// <param name="Port">The port traffic goes to.</param>
/// <param name="AvailabilityZone">As registered, if given.</param>
/// <param name="RegisteredAt">When it was registered.</param>
/// <param name="DrainingUntil">Set once deregistered: it drains until then (the deregistration delay), then is gone.</param>
public sealed record TargetRecord(string Id, int Port, string? AvailabilityZone, DateTimeOffset RegisteredAt, DateTimeOffset? DrainingUntil = null)
{
    /// <summary>The key of a target in its group: id and port.</summary>
    public string Key => TargetKey(Id, Port);

    /// <summary>The key of a target in its group: id and port.</summary>
    public static string TargetKey(string id, int port) => id + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True once deregistered and its delay has run out (it no longer exists).</summary>
    public bool IsGone(DateTimeOffset now) => DrainingUntil is { } until && until <= now;
}

/// <summary>A target group.</summary>
public sealed record TargetGroupRecord
{
    /// <summary>Its ARN (<c>...:targetgroup/NAME/ID</c>).</summary>
    public required string Arn { get; init; }

    /// <summary>Its name, unique in the region.</summary>
    public required string Name { get; init; }

    /// <summary>The region it lives in.</summary>
    public required string Region { get; init; }

    /// <summary><c>HTTP</c>.</summary>
    public string Protocol { get; init; } = "HTTP";

    /// <summary><c>HTTP1</c>.</summary>
    public string ProtocolVersion { get; init; } = "HTTP1";

    /// <summary>The port targets get traffic on unless registered with their own.</summary>
    public required int Port { get; init; }

    /// <summary>The VPC.</summary>
    public required string VpcId { get; init; }

    /// <summary><c>instance</c> or <c>ip</c>.</summary>
    public string TargetType { get; init; } = "instance";

    /// <summary><c>ipv4</c> or <c>ipv6</c>.</summary>
    public string IpAddressType { get; init; } = "ipv4";

    /// <summary>Health check settings.</summary>
    public HealthCheckRecord HealthCheck { get; init; } = new();

    /// <summary>Attributes set away from their defaults (key → value).</summary>
    public ImmutableSortedDictionary<string, string> Attributes { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>Registered targets (including draining ones) by <see cref="TargetRecord.Key"/>.</summary>
    public ImmutableSortedDictionary<string, TargetRecord> Targets { get; init; } = ImmutableSortedDictionary.Create<string, TargetRecord>(StringComparer.Ordinal);

    /// <summary>Resource tags.</summary>
    public ImmutableArray<ElbTag> Tags { get; init; } = [];

    /// <summary>The value of attribute <paramref name="key"/>, its default when not set.</summary>
    public string Attribute(string key) => Attributes.TryGetValue(key, out var value) ? value : Berth.Elb.TargetGroups.TargetGroupAttributes.Defaults[key];
}
