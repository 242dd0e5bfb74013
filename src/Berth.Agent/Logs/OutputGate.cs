namespace Berth.Agent.Logs;

/// <summary>
/// awslogs' <c>mode: blocking</c> on Docker's json-file: the agent attaches to the container and reads its output only
/// as far as the shipper lets it, and Docker holds a container whose attached reader has fallen about a megabyte
/// (its attach buffer) behind — so a container waits for CloudWatch Logs delivery, as ECS's blocking mode makes it.
/// </summary>
/// <remarks>
/// The reader may take output up to <see cref="Lead"/> bytes short of what is shipped: with Docker's buffer of about
/// 976 KiB in between, the container stays within about a quarter of a megabyte of delivery (a smaller lead let it
/// run further ahead, and the lag with it: 1.1 s to storage at 512 KiB, 0.8 s at 768 KiB in bench/logs). Byte counts
/// are the output's (a line's text and its newline), so they can only overcount what was shipped; should they ever
/// fall short, or Docker's buffer be smaller than the lead, a shipper that has sent everything it could read opens
/// the gate by <see cref="Rescue"/> bytes, so it never sticks.
/// </remarks>
public sealed class OutputGate
{
    /// <summary>How far behind what is shipped the reader stays.</summary>
    public const long Lead = 768 * 1024;

    /// <summary>What a caught-up shipper (or a new gate) lets the reader take past what it has taken.</summary>
    public const long Rescue = 64 * 1024;

    private readonly Lock _lock = new();
    private long _attachedAtMs = long.MaxValue;
    private long _passed;
    private long _shipped;
    private long _rescueLimit = Rescue;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// When the reader attached (Unix milliseconds; none yet: the largest value): output written before it never passed
    /// the reader, so shipping it opens nothing (after an agent restart, the backlog it ships).
    /// </summary>
    public long AttachedAtMs
    {
        get => Volatile.Read(ref _attachedAtMs);
        set => Volatile.Write(ref _attachedAtMs, value);
    }

    /// <summary>Whether the reader may take more now.</summary>
    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return Open();
            }
        }
    }

    /// <summary>The reader took <paramref name="bytes"/> of output.</summary>
    public void Take(int bytes)
    {
        lock (_lock)
        {
            _passed += bytes;
        }
    }

    /// <summary>CloudWatch Logs acknowledged <paramref name="bytes"/> of output.</summary>
    public void Shipped(long bytes)
    {
        lock (_lock)
        {
            _shipped += bytes;
            Signal();
        }
    }

    /// <summary>The shipper has sent everything it could read.</summary>
    public void CaughtUp()
    {
        lock (_lock)
        {
            _rescueLimit = Math.Max(_rescueLimit, _passed + Rescue);
            Signal();
        }
    }

    /// <summary>Completes once the reader may take more.</summary>
    public async Task WaitOpenAsync(CancellationToken token)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (Open())
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(token);
        }
    }

    private bool Open() => _passed < Math.Max(_shipped - Lead, _rescueLimit);

    private void Signal()
    {
        if (Open())
        {
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
