using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Berth.Events.Schedules;
using Berth.Events.State;
using Berth.Storage.Commit;
using Berth.Storage.Documents;
using S = Berth.Scheduler.Model;

namespace Berth.Events.Scheduler;

/// <summary>
/// EventBridge Scheduler's writes as pure decisions: (state, request, time) → next state, mutations, answer. Every
/// check runs before anything is built, so bad input is refused whole and nothing is half-written.
/// </summary>
public static partial class ScheduleDecisions
{
    /// <summary>The universal target that calls ECS's RunTask with the target's Input as the request.</summary>
    public const string UniversalRunTask = "arn:aws:scheduler:::aws-sdk:ecs:runTask";

    /// <summary>Most schedule groups a region may have (EventBridge Scheduler's quota).</summary>
    public const int MaxGroups = 500;

    /// <summary>The ARN of a schedule.</summary>
    public static string ScheduleArn(string region, string account, string group, string name) => $"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}";

    /// <summary>The ARN of a schedule group.</summary>
    public static string GroupArn(string region, string account, string group) => $"arn:aws:scheduler:{region}:{account}:schedule-group/{group}";

    /// <summary>A schedule or group name as the model constrains it.</summary>
    public static string Name(string? value, string member)
    {
        if (value is null)
        {
            throw SchedulerErrors.Constraint(null, member, "Member must not be null");
        }

        if (value.Length is < 1 or > 64)
        {
            throw SchedulerErrors.Constraint(value, member, value.Length < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 64");
        }

        return NamePattern().IsMatch(value) ? value : throw SchedulerErrors.Constraint(value, member, "Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$");
    }

    /// <summary>The group a request names, <c>default</c> when none.</summary>
    public static string Group(string? value) => value is null ? EventsState.DefaultGroup : Name(value, "groupName");

    /// <summary>Whether the group exists in the region (<c>default</c> always does).</summary>
    public static bool GroupExists(EventsState state, string region, string group) =>
        group == EventsState.DefaultGroup || state.ScheduleGroups.ContainsKey(EventsState.GroupKey(region, group));

    /// <summary>Finds a schedule or throws ResourceNotFoundException.</summary>
    public static ScheduleRecord Require(EventsState state, string region, string? groupName, string? name)
    {
        var schedule = Name(name, "name");
        var group = Group(groupName);
        if (!GroupExists(state, region, group))
        {
            throw SchedulerErrors.GroupNotFound(group);
        }

        return state.Schedules.TryGetValue(EventsState.ScheduleKey(region, group, schedule), out var found) ? found : throw SchedulerErrors.ScheduleNotFound(schedule);
    }

    /// <summary>The settings of a create or update, checked: everything but the name, group and times.</summary>
    internal sealed record Settings(
        string Expression,
        string Timezone,
        DateTimeOffset? StartDate,
        DateTimeOffset? EndDate,
        RuleState State,
        string? Description,
        int? FlexibleWindowMinutes,
        string? ActionAfterCompletion,
        string? KmsKeyArn,
        string? ClientToken,
        string TargetJson,
        string TargetArn,
        EcsTargetRecord? Ecs,
        string? Input,
        int MaximumEventAgeInSeconds,
        int MaximumRetryAttempts);

    /// <summary>CreateSchedule: a new schedule in an existing group; the same ClientToken again answers the same schedule.</summary>
    public static Decision<EventsState, ScheduleRecord> Create(EventsState state, string region, string account, DateTimeOffset now, S.CreateScheduleInput request)
    {
        var name = Name(request.Name, "name");
        var group = Group(request.GroupName);
        var settings = Check(now, request.ScheduleExpression, request.ScheduleExpressionTimezone, request.StartDate, request.EndDate, request.State, request.Description,
            request.FlexibleTimeWindow, request.ActionAfterCompletion, request.KmsKeyArn, request.ClientToken, request.Target);
        if (!GroupExists(state, region, group))
        {
            throw SchedulerErrors.GroupNotFound(group);
        }

        var key = EventsState.ScheduleKey(region, group, name);
        if (state.Schedules.TryGetValue(key, out var existing))
        {
            return existing.ClientToken is { } token && token == request.ClientToken
                ? new(state, [], existing)
                : throw SchedulerErrors.Conflict($"Schedule {name} already exists.");
        }

        var schedule = Build(settings, region, account, group, name, now, null);
        return new(state with { Schedules = state.Schedules.SetItem(key, schedule) }, [EventsCodec.Put(schedule)], schedule);
    }

    /// <summary>UpdateSchedule: replaces every setting (what the request leaves out returns to its default), as AWS does.</summary>
    public static Decision<EventsState, ScheduleRecord> Update(EventsState state, string region, string account, DateTimeOffset now, S.UpdateScheduleInput request)
    {
        var name = Name(request.Name, "name");
        var group = Group(request.GroupName);
        var settings = Check(now, request.ScheduleExpression, request.ScheduleExpressionTimezone, request.StartDate, request.EndDate, request.State, request.Description,
            request.FlexibleTimeWindow, request.ActionAfterCompletion, request.KmsKeyArn, request.ClientToken, request.Target);
        var existing = Require(state, region, group, name);
        if (request.ClientToken is { } token && token == existing.ClientToken)
        {
            return new(state, [], existing);
        }

        var schedule = Build(settings, region, account, group, name, now, existing);
        return new(state with { Schedules = state.Schedules.SetItem(EventsState.KeyOf(schedule), schedule) }, [EventsCodec.Put(schedule)], schedule);
    }

    /// <summary>DeleteSchedule.</summary>
    public static Decision<EventsState, ScheduleRecord> Delete(EventsState state, string region, S.DeleteScheduleInput request)
    {
        CheckClientToken(request.ClientToken);
        var schedule = Require(state, region, request.GroupName, request.Name);
        return new(Without(state, schedule), [.. EventsCodec.DeleteAll(schedule)], schedule);
    }

    /// <summary>The state without <paramref name="schedule"/> and its firing record.</summary>
    public static EventsState Without(EventsState state, ScheduleRecord schedule)
    {
        var key = EventsState.KeyOf(schedule);
        return state with { Schedules = state.Schedules.Remove(key), ScheduleLastFired = state.ScheduleLastFired.Remove(key) };
    }

    /// <summary>CreateScheduleGroup.</summary>
    public static Decision<EventsState, ScheduleGroupRecord> CreateGroup(EventsState state, string region, string account, DateTimeOffset now, S.CreateScheduleGroupInput request)
    {
        var name = Name(request.Name, "name");
        CheckClientToken(request.ClientToken);
        var tags = ApplyTags(ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal), request.Tags, null);
        if (state.ScheduleGroups.TryGetValue(EventsState.GroupKey(region, name), out var existing) || name == EventsState.DefaultGroup)
        {
            return existing is { ClientToken: { } token } && token == request.ClientToken
                ? new(state, [], existing)
                : throw SchedulerErrors.Conflict($"Schedule group {name} already exists.");
        }

        if (state.ScheduleGroups.Count(kv => kv.Value.Region == region && kv.Value.Name != EventsState.DefaultGroup) + 1 >= MaxGroups)
        {
            throw SchedulerErrors.Quota($"The maximum number of schedule groups ({MaxGroups}) has been reached.");
        }

        var group = new ScheduleGroupRecord
        {
            Region = region,
            Name = name,
            Arn = GroupArn(region, account, name),
            CreatedAt = now,
            ModifiedAt = now,
            ClientToken = request.ClientToken,
            Tags = tags,
        };
        return new(state with { ScheduleGroups = state.ScheduleGroups.SetItem(EventsState.GroupKey(region, name), group) }, [EventsCodec.Put(group)], group);
    }

