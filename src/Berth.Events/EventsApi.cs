using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Berth.Events.Delivery;
using Berth.Events.Model;
using Berth.Events.Patterns;
using Berth.Events.Rules;
using Berth.Events.State;
using Berth.Protocol.Dispatch;
using Berth.Storage.Commit;

namespace Berth.Events;

/// <summary>
/// Wires EventBridge's operations (target prefix <c>AWSEvents</c>, signing name <c>events</c>) into the dispatch table:
/// reads run on the current snapshot, writes go through the EventBridge pipeline as pure decisions.
/// </summary>
public sealed class EventsApi(CommitPipeline<EventsState> pipeline, string accountId, TimeProvider time)
{
    /// <summary>Where accepted PutEvents entries go, as bus events (none: they are accepted and dropped).</summary>
    public Action<BusEvent>? Published { get; init; }

    private static readonly WireJsonContext Json = WireJsonContext.Default;
    private static readonly JsonTypeInfo<EmptyResult> Empty = EmptyResultJsonContext.Default.EmptyResult;

    /// <summary>Adds every EventBridge operation Berth implements to <paramref name="table"/>.</summary>
    public void Register(DispatchTable table)
    {
        Add(table, "PutRule", Json.PutRuleRequest, Json.PutRuleResponse, async (c, r) =>
        {
            var rule = await pipeline.ExecuteAsync(s => RuleDecisions.PutRule(s, Scope(c), time.GetUtcNow(), r));
            return new PutRuleResponse { RuleArn = rule.Arn };
        });
        Add(table, "DescribeRule", Json.DescribeRuleRequest, Json.DescribeRuleResponse, (c, r) =>
        {
            var rule = RuleDecisions.Require(pipeline.Current, Scope(c), r.EventBusName, r.Name);
            return ValueTask.FromResult(new DescribeRuleResponse
            {
                Name = rule.Name,
                Arn = rule.Arn,
                EventPattern = rule.Pattern,
                ScheduleExpression = rule.Schedule,
                State = StateName(rule.State),
                Description = rule.Description,
                RoleArn = rule.RoleArn,
                EventBusName = rule.Bus,
                CreatedBy = accountId,
            });
        });
        Add(table, "ListRules", Json.ListRulesRequest, Json.ListRulesResponse, (c, r) => ValueTask.FromResult(ListRules(c, r)));
        Add(table, "EnableRule", Json.EnableRuleRequest, Empty, async (c, r) =>
        {
            await pipeline.ExecuteAsync(s => RuleDecisions.SetState(s, Scope(c), time.GetUtcNow(), r.EventBusName, r.Name, RuleState.Enabled));
            return new EmptyResult();
        });
        Add(table, "DisableRule", Json.DisableRuleRequest, Empty, async (c, r) =>
        {
            await pipeline.ExecuteAsync(s => RuleDecisions.SetState(s, Scope(c), time.GetUtcNow(), r.EventBusName, r.Name, RuleState.Disabled));
            return new EmptyResult();
        });
        Add(table, "DeleteRule", Json.DeleteRuleRequest, Empty, async (c, r) =>
        {
            await pipeline.ExecuteAsync(s => RuleDecisions.DeleteRule(s, Scope(c), r));
            return new EmptyResult();
        });
        Add(table, "PutTargets", Json.PutTargetsRequest, Json.PutTargetsResponse, async (c, r) =>
            await pipeline.ExecuteAsync(s => RuleDecisions.PutTargets(s, Scope(c), r)));
        Add(table, "RemoveTargets", Json.RemoveTargetsRequest, Json.RemoveTargetsResponse, async (c, r) =>
            await pipeline.ExecuteAsync(s => RuleDecisions.RemoveTargets(s, Scope(c), r)));
        Add(table, "ListTargetsByRule", Json.ListTargetsByRuleRequest, Json.ListTargetsByRuleResponse, (c, r) =>
        {
            var rule = RuleDecisions.Require(pipeline.Current, Scope(c), r.EventBusName, r.Rule);
            var (page, next) = Page(rule.Targets, r.Limit, r.NextToken);
            return ValueTask.FromResult(new ListTargetsByRuleResponse { Targets = [.. page.Select(RuleDecisions.ToWire)], NextToken = next });
        });
        Add(table, "ListRuleNamesByTarget", Json.ListRuleNamesByTargetRequest, Json.ListRuleNamesByTargetResponse, (c, r) =>
        {
            if (r.TargetArn is not { Length: >= 1 and <= 1600 })
            {
                throw EventsErrors.Constraint(r.TargetArn, "targetArn", "Member must not be null");
            }

            var bus = EventsNames.Bus(r.EventBusName);
            var names = RulesOn(c.Region, bus).Where(rule => rule.Targets.Any(t => t.Arn == r.TargetArn)).Select(rule => rule.Name).ToList();
            var (page, next) = Page(names, r.Limit, r.NextToken);
            return ValueTask.FromResult(new ListRuleNamesByTargetResponse { RuleNames = [.. page], NextToken = next });
        });
        Add(table, "CreateEventBus", Json.CreateEventBusRequest, Json.CreateEventBusResponse, async (c, r) =>
        {
            var bus = await pipeline.ExecuteAsync(s => RuleDecisions.CreateBus(s, Scope(c), time.GetUtcNow(), r));
            return new CreateEventBusResponse { EventBusArn = bus.Arn, Description = bus.Description };
        });
        Add(table, "DeleteEventBus", Json.DeleteEventBusRequest, Empty, async (c, r) =>
        {
            await pipeline.ExecuteAsync(s => RuleDecisions.DeleteBus(s, Scope(c), r));
            return new EmptyResult();
        });
        Add(table, "DescribeEventBus", Json.DescribeEventBusRequest, Json.DescribeEventBusResponse, (c, r) =>
        {
            var name = EventsNames.Bus(r.Name, "name");
            var bus = Bus(c.Region, name) ?? throw EventsErrors.BusNotFound(name);
            return ValueTask.FromResult(new DescribeEventBusResponse
            {
                Name = bus.Name,
                Arn = bus.Arn,
                Description = bus.Description,
                CreationTime = bus.CreationTime,
                LastModifiedTime = bus.LastModifiedTime,
            });
        });
        Add(table, "ListEventBuses", Json.ListEventBusesRequest, Json.ListEventBusesResponse, (c, r) =>
        {
            var buses = new List<EventBus> { Bus(c.Region, EventsState.DefaultBus)! };
            buses.AddRange(pipeline.Current.Buses.Values.Where(b => b.Region == c.Region).Select(b => Bus(c.Region, b.Name)!));
            var matching = buses.Where(b => r.NamePrefix is null || b.Name!.StartsWith(r.NamePrefix, StringComparison.Ordinal)).ToList();
            var (page, next) = Page(matching, r.Limit, r.NextToken);
            return ValueTask.FromResult(new ListEventBusesResponse { EventBuses = [.. page], NextToken = next });
        });
        Add(table, "PutEvents", Json.PutEventsRequest, Json.PutEventsResponse, (c, r) => ValueTask.FromResult(PutEvents(c, r)));
        Add(table, "TestEventPattern", Json.TestEventPatternRequest, Json.TestEventPatternResponse, (_, r) =>
        {
            try
            {
                return ValueTask.FromResult(new TestEventPatternResponse { Result = PatternTest.Run(r.EventPattern ?? "", r.Event ?? "") });
            }
            catch (EventPatternException e)
            {
                throw EventsErrors.InvalidPattern(e.Message);
            }
            catch (InvalidEventException e)
            {
                throw EventsErrors.Validation(e.Message);
            }
        });
        Add(table, "TagResource", Json.TagResourceRequest, Json.TagResourceResponse, async (c, r) =>
        {
            if (r.Tags is null)
            {
                throw EventsErrors.Constraint(null, "tags", "Member must not be null");
            }

            await pipeline.ExecuteAsync(s => RuleDecisions.Tag(s, Scope(c), r.ResourceARN, r.Tags, null));
            return new TagResourceResponse();
        });
        Add(table, "UntagResource", Json.UntagResourceRequest, Json.UntagResourceResponse, async (c, r) =>
        {
            if (r.TagKeys is null)
            {
                throw EventsErrors.Constraint(null, "tagKeys", "Member must not be null");
            }

            await pipeline.ExecuteAsync(s => RuleDecisions.Tag(s, Scope(c), r.ResourceARN, null, r.TagKeys));
            return new UntagResourceResponse();
        });
        Add(table, "ListTagsForResource", Json.ListTagsForResourceRequest, Json.ListTagsForResourceResponse, (c, r) =>
        {
            IEnumerable<KeyValuePair<string, string>> tags = RuleDecisions.Resource(pipeline.Current, Scope(c), r.ResourceARN) switch
            {
                RuleRecord rule => rule.Tags,
                EventBusRecord bus => bus.Tags,
                _ => [],
            };
            return ValueTask.FromResult(new ListTagsForResourceResponse { Tags = [.. tags.Select(t => new Tag { Key = t.Key, Value = t.Value })] });
        });
    }

