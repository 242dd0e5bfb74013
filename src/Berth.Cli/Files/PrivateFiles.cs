using System.Runtime.InteropServices;

namespace Berth.Cli.Files;

/// <summary>
/// Keeps what a server or agent writes to its own user: the data dir 0700, and every file and directory the process
/// creates afterwards (SQLite files with their WAL and SHM, blobs, credentials, checkpoints) 0600 / 0700, through the
/// process's umask, so no file can be created readable by others even for an instant.
/// </summary>
internal static partial class PrivateFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Sets the umask to 077 and creates (or narrows) <paramref name="dataDir"/> to 0700.</summary>
    public static void Restrict(string dataDir)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        _ = Umask(0b000_111_111);
        Directory.CreateDirectory(dataDir, OwnerOnly);
        File.SetUnixFileMode(dataDir, OwnerOnly);
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}
