using System.Net;

namespace Berth.LoadBalancing.Config;

/// <summary>
/// One immutable snapshot of everything the data plane serves: load balancers with their listeners and rules, and
/// target groups with their targets. <see cref="LoadBalancerDataPlane.ApplyAsync"/> reconciles the running data plane
/// to a snapshot; the caller builds a new snapshot for every change (nothing here is mutated after it is handed over).
/// </summary>
/// <remarks>
/// The model carries values as given: ALB's ranges (health check interval 5–300 s, thresholds 2–10, priorities
/// 1–50000, ...) are enforced by the API layer, not here, so tests can use sub-second intervals.
/// </remarks>
public sealed record DataPlaneConfig
{
    /// <summary>An empty configuration: no listeners, no target groups.</summary>
    public static DataPlaneConfig Empty { get; } = new();

    /// <summary>The load balancers; ids are unique.</summary>
    public IReadOnlyList<LoadBalancerConfig> LoadBalancers { get; init; } = [];

    /// <summary>The target groups; ids are unique. A group no listener forwards to reports its targets <c>unused</c>.</summary>
    public IReadOnlyList<TargetGroupConfig> TargetGroups { get; init; } = [];
}

/// <summary>A load balancer: an address its listeners bind to and the idle timeout of its connections.</summary>
public sealed record LoadBalancerConfig
{
    /// <summary>Identity (the lead maps the load balancer's ARN here).</summary>
    public required string Id { get; init; }

    /// <summary>
    /// The address every listener of this load balancer binds to. Several load balancers may use the same port on
    /// different addresses (e.g. 127.0.0.2, 127.0.0.3: Linux routes all of 127.0.0.0/8 to <c>lo</c>).
    /// </summary>
    public required IPAddress Address { get; init; }

    /// <summary>ALB's <c>idle_timeout.timeout_seconds</c> (default 60 s): client keep-alive and the target activity timeout (504 when exceeded).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The listeners; ports are unique within the load balancer.</summary>
    public IReadOnlyList<ListenerConfig> Listeners { get; init; } = [];
}

/// <summary>An HTTP listener: a port, rules evaluated by priority, and the default actions when no rule matches.</summary>
public sealed record ListenerConfig
{
    /// <summary>Identity (the listener's ARN).</summary>
    public required string Id { get; init; }

    /// <summary>The TCP port on the load balancer's address.</summary>
    public required int Port { get; init; }

    /// <summary>What the listener does when no rule matches; the first action is the one performed.</summary>
    public required IReadOnlyList<ListenerAction> DefaultActions { get; init; }

    /// <summary>Rules in any order; evaluated from the lowest priority number up.</summary>
    public IReadOnlyList<RuleConfig> Rules { get; init; } = [];
}

/// <summary>A listener rule: every condition must match (each condition matches when any of its values does).</summary>
public sealed record RuleConfig
{
    /// <summary>Identity (the rule's ARN).</summary>
    public required string Id { get; init; }

    /// <summary>Lower numbers are evaluated first; unique within a listener.</summary>
    public required int Priority { get; init; }

    /// <summary>The conditions, all of which must match. An empty list matches every request.</summary>
    public IReadOnlyList<RuleCondition> Conditions { get; init; } = [];

    /// <summary>The actions; the first is the one performed.</summary>
    public required IReadOnlyList<ListenerAction> Actions { get; init; }
}

/// <summary>A rule condition; see the derived records for ALB's condition types.</summary>
public abstract record RuleCondition;

/// <summary><c>path-pattern</c>: the URL path (no query string), case-sensitive, with <c>*</c> and <c>?</c> wildcards.</summary>
public sealed record PathPatternCondition(IReadOnlyList<string> Values) : RuleCondition;

/// <summary><c>host-header</c>: the Host header without port, case-insensitive, with <c>*</c> and <c>?</c> wildcards.</summary>
public sealed record HostHeaderCondition(IReadOnlyList<string> Values) : RuleCondition;

/// <summary><c>http-header</c>: a named header (name case-insensitive) whose value matches one pattern, case-insensitive, with wildcards.</summary>
public sealed record HttpHeaderCondition(string Name, IReadOnlyList<string> Values) : RuleCondition;

/// <summary><c>http-request-method</c>: the method, case-sensitive, exact.</summary>
public sealed record HttpRequestMethodCondition(IReadOnlyList<string> Values) : RuleCondition;

/// <summary><c>query-string</c>: a key/value pair in the query string; a null key matches any key. Case-insensitive, with wildcards.</summary>
public sealed record QueryStringCondition(IReadOnlyList<QueryStringPair> Values) : RuleCondition;

/// <summary>One <c>query-string</c> value.</summary>
public sealed record QueryStringPair(string? Key, string Value);

/// <summary><c>source-ip</c>: the client's address (of the TCP connection, as ALB) lies in one of the CIDR blocks.</summary>
public sealed record SourceIpCondition(IReadOnlyList<IPNetwork> Values) : RuleCondition;

/// <summary>A listener or rule action; see the derived records.</summary>
public abstract record ListenerAction;

