using System.Diagnostics;
using System.Text;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Logs;

/// <summary>A server without agents, for the CloudWatch Logs API alone (retention swept every 0.2 s).</summary>
public sealed class LogsApiFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-logsapi-");

    /// <summary>The server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
        => Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-local-agent", "--no-fargate", "--logs-retention-sweep", "0.2"]);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _dataDir.Dispose();
    }
}

/// <summary>The CloudWatch Logs API with real clients: AWS's errors for bad input, retention, <c>aws logs tail --follow</c>.</summary>
public sealed class LogsApiTests(LogsApiFixture fixture) : IClassFixture<LogsApiFixture>
{
    // Debian's AWS CLI v2 (aws logs tail is v2's); the pyenv aws v1 first on PATH has no tail.
    private const string AwsV2 = "/usr/bin/aws";

    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task Bad_input_to_every_operation_gets_AWSs_error_and_writes_nothing()
    {
        var answer = await Clients.PythonAsync(Server, "logs_tool.py", ["bad_input"]);
        var results = answer["results"]!.AsObject();
        var expected = new Dictionary<string, string>
        {
            ["CreateLogGroup bad name"] = "InvalidParameterException",
            ["CreateLogGroup no name"] = "InvalidParameterException",
            ["CreateLogGroup exists"] = "ResourceAlreadyExistsException",
            ["CreateLogGroup bad class"] = "InvalidParameterException",
            ["DeleteLogGroup missing"] = "ResourceNotFoundException",
            ["DescribeLogGroups limit 0"] = "InvalidParameterException",
            ["DescribeLogGroups prefix and pattern"] = "InvalidParameterException",
            ["DescribeLogGroups bad token"] = "InvalidParameterException",
            ["CreateLogStream missing group"] = "ResourceNotFoundException",
            ["CreateLogStream exists"] = "ResourceAlreadyExistsException",
            ["CreateLogStream bad name"] = "InvalidParameterException",
            ["DeleteLogStream missing"] = "ResourceNotFoundException",
            ["DescribeLogStreams missing group"] = "ResourceNotFoundException",
            ["DescribeLogStreams prefix with LastEventTime"] = "InvalidParameterException",
            ["DescribeLogStreams bad orderBy"] = "InvalidParameterException",
            ["PutLogEvents missing stream"] = "ResourceNotFoundException",
            ["PutLogEvents missing group"] = "ResourceNotFoundException",
            ["PutLogEvents no events"] = "InvalidParameterException",
            ["PutLogEvents out of order"] = "InvalidParameterException",
            ["PutLogEvents over 24 h"] = "InvalidParameterException",
            ["PutLogEvents too large"] = "InvalidParameterException",
            ["PutLogEvents empty message"] = "InvalidParameterException",
            ["PutLogEvents no timestamp"] = "InvalidParameterException",
            ["PutLogEvents wrong type"] = "SerializationException",
            ["GetLogEvents missing stream"] = "ResourceNotFoundException",
            ["GetLogEvents bad token"] = "InvalidParameterException",
            ["GetLogEvents limit 10001"] = "InvalidParameterException",
            ["GetLogEvents name and identifier"] = "InvalidParameterException",
            ["FilterLogEvents missing group"] = "ResourceNotFoundException",
            ["FilterLogEvents bad pattern"] = "InvalidParameterException",
            ["FilterLogEvents names and prefix"] = "InvalidParameterException",
            ["FilterLogEvents bad token"] = "InvalidParameterException",
            ["FilterLogEvents end before start"] = "InvalidParameterException",
            ["PutRetentionPolicy 2 days"] = "InvalidParameterException",
            ["PutRetentionPolicy missing group"] = "ResourceNotFoundException",
            ["DeleteRetentionPolicy missing group"] = "ResourceNotFoundException",
            ["TagResource bad arn"] = "InvalidParameterException",
            ["TagResource missing group"] = "ResourceNotFoundException",
            ["TagResource aws: key"] = "InvalidParameterException",
            ["UntagResource missing group"] = "ResourceNotFoundException",
            ["ListTagsForResource missing group"] = "ResourceNotFoundException",
        };
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), results.Select(r => r.Key).Order(StringComparer.Ordinal));
        foreach (var (name, code) in expected)
        {
            var result = results[name]!;
            Assert.True((string?)result["code"] == code && (int?)result["status"] == 400, $"{name}: {result.ToJsonString()}");
        }

        // Nothing of any refused call was written: the one group, its one stream, no events, no retention, no tags.
        var written = answer["written"]!;
        Assert.Equal([(string)answer["group"]!], Expect.Strings(written["groups"]));
        Assert.Equal(["s"], Expect.Strings(written["streams"]));
        Assert.Equal(0, (int)written["events"]!);
        Assert.Null(written["retention"]);
        Assert.Empty(written["tags"]!.AsObject());
    }

    [Fact]
    public async Task Retention_deletes_expired_events_and_storedBytes_shrinks()
    {
        var answer = await Clients.PythonAsync(Server, "logs_tool.py", ["retention"], timeout: TimeSpan.FromMinutes(1));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"new {i}"), Expect.Strings(answer["messages"]));
        Assert.Equal(1, (int)answer["retentionInDays"]!);
        Assert.True((long)answer["after"]! < (long)answer["before"]!, answer.ToJsonString());
        Assert.Equal(10 * "new 0".Length, (long)answer["after"]!);

        // Events older than the retention are refused at ingest as expired, as AWS reports them.
        Assert.Equal(2, (int)answer["rejected"]!["expiredLogEventEndIndex"]!);
    }

    [Fact]
    public async Task Aws_logs_tail_follow_shows_a_new_line()
    {
        Assert.True(File.Exists(AwsV2), $"{AwsV2} (Debian's awscli, AWS CLI v2) is needed; .ci/run installs it");
        var group = "/e2e/tail-" + Guid.NewGuid().ToString("N")[..8];
        await Clients.AwsJsonAsync(Server, "logs", "create-log-group", "--log-group-name", group);
        await Clients.AwsJsonAsync(Server, "logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "s");

        var start = new ProcessStartInfo(AwsV2) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "logs", "tail", group, "--follow", "--format", "short", "--endpoint-url", Server.Endpoint })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in Clients.Environment(Server))
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var output = new StringBuilder();
        using var tail = Process.Start(start)!;
        tail.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        tail.BeginOutputReadLine();
        tail.BeginErrorReadLine();
        try
        {
            // Put a line after tail started; tail polls FilterLogEvents every 5 s and shows it once.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await Clients.AwsJsonAsync(Server, "logs", "put-log-events", "--log-group-name", group, "--log-stream-name", "s",
                "--log-events", $"[{{\"timestamp\": {now}, \"message\": \"tail sees me\"}}]");
            await Poll.UntilAsync(
                () =>
                {
                    lock (output)
                    {
                        return output.ToString().Contains("tail sees me", StringComparison.Ordinal);
                    }
                },
                TimeSpan.FromSeconds(30),
                () => $"aws logs tail printed: {output}");
            await Task.Delay(TimeSpan.FromSeconds(6));
            lock (output)
            {
                Assert.Single(output.ToString().Split('\n'), l => l.Contains("tail sees me", StringComparison.Ordinal));
            }
        }
        finally
        {
            tail.Kill(entireProcessTree: true);
            await tail.WaitForExitAsync();
        }
    }
}