    /// <summary>DeleteScheduleGroup: the group and every schedule in it. The default group cannot be deleted.</summary>
    public static Decision<EventsState, ScheduleGroupRecord> DeleteGroup(EventsState state, string region, S.DeleteScheduleGroupInput request)
    {
        var name = Name(request.Name, "name");
        CheckClientToken(request.ClientToken);
        if (name == EventsState.DefaultGroup)
        {
            throw SchedulerErrors.Validation("The default schedule group cannot be deleted.");
        }

        if (!state.ScheduleGroups.TryGetValue(EventsState.GroupKey(region, name), out var group))
        {
            throw SchedulerErrors.GroupNotFound(name);
        }

        var mutations = new List<Mutation> { EventsCodec.Delete(group) };
        var next = state with { ScheduleGroups = state.ScheduleGroups.Remove(EventsState.GroupKey(region, name)) };
        foreach (var schedule in InGroup(state, region, name).ToList())
        {
            next = Without(next, schedule);
            mutations.AddRange(EventsCodec.DeleteAll(schedule));
        }

        return new(next, mutations, group);
    }

    /// <summary>The schedules of one group, by name.</summary>
    public static IEnumerable<ScheduleRecord> InGroup(EventsState state, string region, string group)
    {
        var prefix = EventsState.ScheduleKey(region, group, "");
        return state.Schedules.SkipWhile(kv => string.CompareOrdinal(kv.Key, prefix) < 0)
            .TakeWhile(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => kv.Value);
    }