/// <summary>
/// <c>forward</c> to one target group or, weighted, to several. <see cref="StickinessDuration"/> set means group
/// stickiness (cookie <c>AWSALBTG</c>): a client keeps going to the group it was first sent to.
/// </summary>
public sealed record ForwardAction(IReadOnlyList<WeightedTargetGroup> TargetGroups) : ListenerAction
{
    /// <summary>Target group stickiness duration; null when disabled.</summary>
    public TimeSpan? StickinessDuration { get; init; }

    /// <summary>A forward to a single target group.</summary>
    public static ForwardAction To(string targetGroupId) => new([new WeightedTargetGroup(targetGroupId, 1)]);
}

/// <summary>A target group in a weighted forward; weight 0 receives nothing (ALB's 0–999).</summary>
public sealed record WeightedTargetGroup(string TargetGroupId, int Weight);

/// <summary><c>fixed-response</c>: a status code (2XX, 4XX, 5XX), content type (default text/plain) and body.</summary>
public sealed record FixedResponseAction(int StatusCode, string? ContentType = null, string? Body = null) : ListenerAction;

/// <summary>
/// <c>redirect</c>: each part may use the tokens <c>#{protocol}</c>, <c>#{host}</c>, <c>#{port}</c>, <c>#{path}</c>
/// (without its leading slash) and <c>#{query}</c> (without <c>?</c>); the defaults keep the request's own part.
/// </summary>
public sealed record RedirectAction : ListenerAction
{
    /// <summary>HTTP, HTTPS or <c>#{protocol}</c>.</summary>
    public string Protocol { get; init; } = "#{protocol}";

    /// <summary>The host.</summary>
    public string Host { get; init; } = "#{host}";

    /// <summary>The port (omitted from the URL when it is the protocol's default).</summary>
    public string Port { get; init; } = "#{port}";

    /// <summary>The path, starting with <c>/</c>.</summary>
    public string Path { get; init; } = "/#{path}";

    /// <summary>The query without <c>?</c>.</summary>
    public string Query { get; init; } = "#{query}";

    /// <summary>301 (HTTP_301) or 302 (HTTP_302).</summary>
    public int StatusCode { get; init; } = 302;
}

/// <summary>ALB's <c>load_balancing.algorithm.type</c>.</summary>
public enum LoadBalancingAlgorithm
{
    /// <summary><c>round_robin</c> (ALB's default).</summary>
    RoundRobin,

    /// <summary><c>least_outstanding_requests</c>.</summary>
    LeastOutstandingRequests,
}

/// <summary>A target group: its health check, attributes and registered targets.</summary>
public sealed record TargetGroupConfig
{
    /// <summary>Identity (the target group's ARN).</summary>
    public required string Id { get; init; }

    /// <summary>The health check (ALB's defaults unless set).</summary>
    public HealthCheckConfig HealthCheck { get; init; } = new();

    /// <summary>The attributes (ALB's defaults unless set).</summary>
    public TargetGroupAttributes Attributes { get; init; } = new();

    /// <summary>The registered targets; a target that leaves this list drains for the deregistration delay.</summary>
    public IReadOnlyList<TargetConfig> Targets { get; init; } = [];
}

/// <summary>A target group's HTTP health check.</summary>
public sealed record HealthCheckConfig
{
    /// <summary>When false no checks run and a registered target counts healthy at once (ALB requires checks for instance and ip targets; the API layer enforces that).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The request path (default <c>/</c>).</summary>
    public string Path { get; init; } = "/";

    /// <summary>The port to check; null means the traffic port (the target's own).</summary>
    public int? Port { get; init; }

    /// <summary>Time between checks of one target (ALB's default 30 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A check that has no response by then fails with <c>Target.Timeout</c> (default 5 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Consecutive successes to become healthy (default 5).</summary>
    public int HealthyThreshold { get; init; } = 5;

    /// <summary>Consecutive failures to become unhealthy (default 2).</summary>
    public int UnhealthyThreshold { get; init; } = 2;

    /// <summary>ALB's matcher <c>HttpCode</c>: "200", "200-299", "200,302" (default "200").</summary>
    public string Matcher { get; init; } = "200";
}

/// <summary>A target group's attributes that affect the data plane.</summary>
public sealed record TargetGroupAttributes
{
    /// <summary><c>deregistration_delay.timeout_seconds</c> (default 300 s): how long a removed target drains.</summary>
    public TimeSpan DeregistrationDelay { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary><c>slow_start.duration_seconds</c> (default 0 = off): a newly healthy target's share ramps up linearly over it.</summary>
    public TimeSpan SlowStart { get; init; } = TimeSpan.Zero;

    /// <summary><c>load_balancing.algorithm.type</c>.</summary>
    public LoadBalancingAlgorithm Algorithm { get; init; } = LoadBalancingAlgorithm.RoundRobin;

    /// <summary><c>stickiness.enabled</c> with <c>stickiness.type</c> lb_cookie (cookies AWSALB and AWSALBCORS).</summary>
    public bool StickinessEnabled { get; init; }

    /// <summary><c>stickiness.lb_cookie.duration_seconds</c> (default one day).</summary>
    public TimeSpan StickinessDuration { get; init; } = TimeSpan.FromDays(1);
}

/// <summary>A registered target: an id (instance id or IP as the API names it) and where to reach it.</summary>
public sealed record TargetConfig(string Id, string Host, int Port);
