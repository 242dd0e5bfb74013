using System.Formats.Tar;
using Berth.Docker;

namespace Berth.Agent.Runtime;

/// <summary>
/// The image of the awsvpc pause container, which holds a task's network namespace. Nothing is pulled:
/// it is made on the engine from the host's static busybox (Debian's <c>busybox-static</c>).
/// </summary>
public static class PauseImage
{
    /// <summary>The image's name.</summary>
    public const string Name = "berth/pause:1";

    private static readonly string[] BusyboxPaths = ["/bin/busybox", "/usr/bin/busybox"];

    /// <summary>Returns the image name, importing it first when the engine does not have it.</summary>
    public static async Task<string> EnsureAsync(IDockerEngine docker, CancellationToken cancellationToken)
    {
        if (await docker.ImageExistsAsync(Name, cancellationToken))
        {
            return Name;
        }

        var busybox = BusyboxPaths.FirstOrDefault(File.Exists)
            ?? throw new DockerException("a static busybox is needed for the pause image: install Debian's busybox-static", "ImportImage");
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)0b111_101_101 }, cancellationToken);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox")
            {
                Mode = (UnixFileMode)0b111_101_101,
                DataStream = File.OpenRead(busybox),
            };
            await writer.WriteEntryAsync(entry, cancellationToken);
            await entry.DataStream.DisposeAsync();
        }

        tar.Position = 0;
        var colon = Name.LastIndexOf(':');
        await docker.ImportImageAsync(tar, Name[..colon], Name[(colon + 1)..], ["CMD [\"/bin/busybox\", \"sleep\", \"2147483647\"]"], cancellationToken);
        return Name;
    }
}
