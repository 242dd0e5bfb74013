using System.Text.Json.Nodes;
using Berth.Agent.Engine;
using Berth.Agent.Metadata;
using Berth.Ecs.Model;
using TaskStatus = Berth.Agent.Engine.TaskStatus;

namespace Berth.Agent.Tests.Metadata;

public class MetadataJsonTests
{
    private const string TaskArn = "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef";
    private static readonly DateTimeOffset Created = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static ContainerSnapshot Web(ContainerStatus status = ContainerStatus.Running, int? exitCode = null, string? dockerId = "d0c4e7", bool health = false) => new(
        "web", "id-web", dockerId, "ecs-web-3-web-0123456789abcdef", "busybox", "arn:aws:ecs:us-east-1:000000000000:container/default/0123456789abcdef/c1",
        status, exitCode, Health.Healthy, health, 128, 64, "json-file", new Dictionary<string, string> { ["max-size"] = "1m" },
        [new PortSnapshot(80, "tcp", 32768, "127.0.0.1")]);

    private static TaskSnapshot Task(string networkMode = "bridge", TaskStatus known = TaskStatus.Running, bool desiredRunning = true, int? cpu = 256, int? memory = 512, params ContainerSnapshot[] containers) => new(
        TaskArn, "arn:aws:ecs:us-east-1:000000000000:cluster/default", "web", 3, desiredRunning, known, networkMode, "EC2", "local-1a",
        cpu, memory, Created, Created.AddSeconds(1.5), networkMode == "awsvpc" ? "172.17.0.9" : null, networkMode == "awsvpc" ? "pause" : null,
        containers.Length == 0 ? [Web()] : containers);

    private static readonly ContainerDetails Details = new("sha256:abc", new Dictionary<string, string> { ["com.amazonaws.ecs.task-arn"] = TaskArn }, Created, Created.AddSeconds(2), null, "172.17.0.5", "02:42:ac:11:00:05");

    [Fact]
    public void A_container_reads_what_ECS_shows_of_it()
    {
        var json = MetadataJson.Container(Task(), Web(), Details, null, null, MetadataVersion.V4);

        Assert.Equal("d0c4e7", (string?)json["DockerId"]);
        Assert.Equal("web", (string?)json["Name"]);
        Assert.Equal("ecs-web-3-web-0123456789abcdef", (string?)json["DockerName"]);
        Assert.Equal("busybox", (string?)json["Image"]);
        Assert.Equal("sha256:abc", (string?)json["ImageID"]);
        Assert.Equal(TaskArn, (string?)json["Labels"]!["com.amazonaws.ecs.task-arn"]);
        Assert.Equal("RUNNING", (string?)json["DesiredStatus"]);
        Assert.Equal("RUNNING", (string?)json["KnownStatus"]);
        Assert.Equal(128.0, (double?)json["Limits"]!["CPU"]);
        Assert.Equal(64, (int?)json["Limits"]!["Memory"]);
        Assert.Equal("2026-01-02T03:04:05Z", (string?)json["CreatedAt"]);
        Assert.Equal("2026-01-02T03:04:07Z", (string?)json["StartedAt"]);
        Assert.Equal("NORMAL", (string?)json["Type"]);
        Assert.Equal("arn:aws:ecs:us-east-1:000000000000:container/default/0123456789abcdef/c1", (string?)json["ContainerARN"]);
        Assert.Equal("json-file", (string?)json["LogDriver"]);
        Assert.Equal("1m", (string?)json["LogOptions"]!["max-size"]);
        Assert.Equal("""[{"ContainerPort":80,"Protocol":"tcp","HostPort":32768,"HostIp":"127.0.0.1"}]""", json["Ports"]!.ToJsonString());
        Assert.Equal("""[{"NetworkMode":"bridge","IPv4Addresses":["172.17.0.5"]}]""", json["Networks"]!.ToJsonString());
        Assert.Null(json["ExitCode"]);
        Assert.Null(json["Health"]);
        Assert.Null(json["FinishedAt"]);
    }

    [Theory]
    [InlineData(ContainerStatus.None, "NONE")]
    [InlineData(ContainerStatus.Pulled, "PULLED")]
    [InlineData(ContainerStatus.Created, "CREATED")]
    [InlineData(ContainerStatus.Running, "RUNNING")]
    [InlineData(ContainerStatus.Stopped, "STOPPED")]
    public void Container_statuses_are_the_ECS_agents(ContainerStatus status, string expected)
        => Assert.Equal(expected, (string?)MetadataJson.Container(Task(), Web(status), null, null, null, MetadataVersion.V4)["KnownStatus"]);

    [Fact]
    public void A_stopped_container_shows_its_exit_code_and_health_when_it_has_a_check()
    {
        var json = MetadataJson.Container(Task(desiredRunning: false), Web(ContainerStatus.Stopped, 3, health: true), Details with { FinishedAt = Created.AddSeconds(9) }, null, null, MetadataVersion.V4);
        Assert.Equal(3, (int?)json["ExitCode"]);
        Assert.Equal("STOPPED", (string?)json["DesiredStatus"]);
        Assert.Equal("HEALTHY", (string?)json["Health"]!["status"]);
        Assert.Equal("2026-01-02T03:04:14Z", (string?)json["FinishedAt"]);
    }