    /// <summary>A group by name (the default group synthesized until it has a record), or null.</summary>
    public static ScheduleGroupRecord? FindGroup(EventsState state, string region, string account, string name) =>
        state.ScheduleGroups.TryGetValue(EventsState.GroupKey(region, name), out var group) ? group
        : name == EventsState.DefaultGroup ? new ScheduleGroupRecord { Region = region, Name = name, Arn = GroupArn(region, account, name) }
        : null;

    /// <summary>The group a tagging request's ARN names; ValidationException for an ARN that is not a group's, 404 for a missing group.</summary>
    public static ScheduleGroupRecord TaggedGroup(EventsState state, string region, string account, string? arn)
    {
        if (arn is null)
        {
            throw SchedulerErrors.Constraint(null, "resourceArn", "Member must not be null");
        }

        var m = GroupArnPattern().Match(arn);
        if (!m.Success)
        {
            throw SchedulerErrors.Constraint(arn, "resourceArn", @"Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:scheduler:[a-z0-9\-]+:\d{12}:schedule-group\/[0-9a-zA-Z-_.]+$");
        }

        var name = m.Groups["name"].Value;
        if (m.Groups["region"].Value != region || m.Groups["account"].Value != account)
        {
            throw SchedulerErrors.GroupNotFound(name);
        }

        return FindGroup(state, region, account, name) ?? throw SchedulerErrors.GroupNotFound(name);
    }

    /// <summary>TagResource / UntagResource on a schedule group.</summary>
    public static Decision<EventsState, ScheduleGroupRecord> Tag(EventsState state, string region, string account, DateTimeOffset now, string? arn, List<S.Tag>? add, List<string>? remove)
    {
        var group = TaggedGroup(state, region, account, arn);
        if (add is null && remove is null)
        {
            throw SchedulerErrors.Constraint(null, "tags", "Member must not be null");
        }

        if (remove is { Count: > 200 })
        {
            throw SchedulerErrors.Constraint(null, "tagKeys", "Member must have length less than or equal to 200");
        }

        var tags = ApplyTags(group.Tags, add, remove);
        var next = group with { Tags = tags, ModifiedAt = group.CreatedAt is null ? null : now };
        return new(state with { ScheduleGroups = state.ScheduleGroups.SetItem(EventsState.GroupKey(region, group.Name), next) }, [EventsCodec.Put(next)], next);
    }

