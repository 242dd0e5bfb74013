using System.Text;

namespace Berth.Agent.Logs;

/// <summary>
/// Cuts events into PutLogEvents batches within AWS's limits: at most 10,000 events, 1,048,576 bytes counting 26 per
/// event, 24 hours from first to last. Timestamps never go backwards within a stream (a line read after another but
/// stamped a little earlier, as stdout and stderr can be, takes the previous timestamp), and an event over the size
/// limit is cut to it, as the awslogs driver does.
/// </summary>
public static class EventBatch
{
    /// <summary>Most events per batch.</summary>
    public const int MaxEvents = 10_000;

    /// <summary>Most bytes per batch, counting <see cref="Overhead"/> per event.</summary>
    public const int MaxBytes = 1_048_576;

    /// <summary>Bytes counted per event besides its message.</summary>
    public const int Overhead = 26;

    /// <summary>Largest message of one event.</summary>
    public const int MaxMessageBytes = MaxBytes - Overhead;

    private const long MaxSpanMs = 24 * 3600 * 1000;

    /// <summary>Takes the longest prefix of <paramref name="queue"/> that fits one batch (at least one event).</summary>
    public static List<ShipEvent> Take(Queue<ShipEvent> queue)
    {
        var batch = new List<ShipEvent>();
        long bytes = 0;
        while (queue.Count > 0 && batch.Count < MaxEvents)
        {
            var next = queue.Peek();
            var size = Encoding.UTF8.GetByteCount(next.Message) + Overhead;
            if (batch.Count > 0 && (bytes + size > MaxBytes || next.TimestampMs - batch[0].TimestampMs > MaxSpanMs))
            {
                break;
            }

            queue.Dequeue();
            batch.Add(size > MaxBytes ? next with { Message = Truncate(next.Message) } : next);
            bytes += Math.Min(size, MaxBytes);
        }

        return batch;
    }

    /// <summary>Cuts a message to <see cref="MaxMessageBytes"/> UTF-8 bytes without splitting a character.</summary>
    public static string Truncate(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        if (bytes.Length <= MaxMessageBytes)
        {
            return message;
        }

        var cut = MaxMessageBytes;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80)
        {
            cut--;
        }

        return Encoding.UTF8.GetString(bytes, 0, cut);
    }
}