    [Fact]
    public void A_container_not_created_yet_has_empty_ids_and_no_times()
    {
        var json = MetadataJson.Container(Task(), Web(ContainerStatus.Pulled, dockerId: null), null, null, null, MetadataVersion.V4);
        Assert.Equal(string.Empty, (string?)json["DockerId"]);
        Assert.Equal(string.Empty, (string?)json["ImageID"]);
        Assert.Null(json["CreatedAt"]);
        Assert.Equal("""[{"NetworkMode":"bridge"}]""", json["Networks"]!.ToJsonString());
    }

    [Fact]
    public void The_task_shows_its_identity_limits_in_vCPUs_and_pull_times()
    {
        var json = MetadataJson.Task(Task(known: TaskStatus.Running), new Dictionary<string, ContainerDetails> { ["web"] = Details }, null, null, MetadataVersion.V4);

        Assert.Equal("arn:aws:ecs:us-east-1:000000000000:cluster/default", (string?)json["Cluster"]);
        Assert.Equal(TaskArn, (string?)json["TaskARN"]);
        Assert.Equal("web", (string?)json["Family"]);
        Assert.Equal("3", (string?)json["Revision"]);
        Assert.Equal("RUNNING", (string?)json["DesiredStatus"]);
        Assert.Equal("RUNNING", (string?)json["KnownStatus"]);
        Assert.Equal(0.25, (double?)json["Limits"]!["CPU"]);
        Assert.Equal(512, (int?)json["Limits"]!["Memory"]);
        Assert.Equal("2026-01-02T03:04:05Z", (string?)json["PullStartedAt"]);
        Assert.Equal("2026-01-02T03:04:06.5Z", (string?)json["PullStoppedAt"]);
        Assert.Equal("local-1a", (string?)json["AvailabilityZone"]);
        Assert.Equal("EC2", (string?)json["LaunchType"]);
        Assert.Equal("d0c4e7", (string?)Assert.Single(json["Containers"]!.AsArray())!["DockerId"]);
    }

    [Fact]
    public void A_task_without_task_level_limits_has_none()
        => Assert.Null(MetadataJson.Task(Task(cpu: null, memory: null), new Dictionary<string, ContainerDetails>(), null, null, MetadataVersion.V4)["Limits"]);

    [Fact]
    public void An_awsvpc_container_shows_its_task_interface_in_v4_detail_and_v3_plain()
    {
        var pause = Details with { IPv4Address = "172.17.0.9", MacAddress = "02:42:ac:11:00:09" };
        var subnet = new SubnetInfo("172.17.0.0/16", "172.17.0.1");
        var v4 = MetadataJson.Container(Task("awsvpc"), Web(), Details with { IPv4Address = null }, pause, subnet, MetadataVersion.V4);
        var v3 = MetadataJson.Container(Task("awsvpc"), Web(), Details with { IPv4Address = null }, pause, subnet, MetadataVersion.V3);

        Assert.Equal(
            """[{"NetworkMode":"awsvpc","IPv4Addresses":["172.17.0.9"],"AttachmentIndex":0,"MACAddress":"02:42:ac:11:00:09","IPv4SubnetCIDRBlock":"172.17.0.0/16","SubnetGatewayIpv4Address":"172.17.0.1/16"}]""",
            v4["Networks"]!.ToJsonString());
        Assert.Equal("""[{"NetworkMode":"awsvpc","IPv4Addresses":["172.17.0.9"]}]""", v3["Networks"]!.ToJsonString());

        // awsvpc ports are the interface's own: the host port is the container port, no host address.
        Assert.Equal("""[{"ContainerPort":80,"Protocol":"tcp","HostPort":80}]""", v4["Ports"]!.ToJsonString());
    }

    [Fact]
    public void A_host_mode_container_is_on_the_host_network()
        => Assert.Equal("""[{"NetworkMode":"host"}]""", MetadataJson.Container(Task("host"), Web(), Details, null, null, MetadataVersion.V4)["Networks"]!.ToJsonString());

    [Fact]
    public void Task_stats_are_keyed_by_docker_id()
    {
        var json = MetadataJson.TaskStats(new Dictionary<string, JsonNode?> { ["b"] = null, ["a"] = new JsonObject { ["read"] = "x" } });
        Assert.Equal("""{"a":{"read":"x"},"b":null}""", json.ToJsonString());
    }

    [Fact]
    public void The_introspection_metadata_names_the_cluster_instance_and_version()
        => Assert.Equal(
            """{"Cluster":"default","ContainerInstanceArn":"arn:ci","Version":"berth-agent-0.1.0"}""",
            MetadataJson.AgentMetadata("default", "arn:ci", "berth-agent-0.1.0").ToJsonString());