    private static ImmutableSortedDictionary<string, string> ApplyTags(ImmutableSortedDictionary<string, string> tags, List<S.Tag>? add, List<string>? remove)
    {
        if (add is { Count: > 200 })
        {
            throw SchedulerErrors.Constraint(null, "tags", "Member must have length less than or equal to 200");
        }

        foreach (var tag in add ?? [])
        {
            if (tag.Key is not { Length: >= 1 and <= 128 })
            {
                throw SchedulerErrors.Constraint(tag.Key, "tags.member.key", "Member must have length between 1 and 128");
            }

            if (tag.Value is not { Length: >= 1 and <= 256 })
            {
                throw SchedulerErrors.Constraint(tag.Value, "tags.member.value", "Member must have length between 1 and 256");
            }

            tags = tags.SetItem(tag.Key, tag.Value);
        }

        foreach (var key in remove ?? [])
        {
            tags = tags.Remove(key);
        }

        return tags;
    }

    private static ScheduleRecord Build(Settings s, string region, string account, string group, string name, DateTimeOffset now, ScheduleRecord? existing)
    {
        var sameTiming = existing is not null && existing.Expression == s.Expression && existing.Timezone == s.Timezone;
        return new ScheduleRecord
        {
            Region = region,
            Group = group,
            Name = name,
            Arn = ScheduleArn(region, account, group, name),
            Expression = s.Expression,
            Timezone = s.Timezone,
            StartDate = s.StartDate,
            EndDate = s.EndDate,
            State = s.State,
            Description = s.Description,
            FlexibleWindowMinutes = s.FlexibleWindowMinutes,
            ActionAfterCompletion = s.ActionAfterCompletion,
            DeleteAfterCompletion = s.ActionAfterCompletion == "DELETE",
            KmsKeyArn = s.KmsKeyArn,
            ClientToken = s.ClientToken,
            TargetJson = s.TargetJson,
            TargetArn = s.TargetArn,
            Ecs = s.Ecs,
            Input = s.Input,
            MaximumEventAgeInSeconds = s.MaximumEventAgeInSeconds,
            MaximumRetryAttempts = s.MaximumRetryAttempts,
            CreatedAt = existing?.CreatedAt ?? now,
            ModifiedAt = now,
            ScheduleAnchor = sameTiming ? existing!.ScheduleAnchor : now,

            // Firings already due under the old settings are not made again; the new settings count from now.
            ActiveSince = now,
        };
    }

