using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;
using Berth.Tests.Shared;
using Xunit.Abstractions;

namespace Berth.EndToEnd.Tests.SeveralServers;

/// <summary>
/// Several <c>./berth server</c> processes on one real PostgreSQL (a cluster made by the test with initdb and pg_ctl):
/// a write answered by one of three is read at once on the others, revisions registered on two are gapless, logs,
/// metrics and alarms put through one are read through another, a layer upload moves between them, the controllers
/// run on one server at a time, killing that server with SIGKILL mid-rollout lets another finish the rollout while the
/// agent moves over to it, and an Auto Scaling instance hosted by a server that died is replaced once.
/// </summary>
public sealed class SeveralServersTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _runId = Guid.NewGuid().ToString("N")[..10];
    private readonly List<TempDir> _dirs = [];
    private readonly List<BerthServer> _servers = [];
    private readonly List<EcsSession> _sessions = [];
    private PostgresServer _postgres = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var session in _sessions)
        {
            await session.DisposeAsync();
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        foreach (var dir in _dirs)
        {
            dir.Dispose();
        }

        await _postgres.DisposeAsync();
    }

    private async Task<BerthServer> ServerAsync(string database, params string[] more)
    {
        var dir = new TempDir("berth-e2e-ha-");
        _dirs.Add(dir);
        var server = await BerthServer.StartAsync(dir.Path, extraArguments: ["--no-local-agent", "--no-fargate", "--database", database, .. more]);
        _servers.Add(server);
        return server;
    }

    private EcsSession Session(BerthServer server)
    {
        var session = EcsSession.Start(server);
        _sessions.Add(session);
        return session;
    }

    // The lines of the one-container task's awslogs stream (web/app/TASK-ID in /ecs/ha), through the AWS CLI.
    private static async Task<List<string>> LinesAsync(BerthServer server, string taskArn)
    {
        var result = await Clients.AwsAsync(server, "logs", "get-log-events", "--log-group-name", "/ecs/ha", "--log-stream-name", "web/app/" + taskArn[(taskArn.LastIndexOf('/') + 1)..], "--start-from-head");
        if (result.ExitCode != 0)
        {
            // Not shipped yet: the group or the stream is made with the first line.
            Assert.True(result.Stderr.Contains("ResourceNotFoundException", StringComparison.Ordinal), result.ToString());
            return [];
        }

        return [.. JsonNode.Parse(result.Stdout)!["events"]!.AsArray().Select(e => (string)e!["message"]!)];
    }

    private static bool Leads(BerthServer server) => server.Stdout.Contains("Leading controller group controllers", StringComparison.Ordinal);

    [Fact]
    public async Task AWriteOnOneServerIsReadAtOnceOnAnotherAndRevisionsRegisteredOnBothAreGapless()
    {
        var database = await _postgres.CreateDatabaseAsync();
        var blobs = new TempDir("berth-e2e-ha-blobs-");
        _dirs.Add(blobs);
        var a = await ServerAsync(database, "--registry-blobs", blobs.Path);
        var b = await ServerAsync(database, "--registry-blobs", blobs.Path);
        var c = await ServerAsync(database, "--registry-blobs", blobs.Path);

        // The AWS CLI against each of three: a cluster created through one is described through the others with no
        // wait, then changed through the next.
        BerthServer[] servers = [a, b, c];
        for (var i = 0; i < 6; i++)
        {
            var (writer, reader, other) = (servers[i % 3], servers[(i + 1) % 3], servers[(i + 2) % 3]);
            var arn = (string)(await Clients.AwsJsonAsync(writer, "ecs", "create-cluster", "--cluster-name", $"web{i}"))!["cluster"]!["clusterArn"]!;
            foreach (var server in new[] { reader, other })
            {
                var described = await Clients.AwsJsonAsync(server, "ecs", "describe-clusters", "--clusters", $"web{i}");
                Assert.Equal("ACTIVE", (string?)described!["clusters"]![0]!["status"]);
            }

            await Clients.AwsJsonAsync(reader, "ecs", "tag-resource", "--resource-arn", arn, "--tags", $"key=by,value={i}");
            var tags = await Clients.AwsJsonAsync(other, "ecs", "list-tags-for-resource", "--resource-arn", arn);
            Assert.Equal($"{i}", (string?)tags!["tags"]![0]!["value"]);
        }

        // boto3 on two at once: 2 × 15 registrations of one family get revisions 1..30, each once.
        var definition = new JsonObject
        {
            ["family"] = "shared",
            ["containerDefinitions"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "busybox", ["memory"] = 64 }),
        };
        async Task<List<int>> RegisterAsync(EcsSession session)
        {
            var revisions = new List<int>();
            for (var i = 0; i < 15; i++)
            {
                var registered = await session.OkAsync("register_task_definition", definition.DeepClone());
                revisions.Add((int)registered["taskDefinition"]!["revision"]!);
            }

            return revisions;
        }

        var both = await Task.WhenAll(RegisterAsync(Session(a)), RegisterAsync(Session(b)));
        Assert.Equal(Enumerable.Range(1, 30), both.SelectMany(r => r).Order());

        // The registry's metadata is shared too: a repository created on one is described on the other.
        await Clients.AwsJsonAsync(b, "ecr", "create-repository", "--repository-name", "shared-app");
        var repositories = await Clients.AwsJsonAsync(a, "ecr", "describe-repositories", "--repository-names", "shared-app");
        Assert.Equal("shared-app", (string?)repositories!["repositories"]![0]!["repositoryName"]);

        // CloudWatch Logs too: a group made through one, events put through the other, read back through the first.
        await Clients.AwsJsonAsync(a, "logs", "create-log-group", "--log-group-name", "/shared/app");
        await Clients.AwsJsonAsync(b, "logs", "create-log-stream", "--log-group-name", "/shared/app", "--log-stream-name", "s");
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Clients.AwsJsonAsync(b, "logs", "put-log-events", "--log-group-name", "/shared/app", "--log-stream-name", "s", "--log-events", $"timestamp={at},message=one", $"timestamp={at + 1},message=two");
        var logged = await Clients.AwsJsonAsync(a, "logs", "get-log-events", "--log-group-name", "/shared/app", "--log-stream-name", "s", "--start-from-head");
        Assert.Equal(["one", "two"], logged!["events"]!.AsArray().Select(e => (string?)e!["message"]));

        // Metrics are exchanged: a datum put through each is counted once through either, after an exchange or two
        // (eventually, as CloudWatch's own).
        var metricAt = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        await Clients.AwsJsonAsync(a, "cloudwatch", "put-metric-data", "--namespace", "Berth/HA", "--metric-name", "Jobs", "--value", "4", "--unit", "Count", "--timestamp", metricAt);
        await Clients.AwsJsonAsync(b, "cloudwatch", "put-metric-data", "--namespace", "Berth/HA", "--metric-name", "Jobs", "--value", "6", "--unit", "Count", "--timestamp", metricAt);
        foreach (var server in new[] { a, b })
        {
            (double Sum, double Count) seen = default;
            await Poll.UntilAsync(
                async () =>
                {
                    var stats = await Clients.AwsJsonAsync(
                        server, "cloudwatch", "get-metric-statistics", "--namespace", "Berth/HA", "--metric-name", "Jobs",
                        "--start-time", DateTimeOffset.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                        "--end-time", DateTimeOffset.UtcNow.AddMinutes(5).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                        "--period", "60", "--statistics", "Sum", "SampleCount");
                    var points = stats!["Datapoints"]!.AsArray();
                    seen = (points.Sum(p => (double)p!["Sum"]!), points.Sum(p => (double)p!["SampleCount"]!));
                    return seen == (10, 2);
                },
                TimeSpan.FromSeconds(30),
                () => $"{server.Endpoint} saw sum {seen.Sum} of {seen.Count} values, not 10 of 2");
        }

        // So are alarms: one made through one server is described (and evaluated) through the other.
        await Clients.AwsJsonAsync(
            b, "cloudwatch", "put-metric-alarm", "--alarm-name", "jobs-high", "--namespace", "Berth/HA", "--metric-name", "Jobs",
            "--statistic", "Sum", "--period", "60", "--evaluation-periods", "1", "--threshold", "100", "--comparison-operator", "GreaterThanThreshold");
        await Poll.UntilAsync(
            async () => (await Clients.AwsJsonAsync(a, "cloudwatch", "describe-alarms", "--alarm-names", "jobs-high"))!["MetricAlarms"]!.AsArray().Count == 1,
            TimeSpan.FromSeconds(30),
            () => "the alarm made through one server never reached the other");

        // A layer upload moves between them, as behind a load balancer: started on one, a chunk through the other,
        // finished on the first, and the blob is there on the second.
        var token = (string)(await Clients.AwsJsonAsync(a, "ecr", "get-authorization-token"))!["authorizationData"]![0]!["authorizationToken"]!;
        using var http = new HttpClient();
        async Task<HttpResponseMessage> SendAsync(HttpMethod method, BerthServer server, string path, string? body = null)
        {
            using var request = new HttpRequestMessage(method, new Uri(server.Endpoint + path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", token);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            }

            return await http.SendAsync(request);
        }

        using var started = await SendAsync(HttpMethod.Post, a, "/v2/shared-app/blobs/uploads/");
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        using var chunk = await SendAsync(HttpMethod.Patch, b, started.Headers.Location!.OriginalString, "hello ");
        Assert.Equal(HttpStatusCode.Accepted, chunk.StatusCode);
        Assert.Equal("0-5", chunk.Headers.GetValues("Range").Single());
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData("hello world"u8));
        using var finished = await SendAsync(HttpMethod.Put, a, chunk.Headers.Location!.OriginalString + "?digest=" + digest, "world");
        Assert.Equal(HttpStatusCode.Created, finished.StatusCode);
        using var blob = await SendAsync(HttpMethod.Get, b, "/v2/shared-app/blobs/" + digest);
        Assert.Equal(HttpStatusCode.OK, blob.StatusCode);
        Assert.Equal("hello world", await blob.Content.ReadAsStringAsync());

        // One of them runs the controllers.
        await Poll.UntilAsync(() => servers.Any(Leads), TimeSpan.FromSeconds(60), () => "no server leads the controllers");
        Assert.True(servers.Count(Leads) == 1, $"more than one leads:\n{a.Stdout}\n{b.Stdout}\n{c.Stdout}");
    }

    [Fact]
    public async Task KillingTheLeadingServerMidRolloutLetsAnotherFinishItWithNoDuplicateTask()
    {
        await using var image = await TestImage.BuildAsync("ha-" + _runId);
        var database = await _postgres.CreateDatabaseAsync();
        var leader = await ServerAsync(database, "--leader-lease", "3");
        await Poll.UntilAsync(() => Leads(leader), TimeSpan.FromSeconds(60), () => $"the first server never led:\n{leader.Stdout}");
        var follower = await ServerAsync(database, "--leader-lease", "3", "--service-resync", "1");
        var ecs = Session(follower);
        await ecs.OkAsync("create_cluster", new JsonObject { ["clusterName"] = "ha" });

        // The agent starts on the leader and knows the follower too: when the leader goes, it moves there.
        var agentDir = new TempDir("berth-e2e-ha-agent-");
        _dirs.Add(agentDir);
        await using var agent = await BerthAgent.StartAsync(leader, "ha", agentDir.Path, endpoints: $"{leader.Endpoint},{follower.Endpoint}");
        var instance = agent.ContainerInstanceArn!;
        try
        {
            JsonObject Definition(string version) => new()
            {
                ["family"] = "ha-app",
                ["containerDefinitions"] = new JsonArray(new JsonObject
                {
                    ["name"] = "app",
                    ["image"] = image.Name,
                    ["memory"] = 32,
                    ["command"] = new JsonArray("sh", "-c", "echo version-$VERSION; exec sleep 3600"),
                    ["environment"] = new JsonArray(new JsonObject { ["name"] = "VERSION", ["value"] = version }),
                    ["dockerLabels"] = new JsonObject { ["berth.e2e.run"] = _runId },
                    ["logConfiguration"] = new JsonObject
                    {
                        ["logDriver"] = "awslogs",
                        ["options"] = new JsonObject { ["awslogs-group"] = "/ecs/ha", ["awslogs-region"] = Clients.Region, ["awslogs-stream-prefix"] = "web", ["awslogs-create-group"] = "true" },
                    },
                }),
            };
            var first = (string)(await ecs.OkAsync("register_task_definition", Definition("1")))["taskDefinition"]!["taskDefinitionArn"]!;
            var second = (string)(await ecs.OkAsync("register_task_definition", Definition("2")))["taskDefinition"]!["taskDefinitionArn"]!;
            await ecs.OkAsync("create_service", new JsonObject
            {
                ["cluster"] = "ha",
                ["serviceName"] = "web",
                ["taskDefinition"] = first,
                ["desiredCount"] = 2,
                ["deploymentConfiguration"] = new JsonObject { ["minimumHealthyPercent"] = 50, ["maximumPercent"] = 100 },
            });
            await WaitServiceAsync(ecs, first, TimeSpan.FromSeconds(120));

            // The first tasks' output, shipped by the agent through the leader (read there before it dies).
            var firstTasks = (await ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = "ha", ["serviceName"] = "web" }))["taskArns"]!.AsArray().Select(t => (string)t!).ToList();
            foreach (var task in firstTasks)
            {
                await Poll.UntilAsync(async () => (await LinesAsync(leader, task)).Count == 1, TimeSpan.FromSeconds(30), () => $"{task}'s output never reached the leader");
            }

            // The rollout begins on the leader's controller; the leader dies with it under way.
            await ecs.OkAsync("update_service", new JsonObject { ["cluster"] = "ha", ["service"] = "web", ["taskDefinition"] = second });
            var killed = Stopwatch.StartNew();
            await leader.KillAsync();
            await Poll.UntilAsync(() => Leads(follower), TimeSpan.FromSeconds(60), () => $"the follower never took over:\n{follower.Stdout}");
            output.WriteLine($"failover: the follower led {killed.Elapsed.TotalSeconds:F1} s after the leader's SIGKILL (lease 3 s)");

            await WaitServiceAsync(ecs, second, TimeSpan.FromSeconds(120));
            var connected = await ecs.InstanceAsync("ha", instance);
            Assert.True((bool)connected["agentConnected"]!, connected.ToJsonString());

            // No duplicate: two tasks of each revision were ever started, and two run now, both of the new one.
            var listed = new List<string>();
            foreach (var status in new[] { "RUNNING", "STOPPED" })
            {
                var arns = (await ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = "ha", ["serviceName"] = "web", ["desiredStatus"] = status }))["taskArns"]!.AsArray();
                listed.AddRange(arns.Select(t => (string)t!));
            }

            var tasks = (await ecs.OkAsync("describe_tasks", new JsonObject { ["cluster"] = "ha", ["tasks"] = new JsonArray([.. listed.Distinct(StringComparer.Ordinal).Select(t => (JsonNode)t)]) }))["tasks"]!.AsArray();
            Assert.Equal(2, tasks.Count(t => (string?)t!["taskDefinitionArn"] == first));
            Assert.Equal(2, tasks.Count(t => (string?)t!["taskDefinitionArn"] == second));
            Assert.Equal(2, tasks.Count(t => (string?)t!["lastStatus"] == "RUNNING"));

            // Every task's output is read through the survivor, once: the old tasks' was shipped through the server
            // that died, the new ones' through the one that lives.
            foreach (var task in tasks)
            {
                var arn = (string)task!["taskArn"]!;
                var expected = (string?)task["taskDefinitionArn"] == first ? "version-1" : "version-2";
                await Poll.UntilAsync(async () => (await LinesAsync(follower, arn)).Count > 0, TimeSpan.FromSeconds(30), () => $"{arn}'s output never reached the follower");
                Assert.Equal([expected], await LinesAsync(follower, arn));
            }
        }
        finally
        {
            // The agent first: left running, it would start the service's replacements for the containers removed.
            await agent.DisposeAsync();
            await TaskTestKit.RemoveLeftoversAsync([instance], _runId);
        }
    }

    [Fact]
    public async Task AnAgentWhoseServerDiedWithTheChannelOpenIsDisconnectedAndItsTasksLost()
    {
        await using var image = await TestImage.BuildAsync("ha-gone-" + _runId);
        var database = await _postgres.CreateDatabaseAsync();
        var doomed = await ServerAsync(database, "--leader-lease", "3", "--agent-lost-after", "5");
        await Poll.UntilAsync(() => Leads(doomed), TimeSpan.FromSeconds(60), () => $"the first server never led:\n{doomed.Stdout}");
        var survivor = await ServerAsync(database, "--leader-lease", "3", "--agent-lost-after", "5");
        var ecs = Session(survivor);
        await ecs.OkAsync("create_cluster", new JsonObject { ["clusterName"] = "ha-gone" });

        // The agent knows only the server that will die.
        var agentDir = new TempDir("berth-e2e-ha-agent-");
        _dirs.Add(agentDir);
        await using var agent = await BerthAgent.StartAsync(doomed, "ha-gone", agentDir.Path);
        var instance = agent.ContainerInstanceArn!;
        try
        {
            await RegisterSleeperAsync(ecs, "ha-gone", image.Name);
            var started = await ecs.OkAsync("start_task", new JsonObject { ["cluster"] = "ha-gone", ["taskDefinition"] = "ha-gone", ["containerInstances"] = new JsonArray(instance) });
            var task = (string)started["tasks"]![0]!["taskArn"]!;
            await ecs.WaitStatusAsync("ha-gone", task, "RUNNING", TimeSpan.FromMinutes(2));
            Assert.True((bool)(await ecs.InstanceAsync("ha-gone", instance))["agentConnected"]!);

            // The server dies first, so nobody records the channel's end; the agent lives on with no server to reach.
            var killed = Stopwatch.StartNew();
            await doomed.KillAsync();
            await Poll.UntilAsync(() => Leads(survivor), TimeSpan.FromSeconds(60), () => $"the survivor never took over:\n{survivor.Stdout}");
            JsonNode? seen = null;
            await Poll.UntilAsync(async () => !(bool)(seen = await ecs.InstanceAsync("ha-gone", instance))["agentConnected"]!, TimeSpan.FromSeconds(60), () => $"still connected: {seen?.ToJsonString()}");
            output.WriteLine($"disconnected {killed.Elapsed.TotalSeconds:F1} s after the kill (lease 3 s, channels vouched for every 5 s)");
            Assert.True(killed.Elapsed > TimeSpan.FromSeconds(5), $"disconnected after {killed.Elapsed}: sooner than any server could have stopped vouching for the channel");
            var stopped = await ecs.WaitStatusAsync("ha-gone", task, "STOPPED", TimeSpan.FromSeconds(60));
            output.WriteLine($"task lost {killed.Elapsed.TotalSeconds:F1} s after the kill (--agent-lost-after 5)");
            Assert.Contains("lost", (string?)stopped["stoppedReason"] ?? string.Empty, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            // The agent first: left running, it would start the service's replacements for the containers removed.
            await agent.DisposeAsync();
            await TaskTestKit.RemoveLeftoversAsync([instance], _runId);
        }
    }

    [Fact]
    public async Task AnAutoScalingInstanceWhoseServerDiedIsReplacedOnceAndWhatItLeftGoesWhenThatServerReturns()
    {
        await using var image = await TestImage.BuildAsync("ha-asg-" + _runId);
        var database = await _postgres.CreateDatabaseAsync();
        string[] flags = ["--no-local-agent", "--no-fargate", "--database", database, "--leader-lease", "3", "--agent-lost-after", "5", "--asg-interval", "0.2"];
        var hostDir = new TempDir("berth-e2e-ha-asg-");
        _dirs.Add(hostDir);
        var host = await BerthServer.StartAsync(hostDir.Path, extraArguments: flags);
        _servers.Add(host);
        await Poll.UntilAsync(() => Leads(host), TimeSpan.FromSeconds(60), () => $"the first server never led:\n{host.Stdout}");
        var survivor = await ServerAsync(database, "--leader-lease", "3", "--agent-lost-after", "5", "--asg-interval", "0.2");
        var ecs = Session(survivor);
        var instances = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            // A group of one, made through the follower: the leader launches its instance, as an agent in its own process.
            const string cluster = "ha-asg";
            await Capacity.AsgCli.CreateGroupAsync(survivor, cluster, 1, 1);
            var (first, firstArn) = await InServiceAsync(survivor, ecs, cluster, null);
            instances.Add(firstArn);
            Assert.True(Directory.Exists(Path.Combine(hostDir.Path, "autoscaling", first)), "the leader hosts the instance it launched");

            await RegisterSleeperAsync(ecs, "ha-asg", image.Name);
            var started = await ecs.OkAsync("start_task", new JsonObject { ["cluster"] = cluster, ["taskDefinition"] = "ha-asg", ["containerInstances"] = new JsonArray(firstArn) });
            var task = (string)started["tasks"]![0]!["taskArn"]!;
            await ecs.WaitStatusAsync(cluster, task, "RUNNING", TimeSpan.FromMinutes(2));

            // The hosting server dies with its agent; the task's container lives on in the engine.
            var killed = Stopwatch.StartNew();
            await host.KillAsync();
            await Poll.UntilAsync(() => Leads(survivor), TimeSpan.FromSeconds(60), () => $"the survivor never took over:\n{survivor.Stdout}");

            // The survivor replaces the instance once (a new id, hosted by itself), as EC2's health check replaces a
            // dead host; the old container instance is deregistered and its task stopped as lost.
            var (second, secondArn) = await InServiceAsync(survivor, ecs, cluster, first);
            instances.Add(secondArn);
            output.WriteLine($"replaced {killed.Elapsed.TotalSeconds:F1} s after the kill (lease 3 s, --agent-lost-after 5)");
            Assert.NotEqual(first, second);
            Assert.Equal("INACTIVE", (string?)(await ecs.InstanceAsync(cluster, firstArn))["status"]);
            var stopped = await ecs.WaitStatusAsync(cluster, task, "STOPPED", TimeSpan.FromSeconds(30));
            Assert.Contains("lost", (string?)stopped["stoppedReason"] ?? string.Empty, StringComparison.OrdinalIgnoreCase);
            var activities = (await Clients.AwsJsonAsync(survivor, "autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", "g"))!["Activities"]!.AsArray();
            var terminated = activities.Single(a => (string?)a!["Description"] == $"Terminating EC2 instance: {first}")!;
            Assert.EndsWith("in response to an EC2 health check indicating it has been terminated or stopped.", (string)terminated["Cause"]!, StringComparison.Ordinal);
            Assert.Equal("Successful", (string?)terminated["StatusCode"]);
            Assert.NotEmpty(await DockerCli.ContainersAsync("berth.container-instance", firstArn));

            // The dead server comes back: it does not start the old instance again (another is the group's now), and
            // removes what its agent left: the container, the data.
            var back = await BerthServer.StartAsync(hostDir.Path, extraArguments: flags, port: host.Port);
            _servers.Add(back);
            await Poll.UntilAsync(
                async () => !Directory.Exists(Path.Combine(hostDir.Path, "autoscaling", first)) && (await DockerCli.ContainersAsync("berth.container-instance", firstArn)).Count == 0,
                TimeSpan.FromSeconds(60),
                () => $"the returning server left the old instance's data or containers:\n{back.Stdout}");

            // Still exactly one instance, once in ECS, connected.
            var group = (await Clients.AwsJsonAsync(back, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "g"))!["AutoScalingGroups"]![0]!;
            Assert.Equal([second], group["Instances"]!.AsArray().Select(i => (string)i!["InstanceId"]!));
            var active = Expect.Strings((await Clients.AwsJsonAsync(back, "ecs", "list-container-instances", "--cluster", cluster, "--status", "ACTIVE"))!["containerInstanceArns"]);
            Assert.Equal([secondArn], active);
            Assert.True((bool)(await ecs.InstanceAsync(cluster, secondArn))["agentConnected"]!);
            Assert.DoesNotContain($"Auto Scaling instance {first} started again", back.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await TaskTestKit.RemoveLeftoversAsync(instances, _runId);
        }
    }

    // Family FAMILY: one container that sleeps an hour, labelled with the run's id.
    private Task<JsonNode> RegisterSleeperAsync(EcsSession ecs, string family, string image) => ecs.OkAsync("register_task_definition", new JsonObject
    {
        ["family"] = family,
        ["containerDefinitions"] = new JsonArray(new JsonObject
        {
            ["name"] = "app",
            ["image"] = image,
            ["memory"] = 32,
            ["command"] = new JsonArray("sleep", "3600"),
            ["dockerLabels"] = new JsonObject { ["berth.e2e.run"] = _runId },
        }),
    });

    // Until group g has one InService instance other than notThis, registered and connected in the cluster: its id and
    // container instance.
    private static async Task<(string InstanceId, string ContainerInstanceArn)> InServiceAsync(BerthServer server, EcsSession ecs, string cluster, string? notThis)
    {
        (string, string) found = default;
        JsonNode? last = null;
        await Poll.UntilAsync(
            async () =>
            {
                last = (await Clients.AwsJsonAsync(server, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "g"))!["AutoScalingGroups"]![0]!;
                var ids = last["Instances"]!.AsArray().Where(i => (string?)i!["LifecycleState"] == "InService").Select(i => (string)i!["InstanceId"]!).Where(i => i != notThis).ToList();
                if (ids.Count != 1)
                {
                    return false;
                }

                var arns = Expect.Strings((await ecs.OkAsync("list_container_instances", new JsonObject { ["cluster"] = cluster, ["status"] = "ACTIVE" }))["containerInstanceArns"]);
                foreach (var arn in arns)
                {
                    var instance = await ecs.InstanceAsync(cluster, arn);
                    if ((string?)instance["ec2InstanceId"] == ids[0] && (bool)instance["agentConnected"]!)
                    {
                        found = (ids[0], arn);
                        return true;
                    }
                }

                return false;
            },
            TimeSpan.FromSeconds(120),
            () => $"no connected InService instance but {notThis}: {last?.ToJsonString()}");
        return found;
    }

    // Until the service has one deployment, COMPLETED, of that definition, with its two tasks running.
    private static async Task WaitServiceAsync(EcsSession ecs, string definition, TimeSpan timeout)
    {
        JsonNode? last = null;
        await Poll.UntilAsync(
            async () =>
            {
                last = (await ecs.OkAsync("describe_services", new JsonObject { ["cluster"] = "ha", ["services"] = new JsonArray("web") }))["services"]![0]!;
                var deployments = last["deployments"]!.AsArray();
                return deployments.Count == 1
                    && (string?)deployments[0]!["taskDefinition"] == definition
                    && (string?)deployments[0]!["rolloutState"] == "COMPLETED"
                    && (int)last["runningCount"]! == 2;
            },
            timeout,
            () => $"the service did not settle on {definition}: {last?.ToJsonString()}");
    }
}
