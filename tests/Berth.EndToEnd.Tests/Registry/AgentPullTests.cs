using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Registry;

/// <summary>A task whose image lives in Berth's registry runs: the agent pulls it with the credential the server hands it.</summary>
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
        await RegistryFixture.SkopeoOkAsync("copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + await fixture.PasswordAsync(), "docker-daemon:" + fixture.Image, "docker://" + image);
        await DockerCli.RunAsync("rmi", "-f", image); // the engine must not have it: the agent has to pull

        var family = "registry-pull-" + fixture.RunId;
        await Clients.AwsJsonAsync(Server, "ecs", "register-task-definition", "--family", family, "--container-definitions",
            $$"""[{"name":"app","image":"{{image}}","memory":64,"essential":true,"command":["sleep","300"]}]""");
        string? instance = null;
        await Poll.UntilAsync(async () =>
        {
            var listed = await Clients.AwsJsonAsync(Server, "ecs", "list-container-instances", "--cluster", "default");
            instance = listed!["containerInstanceArns"]!.AsArray().Select(a => (string?)a).FirstOrDefault();
            return instance is not null;
        }, TimeSpan.FromSeconds(60), () => "the local agent never registered");

        var run = (await Clients.AwsJsonAsync(Server, "ecs", "run-task", "--cluster", "default", "--task-definition", family))!;
        var taskArn = (string)run["tasks"]![0]!["taskArn"]!;
        JsonNode? task = null;
        try
        {
            await Poll.UntilAsync(async () =>
            {
                task = (await Clients.AwsJsonAsync(Server, "ecs", "describe-tasks", "--cluster", "default", "--tasks", taskArn))!["tasks"]![0]!;
                return (string?)task["lastStatus"] is "RUNNING" or "STOPPED";
            }, TimeSpan.FromSeconds(90), () => $"the task never ran: {task}");
            Assert.True((string?)task!["lastStatus"] == "RUNNING", task.ToJsonString());
            var inspected = await DockerCli.OkAsync("image", "inspect", "--format", "{{json .RepoDigests}}", image);
            Assert.Contains(name, inspected, StringComparison.Ordinal);
        }
        finally
        {
            await Clients.AwsAsync(Server, "ecs", "stop-task", "--cluster", "default", "--task", taskArn);
            await DockerCli.RemoveContainersAsync("com.amazonaws.ecs.task-arn", taskArn);
            await DockerCli.RunAsync("rmi", "-f", image);
        }
    }
}
