using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;

namespace Berth.EndToEnd.Tests.Services;

/// <summary>
/// One server with its in-process agent on the local engine in <c>default</c> (no FARGATE capacity), the locally
/// built busybox image and a boto3 session, shared by the service tests. Tests that need agents of their own or
/// kill a server start servers of their own (they still use this image). Disposing kills the server and removes
/// every container its instances made.
/// </summary>
public sealed class ServicesFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-services-");
    private TestImage? _image;

    /// <summary>Unique to this run: image tag, family names.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>The running server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>The boto3 session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public string Image => _image!.Name;

    /// <summary>The in-process agent's container instance in <c>default</c>.</summary>
    public string DefaultInstanceArn { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync("services-" + RunId);
        Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-fargate"]);
        _image = await image;
        Ecs = EcsSession.Start(Server);
        DefaultInstanceArn = await TaskTestKit.WaitForInstanceAsync(Ecs, "default");
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Ecs is not null)
        {
            await Ecs.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (DefaultInstanceArn is not null)
        {
            await TaskTestKit.RemoveLeftoversAsync([DefaultInstanceArn], RunId);
        }

        if (_image is not null)
        {
            await _image.DisposeAsync();
        }

        _dataDir.Dispose();
    }
}

/// <summary>The collection of the service tests: one after another, on <see cref="ServicesFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ServicesCollection : ICollectionFixture<ServicesFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Berth services";
}

/// <summary>Helpers the service tests share: what DescribeServices, ListTasks and the engine show of a service.</summary>
public static partial class ServiceKit
{
    /// <summary>How long a service gets to reach what a test waits for.</summary>
    public static readonly TimeSpan ServiceTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The command of a container that sleeps until it is stopped and exits 0 on TERM.</summary>
    public const string SleeperCommand = "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done";

    /// <summary>A container health check that passes once <c>/ready</c> exists (first checked after 5 s).</summary>
    public const string ReadyCheck = """{"command": ["CMD-SHELL", "test -f /ready"], "interval": 5, "timeout": 2, "retries": 3, "startPeriod": 0}""";

