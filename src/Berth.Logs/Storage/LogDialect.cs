using System.Data.Common;

namespace Berth.Logs.Storage;

/// <summary>
/// What differs between the log store's two databases: where the tables are, how a connection is had, how a batch of
/// events is appended and how sequence numbers are given, and which errors mean a full disk or a lost race. Everything
/// else (the writer loop, the savepoints, the operations' checks) is <see cref="LogStore"/>'s and the same on both.
/// </summary>
internal abstract class LogDialect : IAsyncDisposable
{
    /// <summary>Replaces the <c>{G}</c>, <c>{S}</c> and <c>{E}</c> table placeholders with this database's tables.</summary>
    public abstract string Sql(string template);

    /// <summary>What a SELECT of a row about to be changed ends with: a row lock where several servers write, nothing where one writer is alone.</summary>
    public abstract string RowLock { get; }

    /// <summary>A new open connection for reads (the caller disposes it).</summary>
    public abstract DbConnection OpenRead();

    /// <summary>A write transaction for one batch of operations.</summary>
    public abstract LogWriteSession BeginWrite();

    /// <summary>Whether <paramref name="error"/> says the disk is full.</summary>
    public abstract bool IsFull(Exception error);

    /// <summary>Whether <paramref name="error"/> is a race with another writer that the operation should simply run again after.</summary>
    public abstract bool IsConflict(Exception error);

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();
}

/// <summary>One write transaction: its connection, and how events are appended inside it.</summary>
internal abstract class LogWriteSession : IDisposable
{
    /// <summary>The writer's connection.</summary>
    public abstract DbConnection Connection { get; }

    /// <summary>The open transaction.</summary>
    public abstract DbTransaction Transaction { get; }

    /// <summary>
    /// Appends <paramref name="events"/>[<paramref name="start"/>..<paramref name="end"/>) to a stream, in order, each
    /// with a sequence number above every earlier one of the stream; returns their UTF-8 size and the last number.
    /// </summary>
    public abstract (long Bytes, long LastSeq) Append(long groupId, long streamId, long ingest, IReadOnlyList<Model.InputLogEvent> events, int start, int end);

    /// <summary>An operation begins (after its savepoint).</summary>
    public virtual void OperationStarted()
    {
    }

    /// <summary>The operation that began last was rolled back to its savepoint.</summary>
    public virtual void OperationRolledBack()
    {
    }

    /// <summary>Commits; returns once the commit is durable.</summary>
    public abstract void Commit();

    /// <summary>The batch could not commit: nothing of it stands.</summary>
    public virtual void Abandoned()
    {
    }

    /// <inheritdoc />
    public abstract void Dispose();
}
