using Berth.Tests.Shared;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The one switch that runs the end-to-end suites on PostgreSQL instead of SQLite: with
/// <c>BERTH_E2E_DATABASE=postgres</c>, every server a test starts gets <c>--database</c> with a database of its own on
/// one PostgreSQL cluster the test run makes (initdb, pg_ctl) and removes at exit. A server started again on the same
/// data dir gets the same database, as a restart on SQLite finds the same files.
/// </summary>
public static class SharedPostgres
{
    private static readonly Lazy<Task<PostgresServer>> Server = new(StartAsync);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<string>>> ByDataDir = new(StringComparer.Ordinal);

    /// <summary>Whether the switch is on.</summary>
    public static bool Enabled => string.Equals(Environment.GetEnvironmentVariable("BERTH_E2E_DATABASE"), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The database of <paramref name="dataDir"/> on the shared cluster (made on first use).</summary>
    public static Task<string> DatabaseAsync(string dataDir)
        => ByDataDir.GetOrAdd(Path.GetFullPath(dataDir), _ => new Lazy<Task<string>>(async () => await (await Server.Value).CreateDatabaseAsync())).Value;

    private static async Task<PostgresServer> StartAsync()
    {
        var server = await PostgresServer.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }
}
