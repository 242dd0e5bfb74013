using System.Globalization;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;

namespace Berth.EndToEnd.Tests.AutoScaling;

/// <summary>A server whose metric period is 2 s (<c>BERTH_METRIC_PERIOD_SECONDS</c>), with its local agent.</summary>
public sealed class AutoScalingFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-autoscaling-");

    /// <summary>The server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>A boto3 ECS session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public TestImage Image { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var build = TestImage.BuildAsync("autoscaling-" + Guid.NewGuid().ToString("N")[..10]);
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
/// Application Auto Scaling end to end, with real containers, the AWS CLI and boto3: a service tracking 50 % CPU
/// grows while its tasks burn CPU and shrinks back when the load stops, a protected task survives the scale-in, and a
/// scheduled action changes the range at its time.
/// </summary>
public sealed class ServiceAutoScalingTests(AutoScalingFixture fixture) : IClassFixture<AutoScalingFixture>
{
    private const string Dimension = "ecs:service:DesiredCount";

    private BerthServer Server => fixture.Server;

    private Task<JsonNode?> Aas(params string[] arguments) => Clients.AwsJsonAsync(Server, ["application-autoscaling", .. arguments]);

    private async Task<JsonNode> ServiceAsync(string name) =>
        (await fixture.Ecs.OkAsync("describe_services", new JsonObject { ["services"] = new JsonArray(name) }))["services"]![0]!;

    private async Task<JsonNode> WaitServiceAsync(string name, Func<JsonNode, bool> done, string what, TimeSpan timeout)
    {
        JsonNode? service = null;
        await Poll.UntilAsync(
            async () =>
            {
                service = await ServiceAsync(name);
                return done(service);
            },
            timeout,
            () => $"{what}: {service?.ToJsonString()}");
        return service!;
    }

    private async Task<List<string>> RunningTasksAsync(string service)
    {
        var listed = await fixture.Ecs.OkAsync("list_tasks", new JsonObject { ["serviceName"] = service });
        return [.. listed["taskArns"]!.AsArray().Select(a => (string)a!)];
    }

