using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;

namespace Berth.EndToEnd.Tests.Agents;

/// <summary>
/// Agents with their own identity: two hosts join with one token (`./berth join-token create`, `./berth agent
/// --join-token`), and the second, holding a key of its own, cannot act on the first's instance, tasks or anything
/// else. Revoking the token cuts both its keys and new joins off.
/// </summary>
public sealed class JoinTokenTests : IAsyncLifetime
{
    private readonly TempDir _dir = new("berth-e2e-join-");
    private TestImage _image = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => _image = await TestImage.BuildAsync("join-" + Guid.NewGuid().ToString("N")[..10]);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await _image.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_joined_agent_acts_only_for_its_own_instance_and_a_revoked_token_cuts_it_off()
    {
        await using var server = await BerthServer.StartAsync(Path.Combine(_dir.Path, "server"), extraArguments: ["--no-local-agent", "--no-fargate"]);
        var ecs = EcsSession.Start(server);
        BerthAgent? first = null, second = null;
        try
        {
            var created = await BerthCliAsync(server, "join-token", "create", "--endpoint", server.Endpoint, "--cluster", "default", "--expires", "1h", "--description", "e2e hosts");
            Assert.True(created.ExitCode == 0, created.ToString());
            var token = created.Stdout.TrimEnd().Split('\n')[^1];
            var tokenId = token[..token.IndexOf('.', StringComparison.Ordinal)];
            Assert.StartsWith("BJT", tokenId, StringComparison.Ordinal);

            first = await BerthAgent.StartAsync(server, "default", Path.Combine(_dir.Path, "agent-1"), joinToken: token);
            second = await BerthAgent.StartAsync(server, "default", Path.Combine(_dir.Path, "agent-2"), joinToken: token);
            var firstKey = Path.Combine(first.DataDir, "agent-key.json");
            var secondKey = Path.Combine(second.DataDir, "agent-key.json");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(firstKey));
            var firstIdentity = JsonNode.Parse(await File.ReadAllTextAsync(firstKey))!;
            Assert.NotEqual(server.AccessKeyId, (string)firstIdentity["accessKeyId"]!);

            // The first host's key runs a real task: registering, its channel and its reports all work with it.
            var instance = first.ContainerInstanceArn!;
            Assert.Equal((string)firstIdentity["ec2InstanceId"]!, (string)(await ecs.InstanceAsync("default", instance))["ec2InstanceId"]!);
            await ecs.OkAsync("register_task_definition", $$"""{"family":"join-probe","containerDefinitions":[{"name":"main","image":"{{_image.Name}}","command":["sleep","600"],"memory":32}]}""");
            var started = await ecs.OkAsync("start_task", new JsonObject { ["cluster"] = "default", ["taskDefinition"] = "join-probe", ["containerInstances"] = new JsonArray(instance) });
            var task = (string)started["tasks"]![0]!["taskArn"]!;
            await ecs.WaitStatusAsync("default", task, "RUNNING", TimeSpan.FromMinutes(2));

            // The second host, with a key of its own from the same token, may do none of it to the first.
            var denied = await Clients.PythonAsync(server, "agent_scope.py", [secondKey, "default", instance, task]);
            foreach (var (attempt, code) in denied.AsObject())
            {
                Assert.True((string?)code == "AccessDeniedException", $"{attempt}: {code} ({denied.ToJsonString()})");
            }

            Assert.Equal("RUNNING", (string)(await ecs.TaskAsync("default", task))["lastStatus"]!);
            var listed = await BerthCliAsync(server, "join-token", "list", "--endpoint", server.Endpoint);
            Assert.Matches($@"{tokenId}\s+default\s+\S+\s+usable\s+2\s+e2e hosts", listed.Stdout);

            // Revoked: the keys it issued are unknown at once, and no host joins with it any more.
            var revoked = await BerthCliAsync(server, "join-token", "revoke", tokenId, "--endpoint", server.Endpoint);
            Assert.True(revoked.ExitCode == 0, revoked.ToString());
            Assert.Matches($@"{tokenId}\s+default\s+\S+\s+revoked", revoked.Stdout);
            var afterRevoke = await Clients.PythonAsync(server, "agent_scope.py", [secondKey, "default", instance, task]);
            Assert.Equal("UnrecognizedClientException", (string?)afterRevoke["SubmitTaskStateChange"]);
            var third = await BerthCliAsync(server, "agent", "--join-token", token, "--endpoint", server.Endpoint, "--data-dir", Path.Combine(_dir.Path, "agent-3"));
            Assert.True(third.ExitCode == 1, third.ToString());
            Assert.Contains("cannot join", third.Stderr, StringComparison.Ordinal);
            Assert.Equal("RUNNING", (string)(await ecs.TaskAsync("default", task))["lastStatus"]!);
        }
        finally
        {
            var instances = await TaskTestKit.AllInstanceArnsAsync(ecs);
            await ecs.DisposeAsync();
            foreach (var agent in new[] { first, second })
            {
                if (agent is not null)
                {
                    await agent.DisposeAsync();
                }
            }

            foreach (var arn in instances)
            {
                await DockerCli.RemoveContainersAsync("berth.container-instance", arn);
            }
        }
    }

    // `./berth ARGS` with the server's credentials in the environment, as an operator runs it.
    private static Task<ProcessResult> BerthCliAsync(BerthServer server, params string[] arguments)
    {
        var environment = Clients.Environment(server);
        if (arguments[0] == "agent")
        {
            // A host given only the token: no account credentials.
            environment["AWS_ACCESS_KEY_ID"] = null;
            environment["AWS_SECRET_ACCESS_KEY"] = null;
        }

        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            // The test host's MSBuild/VSTest variables must not leak into the launcher's own build.
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                environment[name] = null;
            }
        }

        return ProcessRunner.RunAsync(Repo.Launcher, arguments, environment, timeout: TimeSpan.FromMinutes(8));
    }
}
