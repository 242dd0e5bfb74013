namespace Berth.Logs.Storage;

/// <summary>A log group as stored.</summary>
public sealed record GroupRow(long Id, string Region, string Name, long Created, int? RetentionDays, string? KmsKeyId, IReadOnlyDictionary<string, string> Tags, long StoredBytes);

/// <summary>A log stream as stored.</summary>
public sealed record StreamRow(long Id, long GroupId, string Name, long Created, long? FirstEventTimestamp, long? LastEventTimestamp, long? LastIngestionTime, long StoredBytes, string? LastToken, long LastSeq);

/// <summary>One stored event.</summary>
public sealed record EventRow(long StreamId, long Timestamp, long Seq, long IngestionTime, string Message);

/// <summary>An event to store: its timestamp (ms) and message.</summary>
public readonly record struct NewEvent(long Timestamp, string Message);
