using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;

namespace Berth.EndToEnd.Tests.CloudWatch;

/// <summary>A server whose metric period is 2 s (<c>BERTH_METRIC_PERIOD_SECONDS</c>), with its local agent.</summary>
public sealed class CloudWatchFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-cloudwatch-");

    /// <summary>The server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>A boto3 ECS session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public TestImage Image { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var build = TestImage.BuildAsync("cloudwatch-" + Guid.NewGuid().ToString("N")[..10]);
        Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-fargate"], environment: new Dictionary<string, string> { ["BERTH_METRIC_PERIOD_SECONDS"] = "2" });
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
/// CloudWatch end to end: a service whose task burns CPU shows AWS/ECS CPUUtilization for its cluster and service
/// through the AWS CLI and boto3 (JSON 1.0, which botocore prefers, and Smithy RPC v2 CBOR); custom metrics round-trip.
/// </summary>
public sealed class CloudWatchMetricsTests(CloudWatchFixture fixture) : IClassFixture<CloudWatchFixture>
{
    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task A_service_burning_CPU_shows_its_utilization_in_AWS_ECS()
    {
        // 256 units (a quarter core): a busy loop uses all of it and more is not given (the agent's CPU quota).
        await fixture.Ecs.OkAsync("register_task_definition", new JsonObject
        {
            ["family"] = "cw-burn",
            ["cpu"] = "256",
            ["memory"] = "128",
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = "main",
                ["image"] = fixture.Image.Name,
                ["command"] = new JsonArray("sh", "-c", "while :; do :; done"),
            }),
        });
        // The alarm a target-tracking policy would make, on 10 s periods: 2 of 2 above 50 %.
        await Clients.AwsJsonAsync(
            Server, "cloudwatch", "put-metric-alarm", "--alarm-name", "cw-burner-high", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization",
            "--dimensions", "Name=ClusterName,Value=default", "Name=ServiceName,Value=cw-burner", "--statistic", "Average", "--period", "10",
            "--evaluation-periods", "2", "--threshold", "50", "--comparison-operator", "GreaterThanThreshold");
        var created = await Clients.AwsJsonAsync(Server, "cloudwatch", "describe-alarms", "--alarm-names", "cw-burner-high");
        Assert.Equal("INSUFFICIENT_DATA", (string?)created!["MetricAlarms"]![0]!["StateValue"]);
        await fixture.Ecs.OkAsync("create_service", new JsonObject { ["serviceName"] = "cw-burner", ["taskDefinition"] = "cw-burn", ["desiredCount"] = 1 });
        try
        {
            var end = DateTimeOffset.UtcNow.AddMinutes(2).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
            var start = DateTimeOffset.UtcNow.AddMinutes(-2).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
            JsonArray points = [];
            await Poll.UntilAsync(
                async () =>
                {
                    var stats = await Clients.AwsJsonAsync(
                        Server, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization",
                        "--dimensions", "Name=ClusterName,Value=default", "Name=ServiceName,Value=cw-burner",
                        "--start-time", start, "--end-time", end, "--period", "10", "--statistics", "Average", "Maximum", "SampleCount");
                    points = stats!["Datapoints"]!.AsArray();
                    return points.Any(p => (double)p!["Maximum"]! > 50);
                },
                TimeSpan.FromSeconds(45),
                () => $"a CPUUtilization datapoint above 50 %: {points.ToJsonString()}");
            var busy = points.First(p => (double)p!["Maximum"]! > 50)!;
            Assert.Equal("Percent", (string?)busy["Unit"]);
            Assert.InRange((double)busy["Maximum"]!, 50, 150);
            Assert.True((double)busy["SampleCount"]! >= 1);

            // boto3's GetMetricData sees the same service, over JSON 1.0 and over CBOR; memory is reported too.
            foreach (var protocol in new[] { "json", "cbor" })
            {
                var data = await Clients.PythonAsync(Server, "cloudwatch_tool.py", ["ecs-data", "default", "cw-burner", protocol]);
                var cpu = data["cpu"]!;
                Assert.Equal("Complete", (string?)cpu["status"]);
                Assert.Contains(cpu["values"]!.AsArray(), v => (double)v! > 50);
                Assert.NotEmpty(data["mem"]!["values"]!.AsArray());
            }

            // The cluster's own metric exists beside the service's.
            var listed = await Clients.AwsJsonAsync(Server, "cloudwatch", "list-metrics", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization");
            var dimensionSets = listed!["Metrics"]!.AsArray().Select(m => string.Join(",", m!["Dimensions"]!.AsArray().Select(d => $"{d!["Name"]}={d["Value"]}"))).ToList();
            Assert.Contains("ClusterName=default", dimensionSets);
            Assert.Contains("ClusterName=default,ServiceName=cw-burner", dimensionSets);

            // The alarm follows: two whole 10 s periods of the busy task put it in ALARM.
            JsonNode? alarm = null;
            await Poll.UntilAsync(
                async () =>
                {
                    alarm = (await Clients.AwsJsonAsync(Server, "cloudwatch", "describe-alarms", "--alarm-names", "cw-burner-high"))!["MetricAlarms"]![0];
                    return (string?)alarm!["StateValue"] == "ALARM";
                },
                TimeSpan.FromSeconds(45),
                () => $"the alarm in ALARM: {alarm?.ToJsonString()}");
            Assert.StartsWith("Threshold Crossed: 2 out of the last 2 datapoints were greater than the threshold (50.0)", (string?)alarm!["StateReason"], StringComparison.Ordinal);
            await Clients.AwsJsonAsync(Server, "cloudwatch", "delete-alarms", "--alarm-names", "cw-burner-high");
            await Clients.AwsErrorAsync(Server, "ResourceNotFound", "DeleteAlarms", "cloudwatch", "delete-alarms", "--alarm-names", "cw-burner-high");
        }
        finally
        {
            await fixture.Ecs.CallAsync("delete_service", new JsonObject { ["service"] = "cw-burner", ["force"] = true });
        }
    }

    [Fact]
    public async Task Custom_metrics_round_trip_with_the_AWS_CLI_and_boto3()
    {
        // One timestamp for both, so they are in one period whatever the clock.
        var at = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        await Clients.AwsJsonAsync(Server, "cloudwatch", "put-metric-data", "--namespace", "Berth/CLI", "--metric-name", "Jobs", "--value", "4", "--unit", "Count", "--dimensions", "Team=blue", "--timestamp", at);
        await Clients.AwsJsonAsync(Server, "cloudwatch", "put-metric-data", "--namespace", "Berth/CLI", "--metric-name", "Jobs", "--value", "6", "--unit", "Count", "--dimensions", "Team=blue", "--timestamp", at);
        var start = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTimeOffset.UtcNow.AddMinutes(5).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var stats = await Clients.AwsJsonAsync(
            Server, "cloudwatch", "get-metric-statistics", "--namespace", "Berth/CLI", "--metric-name", "Jobs", "--dimensions", "Name=Team,Value=blue",
            "--start-time", start, "--end-time", end, "--period", "3600", "--statistics", "Sum", "SampleCount", "Average");
        var point = Assert.Single(stats!["Datapoints"]!.AsArray())!;
        Assert.Equal((10.0, 2.0, 5.0, "Count"), ((double)point["Sum"]!, (double)point["SampleCount"]!, (double)point["Average"]!, (string?)point["Unit"]));
        Assert.Equal("Jobs", (string?)stats["Label"]);

        await Clients.AwsErrorAsync(Server, "InvalidParameterValue", "PutMetricData", "cloudwatch", "put-metric-data", "--namespace", "AWS/ECS", "--metric-name", "X", "--value", "1");
        await Clients.AwsErrorAsync(
            Server, "InvalidParameterValue", "GetMetricStatistics", "cloudwatch", "get-metric-statistics", "--namespace", "Berth/CLI", "--metric-name", "Jobs",
            "--start-time", start, "--end-time", end, "--period", "90", "--statistics", "Sum");

        // boto3 over both protocols: the same values, doubles as floats, the model's exceptions.
        foreach (var protocol in new[] { "json", "cbor" })
        {
            var result = await Clients.PythonAsync(Server, "cloudwatch_tool.py", ["roundtrip", protocol]);
            var datapoints = result["datapoints"]!.AsArray();
            Assert.True(datapoints.Count >= 1, result.ToJsonString());
            Assert.Equal(["float"], result["types"]!.AsArray().Select(t => (string)t!));
            Assert.Equal("Depth", (string?)result["label"]);
            Assert.Equal("Berth/E2E", (string?)Assert.Single(result["listed"]!.AsArray())!["Namespace"]);
            Assert.Equal("InvalidParameterValue", (string?)result["aws_namespace"]!["code"]);
            Assert.Equal("InvalidParameterValueException", (string?)result["aws_namespace"]!["class"]);
            Assert.Equal("The parameter StartTime must be less than the parameter EndTime.", (string?)result["backwards"]!["message"]);
        }
    }
}
