using System.Text.Json.Nodes;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>The <c>docker</c> command line, to look at what Berth made on the engine (and to clean it up).</summary>
public static class DockerCli
{
    private static readonly Dictionary<string, string?> NoEnvironment = new(StringComparer.Ordinal);

    /// <summary>Runs <c>docker ARGS</c>.</summary>
    public static Task<ProcessResult> RunAsync(params string[] arguments)
        => ProcessRunner.RunAsync("docker", arguments, NoEnvironment, timeout: TimeSpan.FromSeconds(120));

    /// <summary>Runs <c>docker ARGS</c>, which must succeed; returns its stdout.</summary>
    public static async Task<string> OkAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    /// <summary><c>docker inspect</c> of one container (or image).</summary>
    public static async Task<JsonNode> InspectAsync(string id)
        => JsonNode.Parse(await OkAsync("inspect", id))!.AsArray()[0]!;

    /// <summary>Ids of every container (running or not) with label <paramref name="name"/>=<paramref name="value"/>.</summary>
    public static async Task<List<string>> ContainersAsync(string name, string value)
    {
        var stdout = await OkAsync("ps", "-aq", "--no-trunc", "--filter", $"label={name}={value}");
        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>Removes (force, with anonymous volumes) every container labelled <paramref name="name"/>=<paramref name="value"/>; best effort.</summary>
    public static async Task RemoveContainersAsync(string name, string value)
    {
        var ids = await RunAsync("ps", "-aq", "--no-trunc", "--filter", $"label={name}={value}");
        var list = ids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (list.Length > 0)
        {
            await RunAsync(["rm", "-f", "-v", .. list]);
        }
    }

    /// <summary>Removes every volume labelled <paramref name="name"/>=<paramref name="value"/>; best effort.</summary>
    public static async Task RemoveVolumesAsync(string name, string value)
    {
        var ids = await RunAsync("volume", "ls", "-q", "--filter", $"label={name}={value}");
        var list = ids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (list.Length > 0)
        {
            await RunAsync(["volume", "rm", "-f", .. list]);
        }
    }
}
