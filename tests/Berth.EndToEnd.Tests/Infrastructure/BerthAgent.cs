using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One <c>./berth agent</c> process for a server (its credentials and region from the environment, as a user
/// runs it). The data dir is its identity: start another with the same dir and it is the same container instance.
/// Disposing kills it if it is still running.
/// </summary>
public sealed partial class BerthAgent : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BerthAgent(Process process, string dataDir)
    {
        _process = process;
        DataDir = dataDir;
    }

    /// <summary>The agent's data dir.</summary>
    public string DataDir { get; }

    /// <summary>The pid (the launcher execs dotnet, so this is the agent itself).</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The container instance ARN the agent logged it registered as (null until then).</summary>
    public string? ContainerInstanceArn
    {
        get
        {
            var match = RegisteredLine().Match(Output());
            return match.Success ? match.Groups[1].Value : null;
        }
    }

    /// <summary>
    /// Starts <c>./berth agent --cluster C --endpoint E --data-dir D [--attribute k=v]... [--availability-zone Z]</c>
    /// and waits until it logs its registration.
    /// </summary>
    /// <remarks>With <paramref name="joinToken"/> the agent joins with it and gets no account credentials at all.</remarks>
    public static async Task<BerthAgent> StartAsync(BerthServer server, string cluster, string dataDir, IEnumerable<string>? attributes = null, string? availabilityZone = null, string? endpoints = null, string? joinToken = null)
    {
        var start = new ProcessStartInfo(Repo.Launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        start.ArgumentList.Add("agent");
        start.ArgumentList.Add("--cluster");
        start.ArgumentList.Add(cluster);
        start.ArgumentList.Add("--endpoint");
        start.ArgumentList.Add(endpoints ?? server.Endpoint);
        start.ArgumentList.Add("--data-dir");
        start.ArgumentList.Add(dataDir);
        foreach (var attribute in attributes ?? [])
        {
            start.ArgumentList.Add("--attribute");
            start.ArgumentList.Add(attribute);
        }

        if (availabilityZone is not null)
        {
            start.ArgumentList.Add("--availability-zone");
            start.ArgumentList.Add(availabilityZone);
        }

        foreach (var name in start.Environment.Keys.ToList())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("BERTH_", StringComparison.Ordinal) || name.StartsWith("AWS_", StringComparison.Ordinal))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        if (joinToken is null)
        {
            start.Environment["AWS_ACCESS_KEY_ID"] = server.AccessKeyId;
            start.Environment["AWS_SECRET_ACCESS_KEY"] = server.SecretAccessKey;
        }
        else
        {
            start.ArgumentList.Add("--join-token");
            start.ArgumentList.Add(joinToken);
        }

        start.Environment["AWS_DEFAULT_REGION"] = Clients.Region;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var agent = new BerthAgent(process, dataDir);
        process.OutputDataReceived += (_, e) => agent.Append(e.Data);
        process.ErrorDataReceived += (_, e) => agent.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start the berth agent.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // The launcher may first wait for (or do) a build when sources changed.
            await Poll.UntilAsync(
                () =>
                {
                    Assert.False(process.HasExited, $"berth agent exited with {(process.HasExited ? process.ExitCode : 0)}:\n{agent.Output()}");
                    return agent.ContainerInstanceArn is not null;
                },
                TimeSpan.FromMinutes(8),
                () => $"berth agent never registered:\n{agent.Output()}");
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }

        return agent;
    }

    /// <summary>SIGKILL, and wait for it to be gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Everything the agent logged.</summary>
    public string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    [GeneratedRegex(@"Registered container instance (arn:\S+) in cluster")]
    private static partial Regex RegisteredLine();
}
