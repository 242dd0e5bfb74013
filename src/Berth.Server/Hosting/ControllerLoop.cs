using Berth.Storage.Shared;

namespace Berth.Server.Hosting;

/// <summary>
/// A controller's own loop, off the single writer: started once, stopped (and awaited) on dispose. The loop plans on
/// snapshots and hands the writer plans; what it does is the subclass's <see cref="RunAsync"/>.
/// </summary>
public abstract class ControllerLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    /// <summary>
    /// With several servers, the leadership of the controllers: the loop runs only in the terms this server leads (a
    /// term that ends cancels it; the next one it wins runs it again), every write it makes fenced by the term.
    /// </summary>
    public ILeadership? Leadership { get; init; }

    /// <summary>Starts the loop.</summary>
    public virtual void Start() => _loop = Task.Run(() => Leadership is { } leadership ? Leading.RunAsync(leadership, RunAsync, _stopping.Token) : RunAsync(_stopping.Token));

    /// <summary>Stops the loop and waits for it to end.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The loop itself, until <paramref name="cancellationToken"/> is cancelled.</summary>
    protected abstract Task RunAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="pass"/> every <paramref name="interval"/> until cancelled, and tells <paramref name="done"/>
    /// how many things a pass changed when it changed any. A pass that throws goes to <paramref name="failed"/> (the
    /// caller logs it) and the next tick tries again: one bad pass never ends the loop.
    /// </summary>
    protected static async Task EveryAsync(
        TimeSpan interval, TimeProvider time, Func<Task<int>> pass, Action<int> done, Action<Exception> failed, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                var changed = await pass();
                if (changed > 0)
                {
                    done(changed);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed(ex);
            }
        }
    }
}
