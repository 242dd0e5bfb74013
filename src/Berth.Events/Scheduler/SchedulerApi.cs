using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Events.State;
using Berth.Protocol.Dispatch;
using Berth.Protocol.RestJson;
using Berth.Scheduler.Model;
using Berth.Storage.Commit;

namespace Berth.Events.Scheduler;

/// <summary>
/// Wires EventBridge Scheduler's operations (rest-json, signing name <c>scheduler</c>) into the rest-json table: reads
/// run on the current snapshot, writes go through the EventBridge pipeline (events.db) as pure decisions.
/// </summary>
public sealed class SchedulerApi(CommitPipeline<EventsState> pipeline, string accountId, TimeProvider time)
{
    private static readonly WireJsonContext Json = WireJsonContext.Default;

    /// <summary>Adds every Scheduler operation to <paramref name="table"/>.</summary>
    public void Register(RestJsonDispatchTable table)
    {
        Add(table, "CreateSchedule", Json.CreateScheduleInput, Json.CreateScheduleOutput, async (c, r) =>
        {
            var schedule = await pipeline.ExecuteAsync(s => ScheduleDecisions.Create(s, c.Region, accountId, time.GetUtcNow(), r));
            return new CreateScheduleOutput { ScheduleArn = schedule.Arn };
        });
        Add(table, "UpdateSchedule", Json.UpdateScheduleInput, Json.UpdateScheduleOutput, async (c, r) =>
        {
            var schedule = await pipeline.ExecuteAsync(s => ScheduleDecisions.Update(s, c.Region, accountId, time.GetUtcNow(), r));
            return new UpdateScheduleOutput { ScheduleArn = schedule.Arn };
        });
        Add(table, "GetSchedule", Json.GetScheduleInput, Json.GetScheduleOutput, (c, r) =>
            ValueTask.FromResult(ToWire(ScheduleDecisions.Require(pipeline.Current, c.Region, r.GroupName, r.Name))));
        Add(table, "DeleteSchedule", Json.DeleteScheduleInput, Json.DeleteScheduleOutput, async (c, r) =>
        {
            await pipeline.ExecuteAsync(s => ScheduleDecisions.Delete(s, c.Region, r));
            return new DeleteScheduleOutput();
        });
        Add(table, "ListSchedules", Json.ListSchedulesInput, Json.ListSchedulesOutput, (c, r) => ValueTask.FromResult(ListSchedules(c, r)));
        Add(table, "CreateScheduleGroup", Json.CreateScheduleGroupInput, Json.CreateScheduleGroupOutput, async (c, r) =>
        {
            var group = await pipeline.ExecuteAsync(s => ScheduleDecisions.CreateGroup(s, c.Region, accountId, time.GetUtcNow(), r));
            return new CreateScheduleGroupOutput { ScheduleGroupArn = group.Arn };
        });
        Add(table, "GetScheduleGroup", Json.GetScheduleGroupInput, Json.GetScheduleGroupOutput, (c, r) =>
        {
            var name = ScheduleDecisions.Name(r.Name, "name");
            var group = ScheduleDecisions.FindGroup(pipeline.Current, c.Region, accountId, name) ?? throw SchedulerErrors.GroupNotFound(name);
            return ValueTask.FromResult(new GetScheduleGroupOutput
            {
                Arn = group.Arn,
                Name = group.Name,
                State = "ACTIVE",
                CreationDate = group.CreatedAt,
                LastModificationDate = group.ModifiedAt,
            });
        });
        Add(table, "DeleteScheduleGroup", Json.DeleteScheduleGroupInput, Json.DeleteScheduleGroupOutput, async (c, r) =>
        {
            await pipeline.ExecuteAsync(s => ScheduleDecisions.DeleteGroup(s, c.Region, r));
            return new DeleteScheduleGroupOutput();
        });
        Add(table, "ListScheduleGroups", Json.ListScheduleGroupsInput, Json.ListScheduleGroupsOutput, (c, r) => ValueTask.FromResult(ListGroups(c, r)));
        Add(table, "TagResource", Json.TagResourceInput, Json.TagResourceOutput, async (c, r) =>
        {
            if (r.Tags is null)
            {
                throw SchedulerErrors.Constraint(null, "tags", "Member must not be null");
            }

            await pipeline.ExecuteAsync(s => ScheduleDecisions.Tag(s, c.Region, accountId, time.GetUtcNow(), r.ResourceArn, r.Tags, null));
            return new TagResourceOutput();
        });
        Add(table, "UntagResource", Json.UntagResourceInput, Json.UntagResourceOutput, async (c, r) =>
        {
            if (r.TagKeys is null)
            {
                throw SchedulerErrors.Constraint(null, "tagKeys", "Member must not be null");
            }

            await pipeline.ExecuteAsync(s => ScheduleDecisions.Tag(s, c.Region, accountId, time.GetUtcNow(), r.ResourceArn, null, r.TagKeys));
            return new UntagResourceOutput();
        });
        Add(table, "ListTagsForResource", Json.ListTagsForResourceInput, Json.ListTagsForResourceOutput, (c, r) =>
        {
            var group = ScheduleDecisions.TaggedGroup(pipeline.Current, c.Region, accountId, r.ResourceArn);
            return ValueTask.FromResult(new ListTagsForResourceOutput { Tags = [.. group.Tags.Select(t => new Tag { Key = t.Key, Value = t.Value })] });
        });
    }