    [Theory]
    [InlineData(TaskStatus.Provisioning, true, "PENDING", "RUNNING")]
    [InlineData(TaskStatus.Activating, true, "PENDING", "RUNNING")]
    [InlineData(TaskStatus.Running, true, "RUNNING", "RUNNING")]
    [InlineData(TaskStatus.Stopping, false, "RUNNING", "STOPPED")]
    [InlineData(TaskStatus.Stopped, false, "STOPPED", "STOPPED")]
    [InlineData(TaskStatus.Stopped, true, "STOPPED", null)]
    public void Introspection_shows_backend_statuses(TaskStatus known, bool desiredRunning, string knownStatus, string? desiredStatus)
    {
        var json = MetadataJson.IntrospectionTask(Task(known: known, desiredRunning: desiredRunning));
        Assert.Equal(knownStatus, (string?)json["KnownStatus"]);
        Assert.Equal(desiredStatus, (string?)json["DesiredStatus"]);
    }

    [Fact]
    public void Introspection_lists_tasks_with_their_containers()
    {
        var json = MetadataJson.IntrospectionTasks([Task()]);
        var task = Assert.Single(json["Tasks"]!.AsArray())!;
        Assert.Equal(TaskArn, (string?)task["Arn"]);
        Assert.Equal("web", (string?)task["Family"]);
        Assert.Equal("3", (string?)task["Version"]);
        var container = Assert.Single(task["Containers"]!.AsArray())!;
        Assert.Equal("d0c4e7", (string?)container["DockerId"]);
        Assert.Equal("ecs-web-3-web-0123456789abcdef", (string?)container["DockerName"]);
        Assert.Equal("web", (string?)container["Name"]);
    }

    [Theory]
    [InlineData("d0c4e7", true)]
    [InlineData("d0c4", true)]
    [InlineData("d0", false)] // matches both tasks
    [InlineData("ffff", false)]
    [InlineData("", false)]
    public void A_task_is_found_by_a_full_or_unique_short_docker_id(string id, bool found)
    {
        var first = Task();
        var second = first with { TaskArn = "other", Containers = [Web(dockerId: "d0aaaa")] };
        Assert.Equal(found ? first : null, MetadataJson.ByDockerId([first, second], id));
    }

    [Fact]
    public void Metadata_ids_are_stable_per_key_and_differ_per_container_and_key()
    {
        var ids = new MetadataIds(new byte[32]);
        var a = ids.For(TaskArn, "web");
        Assert.Equal(32, a.Length);
        Assert.Equal(a, new MetadataIds(new byte[32]).For(TaskArn, "web"));
        Assert.NotEqual(a, ids.For(TaskArn, "sidecar"));
        Assert.NotEqual(a, new MetadataIds([.. Enumerable.Repeat((byte)1, 32)]).For(TaskArn, "web"));
    }

    [Theory]
    [InlineData("bridge", "http://172.17.0.1:51679")]
    [InlineData(null, "http://172.17.0.1:51679")]
    [InlineData("awsvpc", "http://172.17.0.1:51679")]
    [InlineData("host", "http://127.0.0.1:51679")]
    [InlineData("none", null)]
    public void Each_container_gets_the_endpoint_it_can_reach_with_its_own_id(string? networkMode, string? endpoint)
    {
        var context = new TaskSpecContext(
            "cluster", TaskArn, "instance",
            new TaskDefinition { Family = "web", Revision = 3, NetworkMode = networkMode, ContainerDefinitions = [new ContainerDefinition { Name = "web", Image = "busybox", Environment = [new Ecs.Model.KeyValuePair { Name = "ECS_CONTAINER_METADATA_URI_V4", Value = "mine" }] }] },
            null, "pause", new Dictionary<string, string>(),
            Metadata: new MetadataEndpoint("http://172.17.0.1:51679", "http://127.0.0.1:51679"),
            MetadataIds: new Dictionary<string, string> { ["web"] = "secret" });
        var env = ContainerSpecs.For(context, context.Definition.ContainerDefinitions![0]).Env!;
        if (endpoint is null)
        {
            Assert.Equal(["ECS_CONTAINER_METADATA_URI_V4=mine"], env);
        }
        else
        {
            Assert.Contains($"ECS_CONTAINER_METADATA_URI_V4={endpoint}/v4/secret", env);
            Assert.Contains($"ECS_CONTAINER_METADATA_URI={endpoint}/v3/secret", env);
            Assert.Equal(2, env.Count);
        }
    }

    [Fact]
    public void Without_an_endpoint_no_variables_are_set()
    {
        var context = new TaskSpecContext("cluster", TaskArn, "instance", new TaskDefinition { Family = "web", Revision = 1, ContainerDefinitions = [new ContainerDefinition { Name = "web", Image = "busybox" }] }, null, null, new Dictionary<string, string>());
        Assert.Null(ContainerSpecs.For(context, context.Definition.ContainerDefinitions![0]).Env);
    }
}
