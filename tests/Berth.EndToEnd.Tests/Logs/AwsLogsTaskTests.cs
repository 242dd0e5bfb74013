using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;
using static Berth.EndToEnd.Tests.Logs.LogsKit;

namespace Berth.EndToEnd.Tests.Logs;

/// <summary>A server with its local agent, for tasks whose containers log with awslogs.</summary>
public sealed class AwsLogsFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-logs-");

    /// <summary>The server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>A boto3 ECS session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public TestImage Image { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var build = TestImage.BuildAsync("logs-" + Guid.NewGuid().ToString("N")[..10]);
        Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-fargate"]);
        Ecs = EcsSession.Start(Server);
        Image = await build;
        await TaskTestKit.WaitForInstanceAsync(Ecs, "default");
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        var instances = await TaskTestKit.AllInstanceArnsAsync(Ecs);
        await Ecs.DisposeAsync();
        await Server.DisposeAsync();
        foreach (var arn in instances)
        {
            await DockerCli.RemoveContainersAsync("berth.container-instance", arn);
        }

        await Image.DisposeAsync();
        _dataDir.Dispose();
    }
}

/// <summary>
/// The awslogs driver end to end: a real container on the local engine, the agent shipping its output, read back with
/// boto3, the AWS CLI and <c>berth logs</c>.
/// </summary>
public sealed class AwsLogsTaskTests(AwsLogsFixture fixture) : IClassFixture<AwsLogsFixture>
{
    private BerthServer Server => fixture.Server;

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task A_tasks_lines_arrive_in_ECSs_stream_in_order_with_their_timestamps()
    {
        // Docker copies stdout and stderr separately, so only lines written apart in time keep their order across the two.
        await RegisterAsync(Ecs, "logs-order", fixture.Image.Name, "echo first; echo second; sleep 0.3; echo oops >&2; sleep 0.3; echo 'with \"quotes\" and ümlauts'", Options("/e2e/logs-order"));
        var arn = await RunAsync(Ecs, "logs-order");
        var task = await Ecs.WaitStatusAsync("default", arn, "STOPPED");
        var stream = $"app/main/{TaskId(arn)}";

        // Everything is shipped before STOPPED is reported: no waiting after it.
        var events = (await Clients.PythonAsync(Server, "logs_tool.py", ["events", "/e2e/logs-order", stream])).AsArray();
        Assert.Equal(["first", "second", "oops", "with \"quotes\" and ümlauts"], events.Select(e => (string)e!["message"]!));
        var timestamps = events.Select(e => (long)e!["timestamp"]!).ToList();
        Assert.Equal(timestamps.Order(), timestamps);
        var started = DateTimeOffset.Parse((string)task["startedAt"]!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        var stopped = DateTimeOffset.Parse((string)task["stoppedAt"]!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        Assert.All(timestamps, t => Assert.InRange(t, started - 2000, stopped + 1000));

        // The AWS CLI sees the same stream; docker logs still works on the host.
        var streams = await Clients.AwsJsonAsync(Server, "logs", "describe-log-streams", "--log-group-name", "/e2e/logs-order");
        Assert.Equal(stream, (string?)Assert.Single(streams!["logStreams"]!.AsArray())!["logStreamName"]);
        var runtimeId = (string)TaskTestKit.Container(task, "main")["runtimeId"]!;
        var docker = await DockerCli.RunAsync("logs", runtimeId);
        Assert.Contains("second", docker.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lines_join_into_one_event_by_awslogs_datetime_format()
    {
        var script = "echo '2024-05-01 10:00:00 ERROR boom'; echo '  at a()'; echo '  at b()'; echo '2024-05-01 10:00:01 INFO fine'; echo '2024-05-01 10:00:02 INFO done'";
        await RegisterAsync(Ecs, "logs-multiline", fixture.Image.Name, script, Options("/e2e/logs-multiline", ("awslogs-datetime-format", "%Y-%m-%d %H:%M:%S")));
        var arn = await RunAsync(Ecs, "logs-multiline");
        await Ecs.WaitStatusAsync("default", arn, "STOPPED");
        var events = (await Clients.PythonAsync(Server, "logs_tool.py", ["events", "/e2e/logs-multiline", $"app/main/{TaskId(arn)}"])).AsArray();
        Assert.Equal(
            ["2024-05-01 10:00:00 ERROR boom\n  at a()\n  at b()", "2024-05-01 10:00:01 INFO fine", "2024-05-01 10:00:02 INFO done"],
            events.Select(e => (string)e!["message"]!));
    }

    [Fact]
    public async Task A_container_writing_100000_lines_gets_each_exactly_once()
    {
        await RegisterAsync(Ecs, "logs-100k", fixture.Image.Name, Counter(100_000, "n"), Options("/e2e/logs-100k", ("mode", "non-blocking"), ("max-buffer-size", "4m")));
        var arn = await RunAsync(Ecs, "logs-100k");
        await Ecs.WaitStatusAsync("default", arn, "STOPPED", TimeSpan.FromMinutes(3));
        var verdict = await VerifyAsync(Server, "/e2e/logs-100k", $"app/main/{TaskId(arn)}", 100_000, "n");
        Assert.True((bool)verdict["exact"]!, verdict.ToJsonString());
    }

    [Fact]
    public async Task A_missing_group_without_create_group_fails_the_task_with_ECSs_reason()
    {
        var options = Options("/e2e/logs-nowhere");
        options.Remove("awslogs-create-group");
        await RegisterAsync(Ecs, "logs-missing-group", fixture.Image.Name, "echo never", options);
        var arn = await RunAsync(Ecs, "logs-missing-group");
        var task = await Ecs.WaitStatusAsync("default", arn, "STOPPED");
        Assert.Equal("TaskFailedToStart", (string?)task["stopCode"]);
        Assert.Equal(
            "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1",
            (string?)task["stoppedReason"]);
        await Clients.AwsErrorAsync(Server, "ResourceNotFoundException", "DescribeLogStreams", "logs", "describe-log-streams", "--log-group-name", "/e2e/logs-nowhere");
    }

    [Fact]
    public async Task Berth_logs_prints_a_tasks_output_and_follows_it_to_the_end()
    {
        await RegisterAsync(Ecs, "logs-cli", fixture.Image.Name, "echo hello; sleep 2; echo world", Options("/e2e/logs-cli"));
        var arn = await RunAsync(Ecs, "logs-cli");
        await Ecs.WaitStatusAsync("default", arn, "RUNNING");
        var environment = Clients.Environment(Server);
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            // As for the server: the test host's MSBuild/VSTest variables must not reach the launcher.
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                environment[name] = null;
            }
        }

        var follow = await ProcessRunner.RunAsync(Repo.Launcher, ["logs", TaskId(arn), "--follow", "--poll", "0.2", "--endpoint", Server.Endpoint], environment, timeout: TimeSpan.FromMinutes(2));
        Assert.True(follow.ExitCode == 0, follow.ToString());
        Assert.Equal("hello\nworld\n", follow.Stdout);

        var once = await ProcessRunner.RunAsync(Repo.Launcher, ["logs", arn, "--endpoint", Server.Endpoint], environment, timeout: TimeSpan.FromMinutes(1));
        Assert.Equal("hello\nworld\n", once.Stdout);
    }
}
