using System.Net;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;
using Xunit.Abstractions;

namespace Berth.EndToEnd.Tests.Elb;

/// <summary>
/// The seeds' workflow to its end, with the AWS CLI as a user types it: a FARGATE service of two tasks behind an
/// Application Load Balancer (ip target group, listener on port 80 of the load balancer's DNS name), a rolling
/// deployment under steady load, a task failing its target group's health checks, a kill -9 of the server while
/// traffic flows, and a StopTask that drains the task's target before its container is stopped. Each test has a server of its own as a user starts it (local agent and FARGATE capacity).
/// </summary>
public sealed class LoadBalancedServiceTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Apart from the other classes' servers, which run at the same time with addresses of their own.
    private const string Addresses = "127.4.0.0/24";
    private readonly TempDir _dataDir = new("berth-e2e-elb-service-");
    private readonly string _runId = Guid.NewGuid().ToString("N")[..10];
    private readonly HashSet<string> _tasks = new(StringComparer.Ordinal);
    private BerthServer _server = null!;
    private TestImage _image = null!;

    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync("elbsvc-" + _runId);
        _server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--lb-addresses", Addresses]);
        _image = await image;
    }

    public async Task DisposeAsync()
    {
        // Every task this server ran, including replacements started after a test last listed them.
        if (!_server.HasExited)
        {
            foreach (var status in new[] { "RUNNING", "STOPPED" })
            {
                var listed = await Clients.AwsAsync(_server, "ecs", "list-tasks", "--cluster", "default", "--desired-status", status);
                if (listed.ExitCode == 0 && JsonNode.Parse(listed.Stdout)?["taskArns"] is JsonArray arns)
                {
                    _tasks.UnionWith(arns.Select(a => (string)a!));
                }
            }
        }

        await _server.DisposeAsync();
        foreach (var task in _tasks)
        {
            await DockerCli.RemoveContainersAsync("com.amazonaws.ecs.task-arn", task);
        }

        await TaskTestKit.RemoveLeftoversAsync([], _runId);
        await _image.DisposeAsync();
        _dataDir.Dispose();
    }

    private Task<JsonNode?> Aws(params string[] arguments) => Clients.AwsJsonAsync(_server, arguments);

    // A FARGATE revision whose container answers "REVISION HOSTNAME" on every path, and /health with 200 unless told not to.
    private async Task<string> DefineAsync(string family, string revision, bool healthy = true)
    {
        var health = healthy ? "cp /www/index.html /www/health && " : string.Empty;
        var containers = new JsonArray(new JsonObject
        {
            ["name"] = "web",
            ["image"] = _image.Name,
            ["essential"] = true,
            ["stopTimeout"] = 2,
            ["portMappings"] = new JsonArray(new JsonObject { ["containerPort"] = 8080, ["protocol"] = "tcp" }),
            ["command"] = new JsonArray("sh", "-c", $"mkdir -p /www && echo {revision} $(hostname) > /www/index.html && {health}exec httpd -f -p 8080 -h /www"),
        });
        var registered = await Aws("ecs", "register-task-definition", "--family", family, "--network-mode", "awsvpc", "--requires-compatibilities", "FARGATE",
            "--cpu", "256", "--memory", "512", "--container-definitions", containers.ToJsonString());
        return (string)registered!["taskDefinition"]!["taskDefinitionArn"]!;
    }

    // A load balancer with an ip target group (5 s checks of /health, 2 to turn healthy or unhealthy) behind port 80.
    private async Task<(string Dns, string Group)> LoadBalancerAsync(string name, int deregistrationDelay)
    {
        var lb = (await Aws("elbv2", "create-load-balancer", "--name", name, "--subnets", "subnet-a", "subnet-b"))!["LoadBalancers"]![0]!;
        var group = (string)(await Aws("elbv2", "create-target-group", "--name", name, "--protocol", "HTTP", "--port", "8080", "--vpc-id", "vpc-1",
            "--target-type", "ip", "--health-check-path", "/health", "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
            "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "2"))!["TargetGroups"]![0]!["TargetGroupArn"]!;
        await Aws("elbv2", "modify-target-group-attributes", "--target-group-arn", group, "--attributes", $"Key=deregistration_delay.timeout_seconds,Value={deregistrationDelay}");
        await Aws("elbv2", "create-listener", "--load-balancer-arn", (string)lb["LoadBalancerArn"]!, "--protocol", "HTTP", "--port", "80",
            "--default-actions", $"Type=forward,TargetGroupArn={group}");
        return ((string)lb["DNSName"]!, group);
    }

    private async Task CreateServiceAsync(string name, string definition, string group, int desired, int grace)
    {
        var created = await Aws("ecs", "create-service", "--cluster", "default", "--service-name", name, "--task-definition", definition,
            "--desired-count", desired.ToString(System.Globalization.CultureInfo.InvariantCulture), "--launch-type", "FARGATE",
            "--network-configuration", "awsvpcConfiguration={subnets=[subnet-a],assignPublicIp=DISABLED}",
            "--load-balancers", $"targetGroupArn={group},containerName=web,containerPort=8080",
            "--health-check-grace-period-seconds", grace.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--deployment-configuration", "maximumPercent=200,minimumHealthyPercent=100");
        var lb = created!["service"]!["loadBalancers"]![0]!;
        Assert.Equal((group, "web", 8080), ((string?)lb["targetGroupArn"], (string?)lb["containerName"], (int?)lb["containerPort"]));
    }

    private async Task<JsonNode> ServiceAsync(string name)
        => (await Aws("ecs", "describe-services", "--cluster", "default", "--services", name))!["services"]![0]!;

    private async Task<List<(string Id, string State)>> TargetsAsync(string group)
        => [.. (await Aws("elbv2", "describe-target-health", "--target-group-arn", group))!["TargetHealthDescriptions"]!.AsArray()
            .Select(t => ((string)t!["Target"]!["Id"]!, (string)t["TargetHealth"]!["State"]!))];

    private async Task<List<string>> RunningTasksAsync(string service)
    {
        var arns = (await Aws("ecs", "list-tasks", "--cluster", "default", "--service-name", service, "--desired-status", "RUNNING"))!["taskArns"]!.AsArray().Select(a => (string)a!).ToList();
        _tasks.UnionWith(arns);
        return arns;
    }

    private async Task WaitSteadyAsync(string service, string group, int count)
    {
        JsonNode? seen = null;
        await Poll.UntilAsync(async () =>
        {
            seen = await ServiceAsync(service);
            var targets = await TargetsAsync(group);
            return (string?)seen["deployments"]![0]!["rolloutState"] == "COMPLETED" && seen["deployments"]!.AsArray().Count == 1
                && (int?)seen["runningCount"] == count && targets.Count(t => t.State == "healthy") == count && targets.Count == count;
        }, TimeSpan.FromSeconds(120), () => $"service never steady behind its target group: {seen}");
        await RunningTasksAsync(service);
    }

    [Fact]
    public async Task A_service_of_two_behind_the_load_balancer_answers_and_deploys_under_load_with_no_failed_request()
    {
        var (dns, group) = await LoadBalancerAsync("seeds", deregistrationDelay: 3);
        Assert.True(IPAddress.TryParse(dns, out _), dns);
        await CreateServiceAsync("seeds", await DefineAsync("seeds", "v1"), group, desired: 2, grace: 60);
        await WaitSteadyAsync("seeds", group, 2);

        // Both tasks answer through the load balancer's DNS name, each registered by its own address.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var answers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 8; i++)
        {
            using var response = await http.GetAsync($"http://{dns}/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answers.Add((await response.Content.ReadAsStringAsync()).Trim());
        }

        Assert.Equal(2, answers.Count);
        Assert.All(answers, a => Assert.StartsWith("v1 ", a, StringComparison.Ordinal));
        var events = (await ServiceAsync("seeds"))["events"]!.AsArray().Select(e => (string)e!["message"]!).ToList();
        Assert.Contains(events, e => e.StartsWith("(service seeds) registered ", StringComparison.Ordinal) && e.EndsWith($"targets in (target-group {group})", StringComparison.Ordinal));

        // A rolling deployment while four clients loop for its whole length: not one failed request.
        var old = await RunningTasksAsync("seeds");
        using var load = new LoadLoop(dns, clients: 4);
        await Aws("ecs", "update-service", "--cluster", "default", "--service", "seeds", "--task-definition", await DefineAsync("seeds", "v2"));
        await Poll.UntilAsync(async () =>
        {
            var tasks = await RunningTasksAsync("seeds");
            return tasks.Count == 2 && !tasks.Intersect(old).Any() && load.LastBody.StartsWith("v2 ", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(150), () => $"deployment never replaced the tasks; {load}");
        await WaitSteadyAsync("seeds", group, 2);

        // The old tasks drain and stop; requests keep flowing until then.
        await Poll.UntilAsync(async () =>
        {
            var described = await Aws(["ecs", "describe-tasks", "--cluster", "default", "--tasks", .. old]);
            return described!["tasks"]!.AsArray().All(t => (string?)t!["lastStatus"] == "STOPPED");
        }, TimeSpan.FromSeconds(60), () => "old tasks never stopped");
        var result = await load.StopAsync();
        output.WriteLine($"rolling deployment under load: {result}");
        Assert.True(result.Errors == 0 && result.NotOk == 0 && result.Ok > 100, result.ToString());
        Assert.Contains("v1", result.Revisions);
        Assert.Contains("v2", result.Revisions);

        var described = await Aws(["ecs", "describe-tasks", "--cluster", "default", "--tasks", .. old]);
        Assert.All(described!["tasks"]!.AsArray(), t => Assert.StartsWith("Scaling activity initiated by (deployment ", (string?)t!["stoppedReason"], StringComparison.Ordinal));
        events = (await ServiceAsync("seeds"))["events"]!.AsArray().Select(e => (string)e!["message"]!).ToList();
        Assert.Contains(events, e => e.StartsWith("(service seeds) has begun draining connections on ", StringComparison.Ordinal));
        Assert.Contains(events, e => e.StartsWith("(service seeds) deregistered ", StringComparison.Ordinal) && e.Contains(group, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_task_failing_its_target_groups_health_checks_is_replaced()
    {
        var (_, group) = await LoadBalancerAsync("sick", deregistrationDelay: 0);
        await CreateServiceAsync("sick", await DefineAsync("sick", "v1", healthy: false), group, desired: 1, grace: 0);

        // /health answers 404: two failed checks make the target unhealthy, and ECS replaces the task.
        JsonNode? stopped = null;
        await Poll.UntilAsync(async () =>
        {
            var arns = (await Aws("ecs", "list-tasks", "--cluster", "default", "--service-name", "sick", "--desired-status", "STOPPED"))!["taskArns"]!.AsArray();
            if (arns.Count == 0)
            {
                return false;
            }

            _tasks.UnionWith(arns.Select(a => (string)a!));
            stopped = (await Aws("ecs", "describe-tasks", "--cluster", "default", "--tasks", (string)arns[0]!))!["tasks"]![0]!;
            return true;
        }, TimeSpan.FromSeconds(90), () => "the unhealthy task was never stopped");
        Assert.Equal($"Task failed ELB health checks in (target-group {group})", (string?)stopped!["stoppedReason"]);
        Assert.Equal("ServiceSchedulerInitiated", (string?)stopped["stopCode"]);

        var events = (await ServiceAsync("sick"))["events"]!.AsArray().Select(e => (string)e!["message"]!).ToList();
        Assert.Contains(events, e => e.StartsWith("(service sick) (port 8080) is unhealthy in (target-group " + group + ") due to (reason Health checks failed with these codes: [404])", StringComparison.Ordinal));
        await Poll.UntilAsync(async () => (await RunningTasksAsync("sick")).Count == 1, TimeSpan.FromSeconds(60), () => "no replacement started");
        await Aws("ecs", "update-service", "--cluster", "default", "--service", "sick", "--desired-count", "0");
    }

    // One server for both (a steady service of two behind a load balancer is what each needs; it keeps the class quick).
    [Fact]
    public async Task After_a_kill_9_traffic_resumes_to_the_same_targets_and_StopTask_drains_a_task_before_stopping_it()
    {
        var (dns, group) = await LoadBalancerAsync("durable", deregistrationDelay: 3);
        await CreateServiceAsync("durable", await DefineAsync("durable", "v1"), group, desired: 2, grace: 60);
        await WaitSteadyAsync("durable", group, 2);
        var tasks = await RunningTasksAsync("durable");
        var targets = (await TargetsAsync(group)).Select(t => t.Id).Order().ToList();

        using var load = new LoadLoop(dns, clients: 2);
        await Poll.UntilAsync(() => load.Ok > 20, TimeSpan.FromSeconds(30), () => load.ToString());
        var port = _server.Port;
        await _server.KillAsync();
        _server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--lb-addresses", Addresses], port: port);
        var before = load.Ok;
        await Poll.UntilAsync(() => load.Ok > before + 50, TimeSpan.FromSeconds(60), () => $"traffic never resumed: {load}");
        output.WriteLine($"kill -9 under load: {await load.StopAsync()}");

        // No target lost, no task replaced.
        Assert.Equal(targets, (await TargetsAsync(group)).Select(t => t.Id).Order().ToList());
        Assert.Equal(tasks.Order().ToList(), (await RunningTasksAsync("durable")).Order().ToList());
        await WaitSteadyAsync("durable", group, 2);
        await StopTaskDrainsFirstAsync(dns, group, tasks[0]);
    }

    // StopTask of a task behind the load balancer: DEACTIVATING while its target drains (the container still runs,
    // traffic goes to the other task without a failed request), then STOPPED with the user's reason. boto3 watches from
    // one process, every 0.1 s, finer than the 5 s deregistration delay (a CLI call each time would not be).
    private async Task StopTaskDrainsFirstAsync(string dns, string group, string victim)
    {
        await Aws("elbv2", "modify-target-group-attributes", "--target-group-arn", group, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=5");
        var container = (await Aws("ecs", "describe-tasks", "--cluster", "default", "--tasks", victim))!["tasks"]![0]!["containers"]![0]!;
        var address = (string)container["networkInterfaces"]![0]!["privateIpv4Address"]!;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var victimBody = (await http.GetStringAsync($"http://{address}:8080/")).Trim();

        using var load = new LoadLoop(dns, clients: 2);
        await Poll.UntilAsync(() => load.Ok > 20, TimeSpan.FromSeconds(30), () => load.ToString());
        var watched = await Clients.PythonAsync(_server, "stop_task_drain.py", ["default", victim, group, address, "8080", dns, "maintenance window"], timeout: TimeSpan.FromSeconds(120));
        var result = await load.StopAsync();
        output.WriteLine($"StopTask watched: {watched.ToJsonString()}");
        output.WriteLine($"StopTask under load: {result}");

        Assert.Equal(new[] { "DEACTIVATING", "STOPPED" }, watched["stop_response"]!.AsArray().Select(s => (string)s!));
        // lastStatus goes DEACTIVATING (target draining) → STOPPING → STOPPED, never back to RUNNING.
        var timeline = watched["timeline"]!.AsArray().Select(t => ((string)t![0]!, (string?)t[1])).ToList();
        var statuses = timeline.Select(t => t.Item1).Distinct().ToList();
        Assert.True(statuses[0] == "DEACTIVATING" && statuses[^1] == "STOPPED" && !statuses.Contains("RUNNING"), string.Join(" ", timeline));
        Assert.Contains(("DEACTIVATING", "draining"), timeline);
        Assert.DoesNotContain(timeline, t => t.Item1 is "STOPPING" or "STOPPED" && t.Item2 is "healthy" or "initial");

        // While it drained: its container still answered (no stop signal yet), the load balancer sent nothing to it.
        Assert.True((int)watched["task_answers_while_draining"]! > 0, watched.ToJsonString());
        var bodies = watched["lb_bodies_while_draining"]!.AsArray().Select(b => (string)b!).ToList();
        Assert.NotEmpty(bodies);
        Assert.DoesNotContain(victimBody, bodies);
        Assert.Empty(watched["lb_failed"]!.AsArray());
        Assert.True(result.Errors == 0 && result.NotOk == 0, result.ToString());

        var stopped = watched["stopped"]!;
        Assert.Equal(("STOPPED", "maintenance window", "UserInitiated"), ((string?)stopped["lastStatus"], (string?)stopped["stoppedReason"], (string?)stopped["stopCode"]));
    }

    /// <summary>Clients looping GET / through the load balancer with keep-alive, counting what they get.</summary>
    private sealed class LoadLoop : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
        private readonly Task[] _clients;
        private readonly HashSet<string> _revisions = new(StringComparer.Ordinal);
        private readonly List<string> _failures = [];
        private long _ok;
        private long _notOk;
        private long _errors;

        public LoadLoop(string dns, int clients)
        {
            _clients = [.. Enumerable.Range(0, clients).Select(_ => Task.Run(() => LoopAsync(new Uri($"http://{dns}/"))))];
        }

        public long Ok => Interlocked.Read(ref _ok);

        public string LastBody { get; private set; } = string.Empty;

        public async Task<LoadResult> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_clients);
            lock (_revisions)
            {
                return new LoadResult(Ok, Interlocked.Read(ref _notOk), Interlocked.Read(ref _errors), [.. _revisions], [.. _failures.Take(5)]);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _http.Dispose();
            _stop.Dispose();
        }

        public override string ToString() => $"ok {Ok}, not ok {Interlocked.Read(ref _notOk)}, errors {Interlocked.Read(ref _errors)}, last '{LastBody}'";

        private async Task LoopAsync(Uri uri)
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await _http.GetAsync(uri, _stop.Token);
                    var body = (await response.Content.ReadAsStringAsync(_stop.Token)).Trim();
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref _ok);
                        LastBody = body;
                        lock (_revisions)
                        {
                            _revisions.Add(body.Split(' ')[0]);
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref _notOk);
                        Fail($"{(int)response.StatusCode} {body}");
                    }
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    Interlocked.Increment(ref _errors);
                    Fail(e.Message);
                    await Task.Delay(100);
                }
            }
        }

        private void Fail(string what)
        {
            lock (_revisions)
            {
                _failures.Add($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {what}");
            }
        }
    }

    private sealed record LoadResult(long Ok, long NotOk, long Errors, List<string> Revisions, List<string> FirstFailures)
    {
        public override string ToString() => $"ok {Ok}, not ok {NotOk}, errors {Errors}, revisions [{string.Join(", ", Revisions)}], first failures: {string.Join(" | ", FirstFailures)}";
    }
}
