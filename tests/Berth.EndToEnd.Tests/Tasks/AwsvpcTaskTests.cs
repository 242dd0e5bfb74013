using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Tasks;

/// <summary>awsvpc tasks: one network namespace per task (held by a pause container), so containers talk over localhost.</summary>
[Collection(TasksCollection.Name)]
public sealed class AwsvpcTaskTests(TasksFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "default";

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task Containers_of_an_awsvpc_task_share_localhost()
    {
        // server listens on 127.0.0.1:8080 inside the task; fetcher (non-essential) gets the page over localhost and exits 0.
        // (No portMappings here: see the next test.)
        await RunLocalhostPairAsync("vpc", string.Empty);
    }

    [Fact]
    public async Task An_awsvpc_container_with_portMappings_starts_and_shares_localhost()
    {
        // ECS's own awsvpc examples declare the port (containerPort, hostPort equal or absent); it must not stop the task.
        await RunLocalhostPairAsync("vpc-ports", "\"portMappings\": [{\"containerPort\": 8080, \"protocol\": \"tcp\"}],");
    }

    [Fact]
    public async Task A_running_awsvpc_task_shows_its_network_interface_ATTACHED()
    {
        await fixture.RegisterAsync($$"""
            {
              "family": "vpc-eni",
              "networkMode": "awsvpc",
              "containerDefinitions": [{"name": "main", "image": "{{fixture.Image}}", "memory": 16, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]}]
            }
            """);
        var arn = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", """
            {"cluster": "default", "taskDefinition": "vpc-eni",
             "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-local"], "securityGroups": ["sg-local"]} } }
            """)));
        var task = await Ecs.WaitStatusAsync(Cluster, arn, "RUNNING");
        try
        {
            // ECS: one ElasticNetworkInterface attachment, ATTACHED while the task runs, with the subnet and the interface's address.
            var attachment = Assert.Single(task["attachments"]!.AsArray())!;
            Assert.Equal("ElasticNetworkInterface", (string?)attachment["type"]);
            var details = attachment["details"]!.AsArray().ToDictionary(d => (string)d!["name"]!, d => (string?)d!["value"]);
            Assert.Equal("subnet-local", details.GetValueOrDefault("subnetId"));
            Assert.True(details.ContainsKey("privateIPv4Address"), $"no privateIPv4Address: {attachment.ToJsonString()}");
            Assert.Equal("ATTACHED", (string?)attachment["status"]);
        }
        finally
        {
            await StopAndWaitAsync(Ecs, Cluster, [arn]);
        }
    }

    private async Task RunLocalhostPairAsync(string family, string serverPorts)
    {
        await fixture.RegisterAsync($$"""
            {
              "family": "{{family}}",
              "networkMode": "awsvpc",
              "containerDefinitions": [
                {
                  "name": "server", "image": "{{fixture.Image}}", "memory": 16, "essential": true,
                  {{serverPorts}}
                  "command": ["sh", "-c", "mkdir -p /www && echo pong > /www/index.html && httpd -p 8080 -h /www && trap 'exit 0' TERM && while true; do sleep 1 & wait $!; done"]
                },
                {
                  "name": "fetcher", "image": "{{fixture.Image}}", "memory": 16, "essential": false,
                  "dependsOn": [{"containerName": "server", "condition": "START"}],
                  "command": ["sh", "-c", "for i in $(seq 1 50); do [ \"$(wget -q -O - http://127.0.0.1:8080/)\" = pong ] && exit 0; sleep 0.2; done; exit 1"]
                }
              ]
            }
            """);
        var run = await Ecs.OkAsync("run_task", $$"""
            {"cluster": "default", "taskDefinition": "{{family}}",
             "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-local"], "assignPublicIp": "DISABLED"} } }
            """);
        var arn = Assert.Single(TaskArns(run));
        var task = (await Ecs.WaitTasksAsync(Cluster, [arn], t => (string?)Container(t, "fetcher")["lastStatus"] == "STOPPED", "with fetcher STOPPED"))[0];
        output.WriteLine(task.ToJsonString());

        Assert.True((int?)Container(task, "fetcher")["exitCode"] == 0, $"fetcher did not get the page over localhost: {task.ToJsonString()}");
        Assert.Equal("RUNNING", (string?)task["lastStatus"]);
        Assert.Equal("RUNNING", (string?)Container(task, "server")["lastStatus"]);

        // Both containers join the namespace of the task's pause container; nothing is published on the host.
        var server = await DockerCli.InspectAsync((string)Container(task, "server")["runtimeId"]!);
        var fetcher = await DockerCli.InspectAsync((string)Container(task, "fetcher")["runtimeId"]!);
        var mode = (string)server["HostConfig"]!["NetworkMode"]!;
        Assert.StartsWith("container:", mode, StringComparison.Ordinal);
        Assert.Equal(mode, (string?)fetcher["HostConfig"]!["NetworkMode"]);
        var pause = await DockerCli.InspectAsync(mode["container:".Length..]);
        Assert.Equal(arn, (string?)pause["Config"]!["Labels"]!["com.amazonaws.ecs.task-arn"]);
        Assert.True((bool)pause["State"]!["Running"]!);
        Assert.Empty(Container(task, "server")["networkBindings"]?.AsArray() ?? []);

        await StopAndWaitAsync(Ecs, Cluster, [arn]);

        // The pause container goes with the task.
        await Poll.UntilAsync(
            async () =>
            {
                var result = await DockerCli.RunAsync("inspect", "-f", "{{.State.Running}}", (string)pause["Id"]!);
                return result.ExitCode != 0 || result.Stdout.Trim() == "false";
            },
            TimeSpan.FromSeconds(20),
            () => "the pause container still runs after the task STOPPED");
    }

    [Fact]
    public async Task An_awsvpc_task_without_networkConfiguration_is_refused()
    {
        await fixture.RegisterAsync($$"""
            {
              "family": "vpc-refused",
              "networkMode": "awsvpc",
              "containerDefinitions": [{"name": "main", "image": "{{fixture.Image}}", "memory": 16, "command": ["sleep", "60"]}]
            }
            """);
        await Ecs.ErrorAsync("run_task", JsonNode.Parse("""{"cluster": "default", "taskDefinition": "vpc-refused"}"""), "InvalidParameterException", "Network Configuration must be provided");
        Assert.Empty(Expect.Strings((await Ecs.OkAsync("list_tasks", """{"cluster": "default", "family": "vpc-refused"}"""))["taskArns"]));
    }
}
