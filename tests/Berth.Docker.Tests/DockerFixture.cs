using System.Collections.Concurrent;
using System.Diagnostics;

namespace Berth.Docker.Tests;

/// <summary>
/// Builds a busybox image FROM scratch (no registry traffic) under a tag unique to this fixture, hands out a client and
/// container names/labels unique to the run, and removes every container, network, volume and the tag afterwards.
/// </summary>
public sealed class DockerFixture : IAsyncLifetime
{
    public const string LabelKey = "berth-test";

    private readonly ConcurrentBag<string> _networks = [];
    private readonly ConcurrentBag<string> _volumes = [];

    public string RunId { get; } = Guid.NewGuid().ToString("N")[..12];

    public string Image => $"berth-test/busybox:{RunId}";

    public DockerClient Client { get; } = new();

    public IReadOnlyDictionary<string, string?> RunLabel => new Dictionary<string, string?> { [LabelKey] = RunId };

    public string Name(string suffix) => $"berth-test-{RunId}-{suffix}";

    public async Task InitializeAsync()
    {
        var dir = Directory.CreateTempSubdirectory("berth-docker-test-");
        try
        {
            File.Copy("/bin/busybox", Path.Combine(dir.FullName, "busybox"));
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "Dockerfile"), """
                FROM scratch
                COPY busybox /bin/busybox
                RUN ["/bin/busybox","--install","-s","/bin"]
                CMD ["sh"]

                """);
            await RunDockerCliAsync("build", "-q", "-t", Image, dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var container in await Client.ListContainersAsync(RunLabel, all: true))
                await IgnoreNotFound(Client.RemoveContainerAsync(container.Id, force: true, removeVolumes: true));
            foreach (var network in _networks)
                await IgnoreNotFound(Client.RemoveNetworkAsync(network));
            foreach (var volume in _volumes)
                await IgnoreNotFound(Client.RemoveVolumeAsync(volume, force: true));
            await IgnoreNotFound(Client.RemoveImageAsync(Image, force: true));
        }
        finally
        {
            Client.Dispose();
        }
    }

    /// <summary>A spec on the test image carrying the run label.</summary>
    public ContainerSpec Spec(params string[] cmd) => new()
    {
        Image = Image,
        Cmd = cmd,
        Labels = new Dictionary<string, string> { [LabelKey] = RunId },
    };

    public async Task<string> RunAsync(string suffix, ContainerSpec spec)
    {
        var id = await Client.CreateContainerAsync(Name(suffix), spec);
        await Client.StartContainerAsync(id);
        return id;
    }

    public void TrackNetwork(string name) => _networks.Add(name);

    public void TrackVolume(string name) => _volumes.Add(name);

    public async Task<List<LogLine>> LogsAsync(string id)
    {
        var lines = new List<LogLine>();
        await foreach (var line in Client.ContainerLogsAsync(id))
            lines.Add(line);
        return lines;
    }

    /// <summary>Waits for the container to print "ready" (its signal handlers are installed by then).</summary>
    public async Task ReadyAsync(string id)
    {
        var lines = await PollAsync(() => LogsAsync(id), l => l.Any(x => x.Text == "ready"), TimeSpan.FromSeconds(20));
        Assert.Contains(lines, l => l.Text == "ready");
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (condition(value) || deadline.Elapsed > timeout)
                return value;
            await Task.Delay(100);
        }
    }

    private static async Task IgnoreNotFound(Task task)
    {
        try
        {
            await task;
        }
        catch (DockerNotFoundException)
        {
        }
    }

    private static async Task RunDockerCliAsync(params string[] args)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start docker");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({process.ExitCode}): {await stdout}{await stderr}");
    }
}
