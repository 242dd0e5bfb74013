using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Storage.Documents;

namespace Berth.AutoScaling.State;

/// <summary>The JSON of stored Application Auto Scaling documents.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ScalableTargetRecord))]
[JsonSerializable(typeof(ScalingPolicyRecord))]
[JsonSerializable(typeof(ScheduledActionRecord))]
[JsonSerializable(typeof(ActivityRecord))]
internal sealed partial class AutoScalingJsonContext : JsonSerializerContext
{
}

/// <summary>Maps the state to stored documents (one per target, policy, scheduled action and activity) and back.</summary>
public static class AutoScalingCodec
{
    /// <summary>Document kind of scalable targets (id: the target key).</summary>
    public const string TargetKind = "aas.target";

    /// <summary>Document kind of scaling policies (id: the policy key).</summary>
    public const string PolicyKind = "aas.policy";

    /// <summary>Document kind of scheduled actions (id: the action key).</summary>
    public const string ScheduledKind = "aas.scheduled";

    /// <summary>Document kind of scaling activities (id: the activity key).</summary>
    public const string ActivityKind = "aas.activity";

    private static readonly AutoScalingJsonContext Json = AutoScalingJsonContext.Default;

    /// <summary>Stores a target.</summary>
    public static Mutation Put(ScalableTargetRecord t) =>
        Mutation.Put(TargetKind, AutoScalingState.TargetKey(t.Region, t.ResourceId, t.Dimension), JsonSerializer.SerializeToUtf8Bytes(t, Json.ScalableTargetRecord));

    /// <summary>Stores a policy.</summary>
    public static Mutation Put(ScalingPolicyRecord p) =>
        Mutation.Put(PolicyKind, KeyOf(p), JsonSerializer.SerializeToUtf8Bytes(p, Json.ScalingPolicyRecord));

    /// <summary>Stores a scheduled action.</summary>
    public static Mutation Put(ScheduledActionRecord a) =>
        Mutation.Put(ScheduledKind, KeyOf(a), JsonSerializer.SerializeToUtf8Bytes(a, Json.ScheduledActionRecord));

    /// <summary>Stores an activity.</summary>
    public static Mutation Put(ActivityRecord a) =>
        Mutation.Put(ActivityKind, AutoScalingState.ActivityKey(a), JsonSerializer.SerializeToUtf8Bytes(a, Json.ActivityRecord));

    /// <summary>The key of a policy.</summary>
    public static string KeyOf(ScalingPolicyRecord p) => AutoScalingState.ChildKey(AutoScalingState.TargetKey(p.Region, p.ResourceId, p.Dimension), p.Name);

    /// <summary>The key of a scheduled action.</summary>
    public static string KeyOf(ScheduledActionRecord a) => AutoScalingState.ChildKey(AutoScalingState.TargetKey(a.Region, a.ResourceId, a.Dimension), a.Name);

    /// <summary>Rebuilds the state from the stored documents.</summary>
    public static AutoScalingState Load(IEnumerable<StoredDocument> documents)
    {
        var targets = ImmutableSortedDictionary.CreateBuilder<string, ScalableTargetRecord>(StringComparer.Ordinal);
        var policies = ImmutableSortedDictionary.CreateBuilder<string, ScalingPolicyRecord>(StringComparer.Ordinal);
        var scheduled = ImmutableSortedDictionary.CreateBuilder<string, ScheduledActionRecord>(StringComparer.Ordinal);
        var activities = ImmutableSortedDictionary.CreateBuilder<string, ActivityRecord>(StringComparer.Ordinal);
        foreach (var d in documents)
        {
            switch (d.Kind)
            {
                case TargetKind:
                    var target = JsonSerializer.Deserialize(d.Body, Json.ScalableTargetRecord)!;
                    targets[d.Id] = target with { Tags = target.Tags.WithComparers(StringComparer.Ordinal) };
                    break;
                case PolicyKind:
                    policies[d.Id] = JsonSerializer.Deserialize(d.Body, Json.ScalingPolicyRecord)!;
                    break;
                case ScheduledKind:
                    scheduled[d.Id] = JsonSerializer.Deserialize(d.Body, Json.ScheduledActionRecord)!;
                    break;
                case ActivityKind:
                    activities[d.Id] = JsonSerializer.Deserialize(d.Body, Json.ActivityRecord)!;
                    break;
            }
        }

        return new AutoScalingState
        {
            Targets = targets.ToImmutable(),
            Policies = policies.ToImmutable(),
            ScheduledActions = scheduled.ToImmutable(),
            Activities = activities.ToImmutable(),
        };
    }
}