    [Fact]
    public async Task A_scheduled_action_changes_min_and_max_at_its_time()
    {
        await fixture.Ecs.OkAsync("register_task_definition", new JsonObject
        {
            ["family"] = "as-idle",
            ["cpu"] = "128",
            ["memory"] = "32",
            ["containerDefinitions"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = fixture.Image.Name, ["command"] = new JsonArray("sleep", "3600"), ["stopTimeout"] = 2 }),
        });
        await fixture.Ecs.OkAsync("create_service", new JsonObject { ["serviceName"] = "as-idle", ["taskDefinition"] = "as-idle", ["desiredCount"] = 1 });
        try
        {
            // Bad input first (boto3, one process): AWS's errors, nothing written.
            var refused = await Clients.PythonAsync(Server, "service_ops.py", stdin: """
                [{"service": "application-autoscaling", "op": "register_scalable_target", "args": {"ServiceNamespace": "ecs", "ResourceId": "service/default/nope", "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 1, "MaxCapacity": 2}},
                 {"service": "application-autoscaling", "op": "register_scalable_target", "args": {"ServiceNamespace": "ecs", "ResourceId": "service/default/as-idle", "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 3, "MaxCapacity": 2}},
                 {"service": "application-autoscaling", "op": "register_scalable_target", "args": {"ServiceNamespace": "ecs", "ResourceId": "cluster/default", "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 1, "MaxCapacity": 2}},
                 {"service": "application-autoscaling", "op": "put_scheduled_action", "args": {"ServiceNamespace": "ecs", "ResourceId": "service/default/as-idle", "ScalableDimension": "ecs:service:DesiredCount", "ScheduledActionName": "up", "Schedule": "rate(1 hour)", "ScalableTargetAction": {"MinCapacity": 2}}},
                 {"service": "application-autoscaling", "op": "describe_scalable_targets", "args": {"ServiceNamespace": "ecs", "ResourceIds": ["service/default/as-idle"]}}]
                """);
            Assert.Equal(
                [("ValidationException", "ECS service doesn't exist: service/default/nope"), ("ValidationException", "Minimum capacity cannot be greater than maximum capacity"), ("ValidationException", "Unsupported service namespace, resource type or scalable dimension"), ("ObjectNotFoundException", "No scalable target registered for service namespace: ecs, resource ID: service/default/as-idle, scalable dimension: ecs:service:DesiredCount")],
                refused.AsArray().Take(4).Select(r => ((string?)r!["code"], (string?)r["message"])));
            Assert.Empty(refused[4]!["response"]!["ScalableTargets"]!.AsArray());

            var registered = await Aas("register-scalable-target", "--service-namespace", "ecs", "--resource-id", "service/default/as-idle", "--scalable-dimension", Dimension, "--min-capacity", "1", "--max-capacity", "2", "--tags", "team=blue");
            var arn = (string)registered!["ScalableTargetARN"]!;
            Assert.StartsWith("arn:aws:application-autoscaling:us-east-1:", arn, StringComparison.Ordinal);
            Assert.Equal("blue", (string?)(await Aas("list-tags-for-resource", "--resource-arn", arn))!["Tags"]!["team"]);
            await Clients.AwsErrorAsync(Server, "ValidationException", "PutScheduledAction", "application-autoscaling", "put-scheduled-action", "--service-namespace", "ecs", "--resource-id", "service/default/as-idle", "--scalable-dimension", Dimension, "--scheduled-action-name", "up", "--schedule", "every hour", "--scalable-target-action", "MinCapacity=2");

            // In 4 s, in the Paris zone: min 2, max 3. The desired count follows the new minimum.
            var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
            var at = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddSeconds(4), paris).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
            await Aas("put-scheduled-action", "--service-namespace", "ecs", "--resource-id", "service/default/as-idle", "--scalable-dimension", Dimension, "--scheduled-action-name", "up", "--schedule", $"at({at})", "--timezone", "Europe/Paris", "--scalable-target-action", "MinCapacity=2,MaxCapacity=3");
            var listed = (await Aas("describe-scheduled-actions", "--service-namespace", "ecs", "--resource-id", "service/default/as-idle"))!["ScheduledActions"]!.AsArray();
            Assert.Equal(($"at({at})", "Europe/Paris", 2), ((string?)listed.Single()!["Schedule"], (string?)listed.Single()!["Timezone"], (int)listed.Single()!["ScalableTargetAction"]!["MinCapacity"]!));

            await WaitServiceAsync("as-idle", s => (int)s["desiredCount"]! == 2, "desired count 2 after the scheduled action", TimeSpan.FromSeconds(30));
            var target = (await Aas("describe-scalable-targets", "--service-namespace", "ecs", "--resource-ids", "service/default/as-idle"))!["ScalableTargets"]![0]!;
            Assert.Equal((2, 3), ((int)target["MinCapacity"]!, (int)target["MaxCapacity"]!));
            var activities = (await Aas("describe-scaling-activities", "--service-namespace", "ecs", "--resource-id", "service/default/as-idle"))!["ScalingActivities"]!.AsArray();
            Assert.Contains(activities, a => (string?)a!["Cause"] == "scheduled action name up was triggered" && (string?)a["Description"] == "Setting min capacity to 2 and max capacity to 3" && (string?)a["StatusCode"] == "Successful");
            Assert.Contains(activities, a => (string?)a!["Cause"] == "minimum capacity was set to 2" && (string?)a["Description"] == "Setting desired count to 2.");

