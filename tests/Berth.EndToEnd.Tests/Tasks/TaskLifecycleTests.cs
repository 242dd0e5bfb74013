using System.Diagnostics;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Tasks;

/// <summary>A task's whole life on the local engine, as the AWS CLI and boto3 show it and as Docker holds it.</summary>
[Collection(TasksCollection.Name)]
public sealed class TaskLifecycleTests(TasksFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "default";

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task Run_two_tasks_serve_pages_carry_ECS_labels_then_stop_with_exit_codes_and_free_their_resources()
    {
        // web traps TERM and exits 42; worker runs under docker-init, which passes TERM on (143);
        // stubborn ignores TERM and has stopTimeout 2, so it is killed after 2 s (137).
        var definitionFile = fixture.Scratch.File("life.json");
        await File.WriteAllTextAsync(definitionFile, $$"""
            {
              "family": "life",
              "containerDefinitions": [
                {
                  "name": "web", "image": "{{fixture.Image}}", "essential": true, "memory": 64, "cpu": 128,
                  "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}],
                  "environment": [{"name": "GREETING", "value": "ahoy"}],
                  "command": ["sh", "-c", "mkdir -p /www && echo \"$GREETING from $(hostname)\" > /www/index.html && httpd -p 80 -h /www && trap 'exit 42' TERM && while true; do sleep 1 & wait $!; done"]
                },
                {
                  "name": "worker", "image": "{{fixture.Image}}", "essential": true, "memory": 32,
                  "linuxParameters": {"initProcessEnabled": true},
                  "command": ["sleep", "3600"]
                },
                {
                  "name": "stubborn", "image": "{{fixture.Image}}", "essential": false, "memory": 32, "stopTimeout": 2,
                  "command": ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
                }
              ]
            }
            """);
        var registered = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "register-task-definition", "--cli-input-json", "file://" + definitionFile))!["taskDefinition"]!;
        var definitionArn = (string)registered["taskDefinitionArn"]!;
        var clusterArn = (string)(await Ecs.OkAsync("describe_clusters", """{"clusters": ["default"]}"""))["clusters"]![0]!["clusterArn"]!;

        var before = await Ecs.InstanceAsync(Cluster, fixture.DefaultInstanceArn);
        var startedBy = "life-" + fixture.RunId;

        // RunTask count 2 with the CLI.
        var run = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "run-task", "--cluster", Cluster, "--task-definition", "life", "--count", "2", "--started-by", startedBy))!;
        Assert.Empty(run["failures"]!.AsArray());
        var arns = TaskArns(run);
        Assert.Equal(2, arns.Count);
        foreach (var created in run["tasks"]!.AsArray())
        {
            Assert.Equal("RUNNING", (string?)created!["desiredStatus"]);
            Assert.Equal("PROVISIONING", (string?)created["lastStatus"]);
            Assert.Equal(fixture.DefaultInstanceArn, (string?)created["containerInstanceArn"]);
        }

        var running = await Ecs.WaitTasksAsync(Cluster, arns, t => (string?)t["lastStatus"] == "RUNNING", "RUNNING");
        output.WriteLine(running[0].ToJsonString());

        // The CLI sees what boto3 saw.
        var described = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "describe-tasks", "--cluster", Cluster, "--tasks", arns[0], arns[1]))!;
        Assert.Equal(2, described["tasks"]!.AsArray().Count);
        Assert.All(described["tasks"]!.AsArray(), t => Assert.Equal("RUNNING", (string?)t!["lastStatus"]));

        var runtimeIds = new List<string>();
        var hostPorts = new List<int>();
        foreach (var task in running)
        {
            Assert.Equal("RUNNING", (string?)task["desiredStatus"]);
            Assert.Equal(definitionArn, (string?)task["taskDefinitionArn"]);
            Assert.Equal(clusterArn, (string?)task["clusterArn"]);
            Assert.Equal(fixture.DefaultInstanceArn, (string?)task["containerInstanceArn"]);
            Assert.Equal(startedBy, (string?)task["startedBy"]);
            Assert.Equal("EC2", (string?)task["launchType"]);
            Assert.Equal("128", (string?)task["cpu"]);
            Assert.Equal("128", (string?)task["memory"]);
            Assert.Equal("CONNECTED", (string?)task["connectivity"]);
            var createdAt = Time(task, "createdAt");
            var pullStartedAt = Time(task, "pullStartedAt");
            var pullStoppedAt = Time(task, "pullStoppedAt");
            var startedAt = Time(task, "startedAt");
            Time(task, "connectivityAt");
            Assert.True(createdAt <= pullStartedAt && pullStartedAt <= pullStoppedAt && pullStoppedAt <= startedAt, task.ToJsonString());
            Assert.Null(task["stoppedAt"]);
            Assert.Null(task["stopCode"]);

            foreach (var name in new[] { "web", "worker", "stubborn" })
            {
                var container = Container(task, name);
                Assert.Equal("RUNNING", (string?)container["lastStatus"]);
                Assert.False(string.IsNullOrEmpty((string?)container["runtimeId"]), container.ToJsonString());
                Assert.Equal(fixture.Image, (string?)container["image"]);
                Assert.Null(container["exitCode"]);
            }

            var web = Container(task, "web");
            var binding = Assert.Single(web["networkBindings"]!.AsArray())!;
            Assert.Equal("127.0.0.1", (string?)binding["bindIP"]);
            Assert.Equal(80, (int?)binding["containerPort"]);
            Assert.Equal("tcp", (string?)binding["protocol"]);
            var hostPort = (int)binding["hostPort"]!;
            Assert.True(hostPort > 0, binding.ToJsonString());
            hostPorts.Add(hostPort);
            runtimeIds.Add((string)web["runtimeId"]!);
        }

        Assert.NotEqual(runtimeIds[0], runtimeIds[1]);
        Assert.NotEqual(hostPorts[0], hostPorts[1]);

        // Each dynamic port on loopback reaches that task's own container (busybox's hostname is the short container id).
        for (var i = 0; i < 2; i++)
        {
            var page = await FetchAsync(hostPorts[i]);
            Assert.Equal($"ahoy from {runtimeIds[i][..12]}\n", page);
        }

        // Docker holds the container as the definition says, with ECS's labels.
        var inspect = await DockerCli.InspectAsync(runtimeIds[0]);
        var labels = inspect["Config"]!["Labels"]!;
        Assert.Equal(arns[0], (string?)labels["com.amazonaws.ecs.task-arn"]);
        Assert.Equal("web", (string?)labels["com.amazonaws.ecs.container-name"]);
        Assert.Equal(clusterArn, (string?)labels["com.amazonaws.ecs.cluster"]);
        Assert.Equal("life", (string?)labels["com.amazonaws.ecs.task-definition-family"]);
        Assert.Equal("1", (string?)labels["com.amazonaws.ecs.task-definition-version"]);
        Assert.Equal(fixture.DefaultInstanceArn, (string?)labels["berth.container-instance"]);
        Assert.Contains("GREETING=ahoy", Expect.Strings(inspect["Config"]!["Env"]));
        Assert.Equal("sh", Expect.Strings(inspect["Config"]!["Cmd"])[0]);
        Assert.StartsWith("mkdir -p /www", Expect.Strings(inspect["Config"]!["Cmd"])[2], StringComparison.Ordinal);
        Assert.Equal(64L * 1024 * 1024, (long)inspect["HostConfig"]!["Memory"]!);
        Assert.Equal(fixture.Image, (string?)inspect["Config"]!["Image"]);
        Assert.True((bool)inspect["State"]!["Running"]!);
        var worker = await DockerCli.InspectAsync((string)Container(running[0], "worker")["runtimeId"]!);
        Assert.True((bool?)worker["HostConfig"]!["Init"]);
        Assert.Equal(32L * 1024 * 1024, (long)worker["HostConfig"]!["Memory"]!);

        // ListTasks filters.
        Assert.Equal(Sorted(arns), await ListAsync(new JsonObject { ["family"] = "life" }));
        Assert.Equal(Sorted(arns), await ListAsync(new JsonObject { ["startedBy"] = startedBy }));
        Assert.Equal(Sorted(arns), await ListAsync(new JsonObject { ["family"] = "life", ["desiredStatus"] = "RUNNING" }));
        Assert.Subset(new HashSet<string>(await ListAsync(new JsonObject { ["containerInstance"] = fixture.DefaultInstanceArn })), new HashSet<string>(arns));
        Assert.Empty(await ListAsync(new JsonObject { ["family"] = "life", ["desiredStatus"] = "STOPPED" }));
        Assert.Empty(await ListAsync(new JsonObject { ["startedBy"] = "someone-else" }));

        // The instance holds both tasks' resources.
        var during = await Ecs.InstanceAsync(Cluster, fixture.DefaultInstanceArn);
        Assert.Equal((int)before["runningTasksCount"]! + 2, (int)during["runningTasksCount"]!);
        Assert.Equal(Integer(before["remainingResources"], "CPU") - 256, Integer(during["remainingResources"], "CPU"));
        Assert.Equal(Integer(before["remainingResources"], "MEMORY") - 256, Integer(during["remainingResources"], "MEMORY"));
        Assert.Equal(Integer(before["registeredResources"], "MEMORY"), Integer(during["registeredResources"], "MEMORY"));
        Assert.Contains(hostPorts[0].ToString(System.Globalization.CultureInfo.InvariantCulture), StringSet(during["remainingResources"], "PORTS"));

        // StopTask: one with a reason (CLI), one without (boto3).
        var clock = Stopwatch.StartNew();
        var stopping = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "stop-task", "--cluster", Cluster, "--task", arns[0], "--reason", "e2e lifecycle stop"))!["task"]!;
        Assert.Equal("STOPPED", (string?)stopping["desiredStatus"]);
        Assert.Equal("e2e lifecycle stop", (string?)stopping["stoppedReason"]);
        Assert.Equal("UserInitiated", (string?)stopping["stopCode"]);
        await Ecs.OkAsync("stop_task", new JsonObject { ["cluster"] = Cluster, ["task"] = arns[1] });
        var stopped = await Ecs.WaitTasksAsync(Cluster, arns, t => (string?)t["lastStatus"] == "STOPPED", "STOPPED");
        var stopTook = clock.Elapsed;
        output.WriteLine($"stopped after {stopTook.TotalSeconds:F1}s: {stopped[0].ToJsonString()}");

        // stubborn ignored SIGTERM: the stop waited its 2 s stopTimeout, not the default 30 s.
        Assert.True(stopTook >= TimeSpan.FromSeconds(1.8), $"stopped after {stopTook}");
        Assert.True(stopTook < TimeSpan.FromSeconds(20), $"stopped after {stopTook}");
        Assert.Equal(["e2e lifecycle stop", "Task stopped by user"], stopped.Select(t => (string)t["stoppedReason"]!));
        foreach (var task in stopped)
        {
            Assert.Equal("STOPPED", (string?)task["desiredStatus"]);
            Assert.Equal("UserInitiated", (string?)task["stopCode"]);
            var stoppingAt = Time(task, "stoppingAt");
            var executionStoppedAt = Time(task, "executionStoppedAt");
            var stoppedAt = Time(task, "stoppedAt");
            Assert.True(Time(task, "startedAt") <= stoppingAt && stoppingAt <= executionStoppedAt && executionStoppedAt <= stoppedAt, task.ToJsonString());
            Assert.All(task["containers"]!.AsArray(), c => Assert.Equal("STOPPED", (string?)c!["lastStatus"]));
            Assert.Equal(42, (int?)Container(task, "web")["exitCode"]);
            Assert.Equal(143, (int?)Container(task, "worker")["exitCode"]);
            Assert.Equal(137, (int?)Container(task, "stubborn")["exitCode"]);
        }

        var exited = await DockerCli.InspectAsync(runtimeIds[0]);
        Assert.False((bool)exited["State"]!["Running"]!);
        Assert.Equal(42, (int)exited["State"]!["ExitCode"]!);

        // StopTask again changes nothing.
        var again = (await Ecs.OkAsync("stop_task", new JsonObject { ["cluster"] = Cluster, ["task"] = arns[0], ["reason"] = "second stop" }))["task"]!;
        Assert.Equal("STOPPED", (string?)again["lastStatus"]);
        Assert.Equal("e2e lifecycle stop", (string?)again["stoppedReason"]);
        Assert.Equal("UserInitiated", (string?)again["stopCode"]);
        Assert.Equal((string?)stopped[0]["stoppedAt"], (string?)(await Ecs.TaskAsync(Cluster, arns[0]))["stoppedAt"]);

        Assert.Equal(Sorted(arns), await ListAsync(new JsonObject { ["family"] = "life", ["desiredStatus"] = "STOPPED" }));
        Assert.Empty(await ListAsync(new JsonObject { ["family"] = "life" }));

        // The resources are back.
        var after = await Ecs.InstanceAsync(Cluster, fixture.DefaultInstanceArn);
        Assert.Equal((int)before["runningTasksCount"]!, (int)after["runningTasksCount"]!);
        Assert.Equal(Integer(before["remainingResources"], "CPU"), Integer(after["remainingResources"], "CPU"));
        Assert.Equal(Integer(before["remainingResources"], "MEMORY"), Integer(after["remainingResources"], "MEMORY"));
        Assert.DoesNotContain(hostPorts[0].ToString(System.Globalization.CultureInfo.InvariantCulture), StringSet(after["remainingResources"], "PORTS"));
    }

    [Fact]
    public async Task Static_and_dynamic_host_ports_on_loopback_and_a_second_task_wanting_the_static_port_fails_with_RESOURCE_PORTS()
    {
        var port = FreePort();
        await fixture.RegisterAsync($$"""
            {
              "family": "ports",
              "containerDefinitions": [{
                "name": "web", "image": "{{fixture.Image}}", "memory": 32,
                "portMappings": [{"containerPort": 80, "hostPort": {{port}}}, {"containerPort": 8080, "hostPort": 0}],
                "command": ["sh", "-c", "mkdir -p /www && echo static-and-dynamic > /www/index.html && httpd -p 80 -h /www && httpd -p 8080 -h /www && trap 'exit 0' TERM && while true; do sleep 1 & wait $!; done"]
              }]
            }
            """);
        var run = await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "ports"}""");
        Assert.Empty(run["failures"]!.AsArray());
        var arn = Assert.Single(TaskArns(run));
        var task = await Ecs.WaitStatusAsync(Cluster, arn, "RUNNING");
        var bindings = Container(task, "web")["networkBindings"]!.AsArray().OrderBy(b => (int)b!["containerPort"]!).ToList();
        Assert.Equal(2, bindings.Count);
        Assert.Equal(80, (int?)bindings[0]!["containerPort"]);
        Assert.Equal(port, (int?)bindings[0]!["hostPort"]);
        Assert.Equal(8080, (int?)bindings[1]!["containerPort"]);
        var dynamic = (int)bindings[1]!["hostPort"]!;
        Assert.True(dynamic > 0 && dynamic != port, bindings[1]!.ToJsonString());
        Assert.All(bindings, b => Assert.Equal("127.0.0.1", (string?)b!["bindIP"]));

        Assert.Equal("static-and-dynamic\n", await FetchAsync(port));
        Assert.Equal("static-and-dynamic\n", await FetchAsync(dynamic));
        var inspect = await DockerCli.InspectAsync((string)Container(task, "web")["runtimeId"]!);
        Assert.Equal("127.0.0.1", (string?)inspect["HostConfig"]!["PortBindings"]!["80/tcp"]![0]!["HostIp"]);

        // The instance shows the static port taken; a second task that needs it does not fit (a failure, not an error).
        var instance = await Ecs.InstanceAsync(Cluster, fixture.DefaultInstanceArn);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringSet(instance["remainingResources"], "PORTS"));
        var second = await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "ports"}""");
        Assert.Empty(second["tasks"]!.AsArray());
        var failure = Assert.Single(second["failures"]!.AsArray())!;
        Assert.Equal("RESOURCE:PORTS", (string?)failure["reason"]);
        Assert.Equal(fixture.DefaultInstanceArn, (string?)failure["arn"]);

        await StopAndWaitAsync(Ecs, Cluster, [arn]);
        Assert.Empty(await ListAsync(new JsonObject { ["family"] = "ports" }));
    }

    [Fact]
    public async Task StopTask_right_after_RunTask_stops_it_before_or_while_it_starts_and_leaves_nothing_running()
    {
        await fixture.RegisterAsync($$"""
            {
              "family": "hasty",
              "containerDefinitions": [{"name": "main", "image": "{{fixture.Image}}", "memory": 16, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]}]
            }
            """);
        var runningBefore = (int)(await Ecs.InstanceAsync(Cluster, fixture.DefaultInstanceArn))["runningTasksCount"]!;
        var arn = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "hasty"}""")));
        var stopping = (await Ecs.OkAsync("stop_task", new JsonObject { ["cluster"] = Cluster, ["task"] = arn }))["task"]!;
        Assert.Equal("STOPPED", (string?)stopping["desiredStatus"]);
        var stopped = await Ecs.WaitStatusAsync(Cluster, arn, "STOPPED");
        output.WriteLine(stopped.ToJsonString());
        Assert.Equal("UserInitiated", (string?)stopped["stopCode"]);
        Assert.Equal("Task stopped by user", (string?)stopped["stoppedReason"]);
        Assert.Equal("STOPPED", (string?)Container(stopped, "main")["lastStatus"]);
        foreach (var id in await DockerCli.ContainersAsync("com.amazonaws.ecs.task-arn", arn))
        {
            Assert.False((bool)(await DockerCli.InspectAsync(id))["State"]!["Running"]!, $"container {id} of the stopped task still runs");
        }

        Assert.Equal(runningBefore, (int)(await Ecs.InstanceAsync(Cluster, fixture.DefaultInstanceArn))["runningTasksCount"]!);
    }

    private static DateTimeOffset Time(JsonNode task, string name)
    {
        var text = (string?)task[name];
        Assert.False(string.IsNullOrEmpty(text), $"{name} is not set: {task.ToJsonString()}");
        return DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<string> Sorted(IEnumerable<string> arns) => [.. arns.Order(StringComparer.Ordinal)];

    private async Task<List<string>> ListAsync(JsonObject filter)
    {
        filter["cluster"] = Cluster;
        return Sorted(Expect.Strings((await Ecs.OkAsync("list_tasks", filter))["taskArns"]));
    }
}
