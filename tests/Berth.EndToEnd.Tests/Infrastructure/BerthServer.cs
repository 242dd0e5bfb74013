using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One real <c>berth server</c> process started through the repository's launcher, on a free loopback port
/// and a data dir the caller owns. Disposing kills the process tree if it is still running.
/// </summary>
public sealed class BerthServer : IAsyncDisposable
{
    /// <summary>The root access key the tests give the server (and the clients) through the environment.</summary>
    public const string TestAccessKeyId = "AKIAE2ETESTROOT00001";

    /// <summary>The matching secret; no response may ever contain it.</summary>
    public const string TestSecretAccessKey = "e2e/Secret+Key0123456789abcdefghijklmNOP";

    /// <summary>
    /// How long a start may take: the launcher builds the server whenever sources changed since its last build,
    /// one build at a time (flock), so a start can wait for someone else's build and then do its own.
    /// </summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(8);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly object _outputLock = new();

    private BerthServer(Process process, int port, string dataDir, string accessKeyId, string secretAccessKey)
    {
        _process = process;
        Port = port;
        DataDir = dataDir;
        AccessKeyId = accessKeyId;
        SecretAccessKey = secretAccessKey;
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The server's data dir.</summary>
    public string DataDir { get; }

    /// <summary><c>http://127.0.0.1:PORT</c>.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The pid of the server: the launcher <c>exec</c>s dotnet, so this is the dotnet process itself.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The access key clients sign with.</summary>
    public string AccessKeyId { get; private set; }

    /// <summary>The secret clients sign with.</summary>
    public string SecretAccessKey { get; private set; }

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the server wrote to stdout so far.</summary>
    public string Stdout
    {
        get
        {
            lock (_outputLock)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Everything the server wrote to stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_outputLock)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <c>./berth server --port P --data-dir D</c> and waits for <c>/_berth/health</c>.
    /// With <paramref name="environmentCredentials"/> the root key pair comes from BERTH_ACCESS_KEY_ID/BERTH_SECRET_ACCESS_KEY;
    /// without, the server generates (or reloads) <c>credentials.json</c> and the clients use that.
    /// <paramref name="extraArguments"/> are further server flags (e.g. <c>--agent-lost-after 5</c>, <c>--no-local-agent</c>).
    /// </summary>
    public static async Task<BerthServer> StartAsync(string dataDir, bool environmentCredentials = true, IEnumerable<string>? extraArguments = null, int? port = null, IReadOnlyDictionary<string, string>? environment = null, bool sqliteOnly = false)
    {
        var chosenPort = port ?? FreePort();
        var start = new ProcessStartInfo(Repo.Launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        start.ArgumentList.Add("server");
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(chosenPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--data-dir");
        start.ArgumentList.Add(dataDir);
        foreach (var argument in extraArguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        if (SharedPostgres.Enabled && !sqliteOnly && !start.ArgumentList.Contains("--database"))
        {
            start.ArgumentList.Add("--database");
            start.ArgumentList.Add(await SharedPostgres.DatabaseAsync(dataDir));
        }

        foreach (var name in start.Environment.Keys.ToList())
        {
            // The test host's MSBuild/VSTest variables must not leak into the launcher's own build.
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("BERTH_", StringComparison.Ordinal) || name.StartsWith("AWS_", StringComparison.Ordinal))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        if (environmentCredentials)
        {
            start.Environment["BERTH_ACCESS_KEY_ID"] = TestAccessKeyId;
            start.Environment["BERTH_SECRET_ACCESS_KEY"] = TestSecretAccessKey;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new BerthServer(process, chosenPort, dataDir, TestAccessKeyId, TestSecretAccessKey);
        process.OutputDataReceived += (_, e) => server.Append(server._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(server._stderr, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start the berth launcher.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitHealthyAsync();
            if (!environmentCredentials)
            {
                var stored = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(dataDir, "credentials.json")))!;
                server.AccessKeyId = (string)stored["accessKeyId"]!;
                server.SecretAccessKey = (string)stored["secretAccessKey"]!;
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Sends SIGKILL to the server and waits for it to be gone; returns the exit code.</summary>
    public async Task<int> KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM and waits up to <paramref name="timeout"/>; returns the exit code and how long it took.</summary>
    public async Task<(int ExitCode, TimeSpan Elapsed)> TerminateAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        await SignalAsync("TERM");
        await WaitForExitAsync(timeout);
        return (_process.ExitCode, clock.Elapsed);
    }

    /// <summary>Waits for the process to exit; throws <see cref="TimeoutException"/> if it does not.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"berth (pid {ProcessId}) did not exit within {timeout}.\n{Output()}");
        }
    }

    /// <summary>The process's exit code (after it exited).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Stdout and stderr, for assertion messages.</summary>
    public string Output() => $"--- berth stdout ---\n{Stdout}\n--- berth stderr ---\n{Stderr}";

    /// <summary>The command line of the live process (from /proc), to show which program the pid is.</summary>
    public string CommandLine() => File.ReadAllText($"/proc/{ProcessId}/cmdline").Replace('\0', ' ');

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
    }

    private async Task SignalAsync(string signal)
    {
        var result = await ProcessRunner.RunAsync("kill", ["-" + signal, ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)], new Dictionary<string, string?>());
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {ProcessId} failed: {result}");
        }
    }

    private async Task WaitHealthyAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"berth exited with {_process.ExitCode} before it was healthy.\n{Output()}");
            }

            try
            {
                using var response = await Http.GetAsync(new Uri($"{Endpoint}/_berth/health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        var hint = Stderr.Length == 0 && Stdout.Length == 0
            ? $" The launcher printed nothing: it was most likely waiting for {Path.Combine(Repo.Root, ".berth", "build.lock")} (another build)."
            : string.Empty;
        throw new TimeoutException($"berth was not healthy on {Endpoint} within {StartTimeout}.{hint}\n{Output()}");
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            target.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
