using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Berth.Storage.Postgres;

/// <summary>
/// One PostgreSQL database shared by every Berth server: the schema (created and migrated at open, one server at a
/// time under an advisory lock), a store per namespace (<see cref="StoreAsync"/>), and the change feed's wake-up: a
/// listener on <see cref="Channel"/> that tells each namespace's subscribers another server committed.
/// </summary>
public sealed partial class PostgresDatabase : IAsyncDisposable
{
    /// <summary>The LISTEN/NOTIFY channel every commit notifies with its namespace and revision.</summary>
    public const string Channel = "berth_journal";

    // pg_advisory_xact_lock key of migrations: "berth" in ASCII.
    private const long MigrationLock = 0x6265727468;

    // Each migration runs once, in order, in the transaction that records it. Never edit one that shipped: add the next.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE berth_heads (ns text PRIMARY KEY, revision bigint NOT NULL);
        CREATE TABLE berth_documents (ns text NOT NULL, kind text NOT NULL, id text NOT NULL, body bytea NOT NULL, PRIMARY KEY (ns, kind, id));
        CREATE TABLE berth_journal (ns text NOT NULL, revision bigint NOT NULL, mutations bytea NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (ns, revision));
        CREATE TABLE berth_leases (grp text PRIMARY KEY, holder text NOT NULL, term bigint NOT NULL, expires_at timestamptz NOT NULL);
        """,
        // A commit's conditions as statements that fail, so the whole commit goes in one batch, one round trip, its
        // implicit transaction rolled back by the first failure.
        """
        CREATE FUNCTION berth_advance(p_ns text, p_expected bigint, p_next bigint) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE berth_heads SET revision = p_next WHERE ns = p_ns AND revision = p_expected;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'the head of % is no longer %', p_ns, p_expected USING ERRCODE = 'BR001';
          END IF;
        END $$;
        CREATE FUNCTION berth_fence(p_grp text, p_holder text, p_term bigint) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          -- FOR SHARE: a takeover's UPDATE of the lease waits until this commit is done, so no write of a term lands
          -- after the next term began.
          PERFORM 1 FROM berth_leases WHERE grp = p_grp AND holder = p_holder AND term = p_term AND expires_at > now() FOR SHARE;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'the lease of % is no longer term % of %', p_grp, p_term, p_holder USING ERRCODE = 'BR002';
          END IF;
        END $$;
        """,
    ];

    /// <summary>SQLSTATE of <c>berth_advance</c>: another writer committed first.</summary>
    internal const string HeadMoved = "BR001";

    /// <summary>SQLSTATE of <c>berth_fence</c>: the controller's term ended.</summary>
    internal const string LeaseLost = "BR002";

    private readonly ConcurrentDictionary<string, Action<long?>> _listeners = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _listened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private Task _listener = Task.CompletedTask;

    private PostgresDatabase(NpgsqlDataSource source, ILogger logger)
    {
        Source = source;
        _logger = logger;
    }

    /// <summary>The connection pool.</summary>
    public NpgsqlDataSource Source { get; }

    /// <summary>Completes once the listener has LISTENed for the first time: commits after it wake subscribers.</summary>
    public Task Listening => _listened.Task;

    /// <summary>The schema version this build migrates to.</summary>
    public static int SchemaVersion => Migrations.Length;

    /// <summary>
    /// Connects to <paramref name="connectionString"/> (a <c>postgres://user:password@host:port/database</c> URL or
    /// Npgsql's key=value form), migrates the schema and starts listening for other servers' commits.
    /// </summary>
    public static async Task<PostgresDatabase> OpenAsync(string connectionString, ILogger? logger, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlDataSourceBuilder(ConnectionStrings.ToNpgsql(connectionString));
        builder.ConnectionStringBuilder.ApplicationName ??= "berth";

        // The same few statements run on every commit: prepared once per connection, not parsed and planned each time.
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        }

        // Berth leaves no session state on a pooled connection (the listener keeps its own until it is disposed), so
        // the reset each return to the pool would send, and the prepared statements it would drop, are not needed.
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        var source = builder.Build();
        try
        {
            await MigrateAsync(source, cancellationToken);
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }

        var database = new PostgresDatabase(source, logger ?? NullLogger.Instance);
        database._listener = Task.Run(database.ListenAsync, CancellationToken.None);
        return database;
    }

    /// <summary>The store of <paramref name="ns"/> (one per component: ECS, registry, ...).</summary>
    public async Task<PostgresDocumentStore> StoreAsync(string ns, CancellationToken cancellationToken)
    {
        await using (var command = Source.CreateCommand("INSERT INTO berth_heads (ns, revision) VALUES ($1, 0) ON CONFLICT (ns) DO NOTHING"))
        {
            command.Parameters.AddWithValue(ns);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new PostgresDocumentStore(Source, ns);
    }

    /// <summary>The newest revision of every namespace, read in one query.</summary>
    public async Task<IReadOnlyDictionary<string, long>> HeadsAsync(CancellationToken cancellationToken)
    {
        await using var command = Source.CreateCommand("SELECT ns, revision FROM berth_heads");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var heads = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            heads[reader.GetString(0)] = reader.GetInt64(1);
        }

        return heads;
    }

    /// <summary>
    /// Calls <paramref name="changed"/> (from the listener's loop: it must only wake something) with the revision of
    /// every commit to <paramref name="ns"/>, this server's own included, and with null after every reconnect of the
    /// listener, when commits may have been missed. It is called once at once too (with null): a commit made before
    /// the subscription may have woken nobody.
    /// </summary>
    public void Subscribe(string ns, Action<long?> changed)
    {
        _listeners.AddOrUpdate(ns, changed, (_, existing) => existing + changed);
        changed(null);
    }

    private static async Task MigrateAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({MigrationLock}); CREATE TABLE IF NOT EXISTS berth_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        int current;
        await using (var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM berth_migrations", connection, transaction))
        {
            current = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (current > Migrations.Length)
        {
            throw new InvalidOperationException($"The database's schema is version {current}, newer than this Berth's {Migrations.Length}: upgrade Berth.");
        }

        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            await using var command = new NpgsqlCommand(Migrations[version - 1] + $";INSERT INTO berth_migrations (version) VALUES ({version})", connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    // The wake-up half of the change feed: a dedicated connection LISTENs; every notification names a namespace. The
    // journal itself is the feed, so after a reconnect every subscriber is woken to read what it missed.
    private async Task ListenAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await using var connection = await Source.OpenConnectionAsync(token);
                connection.Notification += (_, e) =>
                {
                    var colon = e.Payload.LastIndexOf(':');
                    var ns = colon < 0 ? e.Payload : e.Payload[..colon];
                    long? revision = colon >= 0 && long.TryParse(e.Payload.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var r) ? r : null;
                    if (_listeners.TryGetValue(ns, out var changed))
                    {
                        changed(revision);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(token);
                }

                _listened.TrySetResult();
                foreach (var changed in _listeners.Values)
                {
                    changed(null);
                }

                while (true)
                {
                    await connection.WaitAsync(token);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogListenerFailed(_logger, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _listener;
        await Source.DisposeAsync();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The PostgreSQL change-feed listener lost its connection; reconnecting")]
    private static partial void LogListenerFailed(ILogger logger, Exception exception);
}
