using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Elb;

/// <summary>A server without agents, for the ELBv2 API alone; the boto3 walk through every operation runs once.</summary>
public sealed class ElbApiFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-elb-");
    private Lazy<Task<JsonNode>>? _scenario;

    // Load balancers listen on addresses of their own, apart from other classes' servers running at the same time.
    private static readonly string[] Arguments = ["--no-local-agent", "--no-fargate", "--lb-addresses", "127.2.0.0/24"];

    /// <summary>The server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>What every step of <c>elb_scenario.py</c> returned, by step name.</summary>
    public Task<JsonNode> ScenarioAsync() => _scenario!.Value;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: Arguments);
        _scenario = new Lazy<Task<JsonNode>>(() => Clients.PythonAsync(Server, "elb_scenario.py"));
    }

    /// <summary>Kills the server with SIGKILL and starts it again on the same data dir and port.</summary>
    public async Task KillAndRestartAsync()
    {
        var port = Server.Port;
        await Server.KillAsync();
        await Server.DisposeAsync();
        Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: Arguments, port: port);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _dataDir.Dispose();
    }
}

/// <summary>The ELBv2 API (query protocol, XML) through boto3 and the AWS CLI: every operation, its shapes and its errors.</summary>
public sealed class ElbApiTests(ElbApiFixture fixture) : IClassFixture<ElbApiFixture>
{
    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task Load_balancers_are_created_described_paged_and_their_attributes_checked()
    {
        var s = await fixture.ScenarioAsync();
        var lb = Expect.Ok(s["create_lb"])["LoadBalancers"]![0]!;
        var arn = (string)lb["LoadBalancerArn"]!;
        Assert.StartsWith("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/e2e-web/", arn, StringComparison.Ordinal);
        Expect.Subset(JsonNode.Parse("""
            {"LoadBalancerName": "e2e-web", "Scheme": "internet-facing", "Type": "application", "State": {"Code": "active"},
             "IpAddressType": "ipv4", "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K",
             "AvailabilityZones": [{"ZoneName": "us-east-1a", "SubnetId": "subnet-a"}, {"ZoneName": "us-east-1b", "SubnetId": "subnet-b"}]}
            """), lb);
        // The DNSName is the load balancer's own address, so any resolver gives it.
        Assert.True(System.Net.IPAddress.TryParse((string)lb["DNSName"]!, out var address) && System.Net.IPNetwork.Parse("127.2.0.0/24").Contains(address), (string)lb["DNSName"]!);
        Assert.Equal(arn, (string?)Expect.Ok(s["create_lb_again"])["LoadBalancers"]![0]!["LoadBalancerArn"]);
        Expect.Error(s["create_lb_duplicate"], "DuplicateLoadBalancerName");
        Expect.Error(s["create_lb_bad_name"], "ValidationError");
        Assert.Equal(arn, (string?)Expect.Ok(s["describe_lb_by_name"])["LoadBalancers"]![0]!["LoadBalancerArn"]);
        Assert.Equal("e2e-web", (string?)Expect.Ok(s["describe_lb_by_arn"])["LoadBalancers"]![0]!["LoadBalancerName"]);

        var page1 = Expect.Ok(s["describe_lb_page1"]);
        var page2 = Expect.Ok(s["describe_lb_page2"]);
        Assert.Equal(["e2e-web", "e2e-web2"], new[] { page1, page2 }.Select(p => (string)p["LoadBalancers"]![0]!["LoadBalancerName"]!));
        Assert.NotNull(page1["NextMarker"]);
        Assert.Null(page2["NextMarker"]);
        Expect.Error(s["describe_lb_missing"], "LoadBalancerNotFound", messageContains: "e2e-none");

        Assert.Equal(["us-east-1a", "us-east-1b", "us-east-1c"], Expect.Ok(s["set_subnets"])["AvailabilityZones"]!.AsArray().Select(z => (string)z!["ZoneName"]!));
        Assert.Equal(["sg-1"], Expect.Strings(Expect.Ok(s["set_security_groups"])["SecurityGroupIds"]));
        Assert.Equal("dualstack", (string?)Expect.Ok(s["set_ip_address_type"])["IpAddressType"]);
        Assert.Contains(Expect.Ok(s["account_limits"])["Limits"]!.AsArray(), l => (string?)l!["Name"] == "rules-per-application-load-balancer" && (string?)l["Max"] == "100");

        var attributes = Attributes(Expect.Ok(s["describe_lb_attributes"]));
        Assert.Equal("60", attributes["idle_timeout.timeout_seconds"]);
        Assert.Equal("false", attributes["deletion_protection.enabled"]);
        var modified = Attributes(Expect.Ok(s["modify_lb_attributes"]));
        Assert.Equal("120", modified["idle_timeout.timeout_seconds"]);
        Assert.Equal("preserve", modified["routing.http.xff_header_processing.mode"]);
        Expect.Error(s["modify_lb_attributes_bad"], "ValidationError", messageContains: "idle_timeout.timeout_seconds");
    }

