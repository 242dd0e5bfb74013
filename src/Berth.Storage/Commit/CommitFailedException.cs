using Berth.Protocol.Errors;

namespace Berth.Storage.Commit;

/// <summary>
/// The store could not commit a batch: every caller of that batch gets this, answered as AWS answers an internal
/// fault (<c>ServerException</c>, HTTP 500). Nothing of the batch was published; the pipeline goes on with the next.
/// </summary>
public sealed class CommitFailedException(Exception storeError)
    : AwsException("ServerException", "An internal error occurred: the change could not be stored.", 500)
{
    /// <summary>What the store threw (logged by the pipeline; never shown to the client).</summary>
    public Exception StoreError { get; } = storeError;
}
