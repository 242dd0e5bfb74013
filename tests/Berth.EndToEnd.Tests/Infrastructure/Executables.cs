using System.Collections.Concurrent;
using System.Diagnostics;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The programs the clients run, found once per name. Where PATH gives a pyenv shim (a shell script that runs
/// <c>pyenv exec</c>, about half a second of CPU per call on the 2-core machine, and the suite makes hundreds of
/// <c>aws</c> calls), the program it would run is used directly; any other name is used as it is.
/// </summary>
public static class Executables
{
    private static readonly ConcurrentDictionary<string, string> Found = new(StringComparer.Ordinal);

    /// <summary>What to start for <paramref name="name"/>.</summary>
    public static string Resolve(string name) => Found.GetOrAdd(name, Find);

    private static string Find(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return name;
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
        if (onPath is null || !onPath.Contains("/.pyenv/shims/", StringComparison.Ordinal))
        {
            return name;
        }

        try
        {
            var start = new ProcessStartInfo("pyenv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("which");
            start.ArgumentList.Add(name);
            using var which = Process.Start(start)!;
            var program = which.StandardOutput.ReadToEnd().Trim();
            which.WaitForExit();
            return which.ExitCode == 0 && File.Exists(program) ? program : name;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No pyenv on PATH: the shim still works, only slower.
            return name;
        }
    }
}
