using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;

namespace Berth.EndToEnd.Tests.EventBridge;

/// <summary>A server with its local agent (no FARGATE capacity) and the busybox image, for the EventBridge classes.</summary>
/// <param name="name">Names the data dir, the scratch dir and the image tag.</param>
/// <param name="arguments">The server's arguments beyond <c>--no-fargate</c>.</param>
public abstract class EventsServerFixture(string name, params string[] arguments) : IAsyncLifetime
{
    private readonly TempDir _dataDir = new($"berth-e2e-{name}-");
    private TestImage? _image;

    /// <summary>Unique to this run.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>The server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>A boto3 ECS session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public string Image => _image!.Name;

    /// <summary>A scratch directory for cli-input files.</summary>
    public TempDir Scratch { get; } = new($"berth-e2e-{name}-scratch-");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync(name + "-" + RunId);
        Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-fargate", .. arguments]);
        _image = await image;
        Ecs = EcsSession.Start(Server);
        await TaskTestKit.WaitForInstanceAsync(Ecs, "default");
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        var instances = Server is not null && !Server.HasExited && Ecs is not null ? await TaskTestKit.AllInstanceArnsAsync(Ecs) : [];
        if (Ecs is not null)
        {
            await Ecs.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await TaskTestKit.RemoveLeftoversAsync(instances, RunId);
        if (_image is not null)
        {
            await _image.DisposeAsync();
        }

        _dataDir.Dispose();
        Scratch.Dispose();
    }
}

/// <summary>A server whose rate() minute lasts 2 s (<c>--events-rate-minute 2</c>).</summary>
public sealed class ScheduledRuleFixture() : EventsServerFixture("events", "--events-rate-minute", "2");