    [Fact]
    public async Task Target_groups_have_ALBs_defaults_ranges_attributes_and_target_health()
    {
        var s = await fixture.ScenarioAsync();
        var tg = Expect.Ok(s["create_tg"])["TargetGroups"]![0]!;
        Expect.Subset(JsonNode.Parse("""
            {"TargetGroupName": "e2e-blue", "Protocol": "HTTP", "Port": 8080, "VpcId": "vpc-1", "TargetType": "ip", "HealthCheckProtocol": "HTTP",
             "HealthCheckPort": "traffic-port", "HealthCheckEnabled": true, "HealthCheckIntervalSeconds": 30, "HealthCheckTimeoutSeconds": 5,
             "HealthyThresholdCount": 5, "UnhealthyThresholdCount": 2, "HealthCheckPath": "/", "Matcher": {"HttpCode": "200"}, "LoadBalancerArns": []}
            """), tg);
        Expect.Subset(JsonNode.Parse("""
            {"HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 10, "HealthCheckTimeoutSeconds": 3, "HealthyThresholdCount": 2,
             "UnhealthyThresholdCount": 3, "Matcher": {"HttpCode": "200-299"}}
            """), Expect.Ok(s["create_tg_green"])["TargetGroups"]![0]);
        Expect.Error(s["create_tg_bad_interval"], "ValidationError", messageContains: "400");
        Expect.Error(s["create_tg_bad_port_type"], "ValidationError", messageContains: "eighty");
        Expect.Subset(JsonNode.Parse("""{"HealthCheckPath": "/ready", "Matcher": {"HttpCode": "200,204"}}"""), Expect.Ok(s["modify_tg"])["TargetGroups"]![0]);
        Expect.Error(s["describe_tg_missing"], "TargetGroupNotFound");

        var defaults = Attributes(Expect.Ok(s["describe_tg_attributes"]));
        Assert.Equal(("300", "0", "round_robin", "false", "lb_cookie", "86400"), (defaults["deregistration_delay.timeout_seconds"], defaults["slow_start.duration_seconds"],
            defaults["load_balancing.algorithm.type"], defaults["stickiness.enabled"], defaults["stickiness.type"], defaults["stickiness.lb_cookie.duration_seconds"]));
        var modified = Attributes(Expect.Ok(s["modify_tg_attributes"]));
        Assert.Equal(("30", "least_outstanding_requests", "true"), (modified["deregistration_delay.timeout_seconds"], modified["load_balancing.algorithm.type"], modified["stickiness.enabled"]));
        Expect.Error(s["modify_tg_attributes_bad"], "ValidationError", messageContains: "slow_start.duration_seconds");

        Expect.Ok(s["register"]);
        Expect.Error(s["register_bad"], "InvalidTarget");
        Assert.Equal(
            ["10.0.0.1:8081:8081:unused:Target.NotInUse:Target group is not configured to receive traffic from the load balancer", "10.0.0.2:8080:8080:unused:Target.NotInUse:Target group is not configured to receive traffic from the load balancer"],
            Health(s["health_unused"]));
        // Registration in progress until the data plane has the target, then checking (10.0.0.x answers nothing here).
        Assert.All(Health(s["health_initial"]), h => Assert.Contains(h, new[]
        {
            "10.0.0.1:8081:8081:initial:Elb.RegistrationInProgress:Target registration is in progress",
            "10.0.0.2:8080:8080:initial:Elb.RegistrationInProgress:Target registration is in progress",
            "10.0.0.1:8081:8081:initial:Elb.InitialHealthChecking:Initial health checks in progress",
            "10.0.0.2:8080:8080:initial:Elb.InitialHealthChecking:Initial health checks in progress",
        }));
        Assert.Equal(2, Health(s["health_initial"]).Count);
        Assert.Contains("10.0.0.1:8081:8081:draining:Target.DeregistrationInProgress:Target deregistration is in progress", Health(s["health_draining"]));
        Expect.Error(s["deregister_unknown"], "InvalidTarget", messageContains: "10.9.9.9");
        Expect.Error(s["delete_tg_in_use"], "ResourceInUse");
        Assert.Equal(2, Expect.Ok(s["describe_tg_by_lb"])["TargetGroups"]!.AsArray().Count);
    }

