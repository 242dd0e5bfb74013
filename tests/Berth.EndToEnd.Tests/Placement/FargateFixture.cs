using Berth.EndToEnd.Tests.Infrastructure;
using Berth.EndToEnd.Tests.Tasks;

namespace Berth.EndToEnd.Tests.Placement;

/// <summary>
/// A server as a user starts it: its local agent in <c>default</c> and its FARGATE capacity agent on the same
/// engine. Disposing kills it and removes the containers of every instance and task the tests saw.
/// </summary>
public sealed class FargateFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-fargate-");
    private TestImage? _image;

    /// <summary>Unique to this run: image tag.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>The running server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>The boto3 session on it.</summary>
    public EcsSession Ecs { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public string Image => _image!.Name;

    /// <summary>The local agent's container instance in <c>default</c>.</summary>
    public string DefaultInstanceArn { get; private set; } = null!;

    /// <summary>Container instances and tasks whose containers are removed at the end (the capacity host is listed nowhere).</summary>
    public HashSet<string> SeenInstances { get; } = new(StringComparer.Ordinal);

    /// <summary>Tasks the tests started (their containers are removed at the end).</summary>
    public HashSet<string> SeenTasks { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync("fargate-" + RunId);
        Server = await BerthServer.StartAsync(_dataDir.Path);
        _image = await image;
        Ecs = EcsSession.Start(Server);
        DefaultInstanceArn = await TaskTestKit.WaitForInstanceAsync(Ecs, "default");
        SeenInstances.Add(DefaultInstanceArn);
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

        foreach (var task in SeenTasks)
        {
            await DockerCli.RemoveContainersAsync("com.amazonaws.ecs.task-arn", task);
            RemoveTaskCgroups(task[(task.LastIndexOf('/') + 1)..]);
        }

        await TaskTestKit.RemoveLeftoversAsync(SeenInstances, RunId);
        if (_image is not null)
        {
            await _image.DisposeAsync();
        }

        _dataDir.Dispose();
    }

    /// <summary>
    /// Removes the task's cgroups (cgroup v1): the agent removes them with the task's containers 60 s after the stop,
    /// which a server killed at the end of the tests never reaches. Best effort.
    /// </summary>
    private static void RemoveTaskCgroups(string taskId)
    {
        foreach (var controller in new[] { "memory", "cpu" })
        {
            try
            {
                var path = $"/sys/fs/cgroup/{controller}/berth/{taskId}";
                if (Directory.Exists(path))
                {
                    Directory.Delete(path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Still in use or not ours: left behind.
            }
        }
    }
}
