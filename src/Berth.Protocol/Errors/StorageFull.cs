namespace Berth.Protocol.Errors;

/// <summary>
/// A write that failed because the data dir's file system has no room left: answered as an internal fault
/// (<c>ServerException</c>, 500) whose message says so, since the client can do nothing but wait and retry.
/// </summary>
public static class StorageFull
{
    /// <summary>The message every answer to such a write carries.</summary>
    public const string Message = "The server's storage is full: the change could not be stored. Try again once space is freed.";

    /// <summary>Below this many free bytes on the data dir's file system, <c>/_berth/health</c> reports the storage full.</summary>
    public const long HealthyFreeBytes = 1024 * 1024;

    // errno values of Linux: no space left on the device, disk quota exceeded.
    private const int NoSpace = 28;
    private const int QuotaExceeded = 122;

    /// <summary>The answer to a write that failed for lack of space.</summary>
    public static AwsException Error() => AwsException.Server(Message);

    /// <summary>True when <paramref name="exception"/> or one it wraps is a file write refused for lack of space.</summary>
    public static bool IsIoFull(Exception? exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is IOException { HResult: NoSpace or QuotaExceeded })
            {
                return true;
            }
        }

        return false;
    }
}