    internal static Settings Check(
        DateTimeOffset now,
        string? expression,
        string? timezone,
        DateTimeOffset? startDate,
        DateTimeOffset? endDate,
        string? state,
        string? description,
        S.FlexibleTimeWindow? window,
        string? actionAfterCompletion,
        string? kmsKeyArn,
        string? clientToken,
        S.Target? target)
    {
        if (expression is null)
        {
            throw SchedulerErrors.Constraint(null, "scheduleExpression", "Member must not be null");
        }

        if (expression.Length is < 1 or > 256)
        {
            throw SchedulerErrors.Constraint(expression, "scheduleExpression", "Member must have length less than or equal to 256");
        }

        if (timezone is { Length: < 1 or > 50 })
        {
            throw SchedulerErrors.Constraint(timezone, "scheduleExpressionTimezone", "Member must have length less than or equal to 50");
        }

        if (description is { Length: > 512 })
        {
            throw SchedulerErrors.Constraint(description, "description", "Member must have length less than or equal to 512");
        }

        var ruleState = state switch
        {
            null or "ENABLED" => RuleState.Enabled,
            "DISABLED" => RuleState.Disabled,
            _ => throw SchedulerErrors.Constraint(state, "state", "Member must satisfy enum value set: [ENABLED, DISABLED]"),
        };
        if (actionAfterCompletion is not (null or "NONE" or "DELETE"))
        {
            throw SchedulerErrors.Constraint(actionAfterCompletion, "actionAfterCompletion", "Member must satisfy enum value set: [NONE, DELETE]");
        }

        if (window is null)
        {
            throw SchedulerErrors.Constraint(null, "flexibleTimeWindow", "Member must not be null");
        }

        int? windowMinutes = window.Mode switch
        {
            null => throw SchedulerErrors.Constraint(null, "flexibleTimeWindow.mode", "Member must not be null"),
            "OFF" => window.MaximumWindowInMinutes is null ? null : throw SchedulerErrors.Validation("MaximumWindowInMinutes is only allowed when Mode is FLEXIBLE."),
            "FLEXIBLE" => window.MaximumWindowInMinutes switch
            {
                null => throw SchedulerErrors.Validation("MaximumWindowInMinutes is required when Mode is FLEXIBLE."),
                < 1 => throw SchedulerErrors.Constraint(Text(window.MaximumWindowInMinutes), "flexibleTimeWindow.maximumWindowInMinutes", "Member must have value greater than or equal to 1"),
                > 1440 => throw SchedulerErrors.Constraint(Text(window.MaximumWindowInMinutes), "flexibleTimeWindow.maximumWindowInMinutes", "Member must have value less than or equal to 1440"),
                { } minutes => minutes,
            },
            _ => throw SchedulerErrors.Constraint(window.Mode, "flexibleTimeWindow.mode", "Member must satisfy enum value set: [OFF, FLEXIBLE]"),
        };

        if (kmsKeyArn is not null && !KmsPattern().IsMatch(kmsKeyArn))
        {
            throw SchedulerErrors.Constraint(kmsKeyArn, "kmsKeyArn", @"Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:kms:[a-z0-9\-]+:\d{12}:(key|alias)\/[0-9a-zA-Z-_]*$");
        }

        CheckClientToken(clientToken);
        var (targetJson, targetArn, ecs, input, maxAge, maxRetries) = CheckTarget(target);

        if (!ScheduleExpression.TryParse(expression, ScheduleDialect.Scheduler, out var parsed, out _))
        {
            throw SchedulerErrors.Validation($"Invalid Schedule Expression {expression}.");
        }

        var zone = timezone ?? "UTC";
        if (!TryZone(zone, out _))
        {
            throw SchedulerErrors.Validation($"Invalid time zone: {zone}.");
        }

        // Start and end bound recurring schedules; a one-time schedule ignores them (as AWS documents).
        if (parsed is not AtExpression)
        {
            if (startDate is { } start && start < now.AddMinutes(-5))
            {
                throw SchedulerErrors.Validation("The StartDate you specify cannot be earlier than 5 minutes ago.");
            }

            if (endDate is { } end && end <= now)
            {
                throw SchedulerErrors.Validation("The EndDate you specify cannot be earlier than the current time.");
            }

            if (startDate is { } s && endDate is { } e && e <= s)
            {
                throw SchedulerErrors.Validation("The EndDate you specify must be later than the StartDate.");
            }
        }

        return new Settings(expression, zone, startDate, endDate, ruleState, description, windowMinutes, actionAfterCompletion, kmsKeyArn, clientToken,
            targetJson, targetArn, ecs, input, maxAge, maxRetries);
    }

