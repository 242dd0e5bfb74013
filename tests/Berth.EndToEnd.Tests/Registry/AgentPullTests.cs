using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Registry;

/// <summary>
/// Tasks whose images live in Berth's registry run: the agent pulls them with the credential the server hands it,
/// every time (a tag pushed again runs its new image, as on ECS), falling back to the engine's copy when a pull fails.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class AgentPullTests(RegistryFixture fixture)
{
    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task A_task_runs_an_image_the_agent_pulls_from_Berth()
    {
        var name = $"e2e/agent-{fixture.RunId}";
        await fixture.CreateRepositoryAsync(name);
        var image = $"{fixture.Host}/{name}:1";
        await PushAsync(fixture.Image, image);
        await DockerCli.RunAsync("rmi", "-f", image); // the engine must not have it: the agent has to pull

        var family = await RegisterAsync("registry-pull-" + fixture.RunId, image);
        var taskArn = await RunningTaskAsync(family);
        try
        {
            var inspected = await DockerCli.OkAsync("image", "inspect", "--format", "{{json .RepoDigests}}", image);
            Assert.Contains(name, inspected, StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(taskArn);
            await DockerCli.RunAsync("rmi", "-f", image);
        }
    }

    [Fact]
    public async Task A_tag_pushed_again_runs_its_new_image_and_a_failed_pull_falls_back_to_the_cached_one()
    {
        var name = $"e2e/retag-{fixture.RunId}";
        await fixture.CreateRepositoryAsync(name);
        var image = $"{fixture.Host}/{name}:latest";
        var family = await RegisterAsync("registry-retag-" + fixture.RunId, image);

        // A second image with a config of its own (so an id of its own), built locally from the first.
        var second = $"berth-e2e/retag-{fixture.RunId}:2";
        Directory.CreateDirectory(fixture.Scratch.File("retag"));
        await File.WriteAllTextAsync(fixture.Scratch.File("retag/Dockerfile"), $"FROM {fixture.Image}\nLABEL berth.e2e.version=2\n");
        await DockerCli.OkAsync("build", "-q", "-t", second, fixture.Scratch.File("retag"));
        var firstId = await ImageIdAsync(fixture.Image);
        var secondId = await ImageIdAsync(second);
        Assert.NotEqual(firstId, secondId);

        var tasks = new List<string>();
        try
        {
            await PushAsync(fixture.Image, image);
            tasks.Add(await RunningTaskAsync(family));
            Assert.Equal(firstId, await TaskImageIdAsync(tasks[^1]));

            // The engine now has the tag as the first image; the next task must still get what the tag names now.
            await PushAsync(second, image);
            tasks.Add(await RunningTaskAsync(family));
            Assert.Equal(secondId, await TaskImageIdAsync(tasks[^1]));

            // The repository gone, the pull fails: the engine's copy serves, as with ECS's default pull behaviour.
            await Clients.AwsJsonAsync(Server, "ecr", "delete-repository", "--repository-name", name, "--force");
            tasks.Add(await RunningTaskAsync(family));
            Assert.Equal(secondId, await TaskImageIdAsync(tasks[^1]));
        }
        finally
        {
            foreach (var task in tasks)
            {
                await StopAsync(task);
            }

            await DockerCli.RunAsync("rmi", "-f", image, second);
        }
    }

    private async Task PushAsync(string local, string image)
        => await RegistryFixture.SkopeoOkAsync("copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + await fixture.PasswordAsync(), "docker-daemon:" + local, "docker://" + image);

    private static async Task<string> ImageIdAsync(string image) => (await DockerCli.OkAsync("image", "inspect", "--format", "{{.Id}}", image)).Trim();

    private async Task<string> TaskImageIdAsync(string taskArn)
    {
        var task = (await Clients.AwsJsonAsync(Server, "ecs", "describe-tasks", "--cluster", "default", "--tasks", taskArn))!["tasks"]![0]!;
        var container = (string)task["containers"]![0]!["runtimeId"]!;
        return (await DockerCli.OkAsync("inspect", "--format", "{{.Image}}", container)).Trim();
    }

    private async Task<string> RegisterAsync(string family, string image)
    {
        await Clients.AwsJsonAsync(Server, "ecs", "register-task-definition", "--family", family, "--container-definitions",
            $$"""[{"name":"app","image":"{{image}}","memory":64,"essential":true,"command":["sleep","300"]}]""");
        await Poll.UntilAsync(async () =>
        {
            var listed = await Clients.AwsJsonAsync(Server, "ecs", "list-container-instances", "--cluster", "default");
            return listed!["containerInstanceArns"]!.AsArray().Count > 0;
        }, TimeSpan.FromSeconds(60), () => "the local agent never registered");
        return family;
    }

    private async Task<string> RunningTaskAsync(string family)
    {
        var run = (await Clients.AwsJsonAsync(Server, "ecs", "run-task", "--cluster", "default", "--task-definition", family))!;
        var taskArn = (string)run["tasks"]![0]!["taskArn"]!;
        JsonNode? task = null;
        await Poll.UntilAsync(async () =>
        {
            task = (await Clients.AwsJsonAsync(Server, "ecs", "describe-tasks", "--cluster", "default", "--tasks", taskArn))!["tasks"]![0]!;
            return (string?)task["lastStatus"] is "RUNNING" or "STOPPED";
        }, TimeSpan.FromSeconds(90), () => $"the task never ran: {task}");
        Assert.True((string?)task!["lastStatus"] == "RUNNING", task.ToJsonString());
        return taskArn;
    }

    private async Task StopAsync(string taskArn)
    {
        await Clients.AwsAsync(Server, "ecs", "stop-task", "--cluster", "default", "--task", taskArn);
        await DockerCli.RemoveContainersAsync("com.amazonaws.ecs.task-arn", taskArn);
    }
}
