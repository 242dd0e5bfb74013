using System.Text.Json.Serialization.Metadata;
using Berth.Logs.Filtering;
using Berth.Logs.Ingest;
using Berth.Logs.Model;
using Berth.Logs.Names;
using Berth.Logs.Paging;
using Berth.Logs.Storage;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;

namespace Berth.Logs;

/// <summary>
/// Wires CloudWatch Logs' operations (target prefix <c>Logs_20140328</c>, signing name <c>logs</c>) into the dispatch
/// table. Checks that need no stored state run here; everything that does runs against <see cref="LogStore"/>.
/// </summary>
public sealed class LogsApi(LogStore store, TimeProvider time)
{
    /// <summary>Most events one GetLogEvents / FilterLogEvents answer carries.</summary>
    public const int MaxEventsPerPage = 10_000;

    /// <summary>Most message bytes one events answer carries (AWS's 1 MB).</summary>
    public const int MaxPageBytes = 1_048_576;

    // A FilterLogEvents page stops after scanning this many events, matched or not, and hands out a token.
    private const int MaxScannedPerPage = 50_000;

    private static readonly WireJsonContext Json = WireJsonContext.Default;
    private static readonly JsonTypeInfo<EmptyResult> Empty = EmptyResultJsonContext.Default.EmptyResult;