    /// <summary>Registers <paramref name="family"/>: one busybox container of 16 MiB that sleeps until stopped; returns its ARN.</summary>
    public static async Task<string> RegisterSleeperAsync(EcsSession ecs, string family, string image, string? healthCheck = null, string command = SleeperCommand)
    {
        var definition = new JsonObject
        {
            ["family"] = family,
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = "main",
                ["image"] = image,
                ["memory"] = 16,
                ["cpu"] = 8,
                ["command"] = new JsonArray("sh", "-c", command),
            }),
        };
        if (healthCheck is not null)
        {
            definition["containerDefinitions"]![0]!["healthCheck"] = JsonNode.Parse(healthCheck);
        }

        return (string)(await ecs.OkAsync("register_task_definition", definition))["taskDefinition"]!["taskDefinitionArn"]!;
    }

    /// <summary>DescribeServices of one service.</summary>
    public static async Task<JsonNode> DescribeAsync(EcsSession ecs, string cluster, string service)
    {
        var response = await ecs.OkAsync("describe_services", new JsonObject { ["cluster"] = cluster, ["services"] = new JsonArray(service) });
        var services = response["services"]!.AsArray();
        Assert.True(services.Count == 1, $"DescribeServices {service}: {response.ToJsonString()}");
        return services[0]!;
    }

    /// <summary>Polls DescribeServices until <paramref name="done"/> holds; returns the service then.</summary>
    public static async Task<JsonNode> WaitAsync(EcsSession ecs, string cluster, string service, Func<JsonNode, bool> done, string what, TimeSpan? timeout = null)
    {
        JsonNode? last = null;
        await Poll.UntilAsync(
            async () =>
            {
                last = await DescribeAsync(ecs, cluster, service);
                return done(last);
            },
            timeout ?? ServiceTimeout,
            () => $"service {service} never {what}: {last?.ToJsonString()}");
        return last!;
    }

    /// <summary>
    /// Steady on <paramref name="taskDefinition"/>: one deployment, PRIMARY and COMPLETED on it, running = desired
    /// = <paramref name="desired"/>, nothing pending.
    /// </summary>
    public static bool Steady(JsonNode service, string taskDefinition, int desired)
    {
        var deployments = service["deployments"]!.AsArray();
        return (int?)service["desiredCount"] == desired && (int?)service["runningCount"] == desired && (int?)service["pendingCount"] == 0
            && deployments.Count == 1 && (string?)deployments[0]!["status"] == "PRIMARY" && (string?)deployments[0]!["rolloutState"] == "COMPLETED"
            && (string?)deployments[0]!["taskDefinition"] == taskDefinition;
    }

    /// <summary>Waits for <see cref="Steady"/> and the "has reached a steady state." event after it.</summary>
    public static Task<JsonNode> WaitSteadyAsync(EcsSession ecs, string cluster, string service, string taskDefinition, int desired, int steadyEventsBefore = 0, TimeSpan? timeout = null)
        => WaitAsync(ecs, cluster, service, s => Steady(s, taskDefinition, desired) && SteadyEvents(s) > steadyEventsBefore, $"steady with {desired} tasks of {taskDefinition}", timeout);

    /// <summary>The service's event messages, newest first.</summary>
    public static List<string> Events(JsonNode service) => [.. service["events"]!.AsArray().Select(e => (string)e!["message"]!)];

    /// <summary>How many "has reached a steady state." events the service has.</summary>
    public static int SteadyEvents(JsonNode service) => Events(service).Count(m => m.EndsWith("has reached a steady state.", StringComparison.Ordinal));

    /// <summary>The tasks counted by the "has started N tasks" events (the task IDs they name).</summary>
    public static List<string> StartedTaskIds(JsonNode service, string name)
        => [.. Events(service).Where(m => m.StartsWith($"(service {name}) has started ", StringComparison.Ordinal)).SelectMany(TaskIds)];

    /// <summary>The tasks named by the "has stopped N running tasks" events.</summary>
    public static List<string> StoppedTaskIds(JsonNode service, string name)
        => [.. Events(service).Where(m => m.StartsWith($"(service {name}) has stopped ", StringComparison.Ordinal)).SelectMany(TaskIds)];

    /// <summary>The task IDs an event names: <c>(task ID)</c>.</summary>
    public static IEnumerable<string> TaskIds(string message) => TaskId().Matches(message).Select(m => m.Groups[1].Value);

    /// <summary>The last segment of an ARN.</summary>
    public static string IdOf(string arn) => arn[(arn.LastIndexOf('/') + 1)..];

    /// <summary>The service's tasks with the desired status (ListTasks by serviceName, then DescribeTasks).</summary>
    public static async Task<List<JsonNode>> TasksAsync(EcsSession ecs, string cluster, string service, string desiredStatus = "RUNNING")
    {
        var arns = Expect.Strings((await ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = cluster, ["serviceName"] = service, ["desiredStatus"] = desiredStatus, ["maxResults"] = 100 }))["taskArns"]);
        if (arns.Count == 0)
        {
            return [];
        }

        var described = await ecs.OkAsync("describe_tasks", new JsonObject { ["cluster"] = cluster, ["tasks"] = new JsonArray([.. arns.Select(a => (JsonNode)a)]) });
        return [.. described["tasks"]!.AsArray().Select(t => t!)];
    }

    /// <summary>Ids of the running containers on the engine of a task definition family.</summary>
    public static async Task<List<string>> RunningContainersAsync(string family)
    {
        var stdout = await DockerCli.OkAsync("ps", "-q", "--no-trunc", "--filter", $"label=com.amazonaws.ecs.task-definition-family={family}", "--filter", "status=running");
        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>Deletes the service with force and waits until it is INACTIVE (every task stopped).</summary>
    public static async Task DeleteAsync(EcsSession ecs, string cluster, string service)
    {
        var result = await ecs.CallAsync("delete_service", new JsonObject { ["cluster"] = cluster, ["service"] = service, ["force"] = true });
        if ((int?)result["status"] != 200)
        {
            return;
        }

        await WaitAsync(ecs, cluster, service, s => (string?)s["status"] == "INACTIVE", "INACTIVE");
    }

    /// <summary>The container instance a task runs on.</summary>
    public static string InstanceOf(JsonNode task) => (string)task["containerInstanceArn"]!;

    [GeneratedRegex(@"\(task ([0-9a-f]+)\)")]
    private static partial Regex TaskId();
}