    [Fact]
    public async Task Listeners_forward_by_weight_redirect_and_answer_fixed_responses()
    {
        var s = await fixture.ScenarioAsync();
        var tgArn = (string)Expect.Ok(s["create_tg"])["TargetGroups"]![0]!["TargetGroupArn"]!;
        var listener = Expect.Ok(s["create_listener"])["Listeners"]![0]!;
        Assert.Equal(80, (int)listener["Port"]!);
        Assert.Equal("HTTP", (string?)listener["Protocol"]);
        var forward = listener["DefaultActions"]![0]!["ForwardConfig"]!["TargetGroups"]!.AsArray();
        Assert.Equal([3, 1], forward.Select(t => (int)t!["Weight"]!));
        Assert.Equal(tgArn, (string?)forward[0]!["TargetGroupArn"]);
        Expect.Error(s["create_listener_duplicate"], "DuplicateListener");
        Expect.Error(s["create_listener_missing_tg"], "TargetGroupNotFound");
        Expect.Subset(JsonNode.Parse("""
            {"Type": "redirect", "RedirectConfig": {"Protocol": "#{protocol}", "Port": "80", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}", "StatusCode": "HTTP_302"}}
            """), Expect.Ok(s["create_listener_redirect"])["Listeners"]![0]!["DefaultActions"]![0]);
        Assert.Equal([80, 8000], Expect.Ok(s["describe_listeners"])["Listeners"]!.AsArray().Select(l => (int)l!["Port"]!));
        var modified = Expect.Ok(s["modify_listener"])["Listeners"]![0]!;
        Assert.Equal(8001, (int)modified["Port"]!);
        Expect.Subset(JsonNode.Parse("""{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": "down"}}"""), modified["DefaultActions"]![0]);
        Expect.Error(s["describe_listeners_after"], "ListenerNotFound");
    }

    [Fact]
    public async Task Rules_have_every_condition_kind_ALBs_priorities_and_limits()
    {
        var s = await fixture.ScenarioAsync();
        Expect.Subset(JsonNode.Parse("""
            {"Priority": "10", "IsDefault": false, "Conditions": [
              {"Field": "path-pattern", "Values": ["/api/*"], "PathPatternConfig": {"Values": ["/api/*"]}},
              {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET", "POST"]}}]}
            """), Expect.Ok(s["create_rule"])["Rules"]![0]);
        Expect.Subset(JsonNode.Parse("""
            {"Priority": "20", "Conditions": [
              {"Field": "host-header", "HostHeaderConfig": {"Values": ["api.example.com"]}},
              {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["blue"]}},
              {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}},
              {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}],
             "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "ContentType": "application/json", "MessageBody": "{}"}}]}
            """), Expect.Ok(s["create_rule_2"])["Rules"]![0]);
        Expect.Error(s["create_rule_priority_in_use"], "PriorityInUse");
        Expect.Error(s["create_rule_too_many_values"], "ValidationError", messageContains: "5");
        Assert.Equal("/v2/*", (string?)Expect.Ok(s["modify_rule"])["Rules"]![0]!["Conditions"]![0]!["Values"]![0]);
        Assert.Equal(["10", "20"], Expect.Ok(s["set_rule_priorities"])["Rules"]!.AsArray().Select(r => (string)r!["Priority"]!));

        var rules = Expect.Ok(s["describe_rules"])["Rules"]!.AsArray();
        Assert.Equal(["10", "20", "default"], rules.Select(r => (string)r!["Priority"]!));
        Assert.Equal("host-header", (string?)rules[0]!["Conditions"]![0]!["Field"]);
        Assert.True((bool)rules[2]!["IsDefault"]!);
        Expect.Error(s["delete_default_rule"], "OperationNotPermitted");
        Expect.Ok(s["delete_rule"]);
        Expect.Error(s["describe_deleted_rule"], "RuleNotFound");
    }

