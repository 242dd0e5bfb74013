using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Tasks;

/// <summary>What a container definition (and RunTask's overrides) becomes on Docker, seen by docker inspect and from inside.</summary>
[Collection(TasksCollection.Name)]
public sealed class ContainerDefinitionTests(TasksFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "default";

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task Definition_and_overrides_are_honoured_on_Docker()
    {
        using var hostDir = new TempDir("berth-e2e-hostvol-");
        if (!OperatingSystem.IsWindows())
        {
            // main runs as uid 1000 and writes what it sees here.
            File.SetUnixFileMode(hostDir.Path, (UnixFileMode)0b111_111_111);
        }

        await fixture.RegisterAsync($$"""
            {
              "family": "honoured",
              "volumes": [
                {"name": "hostvol", "host": {"sourcePath": "{{hostDir.Path}}"} },
                {"name": "dvol", "dockerVolumeConfiguration": {{fixture.VolumeConfiguration}} }
              ],
              "containerDefinitions": [
                {
                  "name": "main", "image": "{{fixture.Image}}", "memory": 32, "essential": true,
                  "workingDirectory": "/work",
                  "user": "1000:1000",
                  "environment": [{"name": "A", "value": "from-definition"}, {"name": "B", "value": "from-definition"}],
                  "command": ["sh", "-c", "exit 99"],
                  "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
                  "dockerLabels": {"e2e.purpose": "honoured", "e2e.run": "{{fixture.RunId}}" },
                  "readonlyRootFilesystem": true,
                  "linuxParameters": {"initProcessEnabled": true, "capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]} },
                  "mountPoints": [
                    {"sourceVolume": "hostvol", "containerPath": "/host"},
                    {"sourceVolume": "dvol", "containerPath": "/data"}
                  ]
                }
              ]
            }
            """);

        // The override replaces main's command and adds/overrides environment variables.
        const string Observe = "id -u > /host/uid; pwd > /host/pwd; (touch /rootfile 2>/dev/null && echo rw || echo ro) > /host/rootfs; "
            + "echo \"$A,$B,$C\" > /host/env; ulimit -n > /host/nofile; cat /proc/1/cmdline | tr '\\0' ' ' > /host/pid1; "
            + "test -d /data && echo yes > /host/data; trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done";
        var overrides = new JsonObject
        {
            ["containerOverrides"] = new JsonArray(new JsonObject
            {
                ["name"] = "main",
                ["command"] = new JsonArray("sh", "-c", Observe),
                ["environment"] = new JsonArray(
                    new JsonObject { ["name"] = "B", ["value"] = "from-override" },
                    new JsonObject { ["name"] = "C", ["value"] = "added" }),
            }),
        };
        var run = await Ecs.OkAsync("run_task", new JsonObject { ["cluster"] = Cluster, ["taskDefinition"] = "honoured", ["overrides"] = overrides });
        var arn = Assert.Single(TaskArns(run));
        var task = await Ecs.WaitStatusAsync(Cluster, arn, "RUNNING");
        output.WriteLine(task.ToJsonString());
        Assert.Equal("main", (string?)task["overrides"]!["containerOverrides"]![0]!["name"]);

        var main = await DockerCli.InspectAsync((string)Container(task, "main")["runtimeId"]!);
        var config = main["Config"]!;
        var host = main["HostConfig"]!;
        Assert.Equal("/work", (string?)config["WorkingDir"]);
        Assert.Equal("1000:1000", (string?)config["User"]);
        Assert.Equal(["sh", "-c", Observe], Expect.Strings(config["Cmd"]));
        var env = Expect.Strings(config["Env"]);
        Assert.Contains("A=from-definition", env);
        Assert.Contains("B=from-override", env);
        Assert.Contains("C=added", env);
        Assert.DoesNotContain("B=from-definition", env);
        Assert.Equal("honoured", (string?)config["Labels"]!["e2e.purpose"]);
        Assert.Equal(fixture.RunId, (string?)config["Labels"]!["e2e.run"]);
        Assert.Equal(arn, (string?)config["Labels"]!["com.amazonaws.ecs.task-arn"]);
        var ulimit = Assert.Single(host["Ulimits"]!.AsArray())!;
        Assert.Equal("nofile", (string?)ulimit["Name"]);
        Assert.Equal(1024, (int?)ulimit["Soft"]);
        Assert.Equal(2048, (int?)ulimit["Hard"]);
        Assert.True((bool?)host["ReadonlyRootfs"]);
        Assert.True((bool?)host["Init"]);
        Assert.Equal(["NET_ADMIN"], Expect.Strings(host["CapAdd"]));
        Assert.Equal(["MKNOD"], Expect.Strings(host["CapDrop"]));
        var mounts = main["Mounts"]!.AsArray().Select(m => m!).ToList();
        var bind = mounts.Single(m => (string?)m["Destination"] == "/host");
        Assert.Equal("bind", (string?)bind["Type"]);
        Assert.Equal(hostDir.Path, (string?)bind["Source"]);
        Assert.True((bool?)bind["RW"]);
        var volume = mounts.Single(m => (string?)m["Destination"] == "/data");
        Assert.Equal("volume", (string?)volume["Type"]);
        Assert.Contains("dvol", (string?)volume["Name"], StringComparison.Ordinal);
        var volumeInspect = await DockerCli.InspectAsync((string)volume["Name"]!);
        Assert.Equal(fixture.RunId, (string?)volumeInspect["Labels"]![TasksFixture.VolumeLabel]);

        // From inside main: what the process saw.
        string Seen(string name) => File.ReadAllText(Path.Combine(hostDir.Path, name)).Trim();
        await Poll.UntilAsync(() => File.Exists(Path.Combine(hostDir.Path, "data")), TimeSpan.FromSeconds(20), () => "main never wrote its observations");
        Assert.Equal("1000", Seen("uid"));
        Assert.Equal("/work", Seen("pwd"));
        Assert.Equal("ro", Seen("rootfs"));
        Assert.Equal("from-definition,from-override,added", Seen("env"));
        Assert.Equal("1024", Seen("nofile"));
        Assert.StartsWith("/sbin/docker-init", Seen("pid1"), StringComparison.Ordinal);

        await StopAndWaitAsync(Ecs, Cluster, [arn]);
        Assert.Equal(0, (int?)Container(await Ecs.TaskAsync(Cluster, arn), "main")["exitCode"]);
    }

    [Fact]
    public async Task VolumesFrom_gets_the_source_containers_volumes_read_only()
    {
        using var hostDir = new TempDir("berth-e2e-volumesfrom-");

        // reader is listed first and source has a Docker volume to create: reader must still wait for source to exist.
        await fixture.RegisterAsync($$"""
            {
              "family": "volumesfrom",
              "volumes": [
                {"name": "hostvol", "host": {"sourcePath": "{{hostDir.Path}}"} },
                {"name": "dvol", "dockerVolumeConfiguration": {{fixture.VolumeConfiguration}} }
              ],
              "containerDefinitions": [
                {
                  "name": "reader", "image": "{{fixture.Image}}", "memory": 16, "essential": false,
                  "volumesFrom": [{"sourceContainer": "source", "readOnly": true}],
                  "command": ["sh", "-c", "test -d /host || exit 1; test -d /data || exit 2; touch /host/reader 2>/dev/null && exit 7; exit 0"]
                },
                {
                  "name": "source", "image": "{{fixture.Image}}", "memory": 16,
                  "mountPoints": [{"sourceVolume": "hostvol", "containerPath": "/host"}, {"sourceVolume": "dvol", "containerPath": "/data"}],
                  "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]
                }
              ]
            }
            """);
        var arn = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "volumesfrom"}""")));
        var task = (await Ecs.WaitTasksAsync(Cluster, [arn], t => (string?)t["lastStatus"] == "RUNNING" && (string?)Container(t, "reader")["lastStatus"] == "STOPPED", "RUNNING with reader STOPPED"))[0];
        output.WriteLine(task.ToJsonString());
        try
        {
            var source = await DockerCli.InspectAsync((string)Container(task, "source")["runtimeId"]!);
            var readerContainer = Container(task, "reader");
            var reader = await DockerCli.InspectAsync((string)readerContainer["runtimeId"]!);
            Assert.Equal([(string)source["Id"]! + ":ro"], Expect.Strings(reader["HostConfig"]!["VolumesFrom"]));
            Assert.True((int?)readerContainer["exitCode"] == 0, $"reader exited {readerContainer["exitCode"]} (1: no /host, 2: no /data, 7: writable)");
            Assert.False(File.Exists(Path.Combine(hostDir.Path, "reader")));
        }
        finally
        {
            await StopAndWaitAsync(Ecs, Cluster, [arn]);
        }
    }
}
