using Berth.Protocol.Errors;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Commit;

/// <summary>
/// The store could not commit a batch: every caller of that batch gets this, answered as AWS answers an internal
/// fault (<c>ServerException</c>, HTTP 500), saying so when the storage is full. Nothing of the batch was published;
/// the pipeline goes on with the next.
/// </summary>
public sealed class CommitFailedException(Exception storeError)
    : AwsException("ServerException", IsStorageFull(storeError) ? StorageFull.Message : "An internal error occurred: the change could not be stored.", 500)
{
    // SQLITE_FULL: SQLite's answer to a write the file system refused for lack of space.
    private const int SqliteFull = 13;

    /// <summary>What the store threw (logged by the pipeline; never shown to the client).</summary>
    public Exception StoreError { get; } = storeError;

    /// <summary>True when <paramref name="error"/> (or one it wraps) is SQLite's or the file system's "no space left".</summary>
    public static bool IsStorageFull(Exception error)
    {
        for (var ex = error; ex is not null; ex = ex.InnerException)
        {
            if (ex is SqliteException { SqliteErrorCode: SqliteFull })
            {
                return true;
            }
        }

        return StorageFull.IsIoFull(error);
    }
}
