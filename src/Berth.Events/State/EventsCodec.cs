using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Storage.Documents;

namespace Berth.Events.State;

/// <summary>The JSON of stored EventBridge documents.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(RuleRecord))]
[JsonSerializable(typeof(EventBusRecord))]
[JsonSerializable(typeof(FiredDocument))]
[JsonSerializable(typeof(ScheduleRecord))]
[JsonSerializable(typeof(ScheduleGroupRecord))]
internal sealed partial class EventsJsonContext : JsonSerializerContext
{
}

/// <summary>Maps the EventBridge state to stored documents (one per rule, one per custom bus) and back.</summary>
public static class EventsCodec
{
    /// <summary>Document kind of rules (id: <c>region|bus|name</c>).</summary>
    public const string RuleKind = "events.rule";

    /// <summary>Document kind of custom buses (id: <c>region|name</c>).</summary>
    public const string BusKind = "events.bus";

    /// <summary>Document kind of a rule's last firing (id: the rule's key).</summary>
    public const string FiredKind = "events.fired";

    /// <summary>Document kind of Scheduler schedules (id: <c>region|group|name</c>).</summary>
    public const string ScheduleKind = "scheduler.schedule";

    /// <summary>Document kind of Scheduler schedule groups (id: <c>region|name</c>).</summary>
    public const string GroupKind = "scheduler.group";

    /// <summary>Document kind of a schedule's last firing (id: the schedule's key).</summary>
    public const string ScheduleFiredKind = "scheduler.fired";

    /// <summary>The mutation that records that the schedule <paramref name="key"/> fired for <paramref name="scheduled"/>.</summary>
    public static Mutation ScheduleFired(string key, DateTimeOffset scheduled) =>
        Mutation.Put(ScheduleFiredKind, key, JsonSerializer.SerializeToUtf8Bytes(new FiredDocument(scheduled), EventsJsonContext.Default.FiredDocument));

    /// <summary>The mutation that stores <paramref name="schedule"/>.</summary>
    public static Mutation Put(ScheduleRecord schedule) =>
        Mutation.Put(ScheduleKind, EventsState.KeyOf(schedule), JsonSerializer.SerializeToUtf8Bytes(schedule, EventsJsonContext.Default.ScheduleRecord));

    /// <summary>The mutations that remove <paramref name="schedule"/> and its firing record.</summary>
    public static IEnumerable<Mutation> DeleteAll(ScheduleRecord schedule) =>
        [Mutation.Delete(ScheduleKind, EventsState.KeyOf(schedule)), Mutation.Delete(ScheduleFiredKind, EventsState.KeyOf(schedule))];

    /// <summary>The mutation that stores <paramref name="group"/>.</summary>
    public static Mutation Put(ScheduleGroupRecord group) =>
        Mutation.Put(GroupKind, EventsState.GroupKey(group.Region, group.Name), JsonSerializer.SerializeToUtf8Bytes(group, EventsJsonContext.Default.ScheduleGroupRecord));

    /// <summary>The mutation that removes <paramref name="group"/>.</summary>
    public static Mutation Delete(ScheduleGroupRecord group) => Mutation.Delete(GroupKind, EventsState.GroupKey(group.Region, group.Name));

    /// <summary>The mutation that records that the rule <paramref name="ruleKey"/> fired for <paramref name="scheduled"/>.</summary>
    public static Mutation Fired(string ruleKey, DateTimeOffset scheduled) =>
        Mutation.Put(FiredKind, ruleKey, JsonSerializer.SerializeToUtf8Bytes(new FiredDocument(scheduled), EventsJsonContext.Default.FiredDocument));

    /// <summary>The mutation that stores <paramref name="rule"/>.</summary>
    public static Mutation Put(RuleRecord rule) =>
        Mutation.Put(RuleKind, EventsState.KeyOf(rule), JsonSerializer.SerializeToUtf8Bytes(rule, EventsJsonContext.Default.RuleRecord));

