using System.Net;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Elb;

/// <summary>
/// Traffic through Berth's load balancer, set up with the AWS CLI exactly as on AWS: two busybox httpd containers
/// registered as ip targets behind an HTTP listener on port 80 of the load balancer's own address (its DNSName).
/// </summary>
public sealed class ElbTrafficTests : IAsyncLifetime
{
    // Apart from the other classes' servers, which run at the same time with addresses of their own.
    private const string Addresses = "127.3.0.0/24";
    private readonly TempDir _dataDir = new("berth-e2e-elb-traffic-");
    private readonly string _label = "berth-e2e-elb-" + Guid.NewGuid().ToString("N")[..8];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private BerthServer _server = null!;
    private TestImage _image = null!;

    public async Task InitializeAsync()
    {
        _server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-local-agent", "--no-fargate", "--lb-addresses", Addresses]);
        _image = await TestImage.BuildAsync("elb-" + _label[^8..]);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await DockerCli.RemoveContainersAsync("berth-e2e-elb", _label);
        await _server.DisposeAsync();
        await _image.DisposeAsync();
        _dataDir.Dispose();
    }

    private Task<JsonNode?> Aws(params string[] arguments) => Clients.AwsJsonAsync(_server, ["elbv2", .. arguments]);

    // A backend answering "NAME" on every path, published on a loopback port of the host; returns that port.
    private async Task<int> BackendAsync(string name)
    {
        var id = (await DockerCli.OkAsync("run", "-d", "--label", $"berth-e2e-elb={_label}", "-p", "127.0.0.1::8000", _image.Name,
            "sh", "-c", $"mkdir -p /www && echo {name} > /www/index.html && cp /www/index.html /www/health && exec httpd -f -p 8000 -h /www")).Trim();
        var ports = (await DockerCli.InspectAsync(id))["NetworkSettings"]!["Ports"]!["8000/tcp"]![0]!;
        return int.Parse((string)ports["HostPort"]!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string url)
    {
        using var response = await _http.GetAsync(url);
        return (response.StatusCode, (await response.Content.ReadAsStringAsync()).Trim());
    }

    [Fact]
    public async Task Requests_to_the_DNS_name_reach_healthy_targets_round_robin_and_rules_answer_on_their_own()
    {
        var lb = (await Aws("create-load-balancer", "--name", "traffic", "--subnets", "subnet-a", "subnet-b"))!["LoadBalancers"]![0]!;
        var dns = (string)lb["DNSName"]!;
        Assert.True(IPAddress.TryParse(dns, out var address), dns);
        Assert.True(IPNetwork.Parse(Addresses).Contains(address!), dns);

        var group = (string)(await Aws("create-target-group", "--name", "web", "--protocol", "HTTP", "--port", "8000", "--vpc-id", "vpc-1",
            "--target-type", "ip", "--health-check-path", "/health", "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2", "--healthy-threshold-count", "2"))!["TargetGroups"]![0]!["TargetGroupArn"]!;
        // Long enough that the CLI's next call still sees the target draining on a loaded machine (a 5 s delay was
        // over before it under a load average of 25); nothing here waits for the delay to end.
        await Aws("modify-target-group-attributes", "--target-group-arn", group, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=30");
        var listener = (string)(await Aws("create-listener", "--load-balancer-arn", (string)lb["LoadBalancerArn"]!, "--protocol", "HTTP", "--port", "80",
            "--default-actions", $"Type=forward,TargetGroupArn={group}"))!["Listeners"]![0]!["ListenerArn"]!;
        await Aws("create-rule", "--listener-arn", listener, "--priority", "10", "--conditions", "Field=path-pattern,Values=/fixed*",
            "--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=418,ContentType=text/plain,MessageBody=teapot}");

        // No targets yet: ALB's 503.
        await Poll.UntilAsync(async () => (await TryGetAsync($"http://{dns}/")).Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), () => "no 503 before targets");

        var a = await BackendAsync("alpha");
        var b = await BackendAsync("beta");
        await Aws("register-targets", "--target-group-arn", group, "--targets", $"Id=127.0.0.1,Port={a}", $"Id=127.0.0.1,Port={b}");
        JsonNode? health = null;
        await Poll.UntilAsync(async () =>
        {
            health = await Aws("describe-target-health", "--target-group-arn", group);
            return health!["TargetHealthDescriptions"]!.AsArray().All(t => (string?)t!["TargetHealth"]!["State"] == "healthy");
        }, TimeSpan.FromSeconds(60), () => $"targets never healthy: {health}");

        var bodies = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var (status, body) = await GetAsync($"http://{dns}/");
            Assert.Equal(HttpStatusCode.OK, status);
            bodies.Add(body);
        }

        Assert.Equal(["alpha", "beta"], bodies.Distinct().Order());
        Assert.Equal((HttpStatusCode)418, (await GetAsync($"http://{dns}/fixed/x")).Status);
        Assert.Equal("teapot", (await GetAsync($"http://{dns}/fixed/x")).Body);

        // Deregistered: draining for the delay, then gone; traffic goes to the other target only.
        await Aws("deregister-targets", "--target-group-arn", group, "--targets", $"Id=127.0.0.1,Port={a}");
        var draining = (await Aws("describe-target-health", "--target-group-arn", group, "--targets", $"Id=127.0.0.1,Port={a}"))!["TargetHealthDescriptions"]![0]!["TargetHealth"]!;
        Assert.Equal("draining", (string?)draining["State"]);
        await Poll.UntilAsync(async () =>
        {
            var answers = new List<string>();
            for (var i = 0; i < 4; i++)
            {
                answers.Add((await GetAsync($"http://{dns}/")).Body);
            }

            return answers.All(x => x == "beta");
        }, TimeSpan.FromSeconds(30), () => "traffic still reached the deregistered target");
    }

    private async Task<(HttpStatusCode Status, string Body)> TryGetAsync(string url)
    {
        try
        {
            return await GetAsync(url);
        }
        catch (HttpRequestException)
        {
            return (0, string.Empty);
        }
    }
}
