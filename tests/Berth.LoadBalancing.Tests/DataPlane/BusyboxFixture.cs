using System.Diagnostics;
using Berth.Docker;

namespace Berth.LoadBalancing.Tests.DataPlane;

/// <summary>
/// Builds a busybox image FROM scratch (nothing pulled) under a tag unique to the run and starts <c>busybox httpd</c>
/// containers serving their own name at <c>/</c> and <c>ok</c> at <c>/health</c>; removes them and the tag afterwards.
/// </summary>
public sealed class BusyboxFixture : IAsyncLifetime
{
    private const string LabelKey = "berth-test";

    public string RunId { get; } = Guid.NewGuid().ToString("N")[..12];

    public string Image => $"berth-test/lb-busybox:{RunId}";

    public DockerClient Client { get; } = new();

    public async Task InitializeAsync()
    {
        var dir = Directory.CreateTempSubdirectory("berth-lb-test-");
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

    /// <summary>Starts an httpd container and returns its id and address on the default bridge.</summary>
    public async Task<(string Id, string Address)> StartHttpdAsync(string name)
    {
        var id = await Client.CreateContainerAsync($"berth-test-{RunId}-{name}", new ContainerSpec
        {
            Image = Image,
            Cmd = ["sh", "-c", $"mkdir -p /www && printf {name} > /www/index.html && printf ok > /www/health && exec httpd -f -p 80 -h /www"],
            Labels = new Dictionary<string, string> { [LabelKey] = RunId },
        });
        await Client.StartContainerAsync(id);
        var inspect = await Client.InspectContainerAsync(id);
        var address = inspect.NetworkSettings?.IPAddress is { Length: > 0 } ip
            ? ip
            : inspect.NetworkSettings!.Networks!.Values.First(n => !string.IsNullOrEmpty(n.IPAddress)).IPAddress!;
        return (id, address);
    }

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var container in await Client.ListContainersAsync(new Dictionary<string, string?> { [LabelKey] = RunId }, all: true))
                await IgnoreNotFound(Client.RemoveContainerAsync(container.Id, force: true));
            await IgnoreNotFound(Client.RemoveImageAsync(Image, force: true));
        }
        finally
        {
            Client.Dispose();
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
