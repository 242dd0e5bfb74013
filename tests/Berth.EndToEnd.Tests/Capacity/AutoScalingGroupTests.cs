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

/// <summary>
/// An Auto Scaling group provider with managed scaling and termination protection, through the real AWS CLI: a
/// service of four tasks on an empty group (min 0, max 3, t3.nano instances: two 256 MiB tasks each) makes the
/// group scale 0 → 2 (CapacityProviderReservation 200 %, visible to get-metric-statistics), the tasks run on the
/// group's instances, and once the service is deleted the group scales back to 0, never terminating an instance
/// while it runs a task.
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
        await Clients.AwsJsonAsync(Server, "autoscaling", "create-launch-configuration", "--launch-configuration-name", "lc", "--image-id", "ami-0berth", "--instance-type", "t3.nano", "--user-data", userData);
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

        // No instances yet: the service's tasks wait, the reservation is 200 % and the group scales out to two instances.
        await Clients.AwsJsonAsync(Server, "ecs", "create-service", "--cluster", Cluster, "--service-name", "web", "--task-definition", "asg-app", "--desired-count", "4");
        var tasks = await RunningTasksAsync(4);
        Assert.All(tasks, t => Assert.Equal("cp", (string?)t["capacityProviderName"]));
        var instanceArns = tasks.Select(t => (string)t["containerInstanceArn"]!).Distinct().ToList();
        fixture.SeenInstances.UnionWith(instanceArns);
        Assert.Equal(2, instanceArns.Count);

        var instances = (await Clients.AwsJsonAsync(Server, "ecs", "describe-container-instances", "--cluster", Cluster, "--container-instances", instanceArns[0], instanceArns[1]))!["containerInstances"]!.AsArray();
        var ec2Ids = instances.Select(i => (string)i!["ec2InstanceId"]!).Order().ToList();
        Assert.All(instances, i => Assert.Equal(2048, Integer(i!["registeredResources"], "CPU")));
        Assert.All(instances, i => Assert.Equal(512, Integer(i!["registeredResources"], "MEMORY")));
        group = (await Clients.AwsJsonAsync(Server, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "g"))!["AutoScalingGroups"]![0]!;
        output.WriteLine(group.ToJsonString());
        Assert.Equal(2, (int)group["DesiredCapacity"]!);
        Assert.Equal(ec2Ids, group["Instances"]!.AsArray().Select(i => (string)i!["InstanceId"]!).Order().ToList());
        Assert.All(ec2Ids, id => Assert.Matches("^i-[0-9a-f]{17}$", id));

        // Managed termination protection: instances running tasks are protected from scale-in.
        await Poll.UntilAsync(
            async () => (await Clients.AwsJsonAsync(Server, "autoscaling", "describe-auto-scaling-instances"))!["AutoScalingInstances"]!.AsArray()
                .All(i => (bool)i!["ProtectedFromScaleIn"]! && (string?)i["LifecycleState"] == "InService"),
            Poll.DefaultTimeout,
            () => "both instances InService and protected");

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
        Assert.Equal(2, activities.Count(a => ((string)a!["Description"]!).StartsWith("Launching a new EC2 instance", StringComparison.Ordinal)));
        var terminations = activities.Where(a => ((string)a!["Description"]!).StartsWith("Terminating EC2 instance", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, terminations.Count);
        Assert.All(terminations, a => Assert.Equal("Successful", (string?)a!["StatusCode"]));
        Assert.All(terminations, a => Assert.True(DateTimeOffset.Parse((string)a!["StartTime"]!, System.Globalization.CultureInfo.InvariantCulture) >= lastStop.AddSeconds(-1), a!.ToJsonString()));
        var gone = (await Clients.AwsJsonAsync(Server, "ecs", "describe-container-instances", "--cluster", Cluster, "--container-instances", instanceArns[0], instanceArns[1]))!["containerInstances"]!.AsArray();
        Assert.All(gone, i => Assert.Equal("INACTIVE", (string?)i!["status"]));

        // With no instances left, the group can be deleted without ForceDelete.
        await Clients.AwsJsonAsync(Server, "autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "g");
        Assert.Empty((await Clients.AwsJsonAsync(Server, "autoscaling", "describe-auto-scaling-groups"))!["AutoScalingGroups"]!.AsArray());
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
