using Berth.Protocol.Errors;

namespace Berth.Protocol.Tests.Errors;

/// <summary>Which failures are "no space left", and what the client is told.</summary>
public sealed class StorageFullTests
{
    [Fact]
    public void No_space_and_quota_exceeded_are_storage_full_however_deeply_wrapped()
    {
        Assert.True(StorageFull.IsIoFull(new IOException("No space left on device", 28)));
        Assert.True(StorageFull.IsIoFull(new IOException("Disk quota exceeded", 122)));
        Assert.True(StorageFull.IsIoFull(new InvalidOperationException("wrapped", new IOException("No space left on device", 28))));
        Assert.False(StorageFull.IsIoFull(new IOException("Input/output error", 5)));
        Assert.False(StorageFull.IsIoFull(new InvalidOperationException("other")));
    }

    [Fact]
    public void The_answer_is_ServerException_saying_the_storage_is_full()
    {
        var error = StorageFull.Error();
        Assert.Equal(("ServerException", 500), (error.ErrorType, error.StatusCode));
        Assert.Contains("storage is full", error.Message, StringComparison.Ordinal);
    }
}