    private static string StateName(RuleState state) => state == RuleState.Enabled ? "ENABLED" : "DISABLED";

    private EventsScope Scope(RequestContext c) => new(c.Region, accountId);

    private IEnumerable<RuleRecord> RulesOn(string region, string bus)
    {
        var prefix = EventsState.RuleKey(region, bus, "");
        return pipeline.Current.Rules.SkipWhile(kv => string.CompareOrdinal(kv.Key, prefix) < 0)
            .TakeWhile(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => kv.Value);
    }

    private ListRulesResponse ListRules(RequestContext c, ListRulesRequest r)
    {
        var bus = EventsNames.Bus(r.EventBusName);
        if (!RuleDecisions.BusExists(pipeline.Current, Scope(c), bus))
        {
            throw EventsErrors.BusNotFound(bus);
        }

        var rules = RulesOn(c.Region, bus).Where(rule => r.NamePrefix is null || rule.Name.StartsWith(r.NamePrefix, StringComparison.Ordinal)).ToList();
        var (page, next) = Page(rules, r.Limit, r.NextToken);
        return new ListRulesResponse
        {
            Rules = [.. page.Select(rule => new Rule
            {
                Name = rule.Name,
                Arn = rule.Arn,
                EventPattern = rule.Pattern,
                ScheduleExpression = rule.Schedule,
                State = StateName(rule.State),
                Description = rule.Description,
                RoleArn = rule.RoleArn,
                EventBusName = rule.Bus,
            })],
            NextToken = next,
        };
    }

