using System.Globalization;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Capacity;

/// <summary>
/// A server with no local agent and no FARGATE capacity, a metric period of 1 s (so managed scaling decides every
/// second and scales in after 15 s below its target) and a fast provisioner. Disposing kills it and removes the
/// containers of every instance its groups launched.
/// </summary>
public sealed class AutoScalingGroupFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-asg-");
    private TestImage? _image;

    /// <summary>Unique to this run: image tag.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>The running server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>The boto3 session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public string Image => _image!.Name;

    /// <summary>Container instances whose containers are removed at the end.</summary>
    public HashSet<string> SeenInstances { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync("asg-" + RunId);
        Server = await BerthServer.StartAsync(
            _dataDir.Path,
            extraArguments: ["--no-local-agent", "--no-fargate", "--service-resync", "1", "--asg-interval", "0.2"],
            environment: new Dictionary<string, string> { ["BERTH_METRIC_PERIOD_SECONDS"] = "1" });
        _image = await image;
        Ecs = EcsSession.Start(Server);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Ecs is not null)
        {
            await Ecs.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await RemoveLeftoversAsync(SeenInstances, RunId);
        if (_image is not null)
        {
            await _image.DisposeAsync();
        }

        _dataDir.Dispose();
    }
}

/// <summary>What the Auto Scaling tests make through the AWS CLI.</summary>
public static class AsgCli
{
    /// <summary>
    /// Creates cluster <paramref name="cluster"/>, launch configuration <c>lc</c> (t3.micro, its user data naming the
    /// cluster) and group <c>g</c> of it in local-1a with <paramref name="min"/>..<paramref name="max"/> instances.
    /// </summary>
    public static async Task CreateGroupAsync(BerthServer server, string cluster, int min, int max)
    {
        await Clients.AwsJsonAsync(server, "ecs", "create-cluster", "--cluster-name", cluster);
        await Clients.AwsJsonAsync(server, "autoscaling", "create-launch-configuration", "--launch-configuration-name", "lc", "--image-id", "ami-0berth", "--instance-type", "t3.micro", "--user-data", $"#!/bin/bash\necho ECS_CLUSTER={cluster} >> /etc/ecs/ecs.config\n");
        await Clients.AwsJsonAsync(
            server, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "g", "--launch-configuration-name", "lc",
            "--min-size", min.ToString(CultureInfo.InvariantCulture), "--max-size", max.ToString(CultureInfo.InvariantCulture), "--availability-zones", "local-1a");
    }
}