    [Fact]
    public async Task Tags_deletion_protection_deletes_and_query_protocol_errors()
    {
        var s = await fixture.ScenarioAsync();
        Expect.Ok(s["add_tags"]);
        Expect.Ok(s["remove_tags"]);
        var tags = Expect.Ok(s["describe_tags"])["TagDescriptions"]!.AsArray();
        Assert.Equal(4, tags.Count);
        Assert.Equal(["env=e2e"], Tags(tags[0]));
        Assert.Equal(["color=blue", "env=e2e"], Tags(tags[1]));
        Assert.Equal(["l=1", "env=e2e"], Tags(tags[2]));
        Assert.Equal(["env=e2e"], Tags(tags[3]));
        Expect.Error(s["add_tags_duplicate"], "DuplicateTagKeys");

        Expect.Error(s["delete_lb_protected"], "OperationNotPermitted", messageContains: "deletion protection");
        Expect.Ok(s["delete_listener"]);
        Expect.Ok(s["delete_lb"]);
        Expect.Ok(s["delete_tg"]);
        Expect.Error(s["describe_tg_after"], "TargetGroupNotFound");

        foreach (var (name, code) in new[] { ("unknown_action", "InvalidAction"), ("malformed", "MalformedQueryString") })
        {
            var raw = s[name]!;
            Assert.Equal(400, (int)raw["status"]!);
            Assert.Contains($"<Code>{code}</Code>", (string)raw["raw"]!, StringComparison.Ordinal);
            Assert.Contains("<Type>Sender</Type>", (string)raw["raw"]!, StringComparison.Ordinal);
            Assert.Contains($"<RequestId>{(string)raw["requestId"]!}</RequestId>", (string)raw["raw"]!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_AWS_CLI_creates_and_describes_load_balancers_target_groups_and_listeners_and_reads_errors()
    {
        var lb = (await Clients.AwsJsonAsync(Server, "elbv2", "create-load-balancer", "--name", "cli-lb", "--subnets", "subnet-1", "subnet-2", "--tags", "Key=via,Value=cli"))!["LoadBalancers"]![0]!;
        var lbArn = (string)lb["LoadBalancerArn"]!;
        Assert.Equal("active", (string?)lb["State"]!["Code"]);
        var tg = (await Clients.AwsJsonAsync(Server, "elbv2", "create-target-group", "--name", "cli-tg", "--protocol", "HTTP", "--port", "80", "--vpc-id", "vpc-1", "--target-type", "ip"))!["TargetGroups"]![0]!;
        var tgArn = (string)tg["TargetGroupArn"]!;
        var listener = (await Clients.AwsJsonAsync(Server, "elbv2", "create-listener", "--load-balancer-arn", lbArn, "--protocol", "HTTP", "--port", "80",
            "--default-actions", $"Type=forward,TargetGroupArn={tgArn}"))!["Listeners"]![0]!;
        Assert.Equal(tgArn, (string?)listener["DefaultActions"]![0]!["TargetGroupArn"]);
        Assert.Null(await Clients.AwsJsonAsync(Server, "elbv2", "register-targets", "--target-group-arn", tgArn, "--targets", "Id=10.1.2.3,Port=8080"));
        var health = (await Clients.AwsJsonAsync(Server, "elbv2", "describe-target-health", "--target-group-arn", tgArn))!["TargetHealthDescriptions"]![0]!;
        Assert.Equal("initial", (string?)health["TargetHealth"]!["State"]);
        Assert.Equal("cli-lb", (string?)(await Clients.AwsJsonAsync(Server, "elbv2", "describe-load-balancers", "--names", "cli-lb"))!["LoadBalancers"]![0]!["LoadBalancerName"]);
        Assert.Single((await Clients.AwsJsonAsync(Server, "elbv2", "describe-rules", "--listener-arn", (string)listener["ListenerArn"]!))!["Rules"]!.AsArray());

        var stderr = await Clients.AwsErrorAsync(Server, "TargetGroupNotFound", "DescribeTargetGroups", "elbv2", "describe-target-groups", "--names", "cli-none");
        Assert.Contains("cli-none", stderr, StringComparison.Ordinal);
        await Clients.AwsErrorAsync(Server, "DuplicateListener", "CreateListener", "elbv2", "create-listener", "--load-balancer-arn", lbArn, "--protocol", "HTTP", "--port", "80",
            "--default-actions", "Type=fixed-response,FixedResponseConfig={StatusCode=200}");
    }

    [Fact]
    public async Task What_was_acknowledged_survives_a_kill_9()
    {
        var lbArn = (string)(await Clients.AwsJsonAsync(Server, "elbv2", "create-load-balancer", "--name", "kill-lb", "--subnets", "subnet-1"))!["LoadBalancers"]![0]!["LoadBalancerArn"]!;
        var tgArn = (string)(await Clients.AwsJsonAsync(Server, "elbv2", "create-target-group", "--name", "kill-tg", "--protocol", "HTTP", "--port", "80", "--vpc-id", "vpc-1"))!["TargetGroups"]![0]!["TargetGroupArn"]!;
        var listenerArn = (string)(await Clients.AwsJsonAsync(Server, "elbv2", "create-listener", "--load-balancer-arn", lbArn, "--protocol", "HTTP", "--port", "8080",
            "--default-actions", $"Type=forward,TargetGroupArn={tgArn}"))!["Listeners"]![0]!["ListenerArn"]!;
        await Clients.AwsJsonAsync(Server, "elbv2", "create-rule", "--listener-arn", listenerArn, "--priority", "7", "--conditions", "Field=path-pattern,Values=/k/*",
            "--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=418}");
        await Clients.AwsJsonAsync(Server, "elbv2", "register-targets", "--target-group-arn", tgArn, "--targets", "Id=i-0123456789abcdef0", "Id=i-0123456789abcdef1");
        await Clients.AwsJsonAsync(Server, "elbv2", "deregister-targets", "--target-group-arn", tgArn, "--targets", "Id=i-0123456789abcdef1");
        await Clients.AwsJsonAsync(Server, "elbv2", "modify-target-group-attributes", "--target-group-arn", tgArn, "--attributes", "Key=slow_start.duration_seconds,Value=60");

        await fixture.KillAndRestartAsync();

        Assert.Equal("kill-lb", (string?)(await Clients.AwsJsonAsync(Server, "elbv2", "describe-load-balancers", "--load-balancer-arns", lbArn))!["LoadBalancers"]![0]!["LoadBalancerName"]);
        var rules = (await Clients.AwsJsonAsync(Server, "elbv2", "describe-rules", "--listener-arn", listenerArn))!["Rules"]!.AsArray();
        Assert.Equal(["7", "default"], rules.Select(r => (string)r!["Priority"]!));
        Assert.Equal("418", (string?)rules[0]!["Actions"]![0]!["FixedResponseConfig"]!["StatusCode"]);
        var health = (await Clients.AwsJsonAsync(Server, "elbv2", "describe-target-health", "--target-group-arn", tgArn))!["TargetHealthDescriptions"]!.AsArray();
        Assert.Equal(["i-0123456789abcdef0:initial", "i-0123456789abcdef1:draining"], health.Select(h => $"{h!["Target"]!["Id"]}:{h["TargetHealth"]!["State"]}"));
        var attributes = (await Clients.AwsJsonAsync(Server, "elbv2", "describe-target-group-attributes", "--target-group-arn", tgArn))!["Attributes"]!.AsArray();
        Assert.Contains(attributes, a => (string?)a!["Key"] == "slow_start.duration_seconds" && (string?)a["Value"] == "60");
    }

    [Fact]
    public async Task ECS_on_the_same_endpoint_still_speaks_JSON()
    {
        Assert.Contains("default", (await Clients.AwsJsonAsync(Server, "ecs", "list-clusters"))!["clusterArns"]!.ToJsonString(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Attributes(JsonNode response)
        => response["Attributes"]!.AsArray().ToDictionary(a => (string)a!["Key"]!, a => (string)a!["Value"]!);

    private static List<string> Health(JsonNode? result)
        => [.. Expect.Ok(result)["TargetHealthDescriptions"]!.AsArray().Select(d =>
            $"{d!["Target"]!["Id"]}:{d["Target"]!["Port"]}:{d["HealthCheckPort"]}:{d["TargetHealth"]!["State"]}:{d["TargetHealth"]!["Reason"]}:{d["TargetHealth"]!["Description"]}")];

    private static List<string> Tags(JsonNode? description)
        => [.. description!["Tags"]!.AsArray().Select(t => $"{t!["Key"]}={t["Value"]}")];
}
