using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Berth.Events.Model;
using Berth.Events.Patterns;
using Berth.Events.Schedules;
using Berth.Events.State;
using Berth.Storage.Commit;

namespace Berth.Events.Rules;

/// <summary>Where a request acts: its SigV4 region and the account.</summary>
public readonly record struct EventsScope(string Region, string Account);

/// <summary>Rule, target, bus and tag writes as pure decisions: (state, request, time) → next state, mutations, answer.</summary>
public static partial class RuleDecisions
{
    /// <summary>Most targets a rule may have (EventBridge's quota).</summary>
    public const int MaxTargets = 5;

    /// <summary>Most tags a resource may carry.</summary>
    public const int MaxTags = 50;

    /// <summary>Finds a rule or throws ResourceNotFoundException as EventBridge words it.</summary>
    public static RuleRecord Require(EventsState state, EventsScope scope, string? busNameOrArn, string? name)
    {
        var bus = EventsNames.Bus(busNameOrArn);
        var rule = EventsNames.Name(name, "name");
        return state.Rules.TryGetValue(EventsState.RuleKey(scope.Region, bus, rule), out var found) ? found : throw EventsErrors.RuleNotFound(rule, bus);
    }

    /// <summary>Whether the bus exists in the region (<c>default</c> always does).</summary>
    public static bool BusExists(EventsState state, EventsScope scope, string bus) =>
        bus == EventsState.DefaultBus || state.Buses.ContainsKey(EventsState.BusKey(scope.Region, bus));