    /// <summary>GetSchedule's answer for a stored schedule.</summary>
    public static GetScheduleOutput ToWire(ScheduleRecord s) => new()
    {
        Arn = s.Arn,
        Name = s.Name,
        GroupName = s.Group,
        ScheduleExpression = s.Expression,
        ScheduleExpressionTimezone = s.Timezone,
        StartDate = s.StartDate,
        EndDate = s.EndDate,
        State = s.State == RuleState.Enabled ? "ENABLED" : "DISABLED",
        Description = s.Description,
        FlexibleTimeWindow = s.FlexibleWindowMinutes is { } minutes
            ? new FlexibleTimeWindow { Mode = "FLEXIBLE", MaximumWindowInMinutes = minutes }
            : new FlexibleTimeWindow { Mode = "OFF" },
        ActionAfterCompletion = s.ActionAfterCompletion ?? "NONE",
        KmsKeyArn = s.KmsKeyArn,
        Target = JsonSerializer.Deserialize(s.TargetJson, Json.Target),
        CreationDate = s.CreatedAt,
        LastModificationDate = s.ModifiedAt,
    };

    private ListSchedulesOutput ListSchedules(RequestContext c, ListSchedulesInput r)
    {
        var state = pipeline.Current;
        string? group = null;
        if (r.GroupName is not null)
        {
            group = ScheduleDecisions.Name(r.GroupName, "groupName");
            if (!ScheduleDecisions.GroupExists(state, c.Region, group))
            {
                throw SchedulerErrors.GroupNotFound(group);
            }
        }

        var prefix = r.NamePrefix is null ? null : ScheduleDecisions.Name(r.NamePrefix, "namePrefix");
        RuleState? only = r.State switch
        {
            null => null,
            "ENABLED" => RuleState.Enabled,
            "DISABLED" => RuleState.Disabled,
            _ => throw SchedulerErrors.Constraint(r.State, "state", "Member must satisfy enum value set: [ENABLED, DISABLED]"),
        };
        var regionPrefix = c.Region + "|";
        var schedules = (group is null
                ? state.Schedules.Where(kv => kv.Key.StartsWith(regionPrefix, StringComparison.Ordinal)).Select(kv => kv.Value)
                : ScheduleDecisions.InGroup(state, c.Region, group))
            .Where(s => prefix is null || s.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Where(s => only is null || s.State == only);
        var (page, next) = Page(schedules, r.MaxResults, r.NextToken);
        return new ListSchedulesOutput
        {
            Schedules = [.. page.Select(s => new ScheduleSummary
            {
                Arn = s.Arn,
                Name = s.Name,
                GroupName = s.Group,
                State = s.State == RuleState.Enabled ? "ENABLED" : "DISABLED",
                CreationDate = s.CreatedAt,
                LastModificationDate = s.ModifiedAt,
                Target = new TargetSummary { Arn = s.TargetArn },
            })],
            NextToken = next,
        };
    }

    private ListScheduleGroupsOutput ListGroups(RequestContext c, ListScheduleGroupsInput r)
    {
        var state = pipeline.Current;
        var prefix = r.NamePrefix is null ? null : ScheduleDecisions.Name(r.NamePrefix, "namePrefix");
        var groups = new List<ScheduleGroupRecord> { ScheduleDecisions.FindGroup(state, c.Region, accountId, EventsState.DefaultGroup)! };
        groups.AddRange(state.ScheduleGroups.Values.Where(g => g.Region == c.Region && g.Name != EventsState.DefaultGroup));
        var (page, next) = Page(groups.Where(g => prefix is null || g.Name.StartsWith(prefix, StringComparison.Ordinal)), r.MaxResults, r.NextToken);
        return new ListScheduleGroupsOutput
        {
            ScheduleGroups = [.. page.Select(g => new ScheduleGroupSummary
            {
                Arn = g.Arn,
                Name = g.Name,
                State = "ACTIVE",
                CreationDate = g.CreatedAt,
                LastModificationDate = g.ModifiedAt,
            })],
            NextToken = next,
        };
    }

    // Paging tokens are the position of the next item, as text: the lists are ordered by key.
    internal static (List<T> Page, string? Next) Page<T>(IEnumerable<T> items, int? limit, string? token)
    {
        if (limit is < 1 or > 100)
        {
            throw SchedulerErrors.Constraint(limit?.ToString(CultureInfo.InvariantCulture), "maxResults",
                limit < 1 ? "Member must have value greater than or equal to 1" : "Member must have value less than or equal to 100");
        }

        var start = 0;
        if (token is not null && (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out start) || start < 0))
        {
            throw SchedulerErrors.Validation("Invalid NextToken.");
        }

        var all = items.Skip(start).ToList();
        var size = limit ?? 100;
        return all.Count > size ? (all[..size], (start + size).ToString(CultureInfo.InvariantCulture)) : (all, null);
    }

    private static void Add<TInput, TOutput>(RestJsonDispatchTable table, string name, JsonTypeInfo<TInput> input, JsonTypeInfo<TOutput> output, Func<RequestContext, TInput, ValueTask<TOutput>> handler)
        where TInput : class, new()
        => table.Add(WireOperations.SigningName, WireHttp.Operations.Single(o => o.Name == name), input, output, handler, WireHttp.Bindings, WireRequired.ByType, SchedulerErrors.Missing);
}
