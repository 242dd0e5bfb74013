using System.Reflection;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>Where the repository, its launcher and the test's own files are.</summary>
public static class Repo
{
    /// <summary>
    /// The repository root: <c>$BERTH_E2E_REPO_ROOT</c> when set, else the first directory above the test binaries
    /// (or above the project directory recorded at build time) with <c>Directory.Build.props</c> and <c>berth</c>.
    /// </summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The <c>berth</c> launcher (builds into .berth/artifacts on first use).</summary>
    public static string Launcher => Path.Combine(Root, "berth");

    /// <summary>A file copied next to the test binaries (scripts/, data/).</summary>
    public static string OutputFile(string relative) => Path.Combine(AppContext.BaseDirectory, relative);

    private static string FindRoot()
    {
        // A checkout to run instead of this one (e.g. a clean export while the working tree is mid-edit).
        if (Environment.GetEnvironmentVariable("BERTH_E2E_REPO_ROOT") is { Length: > 0 } overridden)
        {
            return Path.GetFullPath(overridden);
        }

        // The binaries' own directory first; then the project directory recorded at build time (for --artifacts-path builds).
        var projectDirectory = typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "BerthProjectDirectory")?.Value;
        string?[] starts = [AppContext.BaseDirectory, projectDirectory];
        foreach (var start in starts.OfType<string>())
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")) && File.Exists(Path.Combine(dir.FullName, "berth")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"No directory above {AppContext.BaseDirectory} or {projectDirectory} holds Directory.Build.props and the berth launcher.");
    }
}