/// <summary>EventBridge rules with the real AWS CLI and boto3: a scheduled rule runs ECS tasks; bad input gets AWS's errors.</summary>
public sealed class ScheduledRuleTests(ScheduledRuleFixture fixture) : IClassFixture<ScheduledRuleFixture>
{
    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task A_rate_rule_runs_its_ECS_target_with_startedBy_and_overrides_until_disabled()
    {
        var family = "sched-" + fixture.RunId;
        await fixture.Ecs.OkAsync("register_task_definition", new JsonObject
        {
            ["family"] = family,
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = "app",
                ["image"] = fixture.Image,
                ["memory"] = 16,
                ["command"] = new JsonArray("sh", "-c", "echo default"),
            }),
        });

        var rule = "tick-" + fixture.RunId;
        var put = await Clients.AwsJsonAsync(Server, "events", "put-rule", "--name", rule, "--schedule-expression", "rate(1 minute)");
        var ruleArn = (string)put!["RuleArn"]!;
        var account = ruleArn.Split(':')[4];
        Assert.Equal($"arn:aws:events:{Clients.Region}:{account}:rule/{rule}", ruleArn);
        var targets = await PutEcsTargetAsync(rule, family, account, "echo fired");
        Assert.Equal(0, (int)targets!["FailedEntryCount"]!);

        var described = await Clients.AwsJsonAsync(Server, "events", "list-targets-by-rule", "--rule", rule);
        Assert.Equal(family, (string)described!["Targets"]![0]!["EcsParameters"]!["TaskDefinitionArn"]!);

        // With a 2 s minute, rate(1 minute) fires every 2 s: wait for two of its tasks.
        var startedBy = "events-rule/" + rule;
        List<string> tasks = [];
        await Poll.UntilAsync(async () => (tasks = await TasksStartedByAsync(startedBy)).Count >= 2, TimeSpan.FromSeconds(30), () => $"{tasks.Count} tasks started by {startedBy}");
        var task = await fixture.Ecs.TaskAsync("default", tasks[0]);
        Assert.Equal(startedBy, (string)task["startedBy"]!);
        Assert.Equal("scheduled", (string)task["group"]!);
        Assert.Equal("""["sh","-c","echo fired"]""", task["overrides"]!["containerOverrides"]![0]!["command"]!.ToJsonString());
        var tagged = await fixture.Ecs.OkAsync("describe_tasks", new JsonObject { ["cluster"] = "default", ["tasks"] = new JsonArray(tasks[0]), ["include"] = new JsonArray("TAGS") });
        Assert.Contains(tagged["tasks"]![0]!["tags"]!.AsArray(), t => (string)t!["key"]! == "k" && (string)t["value"]! == "v");

        // Disabled: it fires no more. A second rule's firings are the clock that proves time went by.
        await Clients.AwsJsonAsync(Server, "events", "disable-rule", "--name", rule);
        Assert.Equal("DISABLED", (string)(await Clients.AwsJsonAsync(Server, "events", "describe-rule", "--name", rule))!["State"]!);
        var probe = "probe-" + fixture.RunId;
        await Clients.AwsJsonAsync(Server, "events", "put-rule", "--name", probe, "--schedule-expression", "rate(1 minute)");
        await PutEcsTargetAsync(probe, family, account, "echo probe");
        List<string> probes = [];
        await Poll.UntilAsync(async () => (probes = await TasksStartedByAsync("events-rule/" + probe)).Count >= 1, TimeSpan.FromSeconds(30), () => "the probe rule's first task");
        var whenProbeStarted = (await TasksStartedByAsync(startedBy)).Count;
        await Poll.UntilAsync(async () => (probes = await TasksStartedByAsync("events-rule/" + probe)).Count >= 4, TimeSpan.FromSeconds(30), () => $"{probes.Count} probe tasks");
        Assert.Equal(whenProbeStarted, (await TasksStartedByAsync(startedBy)).Count);

        // A rule with targets cannot be deleted; without them it can.
        await Clients.AwsErrorAsync(Server, "ValidationException", "DeleteRule", "events", "delete-rule", "--name", probe);
        foreach (var name in new[] { rule, probe })
        {
            await Clients.AwsJsonAsync(Server, "events", "remove-targets", "--rule", name, "--ids", "ecs");
            await Clients.AwsJsonAsync(Server, "events", "delete-rule", "--name", name);
        }

        await Clients.AwsErrorAsync(Server, "ResourceNotFoundException", "DescribeRule", "events", "describe-rule", "--name", rule);
    }

    [Fact]
    public async Task A_pattern_rule_on_ECS_task_state_changes_runs_a_follow_up_task_and_PutEvents_reaches_its_rule()
    {
        var job = "job-" + fixture.RunId;
        var cleanup = "cleanup-" + fixture.RunId;
        foreach (var (family, command) in new[] { (job, "exit 3"), (cleanup, "echo cleanup") })
        {
            await fixture.Ecs.OkAsync("register_task_definition", new JsonObject
            {
                ["family"] = family,
                ["containerDefinitions"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = fixture.Image, ["memory"] = 16, ["command"] = new JsonArray("sh", "-c", command) }),
            });
        }

        // A task of the job family that stops with a non-zero exit code runs the cleanup task.
        var rule = "followup-" + fixture.RunId;
        var pattern = new JsonObject
        {
            ["source"] = new JsonArray("aws.ecs"),
            ["detail-type"] = new JsonArray("ECS Task State Change"),
            ["detail"] = new JsonObject
            {
                ["lastStatus"] = new JsonArray("STOPPED"),
                ["group"] = new JsonArray("family:" + job),
                ["containers"] = new JsonObject { ["exitCode"] = new JsonArray(new JsonObject { ["numeric"] = new JsonArray(">", 0) }) },
            },
        };
        var account = ((string)(await Clients.AwsJsonAsync(Server, "events", "put-rule", "--name", rule, "--event-pattern", pattern.ToJsonString()))!["RuleArn"]!).Split(':')[4];
        await PutEcsTargetAsync(rule, cleanup, account, "echo after failure");
        var run = await Clients.AwsJsonAsync(Server, "ecs", "run-task", "--cluster", "default", "--task-definition", job);
        var failed = (string)run!["tasks"]![0]!["taskArn"]!;
        List<string> followUps = [];
        await Poll.UntilAsync(async () => (followUps = await TasksStartedByAsync("events-rule/" + rule)).Count >= 1, TimeSpan.FromSeconds(60), () => "no follow-up task");
        var stopped = await fixture.Ecs.TaskAsync("default", failed);
        Assert.Equal((3, "STOPPED"), ((int?)stopped["containers"]![0]!["exitCode"], (string?)stopped["lastStatus"]));
        var followUp = await fixture.Ecs.TaskAsync("default", followUps[0]);
        Assert.Equal(cleanup, ((string)followUp["taskDefinitionArn"]!).Split('/')[^1].Split(':')[0]);

        // PutEvents: an application's own event reaches the rule that matches it, and only that one.
        var orders = "orders-" + fixture.RunId;
        var orderPattern = new JsonObject
        {
            ["source"] = new JsonArray("berth.e2e"),
            ["detail-type"] = new JsonArray("Order Placed"),
            ["detail"] = new JsonObject { ["total"] = new JsonArray(new JsonObject { ["numeric"] = new JsonArray(">=", 100) }) },
        };
        await Clients.AwsJsonAsync(Server, "events", "put-rule", "--name", orders, "--event-pattern", orderPattern.ToJsonString());
        await PutEcsTargetAsync(orders, cleanup, account, "echo order");

        // ... and its CloudWatch Logs target gets the whole event, in a stream named by the event's id.
        var logGroup = "/aws/events/" + orders;
        await Clients.AwsJsonAsync(Server, "logs", "create-log-group", "--log-group-name", logGroup);
        var logTarget = new JsonArray(new JsonObject { ["Id"] = "log", ["Arn"] = $"arn:aws:logs:{Clients.Region}:{account}:log-group:{logGroup}" });
        Assert.Equal(0, (int)(await Clients.AwsJsonAsync(Server, "events", "put-targets", "--rule", orders, "--targets", logTarget.ToJsonString()))!["FailedEntryCount"]!);
        var entries = new JsonArray(
            new JsonObject { ["Source"] = "berth.e2e", ["DetailType"] = "Order Placed", ["Detail"] = new JsonObject { ["total"] = 250 }.ToJsonString() },
            new JsonObject { ["Source"] = "berth.e2e", ["DetailType"] = "Order Placed", ["Detail"] = new JsonObject { ["total"] = 5 }.ToJsonString() });
        var put = await Clients.AwsJsonAsync(Server, "events", "put-events", "--entries", entries.ToJsonString());
        Assert.Equal(0, (int)put!["FailedEntryCount"]!);
        List<string> orderTasks = [];
        await Poll.UntilAsync(async () => (orderTasks = await TasksStartedByAsync("events-rule/" + orders)).Count >= 1, TimeSpan.FromSeconds(60), () => "PutEvents ran nothing");
        JsonArray logged = [];
        await Poll.UntilAsync(
            async () => (logged = (await Clients.AwsJsonAsync(Server, "logs", "filter-log-events", "--log-group-name", logGroup))!["events"]!.AsArray()).Count >= 1,
            TimeSpan.FromSeconds(30),
            () => "nothing in the rule's log group");
        var entry = Assert.Single(logged)!;
        var logged0 = JsonNode.Parse((string)entry["message"]!)!;
        Assert.Equal(("Order Placed", 250), ((string?)logged0["detail-type"], (int?)logged0["detail"]!["total"]));
        Assert.Equal((string?)put["Entries"]![0]!["EventId"], (string?)entry["logStreamName"]);

        // The follow-up rule saw exactly one failed stop (the cleanup tasks exit 0), the order rule one big order.
        Assert.Single(await TasksStartedByAsync("events-rule/" + rule));
        Assert.Single(orderTasks);
        await Clients.AwsJsonAsync(Server, "events", "remove-targets", "--rule", orders, "--ids", "log");
        foreach (var name in new[] { rule, orders })
        {
            await Clients.AwsJsonAsync(Server, "events", "remove-targets", "--rule", name, "--ids", "ecs");
            await Clients.AwsJsonAsync(Server, "events", "delete-rule", "--name", name);
        }
    }

    [Fact]
    public async Task Bad_input_gets_AWSs_errors_through_boto3_and_writes_nothing()
    {
        var answer = await Clients.PythonAsync(Server, "events_tool.py", ["bad_input"]);
        var results = answer["results"]!.AsObject();
        var expected = new Dictionary<string, string>
        {
            ["PutRule bad name"] = "ValidationException",
            ["PutRule no schedule or pattern"] = "ValidationException",
            ["PutRule rate(1 minutes)"] = "ValidationException",
            ["PutRule cron both days"] = "ValidationException",
            ["PutRule cron five fields"] = "ValidationException",
            ["PutRule schedule on custom bus"] = "ValidationException",
            ["PutRule bad pattern"] = "InvalidEventPatternException",
            ["PutRule bad state"] = "ValidationException",
            ["DescribeRule missing"] = "ResourceNotFoundException",
            ["EnableRule missing"] = "ResourceNotFoundException",
            ["DisableRule missing"] = "ResourceNotFoundException",
            ["PutTargets missing rule"] = "ResourceNotFoundException",
            ["PutTargets duplicate ids"] = "ValidationException",
            ["PutTargets six"] = "LimitExceededException",
            ["RemoveTargets missing rule"] = "ResourceNotFoundException",
            ["ListTargetsByRule missing"] = "ResourceNotFoundException",
            ["ListRules limit 0"] = "ValidationException",
            ["ListRules bad token"] = "ValidationException",
            ["ListRules missing bus"] = "ResourceNotFoundException",
            ["DescribeEventBus missing"] = "ResourceNotFoundException",
            ["CreateEventBus default"] = "ResourceAlreadyExistsException",
            ["CreateEventBus bad name"] = "ValidationException",
            ["DeleteEventBus default"] = "ValidationException",
            ["TestEventPattern bad pattern"] = "InvalidEventPatternException",
            ["TestEventPattern bad event"] = "ValidationException",
            ["TagResource missing rule"] = "ResourceNotFoundException",
            ["ListTagsForResource bad arn"] = "ValidationException",
            ["PutEvents no entries"] = "ValidationException",
            ["PutRule wrong type"] = "SerializationException",
        };
        Assert.Equal(expected.Keys.Order(), results.Select(r => r.Key).Order());
        foreach (var (name, code) in expected)
        {
            Assert.True((string?)results[name]!["code"] == code && (int)results[name]!["status"]! == 400, $"{name}: {results[name]!.ToJsonString()}");
        }

        Assert.Equal("Rule nope does not exist on EventBus default.", (string)results["DescribeRule missing"]!["message"]!);
        Assert.Equal("Parameter ScheduleExpression is not valid.", (string)results["PutRule rate(1 minutes)"]!["message"]!);
        Assert.True((bool)answer["unchanged"]!);
        Assert.Empty(answer["targets"]!.AsArray());

        var partial = answer["partial"]!["response"]!;
        Assert.Equal(1, (int)partial["FailedEntryCount"]!);
        Assert.Equal("bad", (string)partial["FailedEntries"]![0]!["TargetId"]!);
        var events = answer["events"]!["response"]!;
        Assert.Equal(2, (int)events["FailedEntryCount"]!);
        Assert.NotNull(events["Entries"]![0]!["EventId"]);
        Assert.Equal("MalformedDetail", (string)events["Entries"]![1]!["ErrorCode"]!);
        Assert.True((bool)answer["matched"]!["response"]!["Result"]!);
        Assert.Equal("Rule can't be deleted since it has targets.", (string)answer["deleteWithTargets"]!["message"]!);
    }

    private async Task<JsonNode?> PutEcsTargetAsync(string rule, string family, string account, string command)
    {
        var file = Path.Combine(fixture.Scratch.Path, rule + ".json");
        var overrides = new JsonObject { ["containerOverrides"] = new JsonArray(new JsonObject { ["name"] = "app", ["command"] = new JsonArray("sh", "-c", command) }) };
        await File.WriteAllTextAsync(file, new JsonObject
        {
            ["Rule"] = rule,
            ["Targets"] = new JsonArray(new JsonObject
            {
                ["Id"] = "ecs",
                ["Arn"] = $"arn:aws:ecs:{Clients.Region}:{account}:cluster/default",
                ["Input"] = overrides.ToJsonString(),
                ["EcsParameters"] = new JsonObject
                {
                    ["TaskDefinitionArn"] = family,
                    ["TaskCount"] = 1,
                    ["LaunchType"] = "EC2",
                    ["Group"] = "scheduled",
                    ["Tags"] = new JsonArray(new JsonObject { ["Key"] = "k", ["Value"] = "v" }),
                },
            }),
        }.ToJsonString());
        return await Clients.AwsJsonAsync(Server, "events", "put-targets", "--cli-input-json", "file://" + file);
    }

    // Running and stopped: the tasks finish at once.
    private async Task<List<string>> TasksStartedByAsync(string startedBy)
    {
        var all = new List<string>();
        foreach (var status in new[] { "RUNNING", "STOPPED" })
        {
            var listed = await fixture.Ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = "default", ["startedBy"] = startedBy, ["desiredStatus"] = status });
            all.AddRange(listed["taskArns"]!.AsArray().Select(a => (string)a!));
        }

        return [.. all.Distinct()];
    }
}
