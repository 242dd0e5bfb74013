using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Tasks;

/// <summary>
/// One server (with its in-process agent on the local engine in <c>default</c>), the locally built busybox image
/// and a boto3 session, shared by the task tests that only start tasks of their own families. Disposing kills the
/// server and removes every container its instances made and every volume the tests labelled.
/// </summary>
public sealed class TasksFixture : IAsyncLifetime
{
    /// <summary>The label the tests put on the Docker volumes their task definitions configure.</summary>
    public const string VolumeLabel = "berth-e2e-run";

    private readonly TempDir _dataDir = new("berth-e2e-tasks-");
    private TestImage? _image;

    /// <summary>Unique to this run: image tag, volume labels.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>The running server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>The boto3 session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public string Image => _image!.Name;

    /// <summary>The in-process agent's container instance in <c>default</c>.</summary>
    public string DefaultInstanceArn { get; private set; } = null!;

    /// <summary>A scratch directory (cli-input-json files, host volumes).</summary>
    public TempDir Scratch { get; } = new("berth-e2e-tasks-scratch-");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync("tasks-" + RunId);
        Server = await BerthServer.StartAsync(_dataDir.Path);
        _image = await image;
        Ecs = EcsSession.Start(Server);
        DefaultInstanceArn = await TaskTestKit.WaitForInstanceAsync(Ecs, "default");
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        var instances = new List<string>();
        if (Server is not null && !Server.HasExited && Ecs is not null)
        {
            instances = await TaskTestKit.AllInstanceArnsAsync(Ecs);
        }

        if (Ecs is not null)
        {
            await Ecs.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await TaskTestKit.RemoveLeftoversAsync(instances, RunId);
        if (_image is not null)
        {
            await _image.DisposeAsync();
        }

        _dataDir.Dispose();
        Scratch.Dispose();
    }

    /// <summary>Registers a task definition (boto3 register_task_definition arguments as JSON); returns its ARN.</summary>
    public async Task<string> RegisterAsync(string json)
        => (string)(await Ecs.OkAsync("register_task_definition", json))["taskDefinition"]!["taskDefinitionArn"]!;

    /// <summary>A Docker volume configuration the fixture cleans up: <c>{"scope": "task", "driver": "local", "labels": {...}}</c>.</summary>
    public string VolumeConfiguration => $$$"""{"scope": "task", "driver": "local", "labels": {"{{{VolumeLabel}}}": "{{{RunId}}}"}}""";
}

/// <summary>The collection whose task tests share <see cref="TasksFixture"/>; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class TasksCollection : ICollectionFixture<TasksFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Berth tasks on a shared server";
}

/// <summary>Task tests that kill and restart servers and agents of their own; serialized.</summary>
[CollectionDefinition(Name)]
public sealed class TaskFaultsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Berth task faults";
}

/// <summary>Helpers the task tests share.</summary>
public static class TaskTestKit
{
    /// <summary>Waits for a cluster to have exactly one container instance whose agent is connected; returns its ARN.</summary>
    public static async Task<string> WaitForInstanceAsync(EcsSession ecs, string cluster)
    {
        string? arn = null;
        JsonNode? last = null;
        await Poll.UntilAsync(
            async () =>
            {
                var listed = await ecs.OkAsync("list_container_instances", new JsonObject { ["cluster"] = cluster });
                var arns = Expect.Strings(listed["containerInstanceArns"]);
                if (arns.Count != 1)
                {
                    return false;
                }

                last = await ecs.InstanceAsync(cluster, arns[0]);
                arn = arns[0];
                return (bool?)last["agentConnected"] == true;
            },
            Poll.DefaultTimeout,
            () => $"no connected container instance in {cluster}: {last?.ToJsonString()}");
        return arn!;
    }

    /// <summary>Every container instance ARN of every cluster of the server (to clean their containers up).</summary>
    public static async Task<List<string>> AllInstanceArnsAsync(EcsSession ecs)
    {
        var arns = new List<string>();
        try
        {
            var clusters = Expect.Strings((await ecs.OkAsync("list_clusters"))["clusterArns"]);
            foreach (var cluster in clusters)
            {
                foreach (var status in new[] { "ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED" })
                {
                    var listed = await ecs.CallAsync("list_container_instances", new JsonObject { ["cluster"] = cluster, ["status"] = status });
                    arns.AddRange(Expect.Strings(listed["response"]?["containerInstanceArns"]));
                }

                // INACTIVE (deregistered) instances are only visible by describing them: a test keeps their ARNs itself.
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or Xunit.Sdk.XunitException)
        {
            // Best effort: the server may be gone.
        }

        return arns;
    }

    /// <summary>Removes every container of the instances and every volume labelled with the run id.</summary>
    public static async Task RemoveLeftoversAsync(IEnumerable<string> instanceArns, string runId)
    {
        foreach (var arn in instanceArns.Distinct(StringComparer.Ordinal))
        {
            await DockerCli.RemoveContainersAsync("berth.container-instance", arn);
        }

        await DockerCli.RemoveVolumesAsync(TasksFixture.VolumeLabel, runId);
    }

    /// <summary>The task ARNs of a RunTask/StartTask response.</summary>
    public static List<string> TaskArns(JsonNode response) => [.. response["tasks"]!.AsArray().Select(t => (string)t!["taskArn"]!)];

    /// <summary>The container of a described task with that name.</summary>
    public static JsonNode Container(JsonNode task, string name)
        => task["containers"]!.AsArray().FirstOrDefault(c => (string?)c!["name"] == name)
            ?? throw new Xunit.Sdk.XunitException($"no container {name} in {task.ToJsonString()}");

    /// <summary>Stops the tasks (StopTask) and waits until they are STOPPED.</summary>
    public static async Task StopAndWaitAsync(EcsSession ecs, string cluster, IReadOnlyList<string> taskArns)
    {
        foreach (var arn in taskArns)
        {
            await ecs.OkAsync("stop_task", new JsonObject { ["cluster"] = cluster, ["task"] = arn, ["reason"] = "e2e cleanup" });
        }

        await ecs.WaitTasksAsync(cluster, taskArns, t => (string?)t["lastStatus"] == "STOPPED", "STOPPED");
    }

    /// <summary>The integer value of a resource (CPU, MEMORY) in a resources list.</summary>
    public static int Integer(JsonNode? resources, string name)
        => (int)resources!.AsArray().First(r => (string?)r!["name"] == name)!["integerValue"]!;

    /// <summary>The string set of a resource (PORTS) in a resources list.</summary>
    public static List<string> StringSet(JsonNode? resources, string name)
        => Expect.Strings(resources!.AsArray().First(r => (string?)r!["name"] == name)!["stringSetValue"]);

    /// <summary>A free TCP port on loopback (for static host ports).</summary>
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>GETs a page from loopback, retrying until it answers (the server in the container may still be starting).</summary>
    public static async Task<string> FetchAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        string? body = null;
        string? error = null;
        await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"));
                    return true;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    error = ex.Message;
                    return false;
                }
            },
            TimeSpan.FromSeconds(20),
            () => $"http://127.0.0.1:{port}/ never answered: {error}");
        return body!;
    }
}