    /// <summary>The mutation that removes <paramref name="rule"/>.</summary>
    public static Mutation Delete(RuleRecord rule) => Mutation.Delete(RuleKind, EventsState.KeyOf(rule));

    /// <summary>The mutations that remove <paramref name="rule"/> and its firing record.</summary>
    public static IEnumerable<Mutation> DeleteAll(RuleRecord rule) => [Delete(rule), Mutation.Delete(FiredKind, EventsState.KeyOf(rule))];

    /// <summary>The mutation that stores <paramref name="bus"/>.</summary>
    public static Mutation Put(EventBusRecord bus) =>
        Mutation.Put(BusKind, EventsState.BusKey(bus.Region, bus.Name), JsonSerializer.SerializeToUtf8Bytes(bus, EventsJsonContext.Default.EventBusRecord));

    /// <summary>The mutation that removes <paramref name="bus"/>.</summary>
    public static Mutation Delete(EventBusRecord bus) => Mutation.Delete(BusKind, EventsState.BusKey(bus.Region, bus.Name));

    /// <summary>Rebuilds the state from the stored documents.</summary>
    public static EventsState Load(IEnumerable<StoredDocument> documents)
    {
        var rules = ImmutableSortedDictionary.CreateBuilder<string, RuleRecord>(StringComparer.Ordinal);
        var buses = ImmutableSortedDictionary.CreateBuilder<string, EventBusRecord>(StringComparer.Ordinal);
        var fired = ImmutableSortedDictionary.CreateBuilder<string, DateTimeOffset>(StringComparer.Ordinal);
        var schedules = ImmutableSortedDictionary.CreateBuilder<string, ScheduleRecord>(StringComparer.Ordinal);
        var groups = ImmutableSortedDictionary.CreateBuilder<string, ScheduleGroupRecord>(StringComparer.Ordinal);
        var scheduleFired = ImmutableSortedDictionary.CreateBuilder<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            switch (document.Kind)
            {
                case RuleKind:
                    var rule = JsonSerializer.Deserialize(document.Body, EventsJsonContext.Default.RuleRecord)!;
                    rules[document.Id] = rule with { Tags = rule.Tags.WithComparers(StringComparer.Ordinal) };
                    break;
                case FiredKind:
                    fired[document.Id] = JsonSerializer.Deserialize(document.Body, EventsJsonContext.Default.FiredDocument)!.Scheduled;
                    break;
                case ScheduleKind:
                    schedules[document.Id] = JsonSerializer.Deserialize(document.Body, EventsJsonContext.Default.ScheduleRecord)!;
                    break;
                case GroupKind:
                    var group = JsonSerializer.Deserialize(document.Body, EventsJsonContext.Default.ScheduleGroupRecord)!;
                    groups[document.Id] = group with { Tags = group.Tags.WithComparers(StringComparer.Ordinal) };
                    break;
                case ScheduleFiredKind:
                    scheduleFired[document.Id] = JsonSerializer.Deserialize(document.Body, EventsJsonContext.Default.FiredDocument)!.Scheduled;
                    break;
                case BusKind:
                    var bus = JsonSerializer.Deserialize(document.Body, EventsJsonContext.Default.EventBusRecord)!;
                    buses[document.Id] = bus with { Tags = bus.Tags.WithComparers(StringComparer.Ordinal) };
                    break;
            }
        }

        return new EventsState
        {
            Rules = rules.ToImmutable(),
            Buses = buses.ToImmutable(),
            LastFired = fired.ToImmutable(),
            Schedules = schedules.ToImmutable(),
            ScheduleGroups = groups.ToImmutable(),
            ScheduleLastFired = scheduleFired.ToImmutable(),
        };
    }

}

/// <summary>The stored form of a rule's last firing.</summary>
internal sealed record FiredDocument(DateTimeOffset Scheduled);