/// <summary>
/// An Auto Scaling group provider with managed scaling and termination protection, through the real AWS CLI: a
/// service of ten tasks on an empty group (min 0, max 3, t3.micro instances: four 256 MiB tasks each) waits in
/// PROVISIONING (no container instance yet) while the group scales 0 → 3 (CapacityProviderReservation 200 %, visible
/// to get-metric-statistics), the tasks then run on the group's instances, and once the service is deleted the group
/// scales back to 0, never terminating an instance while it runs a task. A server killed with SIGKILL in the middle
/// of a scale-out finishes it after its restart with no duplicate instance and no lost task.
/// </summary>
public sealed class AutoScalingGroupTests(AutoScalingGroupFixture fixture, ITestOutputHelper output) : IClassFixture<AutoScalingGroupFixture>
{
    private const string Cluster = "asg-e2e";

    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task A_group_provider_scales_out_for_a_service_and_back_to_its_minimum_after()
    {
        await Clients.AwsJsonAsync(Server, "ecs", "create-cluster", "--cluster-name", Cluster);
        // botocore base64-encodes the user data it is given, as for EC2.
        var userData = $"#!/bin/bash\necho ECS_CLUSTER={Cluster} >> /etc/ecs/ecs.config\n";
        await Clients.AwsJsonAsync(Server, "autoscaling", "create-launch-configuration", "--launch-configuration-name", "lc", "--image-id", "ami-0berth", "--instance-type", "t3.micro", "--user-data", userData);
        var error = await Clients.AwsErrorAsync(Server, "ValidationError", "CreateAutoScalingGroup", "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "g", "--launch-configuration-name", "lc", "--min-size", "2", "--max-size", "1", "--availability-zones", "local-1a");
        Assert.Contains("Max bound, 1, must be greater than or equal to min bound, 2", error, StringComparison.Ordinal);
        await Clients.AwsJsonAsync(Server, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "g", "--launch-configuration-name", "lc", "--min-size", "0", "--max-size", "3", "--availability-zones", "local-1a");
        var group = (await Clients.AwsJsonAsync(Server, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "g"))!["AutoScalingGroups"]![0]!;
        Assert.Equal((0, 0), ((int)group["DesiredCapacity"]!, group["Instances"]!.AsArray().Count));
        var groupArn = (string)group["AutoScalingGroupARN"]!;

        await Clients.AwsJsonAsync(
            Server, "ecs", "create-capacity-provider", "--name", "cp", "--auto-scaling-group-provider",
            $"autoScalingGroupArn={groupArn},managedScaling={{status=ENABLED,targetCapacity=100,minimumScalingStepSize=1,maximumScalingStepSize=3,instanceWarmupPeriod=1}},managedTerminationProtection=ENABLED");
        await Clients.AwsJsonAsync(Server, "ecs", "put-cluster-capacity-providers", "--cluster", Cluster, "--capacity-providers", "cp", "--default-capacity-provider-strategy", "capacityProvider=cp,weight=1");
        await fixture.Ecs.OkAsync("register_task_definition", $$"""
            {
              "family": "asg-app",
              "containerDefinitions": [{"name": "main", "image": "{{fixture.Image}}", "essential": true, "cpu": 256, "memory": 256,
                "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]}]
            }
            """);

        // No instances yet: the service's ten tasks wait in PROVISIONING on no instance, the reservation is 200 % and
        // the group scales out to three instances.
        await Clients.AwsJsonAsync(Server, "ecs", "create-service", "--cluster", Cluster, "--service-name", "web", "--task-definition", "asg-app", "--desired-count", "10");
        var (waiting, first) = await WaitingTasksAsync();
        output.WriteLine($"{waiting.Count} tasks seen in PROVISIONING with no container instance");
        Assert.All(waiting, t => Assert.Equal(("PROVISIONING", "RUNNING", "cp"), ((string?)t["lastStatus"], (string?)t["desiredStatus"], (string?)t["capacityProviderName"])));
        if (waiting.Count == 0)
        {
            // The scale-out outran the polls (a loaded machine's CLI calls are slow): the tasks were still made before
            // the group's first instance registered, so they had waited with none.
            var registeredArns = Expect.Strings((await fixture.Ecs.OkAsync("list_container_instances", $$"""{"cluster": "{{Cluster}}"}"""))["containerInstanceArns"]);
            var registered = (await fixture.Ecs.OkAsync("describe_container_instances", new JsonObject { ["cluster"] = Cluster, ["containerInstances"] = new JsonArray([.. registeredArns.Select(a => (JsonNode)a)]) }))["containerInstances"]!.AsArray()
                .Min(i => DateTimeOffset.Parse((string)i!["registeredAt"]!, CultureInfo.InvariantCulture));
            Assert.All(first, t => Assert.True(DateTimeOffset.Parse((string)t["createdAt"]!, CultureInfo.InvariantCulture) < registered, t.ToJsonString()));
        }

        var tasks = await RunningTasksAsync(10);
        Assert.All(tasks, t => Assert.Equal("cp", (string?)t["capacityProviderName"]));
        // The very tasks that waited are the ones that run: placed once the instances registered, not replaced.
        Assert.Subset(tasks.Select(t => (string)t["taskArn"]!).ToHashSet(), waiting.Select(t => (string)t["taskArn"]!).ToHashSet());
        var instanceArns = tasks.Select(t => (string)t["containerInstanceArn"]!).Distinct().ToList();
        fixture.SeenInstances.UnionWith(instanceArns);
        Assert.Equal(3, instanceArns.Count);

        var instances = (await Clients.AwsJsonAsync(Server, ["ecs", "describe-container-instances", "--cluster", Cluster, "--container-instances", .. instanceArns]))!["containerInstances"]!.AsArray();
        var ec2Ids = instances.Select(i => (string)i!["ec2InstanceId"]!).Order().ToList();
        Assert.All(instances, i => Assert.Equal(2048, Integer(i!["registeredResources"], "CPU")));
        Assert.All(instances, i => Assert.Equal(1024, Integer(i!["registeredResources"], "MEMORY")));
        Assert.All(instances, i => Assert.Equal("cp", (string?)i!["capacityProviderName"]));
        group = (await Clients.AwsJsonAsync(Server, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "g"))!["AutoScalingGroups"]![0]!;
        output.WriteLine(group.ToJsonString());
        Assert.Equal(3, (int)group["DesiredCapacity"]!);
        Assert.Equal(ec2Ids, group["Instances"]!.AsArray().Select(i => (string)i!["InstanceId"]!).Order().ToList());
        Assert.All(ec2Ids, id => Assert.Matches("^i-[0-9a-f]{17}$", id));

        // Managed termination protection: instances running tasks are protected from scale-in.
        await Poll.UntilAsync(
            async () => (await Clients.AwsJsonAsync(Server, "autoscaling", "describe-auto-scaling-instances"))!["AutoScalingInstances"]!.AsArray()
                .All(i => (bool)i!["ProtectedFromScaleIn"]! && (string?)i["LifecycleState"] == "InService"),
            Poll.DefaultTimeout,
            () => "every instance InService and protected");

        // The reservation metric as CloudWatch shows it: 200 % while the tasks waited with no instance, 100 % once they run.
        var statistics = (await Clients.AwsJsonAsync(
            Server, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/ECS/ManagedScaling", "--metric-name", "CapacityProviderReservation",
            "--dimensions", "Name=CapacityProviderName,Value=cp", $"Name=ClusterName,Value={Cluster}", "--statistics", "Maximum", "Minimum",
            "--start-time", DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O"), "--end-time", DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"), "--period", "60"))!;
        output.WriteLine(statistics.ToJsonString());
        Assert.Contains(statistics["Datapoints"]!.AsArray(), d => (double)d!["Maximum"]! == 200);

        // The service goes: the instances empty, lose their protection, and the group scales in to its minimum. An
        // instance is terminated only once it runs nothing: every task stopped before any termination began.
        await Clients.AwsJsonAsync(Server, "ecs", "delete-service", "--cluster", Cluster, "--service", "web", "--force");
        var arns = tasks.Select(t => (string)t["taskArn"]!).ToList();
        var stopped = await fixture.Ecs.WaitTasksAsync(Cluster, arns, t => (string?)t["lastStatus"] == "STOPPED", "STOPPED");
        var lastStop = stopped.Max(t => DateTimeOffset.Parse((string)t["stoppedAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        await Poll.UntilAsync(
            async () =>
            {
                var now = (await Clients.AwsJsonAsync(Server, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "g"))!["AutoScalingGroups"]![0]!;
                return (int)now["DesiredCapacity"]! == 0 && now["Instances"]!.AsArray().Count == 0;
            },
            TimeSpan.FromSeconds(75),
            () => "the group back at 0 instances");
        var activities = (await Clients.AwsJsonAsync(Server, "autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", "g"))!["Activities"]!.AsArray();
        output.WriteLine(activities.ToJsonString());
        Assert.Equal(3, activities.Count(a => ((string)a!["Description"]!).StartsWith("Launching a new EC2 instance", StringComparison.Ordinal)));
        var terminations = activities.Where(a => ((string)a!["Description"]!).StartsWith("Terminating EC2 instance", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, terminations.Count);
        Assert.All(terminations, a => Assert.Equal("Successful", (string?)a!["StatusCode"]));
        Assert.All(terminations, a => Assert.True(DateTimeOffset.Parse((string)a!["StartTime"]!, System.Globalization.CultureInfo.InvariantCulture) >= lastStop.AddSeconds(-1), a!.ToJsonString()));
        var gone = (await Clients.AwsJsonAsync(Server, ["ecs", "describe-container-instances", "--cluster", Cluster, "--container-instances", .. instanceArns]))!["containerInstances"]!.AsArray();
        Assert.All(gone, i => Assert.Equal("INACTIVE", (string?)i!["status"]));

        // With no instances left, the group can be deleted without ForceDelete.
        await Clients.AwsJsonAsync(Server, "autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "g");
        Assert.Empty((await Clients.AwsJsonAsync(Server, "autoscaling", "describe-auto-scaling-groups"))!["AutoScalingGroups"]!.AsArray());
    }

    [Fact]
    public async Task A_server_killed_during_a_scale_out_finishes_it_with_no_duplicate_instance_and_no_lost_task()
    {
        // Its own server and data dir: this one is killed.
        using var dataDir = new TempDir("berth-e2e-asg-kill-");
        string[] flags = ["--no-local-agent", "--no-fargate", "--service-resync", "1", "--asg-interval", "0.2"];
        var environment = new Dictionary<string, string> { ["BERTH_METRIC_PERIOD_SECONDS"] = "1" };
        var server = await BerthServer.StartAsync(dataDir.Path, extraArguments: flags, environment: environment);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            const string cluster = "asg-kill";
            await AsgCli.CreateGroupAsync(server, cluster, 0, 3);
            var groupArn = (string)(await Clients.AwsJsonAsync(server, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "g"))!["AutoScalingGroups"]![0]!["AutoScalingGroupARN"]!;
            await Clients.AwsJsonAsync(
                server, "ecs", "create-capacity-provider", "--name", "cp", "--auto-scaling-group-provider",
                $"autoScalingGroupArn={groupArn},managedScaling={{status=ENABLED,targetCapacity=100,instanceWarmupPeriod=1}},managedTerminationProtection=ENABLED");
            await Clients.AwsJsonAsync(server, "ecs", "put-cluster-capacity-providers", "--cluster", cluster, "--capacity-providers", "cp", "--default-capacity-provider-strategy", "capacityProvider=cp,weight=1");
            await Clients.AwsJsonAsync(
                server, "ecs", "register-task-definition", "--family", "kill-app", "--container-definitions",
                $$"""[{"name": "main", "image": "{{fixture.Image}}", "essential": true, "cpu": 256, "memory": 256, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]}]""");
            await Clients.AwsJsonAsync(server, "ecs", "create-service", "--cluster", cluster, "--service-name", "web", "--task-definition", "kill-app", "--desired-count", "8");

            // The tasks wait; the moment the scale-out has recorded its first launch, the server is killed.
            List<string> before = [];
            await Poll.UntilAsync(
                async () =>
                {
                    before = Expect.Strings((await Clients.AwsJsonAsync(server, "ecs", "list-tasks", "--cluster", cluster))!["taskArns"]);
                    var group = (await Clients.AwsJsonAsync(server, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "g"))!["AutoScalingGroups"]![0]!;
                    return before.Count == 8 && group["Instances"]!.AsArray().Count > 0;
                },
                TimeSpan.FromSeconds(30),
                () => "8 tasks and a launch recorded");
            await server.KillAsync();
            var port = server.Port;
            await server.DisposeAsync();

            server = await BerthServer.StartAsync(dataDir.Path, extraArguments: flags, environment: environment, port: port);
            List<JsonNode> tasks = [];
            await Poll.UntilAsync(
                async () =>
                {
                    var arns = Expect.Strings((await Clients.AwsJsonAsync(server, "ecs", "list-tasks", "--cluster", cluster, "--desired-status", "RUNNING"))!["taskArns"]);
                    tasks = arns.Count == 0 ? [] : [.. (await Clients.AwsJsonAsync(server, ["ecs", "describe-tasks", "--cluster", cluster, "--tasks", .. arns]))!["tasks"]!.AsArray().Select(t => t!)];
                    seen.UnionWith(tasks.Where(t => t["containerInstanceArn"] is not null).Select(t => (string)t["containerInstanceArn"]!));
                    return tasks.Count == 8 && tasks.All(t => (string?)t["lastStatus"] == "RUNNING");
                },
                TimeSpan.FromSeconds(60),
                () => "8 RUNNING tasks after the restart");

            // No lost task: the very tasks of before the kill run (none replaced, none stopped).
            Assert.Equal(before.Order(StringComparer.Ordinal), tasks.Select(t => (string)t["taskArn"]!).Order(StringComparer.Ordinal));
            Assert.Empty(Expect.Strings((await Clients.AwsJsonAsync(server, "ecs", "list-tasks", "--cluster", cluster, "--desired-status", "STOPPED"))!["taskArns"]));

            // No duplicate instance: two instances in the group, each registered once in ECS, and nothing more launched.
            var after = (await Clients.AwsJsonAsync(server, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "g"))!["AutoScalingGroups"]![0]!;
            output.WriteLine(after.ToJsonString());
            var ids = after["Instances"]!.AsArray().Select(i => (string)i!["InstanceId"]!).Order(StringComparer.Ordinal).ToList();
            Assert.Equal((2, 2), ((int)after["DesiredCapacity"]!, ids.Count));
            var registered = Expect.Strings((await Clients.AwsJsonAsync(server, "ecs", "list-container-instances", "--cluster", cluster))!["containerInstanceArns"]);
            seen.UnionWith(registered);
            var described = (await Clients.AwsJsonAsync(server, ["ecs", "describe-container-instances", "--cluster", cluster, "--container-instances", .. registered]))!["containerInstances"]!.AsArray();
            Assert.Equal(ids, described.Select(i => (string)i!["ec2InstanceId"]!).Order(StringComparer.Ordinal));
            var activities = (await Clients.AwsJsonAsync(server, "autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", "g"))!["Activities"]!.AsArray();
            Assert.Equal(2, activities.Count(a => ((string)a!["Description"]!).StartsWith("Launching a new EC2 instance", StringComparison.Ordinal)));
        }
        finally
        {
            await server.DisposeAsync();
            await RemoveLeftoversAsync(seen, fixture.RunId);
        }
    }

    [Fact]
    public async Task A_group_instance_deregistered_from_ECS_keeps_its_identity_and_never_joins_again_as_another()
    {
        // Its own server and data dir: this one is restarted.
        using var dataDir = new TempDir("berth-e2e-asg-dereg-");
        string[] flags = ["--no-local-agent", "--no-fargate", "--asg-interval", "0.2"];
        var server = await BerthServer.StartAsync(dataDir.Path, extraArguments: flags);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            const string cluster = "asg-dereg";
            await AsgCli.CreateGroupAsync(server, cluster, 1, 1);
            await using (var ecs = EcsSession.Start(server))
            {
                seen.Add(await WaitForInstanceAsync(ecs, cluster));
            }

            var arn = seen.Single();
            await Clients.AwsJsonAsync(server, "ecs", "deregister-container-instance", "--cluster", cluster, "--container-instance", arn, "--force");

            // The server restarts and starts the instance's agent again. As the ECS agent treats it, a deregistered
            // instance is not registered again, and its agent does not come back as a new instance either.
            var port = server.Port;
            await server.KillAsync();
            await server.DisposeAsync();
            server = await BerthServer.StartAsync(dataDir.Path, extraArguments: flags, port: port);
            var restarted = server;
            await Poll.UntilAsync(
                () => restarted.Stdout.Contains($"The container instance {arn} is inactive and cannot be registered again", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60),
                () => $"the agent never tried its identity again:\n{restarted.Stdout}");
            Assert.Equal([arn], Expect.Strings((await Clients.AwsJsonAsync(server, "ecs", "list-container-instances", "--cluster", cluster, "--status", "INACTIVE"))!["containerInstanceArns"]));
            Assert.Empty(Expect.Strings((await Clients.AwsJsonAsync(server, "ecs", "list-container-instances", "--cluster", cluster, "--status", "ACTIVE"))!["containerInstanceArns"]));
            Assert.DoesNotContain("Registered container instance", server.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await server.DisposeAsync();
            await RemoveLeftoversAsync(seen, fixture.RunId);
        }
    }

    /// <summary>
    /// Polls until the service's tasks exist; returns those still waiting with no container instance (none when the
    /// scale-out placed them all before a poll saw them) and every task as first seen.
    /// </summary>
    private async Task<(List<JsonNode> Waiting, List<JsonNode> First)> WaitingTasksAsync()
    {
        List<JsonNode> waiting = [];
        List<JsonNode> first = [];
        await Poll.UntilAsync(
            async () =>
            {
                var arns = Expect.Strings((await fixture.Ecs.OkAsync("list_tasks", $$"""{"cluster": "{{Cluster}}", "serviceName": "web"}"""))["taskArns"]);
                if (arns.Count == 0)
                {
                    return false;
                }

                var described = (await fixture.Ecs.OkAsync("describe_tasks", new JsonObject { ["cluster"] = Cluster, ["tasks"] = new JsonArray([.. arns.Select(a => (JsonNode)a)]) }))["tasks"]!.AsArray().Select(t => t!).ToList();
                waiting = [.. described.Where(t => t["containerInstanceArn"] is null)];
                first = described;
                return waiting.Count > 0 || described.Count == 10;
            },
            TimeSpan.FromSeconds(30),
            () => "tasks of service web waiting in PROVISIONING");
        return (waiting, first);
    }

    private async Task<List<JsonNode>> RunningTasksAsync(int count)
    {
        List<JsonNode> tasks = [];
        await Poll.UntilAsync(
            async () =>
            {
                var arns = Expect.Strings((await fixture.Ecs.OkAsync("list_tasks", $$"""{"cluster": "{{Cluster}}", "serviceName": "web", "desiredStatus": "RUNNING"}"""))["taskArns"]);
                if (arns.Count != count)
                {
                    return false;
                }

                tasks = [.. (await fixture.Ecs.OkAsync("describe_tasks", new JsonObject { ["cluster"] = Cluster, ["tasks"] = new JsonArray([.. arns.Select(a => (JsonNode)a)]) }))["tasks"]!.AsArray().Select(t => t!)];
                return tasks.All(t => (string?)t["lastStatus"] == "RUNNING");
            },
            TimeSpan.FromSeconds(90),
            () => $"{count} RUNNING tasks of service web");
        return tasks;
    }
}
