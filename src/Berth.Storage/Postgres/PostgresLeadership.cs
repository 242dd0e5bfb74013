using Berth.Storage.Documents;
using Berth.Storage.Shared;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Berth.Storage.Postgres;

/// <summary>
/// Leadership of one controller group through a lease row in PostgreSQL (<c>berth_leases</c>), timed by the
/// database's clock: the holder renews it every third of the lease; anyone takes it once it expired, with the next
/// term. Every write a controller makes checks its term (<see cref="Fence"/>) in the same transaction, so a holder
/// that paused past its lease cannot write after another took over. Here, a term ends when a renewal has not
/// succeeded for the lease's length (measured from before the last successful renewal was sent).
/// </summary>
public sealed partial class PostgresLeadership : ILeadership, IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly string _group;
    private readonly string _holder;
    private readonly TimeSpan _lease;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private TaskCompletionSource<Lead> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Held? _current;

    /// <summary>Starts competing for <paramref name="group"/> as <paramref name="holder"/>.</summary>
    public PostgresLeadership(NpgsqlDataSource source, string group, string holder, TimeSpan lease, TimeProvider time, ILogger logger)
    {
        _source = source;
        _group = group;
        _holder = holder;
        _lease = lease;
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>This server's name in the lease row.</summary>
    public string Holder => _holder;

    /// <inheritdoc />
    public Lead? Current => Volatile.Read(ref _current)?.Lead;

    /// <inheritdoc />
    public async Task<Lead> WaitForLeadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = Volatile.Read(ref _next);
            if (Current is { Ended.IsCancellationRequested: false } lead)
            {
                return lead;
            }

            var won = await next.Task.WaitAsync(cancellationToken);
            if (!won.Ended.IsCancellationRequested)
            {
                return won;
            }
        }
    }

    private async Task RunAsync()
    {
        var renewEvery = _lease / 3;
        var token = _stopping.Token;
        var heldUntil = DateTimeOffset.MinValue;
        while (!token.IsCancellationRequested)
        {
            var sent = _time.GetUtcNow();
            try
            {
                var term = await TryHoldAsync(token);
                if (term is { } won)
                {
                    heldUntil = sent + _lease;
                    if (Current?.Fence.Term != won)
                    {
                        EndTerm();
                        var ended = new CancellationTokenSource();
                        var lead = new Lead(new Fence(_group, _holder, won), ended.Token);
                        Volatile.Write(ref _current, new Held(lead, ended));
                        Interlocked.Exchange(ref _next, new TaskCompletionSource<Lead>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(lead);
                        LogWon(_logger, _group, won);
                    }
                }
                else
                {
                    EndTerm();
                }
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                LogRenewFailed(_logger, _group, ex);
            }

            if (_current is not null && _time.GetUtcNow() >= heldUntil)
            {
                EndTerm();
            }

            try
            {
                await Task.Delay(renewEvery, _time, token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    // Takes the lease when it is free or expired (the next term), or renews it when this server holds it (the same
    // term); null when another server holds it.
    private async Task<long?> TryHoldAsync(CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand(
            "INSERT INTO berth_leases (grp, holder, term, expires_at) VALUES ($1, $2, 1, now() + $3) " +
            "ON CONFLICT (grp) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, " +
            "term = CASE WHEN berth_leases.holder = excluded.holder THEN berth_leases.term ELSE berth_leases.term + 1 END " +
            "WHERE berth_leases.holder = excluded.holder OR berth_leases.expires_at <= now() RETURNING term");
        command.Parameters.AddWithValue(_group);
        command.Parameters.AddWithValue(_holder);
        command.Parameters.AddWithValue(_lease);
        return await command.ExecuteScalarAsync(cancellationToken) as long?;
    }

    private void EndTerm()
    {
        if (Interlocked.Exchange(ref _current, null) is { } ended)
        {
            LogLost(_logger, _group, ended.Lead.Fence.Term);
            ended.Ended.Cancel();
            ended.Ended.Dispose();
        }
    }

    /// <summary>Stops competing and gives the lease up, so another server takes over at once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        if (_current is not null)
        {
            EndTerm();
            try
            {
                await using var release = _source.CreateCommand("UPDATE berth_leases SET expires_at = now() WHERE grp = $1 AND holder = $2");
                release.Parameters.AddWithValue(_group);
                release.Parameters.AddWithValue(_holder);
                await release.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogRenewFailed(_logger, _group, ex);
            }
        }

        _stopping.Dispose();
    }

    private sealed record Held(Lead Lead, CancellationTokenSource Ended);

    [LoggerMessage(Level = LogLevel.Information, Message = "Leading controller group {Group} in term {Term}")]
    private static partial void LogWon(ILogger logger, string group, long term);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No longer leading controller group {Group} (term {Term} ended)")]
    private static partial void LogLost(ILogger logger, string group, long term);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the lease of controller group {Group} failed")]
    private static partial void LogRenewFailed(ILogger logger, string group, Exception exception);
}
