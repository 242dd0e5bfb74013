using System.Text.RegularExpressions;

namespace Berth.Cli.Settings;

/// <summary>What the commands check beyond one flag's syntax: values from the environment, and the data dir on disk.</summary>
internal static partial class Checks
{
    /// <summary>Why <paramref name="accountId"/> (from <c>BERTH_ACCOUNT_ID</c>) is no account id, or null.</summary>
    public static string? AccountIdProblem(string accountId)
        => AccountIdPattern().IsMatch(accountId) ? null : $"BERTH_ACCOUNT_ID must be 12 digits, such as 000000000000 (got '{accountId}').";

    /// <summary>Why <paramref name="region"/> is no region name, or null.</summary>
    public static string? RegionProblem(string region, string variable)
        => RegionPattern().IsMatch(region) ? null : $"{variable} must be a region name such as us-east-1 (got '{region}').";

    /// <summary>The full path of a data dir given as <paramref name="raw"/>, created and proven usable (<see cref="DataDirProblem"/>).</summary>
    public static (string? Path, string? Problem) DataDir(string raw)
    {
        string path;
        try
        {
            path = System.IO.Path.GetFullPath(raw);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return (null, $"data dir '{raw}' cannot be used: {ex.Message}");
        }

        return DataDirProblem(path) is { } problem ? (null, problem) : (path, null);
    }

    /// <summary>
    /// Creates <paramref name="path"/> when missing and proves it readable and writable (a file written and removed);
    /// the reason it is not, as one line, or null.
    /// </summary>
    public static string? DataDirProblem(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
            _ = Directory.EnumerateFileSystemEntries(path).FirstOrDefault();
            var probe = Path.Combine(path, $".berth-write-check-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"data dir '{path}' cannot be used: {ex.Message}";
        }
    }

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex AccountIdPattern();

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex RegionPattern();
}
