using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Tasks;

/// <summary>Tasks that stop on their own: an essential container exits, the image cannot be pulled, the kernel kills for memory.</summary>
[Collection(TasksCollection.Name)]
public sealed class TaskStopCauseTests(TasksFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "default";

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task Essential_container_exit_3_stops_the_task_with_EssentialContainerExited()
    {
        await fixture.RegisterAsync($$"""
            {
              "family": "exit3",
              "containerDefinitions": [
                {"name": "main", "image": "{{fixture.Image}}", "memory": 16, "essential": true, "command": ["sh", "-c", "sleep 1; exit 3"]},
                {"name": "side", "image": "{{fixture.Image}}", "memory": 16, "essential": true, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]}
              ]
            }
            """);
        var arn = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "exit3"}""")));
        var task = await Ecs.WaitStatusAsync(Cluster, arn, "STOPPED");
        output.WriteLine(task.ToJsonString());

        Assert.Equal("STOPPED", (string?)task["desiredStatus"]);
        Assert.Equal("EssentialContainerExited", (string?)task["stopCode"]);
        Assert.Equal("Essential container in task exited", (string?)task["stoppedReason"]);
        Assert.NotNull(task["startedAt"]);
        Assert.NotNull(task["stoppedAt"]);
        Assert.NotNull(task["executionStoppedAt"]);
        var main = Container(task, "main");
        Assert.Equal("STOPPED", (string?)main["lastStatus"]);
        Assert.Equal(3, (int?)main["exitCode"]);
        var side = Container(task, "side");
        Assert.Equal("STOPPED", (string?)side["lastStatus"]);
        Assert.Equal(0, (int?)side["exitCode"]);
    }

    [Fact]
    public async Task Non_essential_container_exiting_does_not_stop_the_task()
    {
        await fixture.RegisterAsync($$"""
            {
              "family": "nonessential",
              "containerDefinitions": [
                {"name": "helper", "image": "{{fixture.Image}}", "memory": 16, "essential": false, "command": ["sh", "-c", "exit 5"]},
                {"name": "main", "image": "{{fixture.Image}}", "memory": 16, "essential": true, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]}
              ]
            }
            """);
        var arn = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "nonessential"}""")));
        var task = (await Ecs.WaitTasksAsync(Cluster, [arn], t => (string?)Container(t, "helper")["lastStatus"] == "STOPPED", "with helper STOPPED"))[0];
        Assert.Equal(5, (int?)Container(task, "helper")["exitCode"]);

        // A while later the task still runs, with its essential container.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        task = await Ecs.TaskAsync(Cluster, arn);
        Assert.Equal("RUNNING", (string?)task["lastStatus"]);
        Assert.Equal("RUNNING", (string?)task["desiredStatus"]);
        Assert.Null(task["stopCode"]);
        Assert.Equal("RUNNING", (string?)Container(task, "main")["lastStatus"]);
        Assert.Equal(5, (int?)Container(task, "helper")["exitCode"]);

        await StopAndWaitAsync(Ecs, Cluster, [arn]);
    }

    [Fact]
    public async Task Image_that_cannot_be_pulled_fails_the_task_with_CannotPullContainerError()
    {
        await fixture.RegisterAsync("""
            {
              "family": "nopull",
              "containerDefinitions": [{"name": "main", "image": "127.0.0.1:1/nope:1", "memory": 16}]
            }
            """);
        var arn = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "nopull"}""")));
        var task = await Ecs.WaitStatusAsync(Cluster, arn, "STOPPED");
        output.WriteLine(task.ToJsonString());

        Assert.Equal("STOPPED", (string?)task["desiredStatus"]);
        Assert.Equal("TaskFailedToStart", (string?)task["stopCode"]);
        Assert.StartsWith("CannotPullContainerError:", (string?)task["stoppedReason"], StringComparison.Ordinal);
        Assert.Null(task["startedAt"]);
        Assert.NotNull(task["stoppedAt"]);
        var main = Container(task, "main");
        Assert.Equal("STOPPED", (string?)main["lastStatus"]);
        Assert.StartsWith("CannotPullContainerError:", (string?)main["reason"], StringComparison.Ordinal);
        Assert.Null(main["exitCode"]);
        Assert.Empty(await DockerCli.ContainersAsync("com.amazonaws.ecs.task-arn", arn));
    }

    [Fact]
    public async Task Container_over_its_memory_limit_is_OOM_killed_with_OutOfMemoryError()
    {
        await fixture.RegisterAsync($$"""
            {
              "family": "oom",
              "containerDefinitions": [{"name": "hog", "image": "{{fixture.Image}}", "memory": 8, "command": ["sh", "-c", "x=a; while true; do x=$x$x; done"]}]
            }
            """);
        var arn = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "oom"}""")));
        var task = await Ecs.WaitStatusAsync(Cluster, arn, "STOPPED");
        output.WriteLine(task.ToJsonString());

        var hog = Container(task, "hog");
        Assert.Equal("OutOfMemoryError: Container killed due to memory usage", (string?)hog["reason"]);
        Assert.Equal(137, (int?)hog["exitCode"]);
        Assert.Equal("EssentialContainerExited", (string?)task["stopCode"]);
        Assert.Equal("Essential container in task exited", (string?)task["stoppedReason"]);
        var inspect = await DockerCli.InspectAsync((string)hog["runtimeId"]!);
        Assert.True((bool)inspect["State"]!["OOMKilled"]!);
        Assert.Equal(8L * 1024 * 1024, (long)inspect["HostConfig"]!["Memory"]!);
    }
}