    private EventBus? Bus(string region, string name)
    {
        if (name == EventsState.DefaultBus)
        {
            return new EventBus { Name = name, Arn = EventsNames.BusArn(region, accountId, name) };
        }

        return pipeline.Current.Buses.TryGetValue(EventsState.BusKey(region, name), out var bus)
            ? new EventBus { Name = bus.Name, Arn = bus.Arn, Description = bus.Description, CreationTime = bus.CreatedAt, LastModifiedTime = bus.CreatedAt }
            : null;
    }

    private PutEventsResponse PutEvents(RequestContext c, PutEventsRequest r)
    {
        var entries = r.Entries ?? [];
        if (entries.Count is < 1 or > 10)
        {
            throw EventsErrors.Constraint(null, "entries", "Member must have length less than or equal to 10");
        }

        var results = new List<PutEventsResultEntry>();
        foreach (var entry in entries)
        {
            if (CheckEntry(c, entry) is { } e)
            {
                results.Add(new PutEventsResultEntry { ErrorCode = e.Code, ErrorMessage = e.Message });
                continue;
            }

            var id = Guid.NewGuid().ToString();
            results.Add(new PutEventsResultEntry { EventId = id });
            Published?.Invoke(BusEvent.Envelope(c.Region, accountId, EventsNames.Bus(entry.EventBusName), id, entry.Time ?? time.GetUtcNow(), entry.Source!, entry.DetailType!,
                entry.Resources ?? [], JsonNode.Parse(entry.Detail!)!));
        }

        return new PutEventsResponse { Entries = results, FailedEntryCount = results.Count(e => e.ErrorCode is not null) };
    }

    private (string Code, string Message)? CheckEntry(RequestContext c, PutEventsRequestEntry entry)
    {
        foreach (var (value, name) in new[] { (entry.Source, "Source"), (entry.DetailType, "DetailType"), (entry.Detail, "Detail") })
        {
            if (string.IsNullOrEmpty(value))
            {
                return ("InvalidArgument", $"Parameter {name} is not valid. Reason: {name} is a required argument.");
            }
        }

        try
        {
            using var detail = JsonDocument.Parse(entry.Detail!);
            if (detail.RootElement.ValueKind != JsonValueKind.Object)
            {
                return ("MalformedDetail", "Detail is malformed.");
            }
        }
        catch (JsonException)
        {
            return ("MalformedDetail", "Detail is malformed.");
        }

        string bus;
        try
        {
            bus = EventsNames.Bus(entry.EventBusName);
        }
        catch (Berth.Protocol.Errors.AwsException e)
        {
            return ("InvalidArgument", e.Message);
        }

        return RuleDecisions.BusExists(pipeline.Current, Scope(c), bus)
            ? null
            : ("ResourceNotFoundException", $"Event bus {bus} does not exist.");
    }

    // Paging tokens are the position of the next item, as text: the lists are ordered and small.
    private static (List<T> Page, string? Next) Page<T>(IEnumerable<T> items, int? limit, string? token)
    {
        if (limit is < 1 or > 100)
        {
            throw EventsErrors.Constraint(limit?.ToString(CultureInfo.InvariantCulture), "limit", "Member must have value less than or equal to 100");
        }

        var start = 0;
        if (token is not null && (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out start) || start < 0))
        {
            throw EventsErrors.Validation("The NextToken value is not valid.");
        }

        var all = items.Skip(start).ToList();
        var size = limit ?? 100;
        return all.Count > size ? (all[..size], (start + size).ToString(CultureInfo.InvariantCulture)) : (all, null);
    }

    private static void Add<TInput, TOutput>(DispatchTable table, string name, JsonTypeInfo<TInput> input, JsonTypeInfo<TOutput> output, Func<RequestContext, TInput, ValueTask<TOutput>> handler)
        where TInput : class, new()
        => table.Add(WireOperations.TargetPrefix, name, WireOperations.SigningName, input, output, handler);
}
