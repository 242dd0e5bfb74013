using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Registry;

/// <summary>
/// The whole workflow Berth exists for, as a user runs it: a Dockerfile built with <c>docker build</c>, pushed to
/// Berth's registry after <c>aws ecr get-login-password | docker login</c>, a task definition using it, a cluster,
/// a service of two, and a page fetched from each task through its host port.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class SeedWorkflowTests(RegistryFixture fixture)
{
    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task Build_push_register_and_serve_a_web_app_from_a_service_of_two()
    {
        // A small web app: busybox's httpd serving one page, FROM scratch (nothing is pulled).
        var context = fixture.Scratch.File("webapp-" + fixture.RunId);
        Directory.CreateDirectory(Path.Combine(context, "www"));
        File.Copy(new[] { "/bin/busybox", "/usr/bin/busybox" }.First(File.Exists), Path.Combine(context, "busybox"));
        var page = $"hello from berth {fixture.RunId}";
        await File.WriteAllTextAsync(Path.Combine(context, "www", "index.html"), page + "\n");
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), """
            FROM scratch
            COPY busybox /bin/busybox
            COPY www /www
            EXPOSE 8080
            CMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
            """ + "\n");

        var repositoryName = $"seed/web-{fixture.RunId}";
        var repository = await fixture.CreateRepositoryAsync(repositoryName);
        var image = (string)repository["repositoryUri"]! + ":1";
        var cluster = "seed-" + fixture.RunId;
        var family = "seed-web-" + fixture.RunId;
        try
        {
            await fixture.DockerOkAsync("build", "-q", "-t", image, context);
            var login = await ProcessRunner.RunAsync("bash", ["-c", $"aws --endpoint-url {Server.Endpoint} ecr get-login-password | docker login --username AWS --password-stdin {fixture.Host}"],
                new Dictionary<string, string?>(Clients.Environment(Server)) { ["DOCKER_CONFIG"] = fixture.Scratch.File("docker"), ["PATH"] = Environment.GetEnvironmentVariable("PATH") },
                timeout: TimeSpan.FromMinutes(1));
            Assert.True(login.ExitCode == 0, login.ToString());
            await fixture.DockerOkAsync("push", image);

            // The engine must not have it: the agent pulls it from Berth with the credential the server hands it.
            await fixture.DockerOkAsync("rmi", image);

            await Clients.AwsJsonAsync(Server, "ecs", "create-cluster", "--cluster-name", cluster);
            await using var agent = await BerthAgent.StartAsync(Server, cluster, fixture.Scratch.File("agent-seed-" + fixture.RunId));
            await Clients.AwsJsonAsync(Server, "ecs", "register-task-definition", "--family", family, "--container-definitions",
                $$"""[{"name":"web","image":"{{image}}","memory":32,"essential":true,"portMappings":[{"containerPort":8080,"hostPort":0}]}]""");
            await Poll.UntilAsync(
                async () => (await Clients.AwsJsonAsync(Server, "ecs", "list-container-instances", "--cluster", cluster))!["containerInstanceArns"]!.AsArray().Count == 1,
                TimeSpan.FromSeconds(90),
                () => "the agent never registered");
            await Clients.AwsJsonAsync(Server, "ecs", "create-service", "--cluster", cluster, "--service-name", "web", "--task-definition", family, "--desired-count", "2");

            JsonNode? service = null;
            await Poll.UntilAsync(async () =>
            {
                service = (await Clients.AwsJsonAsync(Server, "ecs", "describe-services", "--cluster", cluster, "--services", "web"))!["services"]![0]!;
                return (int)service["runningCount"]! == 2 && (string?)service["deployments"]![0]!["rolloutState"] == "COMPLETED";
            }, TimeSpan.FromMinutes(3), () => $"the service never reached 2 running tasks: {service}");

            var taskArns = (await Clients.AwsJsonAsync(Server, "ecs", "list-tasks", "--cluster", cluster, "--service-name", "web"))!["taskArns"]!.AsArray().Select(a => (string)a!).ToList();
            Assert.Equal(2, taskArns.Count);
            var tasks = (await Clients.AwsJsonAsync(Server, "ecs", "describe-tasks", "--cluster", cluster, "--tasks", taskArns[0], taskArns[1]))!["tasks"]!.AsArray();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var ports = new HashSet<int>();
            foreach (var task in tasks)
            {
                var binding = Assert.Single(task!["containers"]![0]!["networkBindings"]!.AsArray())!;
                var hostPort = (int)binding["hostPort"]!;
                ports.Add(hostPort);
                string? body = null;
                await Poll.UntilAsync(async () =>
                {
                    try
                    {
                        body = await http.GetStringAsync($"http://127.0.0.1:{hostPort}/");
                        return true;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                }, TimeSpan.FromSeconds(30), () => $"no page on port {hostPort}");
                Assert.Equal(page, body!.Trim());
            }

            Assert.Equal(2, ports.Count);
        }
        finally
        {
            await Clients.AwsAsync(Server, "ecs", "delete-service", "--cluster", cluster, "--service", "web", "--force");
            await DockerCli.RemoveContainersAsync("com.amazonaws.ecs.task-definition-family", family);
            await fixture.DockerAsync("rmi", "-f", image);
        }
    }
}