    /// <summary>PutRule: creates the rule or replaces its settings (keeping its targets and creation time).</summary>
    public static Decision<EventsState, RuleRecord> PutRule(EventsState state, EventsScope scope, DateTimeOffset now, PutRuleRequest request)
    {
        var name = EventsNames.Name(request.Name, "name");
        var bus = EventsNames.Bus(request.EventBusName);
        if (request.Description is { Length: > 512 })
        {
            throw EventsErrors.Constraint(request.Description, "description", "Member must have length less than or equal to 512");
        }

        if (request.ScheduleExpression is null && request.EventPattern is null)
        {
            throw EventsErrors.Validation("Parameter(s) EventPattern or ScheduleExpression must be specified.");
        }

        if (request.ScheduleExpression is { } schedule)
        {
            if (schedule.Length > 256 || !ScheduleExpression.TryParse(schedule, ScheduleDialect.Rule, out _, out _))
            {
                throw EventsErrors.Validation("Parameter ScheduleExpression is not valid.");
            }

            if (bus != EventsState.DefaultBus)
            {
                throw EventsErrors.Validation("ScheduleExpression is supported only on the default event bus.");
            }
        }

        if (request.EventPattern is { } pattern)
        {
            try
            {
                EventPattern.Parse(pattern);
            }
            catch (EventPatternException e)
            {
                throw EventsErrors.InvalidPattern(e.Message);
            }
        }

        var ruleState = request.State switch
        {
            null or "ENABLED" => RuleState.Enabled,
            "DISABLED" => RuleState.Disabled,
            _ => throw EventsErrors.Constraint(request.State, "state", "Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]"),
        };

        if (!BusExists(state, scope, bus))
        {
            throw EventsErrors.BusNotFound(bus);
        }

        var tags = ApplyTags(ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal), request.Tags);
        state.Rules.TryGetValue(EventsState.RuleKey(scope.Region, bus, name), out var existing);
        var rule = new RuleRecord
        {
            Region = scope.Region,
            Bus = bus,
            Name = name,
            Arn = EventsNames.RuleArn(scope.Region, scope.Account, bus, name),
            Schedule = request.ScheduleExpression,
            Pattern = request.EventPattern,
            State = ruleState,
            Description = request.Description,
            RoleArn = request.RoleArn,
            CreatedAt = existing?.CreatedAt ?? now,
            ScheduleAnchor = existing is not null && existing.Schedule == request.ScheduleExpression ? existing.ScheduleAnchor : now,
            ActiveSince = existing is not null && existing.Schedule == request.ScheduleExpression && existing.State == ruleState ? existing.ActiveSince : now,

            // PutRule on an existing rule keeps its tags unless it names some (as EventBridge does).
            Tags = existing is not null && request.Tags is not { Count: > 0 } ? existing.Tags : tags,
            Targets = existing?.Targets ?? [],
        };
        return new(state.With(rule), [EventsCodec.Put(rule)], rule);
    }

    /// <summary>EnableRule / DisableRule.</summary>
    public static Decision<EventsState, RuleRecord> SetState(EventsState state, EventsScope scope, DateTimeOffset now, string? busNameOrArn, string? name, RuleState to)
    {
        var existing = Require(state, scope, busNameOrArn, name);
        var rule = existing with { State = to, ActiveSince = existing.State == to ? existing.ActiveSince : now };
        return new(state.With(rule), [EventsCodec.Put(rule)], rule);
    }

    /// <summary>DeleteRule: refused while the rule has targets; a rule that does not exist is already deleted.</summary>
    public static Decision<EventsState, bool> DeleteRule(EventsState state, EventsScope scope, DeleteRuleRequest request)
    {
        var bus = EventsNames.Bus(request.EventBusName);
        var name = EventsNames.Name(request.Name, "name");
        if (!state.Rules.TryGetValue(EventsState.RuleKey(scope.Region, bus, name), out var rule))
        {
            return new(state, [], false);
        }

        if (!rule.Targets.IsEmpty && request.Force != true)
        {
            throw EventsErrors.Validation("Rule can't be deleted since it has targets.");
        }

        var key = EventsState.KeyOf(rule);
        return new(state with { Rules = state.Rules.Remove(key), LastFired = state.LastFired.Remove(key) }, [.. EventsCodec.DeleteAll(rule)], true);
    }

    /// <summary>PutTargets: each entry is put or reported in FailedEntries; the rest are put together.</summary>
    public static Decision<EventsState, PutTargetsResponse> PutTargets(EventsState state, EventsScope scope, PutTargetsRequest request)
    {
        var rule = Require(state, scope, request.EventBusName, request.Rule);
        var entries = request.Targets ?? [];
        if (entries.Count is < 1 or > 10)
        {
            throw EventsErrors.Constraint(null, "targets", "Member must have length less than or equal to 10");
        }

        if (entries.GroupBy(t => t.Id, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            throw EventsErrors.Validation("The request contains duplicate target ids.");
        }

        var targets = rule.Targets;
        var failed = new List<PutTargetsResultEntry>();
        foreach (var entry in entries)
        {
            var id = EventsNames.Name(entry.Id, "targets.member.id");
            if (entry.Arn is not { Length: >= 1 and <= 1600 })
            {
                throw EventsErrors.Constraint(entry.Arn, "targets.member.arn", "Member must have length greater than or equal to 1");
            }

            TargetRecord target;
            try
            {
                target = ToRecord(entry);
            }
            catch (TargetException e)
            {
                failed.Add(new PutTargetsResultEntry { TargetId = id, ErrorCode = "ValidationException", ErrorMessage = e.Message });
                continue;
            }

            var index = targets.FindIndex(t => t.Id == id);
            targets = index >= 0 ? targets.SetItem(index, target) : targets.Add(target);
        }

        if (targets.Count > MaxTargets)
        {
            throw EventsErrors.Limit($"The requested resource exceeds the maximum number allowed. A rule can have at most {MaxTargets} targets.");
        }

        var updated = rule with { Targets = targets };
        var response = new PutTargetsResponse { FailedEntryCount = failed.Count, FailedEntries = failed };
        return failed.Count == entries.Count
            ? new(state, [], response)
            : new(state.With(updated), [EventsCodec.Put(updated)], response);
    }

    /// <summary>RemoveTargets: ids the rule does not have are not an error.</summary>
    public static Decision<EventsState, RemoveTargetsResponse> RemoveTargets(EventsState state, EventsScope scope, RemoveTargetsRequest request)
    {
        var rule = Require(state, scope, request.EventBusName, request.Rule);
        var ids = request.Ids ?? [];
        if (ids.Count is < 1 or > 100)
        {
            throw EventsErrors.Constraint(null, "ids", "Member must have length less than or equal to 100");
        }

        foreach (var id in ids)
        {
            EventsNames.Name(id, "ids.member");
        }

        var updated = rule with { Targets = rule.Targets.RemoveAll(t => ids.Contains(t.Id)) };
        return new(state.With(updated), [EventsCodec.Put(updated)], new RemoveTargetsResponse { FailedEntryCount = 0, FailedEntries = [] });
    }

    /// <summary>CreateEventBus.</summary>
    public static Decision<EventsState, EventBusRecord> CreateBus(EventsState state, EventsScope scope, DateTimeOffset now, CreateEventBusRequest request)
    {
        var name = EventsNames.NewBus(request.Name);
        if (request.EventSourceName is not null)
        {
            throw EventsErrors.Validation("Partner event sources are not supported.");
        }

        var arn = EventsNames.BusArn(scope.Region, scope.Account, name);
        if (BusExists(state, scope, name))
        {
            throw EventsErrors.BusExists(arn);
        }

        var bus = new EventBusRecord
        {
            Region = scope.Region,
            Name = name,
            Arn = arn,
            Description = request.Description,
            CreatedAt = now,
            Tags = ApplyTags(ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal), request.Tags),
        };
        return new(state with { Buses = state.Buses.SetItem(EventsState.BusKey(scope.Region, name), bus) }, [EventsCodec.Put(bus)], bus);
    }

    /// <summary>DeleteEventBus: not the default bus; a bus that does not exist is already deleted; its rules go with it.</summary>
    public static Decision<EventsState, bool> DeleteBus(EventsState state, EventsScope scope, DeleteEventBusRequest request)
    {
        var name = EventsNames.NewBus(request.Name);
        if (name == EventsState.DefaultBus)
        {
            throw EventsErrors.Validation("Cannot delete event bus default.");
        }

        if (!state.Buses.TryGetValue(EventsState.BusKey(scope.Region, name), out var bus))
        {
            return new(state, [], false);
        }

        var rules = state.Rules.Values.Where(r => r.Region == scope.Region && r.Bus == name).ToList();
        var mutations = new List<Berth.Storage.Documents.Mutation> { EventsCodec.Delete(bus) };
        mutations.AddRange(rules.SelectMany(EventsCodec.DeleteAll));
        return new(state with
        {
            Buses = state.Buses.Remove(EventsState.BusKey(scope.Region, name)),
            Rules = state.Rules.RemoveRange(rules.Select(EventsState.KeyOf)),
            LastFired = state.LastFired.RemoveRange(rules.Select(EventsState.KeyOf)),
        }, mutations, true);
    }

    /// <summary>TagResource / UntagResource on a rule or a custom bus.</summary>
    public static Decision<EventsState, bool> Tag(EventsState state, EventsScope scope, string? arn, List<Tag>? add, List<string>? remove)
    {
        switch (Resource(state, scope, arn))
        {
            case RuleRecord rule:
                var taggedRule = rule with { Tags = Untag(ApplyTags(rule.Tags, add), remove) };
                return new(state.With(taggedRule), [EventsCodec.Put(taggedRule)], true);
            case EventBusRecord bus:
                var taggedBus = bus with { Tags = Untag(ApplyTags(bus.Tags, add), remove) };
                return new(state with { Buses = state.Buses.SetItem(EventsState.BusKey(bus.Region, bus.Name), taggedBus) }, [EventsCodec.Put(taggedBus)], true);
            default:
                // The default bus carries no record and so no tags of its own.
                throw EventsErrors.Validation("The default event bus cannot be tagged.");
        }
    }

    /// <summary>The rule or bus an ARN names (null for the default bus); ResourceNotFoundException otherwise.</summary>
    public static object? Resource(EventsState state, EventsScope scope, string? arn)
    {
        if (arn is null)
        {
            throw EventsErrors.Constraint(null, "resourceARN", "Member must not be null");
        }

        if (EventsNames.ParseRuleArn(arn) is { } r)
        {
            return state.Rules.TryGetValue(EventsState.RuleKey(r.Region, r.Bus, r.Name), out var rule) ? rule : throw EventsErrors.RuleNotFound(r.Name, r.Bus);
        }

        if (EventsNames.ParseBusArn(arn) is { } b)
        {
            if (b.Bus == EventsState.DefaultBus)
            {
                return null;
            }

            return state.Buses.TryGetValue(EventsState.BusKey(b.Region, b.Bus), out var bus) ? bus : throw EventsErrors.BusNotFound(b.Bus);
        }

        throw EventsErrors.Validation($"Parameter ResourceARN is not valid. Reason: {arn} is not a rule or event bus ARN.");
    }

    private static ImmutableSortedDictionary<string, string> ApplyTags(ImmutableSortedDictionary<string, string> tags, List<Tag>? add)
    {
        foreach (var tag in add ?? [])
        {
            if (tag.Key is not { Length: >= 1 and <= 128 })
            {
                throw EventsErrors.Constraint(tag.Key, "tags.member.key", "Member must have length greater than or equal to 1");
            }

            if (tag.Value is not { Length: <= 256 })
            {
                throw EventsErrors.Constraint(tag.Value, "tags.member.value", "Member must have length less than or equal to 256");
            }

            tags = tags.SetItem(tag.Key, tag.Value);
        }

        return tags.Count > MaxTags ? throw EventsErrors.Limit($"A resource can have at most {MaxTags} tags.") : tags;
    }

    private static ImmutableSortedDictionary<string, string> Untag(ImmutableSortedDictionary<string, string> tags, List<string>? remove) =>
        remove is null ? tags : tags.RemoveRange(remove);

    /// <summary>Reads a wire target; <see cref="TargetException"/> when it cannot be put (reported per entry).</summary>
    internal static TargetRecord ToRecord(Target entry)
    {
        var ecs = entry.EcsParameters;
        var isCluster = ClusterArn().IsMatch(entry.Arn!);
        if (ecs is not null && !isCluster)
        {
            throw new TargetException($"Parameter(s) EcsParameters not valid for target {entry.Arn}.");
        }

        if (isCluster && ecs is null)
        {
            throw new TargetException("Parameter(s) EcsParameters must be specified for target " + entry.Arn + ".");
        }

        if ((entry.Input is null ? 0 : 1) + (entry.InputPath is null ? 0 : 1) + (entry.InputTransformer is null ? 0 : 1) > 1)
        {
            throw new TargetException("Only one of Input, InputPath, or InputTransformer can be specified.");
        }

        var transformer = entry.InputTransformer is { } given ? ToRecord(given) : null;

        if (entry.Input is { } input)
        {
            try
            {
                using var _ = System.Text.Json.JsonDocument.Parse(input);
            }
            catch (System.Text.Json.JsonException)
            {
                throw new TargetException("Input is not valid JSON text.");
            }
        }

        return new TargetRecord
        {
            Id = entry.Id!,
            Arn = entry.Arn!,
            RoleArn = entry.RoleArn,
            Input = entry.Input,
            InputPath = entry.InputPath,
            InputTransformer = transformer,
            MaximumEventAgeInSeconds = entry.RetryPolicy?.MaximumEventAgeInSeconds,
            MaximumRetryAttempts = entry.RetryPolicy?.MaximumRetryAttempts,
            Ecs = ecs is null ? null : ToRecord(ecs),
        };
    }

    private static InputTransformerRecord ToRecord(InputTransformer transformer)
    {
        if (transformer.InputTemplate is not { Length: >= 1 and <= Delivery.InputTransform.MaxTemplate } template)
        {
            throw new TargetException($"InputTemplate must be between 1 and {Delivery.InputTransform.MaxTemplate} characters long.");
        }

        var paths = transformer.InputPathsMap ?? [];
        if (paths.Count > Delivery.InputTransform.MaxPaths)
        {
            throw new TargetException($"InputPathsMap can have at most {Delivery.InputTransform.MaxPaths} entries.");
        }

        foreach (var (key, path) in paths)
        {
            if (string.IsNullOrEmpty(key) || key.StartsWith("AWS.", StringComparison.OrdinalIgnoreCase))
            {
                throw new TargetException($"InputPathsMap has an invalid key: '{key}'.");
            }

            if (path is null || !path.StartsWith('$'))
            {
                throw new TargetException($"Invalid InputPathsMap value for key '{key}': '{path}' is not a JSON path.");
            }
        }

        return new InputTransformerRecord(paths.ToImmutableSortedDictionary(StringComparer.Ordinal), template);
    }

    private static EcsTargetRecord ToRecord(EcsParameters ecs)
    {
        if (string.IsNullOrEmpty(ecs.TaskDefinitionArn))
        {
            throw new TargetException("Parameter TaskDefinitionArn is not valid.");
        }

        if (ecs.TaskCount is < 1 or > 10)
        {
            throw new TargetException("Parameter TaskCount is not valid: it must be between 1 and 10.");
        }

        if (ecs.LaunchType is { } launch && Array.IndexOf(WireEnums.LaunchType, launch) < 0)
        {
            throw new TargetException($"Parameter LaunchType is not valid: {launch}.");
        }

        if (ecs.LaunchType is not null && ecs.CapacityProviderStrategy is { Count: > 0 })
        {
            throw new TargetException("Specifying both a launch type and capacity provider strategy is not supported.");
        }

        var vpc = ecs.NetworkConfiguration?.AwsvpcConfiguration;
        if (vpc?.AssignPublicIp is { } assign && Array.IndexOf(WireEnums.AssignPublicIp, assign) < 0)
        {
            throw new TargetException($"Parameter AssignPublicIp is not valid: {assign}.");
        }

        if (ecs.PropagateTags is { } propagate && Array.IndexOf(WireEnums.PropagateTags, propagate) < 0)
        {
            throw new TargetException($"Parameter PropagateTags is not valid: {propagate}.");
        }

        return new EcsTargetRecord
        {
            TaskDefinitionArn = ecs.TaskDefinitionArn,
            TaskCount = ecs.TaskCount ?? 1,
            LaunchType = ecs.LaunchType,
            PlatformVersion = ecs.PlatformVersion,
            Group = ecs.Group,
            HasNetworkConfiguration = vpc is not null,
            Subnets = [.. vpc?.Subnets ?? []],
            SecurityGroups = [.. vpc?.SecurityGroups ?? []],
            AssignPublicIp = vpc?.AssignPublicIp,
            PlacementConstraints = [.. (ecs.PlacementConstraints ?? []).Select(c => new PlacementTerm(c.Type, c.Expression))],
            PlacementStrategy = [.. (ecs.PlacementStrategy ?? []).Select(s => new PlacementTerm(s.Type, s.Field))],
            CapacityProviderStrategy = [.. (ecs.CapacityProviderStrategy ?? []).Select(c => new CapacityTerm(c.CapacityProvider, c.Weight, c.Base))],
            PropagateTags = ecs.PropagateTags,
            ReferenceId = ecs.ReferenceId,
            Tags = [.. (ecs.Tags ?? []).Select(t => new KeyValuePair<string, string>(t.Key ?? "", t.Value ?? ""))],
            EnableEcsManagedTags = ecs.EnableECSManagedTags ?? false,
            EnableExecuteCommand = ecs.EnableExecuteCommand ?? false,
        };
    }

    /// <summary>The wire target of a stored one.</summary>
    public static Target ToWire(TargetRecord t) => new()
    {
        Id = t.Id,
        Arn = t.Arn,
        RoleArn = t.RoleArn,
        Input = t.Input,
        InputPath = t.InputPath,
        InputTransformer = t.InputTransformer is not { } x ? null : new InputTransformer { InputPathsMap = x.Paths.ToDictionary(StringComparer.Ordinal), InputTemplate = x.Template },
        RetryPolicy = t.MaximumEventAgeInSeconds is null && t.MaximumRetryAttempts is null ? null
            : new RetryPolicy { MaximumEventAgeInSeconds = t.MaximumEventAgeInSeconds, MaximumRetryAttempts = t.MaximumRetryAttempts },
        EcsParameters = t.Ecs is not { } e ? null : new EcsParameters
        {
            TaskDefinitionArn = e.TaskDefinitionArn,
            TaskCount = e.TaskCount,
            LaunchType = e.LaunchType,
            PlatformVersion = e.PlatformVersion,
            Group = e.Group,
            NetworkConfiguration = e.HasNetworkConfiguration
                ? new NetworkConfiguration
                {
                    AwsvpcConfiguration = new AwsVpcConfiguration { Subnets = [.. e.Subnets], SecurityGroups = e.SecurityGroups.IsEmpty ? null : [.. e.SecurityGroups], AssignPublicIp = e.AssignPublicIp },
                }
                : null,
            PlacementConstraints = e.PlacementConstraints.IsEmpty ? null : [.. e.PlacementConstraints.Select(c => new PlacementConstraint { Type = c.Type, Expression = c.Value })],
            PlacementStrategy = e.PlacementStrategy.IsEmpty ? null : [.. e.PlacementStrategy.Select(s => new PlacementStrategy { Type = s.Type, Field = s.Value })],
            CapacityProviderStrategy = e.CapacityProviderStrategy.IsEmpty ? null : [.. e.CapacityProviderStrategy.Select(c => new CapacityProviderStrategyItem { CapacityProvider = c.Provider, Weight = c.Weight, Base = c.Base })],
            PropagateTags = e.PropagateTags,
            ReferenceId = e.ReferenceId,
            Tags = e.Tags.IsEmpty ? null : [.. e.Tags.Select(kv => new Tag { Key = kv.Key, Value = kv.Value })],
            EnableECSManagedTags = e.EnableEcsManagedTags ? true : null,
            EnableExecuteCommand = e.EnableExecuteCommand ? true : null,
        },
    };

    [GeneratedRegex(@"^arn:aws[\w-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255}$", RegexOptions.CultureInvariant)]
    private static partial Regex ClusterArn();
}

/// <summary>A target PutTargets cannot put; reported in its FailedEntries.</summary>
public sealed class TargetException(string message) : Exception(message);