            await Aas("delete-scheduled-action", "--service-namespace", "ecs", "--resource-id", "service/default/as-idle", "--scalable-dimension", Dimension, "--scheduled-action-name", "up");
            await Clients.AwsErrorAsync(Server, "ObjectNotFoundException", "DeleteScheduledAction", "application-autoscaling", "delete-scheduled-action", "--service-namespace", "ecs", "--resource-id", "service/default/as-idle", "--scalable-dimension", Dimension, "--scheduled-action-name", "up");
            await Aas("deregister-scalable-target", "--service-namespace", "ecs", "--resource-id", "service/default/as-idle", "--scalable-dimension", Dimension);
            await Clients.AwsErrorAsync(Server, "ObjectNotFoundException", "DeregisterScalableTarget", "application-autoscaling", "deregister-scalable-target", "--service-namespace", "ecs", "--resource-id", "service/default/as-idle", "--scalable-dimension", Dimension);
        }
        finally
        {
            await fixture.Ecs.CallAsync("delete_service", new JsonObject { ["service"] = "as-idle", ["force"] = true });
        }
    }

    [Fact]
    public async Task Targets_policies_and_their_alarms_survive_a_restart()
    {
        using var dataDir = new TempDir("berth-e2e-autoscaling-restart-");
        string policyArn;
        await using (var server = await BerthServer.StartAsync(dataDir.Path, extraArguments: ["--no-fargate", "--no-local-agent"]))
        {
            await using var ecs = EcsSession.Start(server);
            await ecs.OkAsync("register_task_definition", new JsonObject
            {
                ["family"] = "as-kept",
                ["containerDefinitions"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "busybox", ["memory"] = 16 }),
            });
            await ecs.OkAsync("create_service", new JsonObject { ["serviceName"] = "as-kept", ["taskDefinition"] = "as-kept", ["desiredCount"] = 0 });
            await Clients.AwsJsonAsync(server, "application-autoscaling", "register-scalable-target", "--service-namespace", "ecs", "--resource-id", "service/default/as-kept", "--scalable-dimension", Dimension, "--min-capacity", "0", "--max-capacity", "5", "--suspended-state", "ScheduledScalingSuspended=true");
            var put = await Clients.AwsJsonAsync(server, "application-autoscaling", "put-scaling-policy", "--service-namespace", "ecs", "--resource-id", "service/default/as-kept", "--scalable-dimension", Dimension, "--policy-name", "mem", "--policy-type", "TargetTrackingScaling", "--target-tracking-scaling-policy-configuration", """{"TargetValue": 70, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageMemoryUtilization"}, "DisableScaleIn": true}""");
            policyArn = (string)put!["PolicyARN"]!;
            Assert.Single(put["Alarms"]!.AsArray());
            await Clients.AwsJsonAsync(server, "application-autoscaling", "put-scheduled-action", "--service-namespace", "ecs", "--resource-id", "service/default/as-kept", "--scalable-dimension", Dimension, "--scheduled-action-name", "nightly", "--schedule", "cron(0 22 * * ? *)", "--scalable-target-action", "MaxCapacity=1");
        }

        await using (var server = await BerthServer.StartAsync(dataDir.Path, extraArguments: ["--no-fargate", "--no-local-agent"]))
        {
            var target = (await Clients.AwsJsonAsync(server, "application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs"))!["ScalableTargets"]![0]!;
            Assert.Equal((0, 5, true), ((int)target["MinCapacity"]!, (int)target["MaxCapacity"]!, (bool)target["SuspendedState"]!["ScheduledScalingSuspended"]!));
            var policy = (await Clients.AwsJsonAsync(server, "application-autoscaling", "describe-scaling-policies", "--service-namespace", "ecs"))!["ScalingPolicies"]![0]!;
            Assert.Equal((policyArn, 70.0, true), ((string)policy["PolicyARN"]!, (double)policy["TargetTrackingScalingPolicyConfiguration"]!["TargetValue"]!, (bool)policy["TargetTrackingScalingPolicyConfiguration"]!["DisableScaleIn"]!));
            var alarm = (string)policy["Alarms"]![0]!["AlarmName"]!;
            Assert.StartsWith("TargetTracking-service/default/as-kept-AlarmHigh-", alarm, StringComparison.Ordinal);
            var described = (await Clients.AwsJsonAsync(server, "cloudwatch", "describe-alarms", "--alarm-names", alarm))!["MetricAlarms"]!.AsArray();
            Assert.Equal(("MemoryUtilization", 70.0), ((string?)described.Single()!["MetricName"], (double)described.Single()!["Threshold"]!));
            var actions = (await Clients.AwsJsonAsync(server, "application-autoscaling", "describe-scheduled-actions", "--service-namespace", "ecs"))!["ScheduledActions"]!.AsArray();
            Assert.Equal("cron(0 22 * * ? *)", (string?)actions.Single()!["Schedule"]);
        }
    }

    [Fact]
    public async Task Target_tracking_scales_out_under_CPU_load_and_back_in_around_a_protected_task()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var load = new TempDir("berth-e2e-autoscaling-load-");

        // 128 units (an eighth of a core): one busy loop is ~100 % of it, and three tasks hold under half a core. The
        // loop burns only while the host file exists (created once the policy is in place), and ends on SIGTERM (a scale-in does not wait out stopTimeout).
        await fixture.Ecs.OkAsync("register_task_definition", $$$"""
            {
              "family": "as-burn", "cpu": "128", "memory": "32",
              "volumes": [{"name": "load", "host": {"sourcePath": "{{{load.Path}}}"}}],
              "containerDefinitions": [{
                "name": "main", "image": "{{{fixture.Image.Name}}}",
                "mountPoints": [{"sourceVolume": "load", "containerPath": "/load"}],
                "stopTimeout": 2,
                "command": ["sh", "-c", "trap 'exit 0' TERM; while :; do if [ -e /load/on ]; then :; else sleep 1; fi; done"]
              }]
            }
            """);
        await fixture.Ecs.OkAsync("create_service", new JsonObject { ["serviceName"] = "as-burner", ["taskDefinition"] = "as-burn", ["desiredCount"] = 1 });
        try
        {
            await Aas("register-scalable-target", "--service-namespace", "ecs", "--resource-id", "service/default/as-burner", "--scalable-dimension", Dimension, "--min-capacity", "1", "--max-capacity", "3");

            // boto3 puts the policy; the AWS CLI reads it back with the alarms it made.
            var put = await Clients.PythonAsync(Server, "service_ops.py", stdin: """
                [{"service": "application-autoscaling", "op": "put_scaling_policy", "args": {
                  "PolicyName": "cpu50", "ServiceNamespace": "ecs", "ResourceId": "service/default/as-burner",
                  "ScalableDimension": "ecs:service:DesiredCount", "PolicyType": "TargetTrackingScaling",
                  "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": 50.0, "ScaleOutCooldown": 0, "ScaleInCooldown": 0,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}}]
                """);
            Assert.True((bool)put[0]!["ok"]!, put.ToJsonString());
            var policies = (await Aas("describe-scaling-policies", "--service-namespace", "ecs", "--resource-id", "service/default/as-burner"))!["ScalingPolicies"]!.AsArray();
            var alarmNames = policies.Single()!["Alarms"]!.AsArray().Select(a => (string)a!["AlarmName"]!).ToList();
            Assert.Equal(2, alarmNames.Count);
            Assert.Matches("^TargetTracking-service/default/as-burner-AlarmHigh-[0-9a-f-]{36}$", alarmNames[0]);
            Assert.Matches("^TargetTracking-service/default/as-burner-AlarmLow-[0-9a-f-]{36}$", alarmNames[1]);
            var alarms = (await Clients.AwsJsonAsync(Server, ["cloudwatch", "describe-alarms", "--alarm-names", .. alarmNames]))!["MetricAlarms"]!.AsArray();
            Assert.Equal([(3, 50.0), (15, 45.0)], alarms.Select(a => ((int)a!["EvaluationPeriods"]!, (double)a["Threshold"]!)).OrderBy(x => x.Item1));

            // The load starts. Scale-out: 1 → 2 → 3 (the max), each task as busy as the first.
            await File.WriteAllTextAsync(load.File("on"), "on");
            var started = DateTimeOffset.UtcNow;
            await WaitServiceAsync("as-burner", s => (int)s["desiredCount"]! == 3 && (int)s["runningCount"]! == 3, "scaled out to 3 running", TimeSpan.FromSeconds(45));
            var scaledOutAfter = DateTimeOffset.UtcNow - started;

            // Two of the three are protected from scale-in.
            var tasks = await RunningTasksAsync("as-burner");
            Assert.Equal(3, tasks.Count);
            var protectedTasks = tasks.Take(2).ToList();
            var unprotected = tasks[2];
            var protection = await fixture.Ecs.OkAsync("update_task_protection", new JsonObject
            {
                ["cluster"] = "default",
                ["tasks"] = new JsonArray([.. protectedTasks.Select(t => (JsonNode)t)]),
                ["protectionEnabled"] = true,
                ["expiresInMinutes"] = 10,
            });
            Assert.Equal(2, protection["protectedTasks"]!.AsArray().Count(p => (bool)p!["protectionEnabled"]!));
            var got = await fixture.Ecs.OkAsync("get_task_protection", new JsonObject { ["cluster"] = "default", ["tasks"] = new JsonArray(unprotected, "no-such-task") });
            Assert.False((bool)got["protectedTasks"]![0]!["protectionEnabled"]!);
            Assert.Equal("MISSING", (string?)got["failures"]![0]!["reason"]);
            await fixture.Ecs.ErrorAsync("update_task_protection", new JsonObject { ["cluster"] = "default", ["tasks"] = new JsonArray(unprotected), ["protectionEnabled"] = true, ["expiresInMinutes"] = 2881 }, "InvalidParameterException");

            // The load stops: after 15 low periods the policy asks for 1; only the unprotected task is stopped.
            File.Delete(load.File("on"));
            var stopping = DateTimeOffset.UtcNow;
            await WaitServiceAsync("as-burner", s => (int)s["desiredCount"]! == 1, "scaled in to 1", TimeSpan.FromSeconds(60));
            var scaledInAfter = DateTimeOffset.UtcNow - stopping;
            await fixture.Ecs.WaitStatusAsync("default", unprotected, "STOPPED");
            await WaitServiceAsync("as-burner", s => (int)s["runningCount"]! == 2, "the two protected tasks still running", TimeSpan.FromSeconds(20));
            Assert.Equal(protectedTasks.Order(StringComparer.Ordinal), (await RunningTasksAsync("as-burner")).Order(StringComparer.Ordinal));

            // Protection lifted from one: the count reaches the desired one.
            await fixture.Ecs.OkAsync("update_task_protection", new JsonObject { ["cluster"] = "default", ["tasks"] = new JsonArray(protectedTasks[0]), ["protectionEnabled"] = false });
            await fixture.Ecs.WaitStatusAsync("default", protectedTasks[0], "STOPPED");
            Assert.Equal([protectedTasks[1]], await RunningTasksAsync("as-burner"));

            var activities = (await Aas("describe-scaling-activities", "--service-namespace", "ecs", "--resource-id", "service/default/as-burner"))!["ScalingActivities"]!.AsArray();
            Assert.Contains(activities, a => (string?)a!["Cause"] == $"monitor alarm {alarmNames[0]} in state ALARM triggered policy cpu50" && (string?)a["StatusCode"] == "Successful");
            Assert.Contains(activities, a => (string?)a!["Cause"] == $"monitor alarm {alarmNames[1]} in state ALARM triggered policy cpu50" && (string?)a["Description"] == "Setting desired count to 1.");
            Console.WriteLine($"autoscaling e2e: from load start to 3 running in {scaledOutAfter.TotalSeconds:0.0} s, from load end to desired 1 in {scaledInAfter.TotalSeconds:0.0} s (2 s periods); the test took {clock.Elapsed.TotalSeconds:0.0} s");

            // Deleting the policy deletes its alarms.
            await Aas("delete-scaling-policy", "--service-namespace", "ecs", "--resource-id", "service/default/as-burner", "--scalable-dimension", Dimension, "--policy-name", "cpu50");
            Assert.Empty((await Clients.AwsJsonAsync(Server, ["cloudwatch", "describe-alarms", "--alarm-names", .. alarmNames]))!["MetricAlarms"]!.AsArray());
        }
        finally
        {
            File.Delete(load.File("on"));
            await Clients.AwsAsync(Server, "application-autoscaling", "deregister-scalable-target", "--service-namespace", "ecs", "--resource-id", "service/default/as-burner", "--scalable-dimension", Dimension);
            await fixture.Ecs.CallAsync("delete_service", new JsonObject { ["service"] = "as-burner", ["force"] = true });
        }
    }
}
