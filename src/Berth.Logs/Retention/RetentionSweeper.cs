using Berth.Logs.Storage;
using Microsoft.Extensions.Logging;

namespace Berth.Logs.Retention;

/// <summary>
/// Enforces retention policies: every <c>interval</c> it deletes, group by group, the events older than the group's
/// retention, in pieces of <see cref="Piece"/> so puts keep flowing between them; the group's and streams'
/// <c>storedBytes</c> shrink by what was deleted.
/// </summary>
public sealed partial class RetentionSweeper(LogStore store, TimeProvider time, TimeSpan interval, ILogger logger) : IAsyncDisposable
{
    /// <summary>Most events deleted in one write.</summary>
    public const int Piece = 5_000;

    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>
    /// With several servers sharing the logs' database: whether this server sweeps now (the one leading the
    /// controllers), so one sweep runs at a time rather than one per server. Always when null.
    /// </summary>
    public Func<bool>? Sweeps { get; init; }

    /// <summary>Starts the loop; the first sweep runs at once.</summary>
    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    /// <summary>One sweep over every group with a retention policy; returns how many events it deleted.</summary>
    public async Task<long> SweepAsync()
    {
        long deleted = 0;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var group in store.GroupsWithRetention())
        {
            var cutoff = now - (group.RetentionDays!.Value * 86_400_000L);
            int count;
            do
            {
                count = await store.ExpireAsync(group.Id, cutoff, Piece);
                deleted += count;
            }
            while (count == Piece);
        }

        return deleted;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                var deleted = Sweeps?.Invoke() == false ? 0 : await SweepAsync();
                if (deleted > 0)
                {
                    LogExpired(logger, deleted);
                }
            }
            catch (Exception ex)
            {
                LogSweepFailed(logger, ex);
            }

            try
            {
                await Task.Delay(interval, time, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Log retention deleted {Count} expired events")]
    private static partial void LogExpired(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Log retention sweep failed; trying again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
