namespace Berth.Server.Hosting;

/// <summary>
/// A controller's own loop, off the single writer: started once, stopped (and awaited) on dispose. The loop plans on
/// snapshots and hands the writer plans; what it does is the subclass's <see cref="RunAsync"/>.
/// </summary>
public abstract class ControllerLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    /// <summary>Starts the loop.</summary>
    public virtual void Start() => _loop = Task.Run(() => RunAsync(_stopping.Token));

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
}
