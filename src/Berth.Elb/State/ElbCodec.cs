using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Storage.Documents;

namespace Berth.Elb.State;

/// <summary>The JSON of stored load balancing documents.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LoadBalancerRecord))]
[JsonSerializable(typeof(ListenerRecord))]
[JsonSerializable(typeof(RuleRecord))]
[JsonSerializable(typeof(TargetGroupRecord))]
internal sealed partial class ElbJsonContext : JsonSerializerContext
{
}

/// <summary>Maps the load balancing state to stored documents (one per load balancer, listener, rule and target group) and back.</summary>
public static class ElbCodec
{
    /// <summary>The file of the load balancing state inside the data dir.</summary>
    public const string FileName = "elb.db";

    private const string LoadBalancerKind = "elb.loadbalancer";
    private const string ListenerKind = "elb.listener";
    private const string RuleKind = "elb.rule";
    private const string TargetGroupKind = "elb.targetgroup";

    /// <summary>Stores <paramref name="record"/>.</summary>
    public static Mutation Put(LoadBalancerRecord record) => Mutation.Put(LoadBalancerKind, record.Arn, JsonSerializer.SerializeToUtf8Bytes(record, ElbJsonContext.Default.LoadBalancerRecord));

    /// <summary>Stores <paramref name="record"/>.</summary>
    public static Mutation Put(ListenerRecord record) => Mutation.Put(ListenerKind, record.Arn, JsonSerializer.SerializeToUtf8Bytes(record, ElbJsonContext.Default.ListenerRecord));

    /// <summary>Stores <paramref name="record"/>.</summary>
    public static Mutation Put(RuleRecord record) => Mutation.Put(RuleKind, record.Arn, JsonSerializer.SerializeToUtf8Bytes(record, ElbJsonContext.Default.RuleRecord));

    /// <summary>Stores <paramref name="record"/>.</summary>
    public static Mutation Put(TargetGroupRecord record) => Mutation.Put(TargetGroupKind, record.Arn, JsonSerializer.SerializeToUtf8Bytes(record, ElbJsonContext.Default.TargetGroupRecord));

    /// <summary>Removes load balancer <paramref name="arn"/>.</summary>
    public static Mutation DeleteLoadBalancer(string arn) => Mutation.Delete(LoadBalancerKind, arn);

    /// <summary>Removes listener <paramref name="arn"/>.</summary>
    public static Mutation DeleteListener(string arn) => Mutation.Delete(ListenerKind, arn);

    /// <summary>Removes rule <paramref name="arn"/>.</summary>
    public static Mutation DeleteRule(string arn) => Mutation.Delete(RuleKind, arn);

    /// <summary>Removes target group <paramref name="arn"/>.</summary>
    public static Mutation DeleteTargetGroup(string arn) => Mutation.Delete(TargetGroupKind, arn);

    /// <summary>Rebuilds the state from the stored documents.</summary>
    public static ElbState Load(IEnumerable<StoredDocument> documents)
    {
        var state = ElbState.Empty;
        foreach (var document in documents)
        {
            // The serializer rebuilds sorted dictionaries with the default comparer; every lookup here is ordinal.
            state = document.Kind switch
            {
                LoadBalancerKind => state.With(Read(document, ElbJsonContext.Default.LoadBalancerRecord) is var lb ? lb with { Attributes = lb.Attributes.WithComparers(StringComparer.Ordinal) } : null!),
                ListenerKind => state.With(Read(document, ElbJsonContext.Default.ListenerRecord)),
                RuleKind => state.With(Read(document, ElbJsonContext.Default.RuleRecord)),
                TargetGroupKind => state.With(Read(document, ElbJsonContext.Default.TargetGroupRecord) is var tg
                    ? tg with { Attributes = tg.Attributes.WithComparers(StringComparer.Ordinal), Targets = tg.Targets.WithComparers(StringComparer.Ordinal) }
                    : null!),
                _ => state,
            };
        }

        return state;
    }

    private static T Read<T>(StoredDocument document, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        => JsonSerializer.Deserialize(document.Body, info) ?? throw new InvalidDataException($"Empty {document.Kind} document {document.Id}.");
}