    /// <summary>Adds every CloudWatch Logs operation Berth implements to <paramref name="table"/>.</summary>
    public void Register(DispatchTable table)
    {
        Add(table, "CreateLogGroup", Json.CreateLogGroupRequest, Empty, async (c, r) =>
        {
            var name = LogNames.Group(r.LogGroupName);
            CheckTags(r.Tags);
            if (r.LogGroupClass is { } cls && Array.IndexOf(WireEnums.LogGroupClass, cls) < 0)
            {
                throw AwsException.InvalidParameter($"1 validation error detected: Value '{cls}' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", WireEnums.LogGroupClass)}]");
            }

            await store.CreateGroupAsync(c.Region, name, Now, r.KmsKeyId, r.Tags);
            return new EmptyResult();
        });
        Add(table, "DeleteLogGroup", Json.DeleteLogGroupRequest, Empty, async (c, r) =>
        {
            await store.DeleteGroupAsync(c.Region, LogNames.Group(r.LogGroupName));
            return new EmptyResult();
        });
        Add(table, "DescribeLogGroups", Json.DescribeLogGroupsRequest, Json.DescribeLogGroupsResponse, (c, r) => ValueTask.FromResult(DescribeLogGroups(c, r)));
        Add(table, "CreateLogStream", Json.CreateLogStreamRequest, Empty, async (c, r) =>
        {
            await store.CreateStreamAsync(c.Region, LogNames.Group(r.LogGroupName), LogNames.Stream(r.LogStreamName), Now);
            return new EmptyResult();
        });
        Add(table, "DeleteLogStream", Json.DeleteLogStreamRequest, Empty, async (c, r) =>
        {
            await store.DeleteStreamAsync(c.Region, LogNames.Group(r.LogGroupName), LogNames.Stream(r.LogStreamName));
            return new EmptyResult();
        });
        Add(table, "DescribeLogStreams", Json.DescribeLogStreamsRequest, Json.DescribeLogStreamsResponse, (c, r) => ValueTask.FromResult(DescribeLogStreams(c, r)));
        Add(table, "PutLogEvents", Json.PutLogEventsRequest, Json.PutLogEventsResponse, async (c, r) =>
        {
            var group = LogNames.Group(r.LogGroupName);
            var stream = LogNames.Stream(r.LogStreamName);
            var events = r.LogEvents!;

            // Everything that does not depend on the group is refused before the writer sees the batch.
            var now = Now;
            EventLimits.Check(events, now, null);
            var (rejected, next) = await store.PutEventsAsync(c.Region, group, stream, r.SequenceToken, events, now, EventLimits.Check);
            return new PutLogEventsResponse { NextSequenceToken = next, RejectedLogEventsInfo = rejected };
        });
        Add(table, "GetLogEvents", Json.GetLogEventsRequest, Json.GetLogEventsResponse, (c, r) => ValueTask.FromResult(GetLogEvents(c, r)));
        Add(table, "FilterLogEvents", Json.FilterLogEventsRequest, Json.FilterLogEventsResponse, (c, r) => ValueTask.FromResult(FilterLogEvents(c, r)));
        Add(table, "PutRetentionPolicy", Json.PutRetentionPolicyRequest, Empty, async (c, r) =>
        {
            var group = LogNames.Group(r.LogGroupName);
            if (Array.IndexOf(LogNames.RetentionDays, r.RetentionInDays!.Value) < 0)
            {
                throw AwsException.InvalidParameter($"1 validation error detected: Value '{r.RetentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", LogNames.RetentionDays)}]");
            }

            await store.SetRetentionAsync(c.Region, group, r.RetentionInDays);
            return new EmptyResult();
        });
        Add(table, "DeleteRetentionPolicy", Json.DeleteRetentionPolicyRequest, Empty, async (c, r) =>
        {
            await store.SetRetentionAsync(c.Region, LogNames.Group(r.LogGroupName), null);
            return new EmptyResult();
        });
        Add(table, "TagResource", Json.TagResourceRequest, Empty, async (c, r) =>
        {
            CheckTags(r.Tags);
            await store.TagAsync(c.Region, GroupOfResource(r.ResourceArn!), r.Tags, null);
            return new EmptyResult();
        });
        Add(table, "UntagResource", Json.UntagResourceRequest, Empty, async (c, r) =>
        {
            await store.TagAsync(c.Region, GroupOfResource(r.ResourceArn!), null, r.TagKeys);
            return new EmptyResult();
        });
        Add(table, "ListTagsForResource", Json.ListTagsForResourceRequest, Json.ListTagsForResourceResponse, (c, r) =>
            ValueTask.FromResult(new ListTagsForResourceResponse { Tags = new(RequireGroup(c.Region, GroupOfResource(r.ResourceArn!)).Tags) }));
        Add(table, "TagLogGroup", Json.TagLogGroupRequest, Empty, async (c, r) =>
        {
            CheckTags(r.Tags);
            await store.TagAsync(c.Region, LogNames.Group(r.LogGroupName), r.Tags, null);
            return new EmptyResult();
        });
        Add(table, "UntagLogGroup", Json.UntagLogGroupRequest, Empty, async (c, r) =>
        {
            await store.TagAsync(c.Region, LogNames.Group(r.LogGroupName), null, r.Tags);
            return new EmptyResult();
        });
        Add(table, "ListTagsLogGroup", Json.ListTagsLogGroupRequest, Json.ListTagsLogGroupResponse, (c, r) =>
            ValueTask.FromResult(new ListTagsLogGroupResponse { Tags = new(RequireGroup(c.Region, LogNames.Group(r.LogGroupName)).Tags) }));
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private DescribeLogGroupsResponse DescribeLogGroups(RequestContext c, DescribeLogGroupsRequest r)
    {
        if (r.LogGroupNamePrefix is not null && r.LogGroupNamePattern is not null)
        {
            throw AwsException.InvalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
        }

        var limit = Limit(r.Limit, 50, 50);
        var groups = store.ListGroups(c.Region, r.LogGroupNamePrefix is null ? null : LogNames.Group(r.LogGroupNamePrefix, "logGroupNamePrefix"));
        IEnumerable<GroupRow> matching = groups;
        if (r.LogGroupNamePattern is { } pattern)
        {
            matching = matching.Where(g => g.Name.Contains(pattern, StringComparison.OrdinalIgnoreCase));
        }

        if (r.LogGroupIdentifiers is { Count: > 0 } identifiers)
        {
            var names = identifiers.Select(i => i.StartsWith("arn:", StringComparison.Ordinal) ? LogNames.GroupOfArn(i) : i).ToHashSet(StringComparer.Ordinal);
            matching = matching.Where(g => names.Contains(g.Name));
        }

        var all = matching.ToList();
        var offset = LogTokens.ReadOffset(r.NextToken);
        var page = all.Skip(offset).Take(limit).Select(g => Render(c, g)).ToList();
        return new DescribeLogGroupsResponse
        {
            LogGroups = page,
            NextToken = offset + limit < all.Count ? LogTokens.Offset(offset + limit) : null,
        };
    }

    private LogGroup Render(RequestContext c, GroupRow g) => new()
    {
        LogGroupName = g.Name,
        CreationTime = g.Created,
        RetentionInDays = g.RetentionDays,
        MetricFilterCount = 0,
        Arn = LogNames.GroupArnStar(g.Region, c.AccountId, g.Name),
        LogGroupArn = LogNames.GroupArn(g.Region, c.AccountId, g.Name),
        StoredBytes = g.StoredBytes,
        KmsKeyId = g.KmsKeyId,
        LogGroupClass = "STANDARD",
        DeletionProtectionEnabled = false,
    };

    private DescribeLogStreamsResponse DescribeLogStreams(RequestContext c, DescribeLogStreamsRequest r)
    {
        var group = RequireGroup(c.Region, LogNames.GroupOf(r.LogGroupName, r.LogGroupIdentifier));
        var byTime = r.OrderBy == "LastEventTime";
        if (r.OrderBy is { } orderBy && Array.IndexOf(WireEnums.OrderBy, orderBy) < 0)
        {
            throw AwsException.InvalidParameter($"1 validation error detected: Value '{orderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", WireEnums.OrderBy)}]");
        }

        if (byTime && r.LogStreamNamePrefix is not null)
        {
            throw AwsException.InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
        }

        var limit = Limit(r.Limit, 50, 50);
        IEnumerable<StreamRow> streams = store.ListStreams(group.Id);
        if (r.LogStreamNamePrefix is { } prefix)
        {
            LogNames.Stream(prefix, "logStreamNamePrefix");
            streams = streams.Where(s => s.Name.StartsWith(prefix, StringComparison.Ordinal));
        }

        if (byTime)
        {
            streams = streams.OrderBy(s => s.LastEventTimestamp ?? 0).ThenBy(s => s.Name, StringComparer.Ordinal);
        }

        var list = streams.ToList();
        if (r.Descending == true)
        {
            list.Reverse();
        }

        var offset = LogTokens.ReadOffset(r.NextToken);
        return new DescribeLogStreamsResponse
        {
            LogStreams = [.. list.Skip(offset).Take(limit).Select(s => new LogStream
            {
                LogStreamName = s.Name,
                CreationTime = s.Created,
                FirstEventTimestamp = s.FirstEventTimestamp,
                LastEventTimestamp = s.LastEventTimestamp,
                LastIngestionTime = s.LastIngestionTime,
                UploadSequenceToken = "49" + s.LastSeq.ToString("D54", System.Globalization.CultureInfo.InvariantCulture),
                Arn = LogNames.StreamArn(group.Region, c.AccountId, group.Name, s.Name),
                StoredBytes = s.StoredBytes,
            })],
            NextToken = offset + limit < list.Count ? LogTokens.Offset(offset + limit) : null,
        };
    }

    private GetLogEventsResponse GetLogEvents(RequestContext c, GetLogEventsRequest r)
    {
        var group = RequireGroup(c.Region, LogNames.GroupOf(r.LogGroupName, r.LogGroupIdentifier));
        var stream = store.FindStream(group.Id, LogNames.Stream(r.LogStreamName)) ?? throw new AwsException("ResourceNotFoundException", "The specified log stream does not exist.");
        var limit = Limit(r.Limit, MaxEventsPerPage, MaxEventsPerPage);
        var from = r.StartTime ?? long.MinValue;
        var to = r.EndTime ?? long.MaxValue;
        bool forward;
        EventPosition after = EventPosition.Start, before = EventPosition.End;
        if (r.NextToken is { } token)
        {
            var (isForward, position) = LogTokens.ReadStreamToken(token);
            forward = isForward;
            if (forward)
            {
                after = position;
            }
            else
            {
                before = position;
            }
        }
        else
        {
            forward = r.StartFromHead == true;
        }

        var rows = TrimToBytes(store.ReadStream(stream.Id, from, to, after, before, limit, forward), forward);
        string nextForward, nextBackward;
        if (rows.Count == 0)
        {
            // At either end the same token comes back, as AWS's does, so a caller polling forward sees new events.
            nextForward = r.NextToken is { } t && t[0] == 'f' ? t : LogTokens.Forward(forward ? after : PositionBefore(before));
            nextBackward = r.NextToken is { } u && u[0] == 'b' ? u : LogTokens.Backward(forward ? PositionAfter(after) : before);
        }
        else
        {
            nextForward = LogTokens.Forward(Position(rows[^1]));
            nextBackward = LogTokens.Backward(Position(rows[0]));
        }

        return new GetLogEventsResponse
        {
            Events = [.. rows.Select(e => new OutputLogEvent { Timestamp = e.Timestamp, Message = e.Message, IngestionTime = e.IngestionTime })],
            NextForwardToken = nextForward,
            NextBackwardToken = nextBackward,
        };
    }

    private FilterLogEventsResponse FilterLogEvents(RequestContext c, FilterLogEventsRequest r)
    {
        var group = RequireGroup(c.Region, LogNames.GroupOf(r.LogGroupName, r.LogGroupIdentifier));
        if (r.LogStreamNames is not null && r.LogStreamNamePrefix is not null)
        {
            throw AwsException.InvalidParameter("Cannot specify both logStreamNames and logStreamNamePrefix.");
        }

        if (r.LogStreamNames is { Count: 0 or > 100 } streamNames)
        {
            throw AwsException.InvalidParameter($"1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length {(streamNames.Count == 0 ? "greater than or equal to 1" : "less than or equal to 100")}");
        }

        if (r.StartTime is { } s && r.EndTime is { } e && e < s)
        {
            throw AwsException.InvalidParameter("endTime must be greater than or equal to startTime.");
        }

        if (r.FilterPattern is { Length: > 1024 })
        {
            throw AwsException.InvalidParameter("1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024");
        }

        var pattern = FilterPattern.Parse(r.FilterPattern);
        var limit = Limit(r.Limit, MaxEventsPerPage, MaxEventsPerPage);
        var streams = store.ListStreams(group.Id);
        var names = streams.ToDictionary(x => x.Id, x => x.Name);
        HashSet<long>? only = null;
        if (r.LogStreamNames is { } wanted)
        {
            foreach (var name in wanted)
            {
                LogNames.Stream(name, "logStreamNames");
            }

            only = [.. streams.Where(x => wanted.Contains(x.Name)).Select(x => x.Id)];
        }
        else if (r.LogStreamNamePrefix is { } prefix)
        {
            only = [.. streams.Where(x => x.Name.StartsWith(prefix, StringComparison.Ordinal)).Select(x => x.Id)];
        }

        var after = r.NextToken is { } token ? LogTokens.ReadFilterToken(token) : EventPosition.Start;
        var from = r.StartTime ?? long.MinValue;
        var to = r.EndTime ?? long.MaxValue;
        var found = new List<FilteredLogEvent>();
        var scanned = 0;
        long bytes = 0;
        var more = false;
        while (true)
        {
            var chunk = store.ReadGroup(group.Id, from, to, after, Math.Min(limit * 2, 5_000) + 1);
            var stop = false;
            foreach (var row in chunk)
            {
                scanned++;
                after = Position(row);
                if ((only is null || only.Contains(row.StreamId)) && pattern.Matches(row.Message))
                {
                    found.Add(new FilteredLogEvent
                    {
                        LogStreamName = names.GetValueOrDefault(row.StreamId),
                        Timestamp = row.Timestamp,
                        Message = row.Message,
                        IngestionTime = row.IngestionTime,
                        EventId = after.EventId,
                    });
                    bytes += row.Message.Length;
                }

                if (found.Count >= limit || bytes >= MaxPageBytes || scanned >= MaxScannedPerPage)
                {
                    stop = true;
                    break;
                }
            }

            if (stop)
            {
                // More may follow: the token resumes right after the last event looked at.
                more = store.ReadGroup(group.Id, from, to, after, 1).Count > 0;
                break;
            }

            if (chunk.Count == 0 || chunk.Count < Math.Min(limit * 2, 5_000) + 1)
            {
                break;
            }
        }

        return new FilterLogEventsResponse
        {
            Events = found,
            SearchedLogStreams = [],
            NextToken = more ? LogTokens.Filter(after) : null,
        };
    }

    private GroupRow RequireGroup(string region, string name)
        => store.FindGroup(region, name) ?? throw new AwsException("ResourceNotFoundException", "The specified log group does not exist.");

    private static string GroupOfResource(string arn) => LogNames.GroupOfArn(arn);

    private static void CheckTags(Dictionary<string, string>? tags)
    {
        if (tags is null)
        {
            return;
        }

        if (tags.Count > 50)
        {
            throw AwsException.InvalidParameter("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50");
        }

        foreach (var (key, value) in tags)
        {
            if (key.Length is < 1 or > 128 || value.Length > 256 || key.StartsWith("aws:", StringComparison.Ordinal))
            {
                throw AwsException.InvalidParameter($"1 validation error detected: Value '{key}' at 'tags' failed to satisfy constraint: tag keys are 1 to 128 characters, values at most 256, and the aws: prefix is reserved");
            }
        }
    }

    private static int Limit(int? requested, int max, int fallback)
    {
        if (requested is { } n && (n < 1 || n > max))
        {
            throw AwsException.InvalidParameter($"1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value {(n < 1 ? "greater than or equal to 1" : $"less than or equal to {max}")}");
        }

        return requested ?? fallback;
    }

    private static List<EventRow> TrimToBytes(List<EventRow> rows, bool forward)
    {
        long bytes = 0;
        var keep = 0;
        if (forward)
        {
            foreach (var row in rows)
            {
                bytes += row.Message.Length + 26;
                if (bytes > MaxPageBytes && keep > 0)
                {
                    break;
                }

                keep++;
            }

            return rows.Count == keep ? rows : rows[..keep];
        }

        for (var i = rows.Count - 1; i >= 0; i--)
        {
            bytes += rows[i].Message.Length + 26;
            if (bytes > MaxPageBytes && keep > 0)
            {
                break;
            }

            keep++;
        }

        return rows.Count == keep ? rows : rows[^keep..];
    }

    private static EventPosition Position(EventRow row) => new(row.Timestamp, row.Seq);

    private static EventPosition PositionBefore(EventPosition p) => p == EventPosition.End ? EventPosition.Start : new(p.Timestamp, p.Seq - 1);

    private static EventPosition PositionAfter(EventPosition p) => p == EventPosition.Start ? EventPosition.End : new(p.Timestamp, p.Seq + 1);

    private static void Add<TIn, TOut>(DispatchTable table, string name, JsonTypeInfo<TIn> input, JsonTypeInfo<TOut> output, Func<RequestContext, TIn, ValueTask<TOut>> handler)
        where TIn : class, new()
        => table.Add(WireOperations.TargetPrefix, name, WireOperations.SigningName, input, output, handler, WireRequired.ByType);
}
