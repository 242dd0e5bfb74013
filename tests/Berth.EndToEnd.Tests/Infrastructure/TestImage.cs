namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The tests' container image, built locally FROM scratch with the host's static busybox (nothing is pulled):
/// <c>berth-e2e/busybox:TAG</c> with busybox's applets (sh, httpd, nc, wget, sleep) in /bin.
/// </summary>
public sealed class TestImage : IAsyncDisposable
{
    private const string Dockerfile = """
        FROM scratch
        COPY busybox /bin/busybox
        RUN ["/bin/busybox","--install","-s","/bin"]
        CMD ["sh"]
        """;

    private static readonly string[] BusyboxPaths = ["/bin/busybox", "/usr/bin/busybox"];

    private TestImage(string name)
    {
        Name = name;
    }

    /// <summary>The image reference (always local).</summary>
    public string Name { get; }

    /// <summary>Builds the image under a fresh tag.</summary>
    public static async Task<TestImage> BuildAsync(string tag)
    {
        var busybox = BusyboxPaths.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("a static busybox is needed (Debian's busybox-static)");
        using var context = new TempDir("berth-e2e-image-");
        File.Copy(busybox, context.File("busybox"));
        await File.WriteAllTextAsync(context.File("Dockerfile"), Dockerfile + "\n");
        var name = $"berth-e2e/busybox:{tag}";
        await DockerCli.OkAsync("build", "-q", "-t", name, context.Path);
        return new TestImage(name);
    }

    /// <summary>Removes the tag (the layers stay cached for the next build).</summary>
    public async ValueTask DisposeAsync() => await DockerCli.RunAsync("rmi", "-f", Name);
}
