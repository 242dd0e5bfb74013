using System.Globalization;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;
using Xunit.Abstractions;

namespace Berth.EndToEnd.Tests.EventBridge;

/// <summary>
/// A scheduled rule's firing whose RunTask did not start its task when the server was killed: the restarted server
/// invokes it again and it gets exactly one task, however often the server is killed after that. Also the rule's
/// AWS/Events metrics (Invocations, FailedInvocations, TriggeredRules) through the AWS CLI.
/// </summary>
public sealed class FiringRecoveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-recovery-");
    private readonly TempDir _scratch = new("berth-e2e-recovery-scratch-");
    private readonly string _runId = Guid.NewGuid().ToString("N")[..10];
    private readonly List<string> _instances = [];
    private TestImage? _image;

    /// <inheritdoc />
    public async Task InitializeAsync() => _image = await TestImage.BuildAsync("recovery-" + _runId);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await TaskTestKit.RemoveLeftoversAsync(_instances, _runId);
        if (_image is not null)
        {
            await _image.DisposeAsync();
        }

        _dataDir.Dispose();
        _scratch.Dispose();
    }

    [Fact]
    public async Task A_recorded_firing_cut_off_by_kill_9_gets_exactly_one_task_after_restarts_and_its_failures_are_metrics()
    {
        var rule = "recover-" + _runId;
        var family = "recover-" + _runId;
        var startedBy = "events-rule/" + rule;

        // 1. rate(1 minute) lasts 1 s. The target's task definition does not exist yet, so every firing is recorded and
        //    its RunTask fails: the failures are the rule's FailedInvocations.
        var first = await StartAsync();
        try
        {
            var put = await Clients.AwsJsonAsync(first, "events", "put-rule", "--name", rule, "--schedule-expression", "rate(1 minute)");
            var account = ((string)put!["RuleArn"]!).Split(':')[4];
            await PutTargetAsync(first, rule, family, account);
            await Poll.UntilAsync(() => Count(first, $"Rule {rule} target ecs failed invocation") >= 2, TimeSpan.FromSeconds(30), first.Output);

            var failed = await SumAsync(first, "FailedInvocations", rule);
            var invoked = await SumAsync(first, "Invocations", rule);
            var triggered = await SumAsync(first, "TriggeredRules", rule);
            output.WriteLine($"FailedInvocations {failed}, Invocations {invoked}, TriggeredRules {triggered}");
            Assert.True(failed >= 2, $"FailedInvocations {failed}");
            Assert.True(invoked >= failed && triggered >= 2, $"Invocations {invoked}, TriggeredRules {triggered}");

            // 2. Disabled, it records no more firings; once every recorded one has failed, the task definition is
            //    registered and the server killed: the last recorded firing has no task.
            await Clients.AwsJsonAsync(first, "events", "disable-rule", "--name", rule);
            await Poll.UntilAsync(
                () => Count(first, $"Rule {rule} fires for") == Count(first, $"Rule {rule} target ecs failed invocation"),
                TimeSpan.FromSeconds(30),
                first.Output);
            await using (var ecs = EcsSession.Start(first))
            {
                await ecs.OkAsync("register_task_definition", new JsonObject
                {
                    ["family"] = family,
                    ["containerDefinitions"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "app",
                        ["image"] = _image!.Name,
                        ["memory"] = 16,
                        ["command"] = new JsonArray("true"),
                    }),
                });
                Assert.Empty(await TasksAsync(ecs, startedBy));
            }

            Assert.Equal(137, await first.KillAsync());
        }
        finally
        {
            await first.DisposeAsync();
        }

        // 3. The restarted server invokes the last recorded firing again: now it starts its task.
        string task;
        var second = await StartAsync();
        try
        {
            await using var ecs = EcsSession.Start(second);
            List<string> tasks = [];
            await Poll.UntilAsync(async () => (tasks = await TasksAsync(ecs, startedBy)).Count >= 1, TimeSpan.FromSeconds(30), second.Output);
            Assert.True(tasks.Count == 1, $"{tasks.Count} tasks: {string.Join(", ", tasks)}\n{second.Output()}");
            task = tasks[0];
            Assert.Contains($"Rule {rule}: invoking its last recorded firing", second.Output(), StringComparison.Ordinal);
            Assert.Equal(137, await second.KillAsync());
        }
        finally
        {
            await second.DisposeAsync();
        }

        // 4. Killed and restarted again: the same firing is invoked again, and ECS replays its task from the client
        //    token instead of starting another.
        var third = await StartAsync();
        try
        {
            await using var ecs = EcsSession.Start(third);
            await Poll.UntilAsync(() => third.Output().Contains($"target ecs started task {task}", StringComparison.Ordinal), TimeSpan.FromSeconds(30), third.Output);
            Assert.Equal([task], await TasksAsync(ecs, startedBy));
        }
        finally
        {
            await third.DisposeAsync();
        }
    }

    private async Task<BerthServer> StartAsync()
    {
        var server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-fargate", "--events-rate-minute", "1"]);
        await using var ecs = EcsSession.Start(server);
        var instance = await TaskTestKit.WaitForInstanceAsync(ecs, "default");
        if (!_instances.Contains(instance))
        {
            _instances.Add(instance);
        }

        return server;
    }

    private static int Count(BerthServer server, string text)
    {
        var log = server.Output();
        var count = 0;
        for (var at = log.IndexOf(text, StringComparison.Ordinal); at >= 0; at = log.IndexOf(text, at + text.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static async Task<double> SumAsync(BerthServer server, string metric, string rule)
    {
        var now = DateTimeOffset.UtcNow;
        var stats = await Clients.AwsJsonAsync(
            server, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/Events", "--metric-name", metric,
            "--dimensions", $"Name=RuleName,Value={rule}",
            "--start-time", now.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            "--end-time", now.AddMinutes(5).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            "--period", "60", "--statistics", "Sum");
        return stats!["Datapoints"]!.AsArray().Sum(p => (double)p!["Sum"]!);
    }

    // The tasks ECS lists as RUNNING and as STOPPED, each once: a task that stops between the two calls is in both.
    private static async Task<List<string>> TasksAsync(EcsSession ecs, string startedBy)
    {
        var all = new List<string>();
        foreach (var status in new[] { "RUNNING", "STOPPED" })
        {
            var listed = await ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = "default", ["startedBy"] = startedBy, ["desiredStatus"] = status });
            all.AddRange(listed["taskArns"]!.AsArray().Select(a => (string)a!));
        }

        return [.. all.Distinct(StringComparer.Ordinal)];
    }

    private async Task PutTargetAsync(BerthServer server, string rule, string family, string account)
    {
        var file = Path.Combine(_scratch.Path, rule + ".json");
        await File.WriteAllTextAsync(file, new JsonObject
        {
            ["Rule"] = rule,
            ["Targets"] = new JsonArray(new JsonObject
            {
                ["Id"] = "ecs",
                ["Arn"] = $"arn:aws:ecs:{Clients.Region}:{account}:cluster/default",
                ["EcsParameters"] = new JsonObject { ["TaskDefinitionArn"] = family, ["TaskCount"] = 1, ["LaunchType"] = "EC2" },
            }),
        }.ToJsonString());
        await Clients.AwsJsonAsync(server, "events", "put-targets", "--cli-input-json", "file://" + file);
    }
}