    /// <summary>An IANA zone by id (the host's tz database), without throwing.</summary>
    public static bool TryZone(string id, out TimeZoneInfo zone)
    {
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            zone = TimeZoneInfo.Utc;
            return false;
        }
    }

    private static void CheckClientToken(string? token)
    {
        if (token is not null && (token.Length is < 1 or > 64 || !ClientTokenPattern().IsMatch(token)))
        {
            throw SchedulerErrors.Constraint(token, "clientToken", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_]+$");
        }
    }

    private static (string Json, string Arn, EcsTargetRecord? Ecs, string? Input, int MaxAge, int MaxRetries) CheckTarget(S.Target? target)
    {
        if (target is null)
        {
            throw SchedulerErrors.Constraint(null, "target", "Member must not be null");
        }

        if (target.Arn is null)
        {
            throw SchedulerErrors.Constraint(null, "target.arn", "Member must not be null");
        }

        if (target.Arn.Length is < 1 or > 1600)
        {
            throw SchedulerErrors.Constraint(target.Arn, "target.arn", "Member must have length less than or equal to 1600");
        }

        if (target.RoleArn is null)
        {
            throw SchedulerErrors.Constraint(null, "target.roleArn", "Member must not be null");
        }

        if (!RolePattern().IsMatch(target.RoleArn))
        {
            throw SchedulerErrors.Constraint(target.RoleArn, "target.roleArn", @"Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@\/-]+$");
        }

        if (target.Input is { Length: 0 })
        {
            throw SchedulerErrors.Constraint(target.Input, "target.input", "Member must have length greater than or equal to 1");
        }

        var retry = target.RetryPolicy ?? new S.RetryPolicy();
        if (retry.MaximumEventAgeInSeconds is < 60 or > 86400)
        {
            throw SchedulerErrors.Constraint(Text(retry.MaximumEventAgeInSeconds), "target.retryPolicy.maximumEventAgeInSeconds",
                retry.MaximumEventAgeInSeconds < 60 ? "Member must have value greater than or equal to 60" : "Member must have value less than or equal to 86400");
        }

        if (retry.MaximumRetryAttempts is < 0 or > 185)
        {
            throw SchedulerErrors.Constraint(Text(retry.MaximumRetryAttempts), "target.retryPolicy.maximumRetryAttempts",
                retry.MaximumRetryAttempts < 0 ? "Member must have value greater than or equal to 0" : "Member must have value less than or equal to 185");
        }

        if (target.DeadLetterConfig?.Arn is { } dlq && !DeadLetterPattern().IsMatch(dlq))
        {
            throw SchedulerErrors.Constraint(dlq, "target.deadLetterConfig.arn", @"Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+$");
        }

        EcsTargetRecord? ecs = null;
        if (target.EcsParameters is { } parameters)
        {
            ecs = ToRecord(parameters);
        }

        if (target.Arn == UniversalRunTask)
        {
            if (target.Input is null)
            {
                throw SchedulerErrors.Validation("Input is required for the universal target arn:aws:scheduler:::aws-sdk:ecs:runTask.");
            }

            try
            {
                using var request = JsonDocument.Parse(target.Input);
                if (request.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw SchedulerErrors.Validation("Input for the universal target must be a JSON object.");
                }
            }
            catch (JsonException)
            {
                throw SchedulerErrors.Validation("Input for the universal target must be valid JSON.");
            }
        }
        else if (ecs is not null && !ClusterArn().IsMatch(target.Arn))
        {
            throw SchedulerErrors.Validation($"Invalid target ARN {target.Arn}: EcsParameters need an ECS cluster ARN.");
        }

        // What GetSchedule echoes: the target as given, with AWS's default retry policy filled in.
        var echoed = new S.Target
        {
            Arn = target.Arn,
            RoleArn = target.RoleArn,
            Input = target.Input,
            DeadLetterConfig = target.DeadLetterConfig,
            EcsParameters = target.EcsParameters,
            EventBridgeParameters = target.EventBridgeParameters,
            KinesisParameters = target.KinesisParameters,
            SageMakerPipelineParameters = target.SageMakerPipelineParameters,
            SqsParameters = target.SqsParameters,
            RetryPolicy = new S.RetryPolicy
            {
                MaximumEventAgeInSeconds = retry.MaximumEventAgeInSeconds ?? 86400,
                MaximumRetryAttempts = retry.MaximumRetryAttempts ?? 185,
            },
        };
        var json = JsonSerializer.Serialize(echoed, S.WireJsonContext.Default.Target);
        return (json, target.Arn, ecs, target.Input, retry.MaximumEventAgeInSeconds ?? 86400, retry.MaximumRetryAttempts ?? 185);
    }

    private static EcsTargetRecord ToRecord(S.EcsParameters ecs)
    {
        if (ecs.TaskDefinitionArn is not { Length: >= 1 and <= 1600 })
        {
            throw SchedulerErrors.Constraint(ecs.TaskDefinitionArn, "target.ecsParameters.taskDefinitionArn", ecs.TaskDefinitionArn is null ? "Member must not be null" : "Member must have length less than or equal to 1600");
        }

        if (ecs.TaskCount is < 1 or > 10)
        {
            throw SchedulerErrors.Constraint(Text(ecs.TaskCount), "target.ecsParameters.taskCount",
                ecs.TaskCount < 1 ? "Member must have value greater than or equal to 1" : "Member must have value less than or equal to 10");
        }

        if (ecs.LaunchType is { } launch && Array.IndexOf(S.WireEnums.LaunchType, launch) < 0)
        {
            throw SchedulerErrors.Constraint(launch, "target.ecsParameters.launchType", "Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL]");
        }

        if (ecs.LaunchType is not null && ecs.CapacityProviderStrategy is { Count: > 0 })
        {
            throw SchedulerErrors.Validation("Specifying both a launch type and capacity provider strategy is not supported.");
        }

        var vpc = ecs.NetworkConfiguration?.AwsvpcConfiguration;
        if (vpc is not null && vpc.Subnets is not { Count: >= 1 and <= 16 })
        {
            throw SchedulerErrors.Constraint(null, "target.ecsParameters.networkConfiguration.awsvpcConfiguration.subnets", "Member must have length between 1 and 16");
        }

        if (vpc?.AssignPublicIp is { } assign && Array.IndexOf(S.WireEnums.AssignPublicIp, assign) < 0)
        {
            throw SchedulerErrors.Constraint(assign, "target.ecsParameters.networkConfiguration.awsvpcConfiguration.assignPublicIp", "Member must satisfy enum value set: [ENABLED, DISABLED]");
        }

        if (ecs.PropagateTags is { } propagate && Array.IndexOf(S.WireEnums.PropagateTags, propagate) < 0)
        {
            throw SchedulerErrors.Constraint(propagate, "target.ecsParameters.propagateTags", "Member must satisfy enum value set: [TASK_DEFINITION]");
        }

        if (ecs.PlacementConstraints is { Count: > 10 } || ecs.PlacementStrategy is { Count: > 5 } || ecs.CapacityProviderStrategy is { Count: > 6 } || ecs.Tags is { Count: > 50 })
        {
            throw SchedulerErrors.Validation("EcsParameters has more placement constraints, strategies, capacity providers or tags than allowed.");
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
            Tags = [.. (ecs.Tags ?? []).SelectMany(EcsTags)],
            EnableEcsManagedTags = ecs.EnableECSManagedTags ?? false,
            EnableExecuteCommand = ecs.EnableExecuteCommand ?? false,
        };
    }

    // Scheduler's EcsParameters.Tags is a list of maps: {"key": K, "value": V} as ECS spells a tag, or {K: V}.
    private static IEnumerable<KeyValuePair<string, string>> EcsTags(Dictionary<string, string> map)
    {
        var key = map.FirstOrDefault(kv => kv.Key.Equals("key", StringComparison.OrdinalIgnoreCase));
        if (key.Key is not null && map.Count <= 2)
        {
            var value = map.FirstOrDefault(kv => kv.Key.Equals("value", StringComparison.OrdinalIgnoreCase));
            return [new(key.Value, value.Value ?? "")];
        }

        return map;
    }

    private static string? Text(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^[0-9a-zA-Z\-_.]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[a-zA-Z0-9\-_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ClientTokenPattern();

    [GeneratedRegex(@"^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@\/-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex RolePattern();

    [GeneratedRegex(@"^arn:aws(-[a-z]+)?:kms:[a-z0-9\-]+:\d{12}:(key|alias)\/[0-9a-zA-Z\-_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex KmsPattern();

    [GeneratedRegex(@"^arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex DeadLetterPattern();

    [GeneratedRegex(@"^arn:aws(-[a-z]+)?:scheduler:(?<region>[a-z0-9\-]+):(?<account>\d{12}):schedule-group\/(?<name>[0-9a-zA-Z\-_.]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex GroupArnPattern();

    [GeneratedRegex(@"^arn:aws[\w-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255}$", RegexOptions.CultureInvariant)]
    private static partial Regex ClusterArn();
}
