using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Berth.Tests.Shared;

/// <summary>
/// A real PostgreSQL (Debian's package) for the tests: a cluster made with <c>initdb</c> in a temporary directory and
/// started with <c>pg_ctl</c> on a free loopback port, trusting local connections; stopped and removed on dispose.
/// Runs as the <c>postgres</c> user when the tests run as root (PostgreSQL refuses root).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly string _bin;
    private int _databases;

    private PostgresServer(string dir, string bin, int port)
    {
        _dir = dir;
        _bin = bin;
        Port = port;
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>Makes and starts a new cluster.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending(StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql): /usr/lib/postgresql/*/bin/initdb not found.");
        }

        var dir = Path.Combine(Path.GetTempPath(), "berth-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        if (IsRoot)
        {
            await RunAsync("chown", ["postgres:postgres", dir]);
        }

        var server = new PostgresServer(dir, bin, FreePort());
        await server.RunPgAsync("initdb", ["-D", server.DataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        await server.StartAgainAsync();
        return server;
    }

    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>A new, empty database's URL (each test its own).</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..8]}";
        await using var source = Npgsql.NpgsqlDataSource.Create($"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false");
        await using var command = source.CreateCommand($"CREATE DATABASE {name}");
        await command.ExecuteNonQueryAsync();
        return $"postgres://postgres@127.0.0.1:{Port}/{name}";
    }

    /// <summary>Stops the server at once, as a crash would (<c>pg_ctl stop -m immediate</c>).</summary>
    public Task StopImmediatelyAsync() => RunPgAsync("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "stop"]);

    /// <summary>Starts the (stopped) server again on the same port.</summary>
    public Task StartAgainAsync() => RunPgAsync("pg_ctl", [
        "-D", DataDir, "-l", Path.Combine(_dir, "log"), "-w", "-t", "60",
        "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=32MB", "start"]);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopImmediatelyAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_dir, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunPgAsync(string program, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_bin, program);
        return IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments]) : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
