using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Tasks;

/// <summary>Container ordering (dependsOn SUCCESS and HEALTHY) and health checks, as ECS and Docker show them.</summary>
[Collection(TasksCollection.Name)]
public sealed class TaskDependencyTests(TasksFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "default";

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task Init_SUCCESS_runs_first_HEALTHY_gates_the_next_container_and_failing_checks_show_UNHEALTHY()
    {
        // init writes a marker into a task-scoped Docker volume and exits 0; app refuses to run without the marker
        // (exit 9) and is healthy once it sees it; late waits for app to be HEALTHY.
        await fixture.RegisterAsync($$"""
            {
              "family": "ordered",
              "volumes": [{"name": "shared", "dockerVolumeConfiguration": {{fixture.VolumeConfiguration}} }],
              "containerDefinitions": [
                {
                  "name": "init", "image": "{{fixture.Image}}", "memory": 16, "essential": false,
                  "mountPoints": [{"sourceVolume": "shared", "containerPath": "/shared"}],
                  "command": ["sh", "-c", "sleep 1; echo init-done > /shared/marker"]
                },
                {
                  "name": "app", "image": "{{fixture.Image}}", "memory": 16,
                  "mountPoints": [{"sourceVolume": "shared", "containerPath": "/shared"}],
                  "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
                  "healthCheck": {"command": ["CMD-SHELL", "test \"$(cat /shared/marker)\" = init-done"], "interval": 5, "timeout": 2, "retries": 2},
                  "command": ["sh", "-c", "test \"$(cat /shared/marker)\" = init-done || exit 9; trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]
                },
                {
                  "name": "late", "image": "{{fixture.Image}}", "memory": 16,
                  "dependsOn": [{"containerName": "app", "condition": "HEALTHY"}],
                  "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]
                }
              ]
            }
            """);
        await fixture.RegisterAsync($$"""
            {
              "family": "sick",
              "containerDefinitions": [{
                "name": "sick", "image": "{{fixture.Image}}", "memory": 16,
                "healthCheck": {"command": ["CMD-SHELL", "exit 1"], "interval": 5, "timeout": 2, "retries": 1},
                "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]
              }]
            }
            """);
        var ordered = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "ordered"}""")));
        var sick = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "sick"}""")));

        // While app waits for its first health check, late is not running and the task is not RUNNING.
        var waiting = (await Ecs.WaitTasksAsync(Cluster, [ordered], t => (string?)Container(t, "app")["lastStatus"] == "RUNNING", "with app RUNNING"))[0];
        Assert.NotEqual("RUNNING", (string?)Container(waiting, "late")["lastStatus"]);

        var task = (await Ecs.WaitTasksAsync(Cluster, [ordered], t => (string?)t["lastStatus"] == "RUNNING" && (string?)t["healthStatus"] == "HEALTHY", "RUNNING and HEALTHY"))[0];
        output.WriteLine(task.ToJsonString());
        var init = Container(task, "init");
        Assert.Equal("STOPPED", (string?)init["lastStatus"]);
        Assert.Equal(0, (int?)init["exitCode"]);
        Assert.Equal("RUNNING", (string?)Container(task, "app")["lastStatus"]);
        Assert.Equal("HEALTHY", (string?)Container(task, "app")["healthStatus"]);
        Assert.Equal("RUNNING", (string?)Container(task, "late")["lastStatus"]);

        // Docker's clocks: app started after init finished; late after app's first (5 s) health check.
        var initState = (await DockerCli.InspectAsync((string)init["runtimeId"]!))["State"]!;
        var appInspect = await DockerCli.InspectAsync((string)Container(task, "app")["runtimeId"]!);
        var lateState = (await DockerCli.InspectAsync((string)Container(task, "late")["runtimeId"]!))["State"]!;
        var initFinished = DockerTime(initState["FinishedAt"]);
        var appStarted = DockerTime(appInspect["State"]!["StartedAt"]);
        var lateStarted = DockerTime(lateState["StartedAt"]);
        Assert.True(initFinished <= appStarted, $"app started {appStarted:O} before init finished {initFinished:O}");
        Assert.True(lateStarted - appStarted >= TimeSpan.FromSeconds(4), $"late started {lateStarted:O}, app {appStarted:O}");
        Assert.Equal("healthy", (string?)appInspect["State"]!["Health"]!["Status"]);
        Assert.Equal(["CMD-SHELL", "test \"$(cat /shared/marker)\" = init-done"], Expect.Strings(appInspect["Config"]!["Healthcheck"]!["Test"]));
        Assert.Equal(5_000_000_000L, (long)appInspect["Config"]!["Healthcheck"]!["Interval"]!);

        var sickTask = (await Ecs.WaitTasksAsync(Cluster, [sick], t => (string?)Container(t, "sick")["healthStatus"] == "UNHEALTHY", "with sick UNHEALTHY"))[0];
        output.WriteLine(sickTask.ToJsonString());
        sickTask = (await Ecs.WaitTasksAsync(Cluster, [sick], t => (string?)t["healthStatus"] == "UNHEALTHY", "UNHEALTHY"))[0];
        Assert.Equal("UNHEALTHY", (string?)Container(sickTask, "sick")["healthStatus"]);

        await StopAndWaitAsync(Ecs, Cluster, [ordered, sick]);
    }

    [Fact]
    public async Task A_SUCCESS_dependency_that_fails_stops_the_task_without_starting_the_dependent()
    {
        await fixture.RegisterAsync($$"""
            {
              "family": "badinit",
              "containerDefinitions": [
                {"name": "init", "image": "{{fixture.Image}}", "memory": 16, "essential": false, "command": ["sh", "-c", "exit 4"]},
                {"name": "app", "image": "{{fixture.Image}}", "memory": 16, "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}], "command": ["sleep", "3600"]}
              ]
            }
            """);
        var arn = Assert.Single(TaskArns(await Ecs.OkAsync("run_task", """{"cluster": "default", "taskDefinition": "badinit"}""")));
        var task = await Ecs.WaitStatusAsync(Cluster, arn, "STOPPED");
        output.WriteLine(task.ToJsonString());
        Assert.Equal(4, (int?)Container(task, "init")["exitCode"]);
        Assert.Null(Container(task, "app")["exitCode"]);
        Assert.Equal("TaskFailedToStart", (string?)task["stopCode"]);
        var app = await DockerCli.ContainersAsync("com.amazonaws.ecs.task-arn", arn);
        foreach (var id in app)
        {
            var inspect = await DockerCli.InspectAsync(id);
            if ((string?)inspect["Config"]!["Labels"]!["com.amazonaws.ecs.container-name"] == "app")
            {
                Assert.Equal("0001-01-01T00:00:00Z", (string?)inspect["State"]!["StartedAt"]);
            }
        }
    }

    private static DateTimeOffset DockerTime(JsonNode? value) => DateTimeOffset.Parse((string)value!, System.Globalization.CultureInfo.InvariantCulture);
}
