using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.Ec2AutoScaling.State;

/// <summary>The JSON of stored Auto Scaling documents.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(LaunchConfigurationRecord))]
[JsonSerializable(typeof(GroupRecord))]
[JsonSerializable(typeof(InstanceRecord))]
[JsonSerializable(typeof(ActivityRecord))]
internal sealed partial class AsgJsonContext : JsonSerializerContext
{
}

/// <summary>Maps the Auto Scaling state to stored documents (one per launch configuration, group, instance, activity) and back.</summary>
public static class AsgCodec
{
    /// <summary>The file of the Auto Scaling state inside the data dir.</summary>
    public const string FileName = "autoscaling.db";

    private const string ConfigurationKind = "asg.launchconfiguration";
    private const string GroupKind = "asg.group";
    private const string InstanceKind = "asg.instance";
    private const string ActivityKind = "asg.activity";

    /// <summary>Rebuilds the state from the stored documents.</summary>
    public static AsgState Load(IEnumerable<StoredDocument> documents)
    {
        var state = AsgState.Empty;
        foreach (var document in documents)
        {
            state = document.Kind switch
            {
                ConfigurationKind => state.With(document.Id, Read(document, AsgJsonContext.Default.LaunchConfigurationRecord)),
                GroupKind => state.With(document.Id, Read(document, AsgJsonContext.Default.GroupRecord)),
                InstanceKind => state.With(Read(document, AsgJsonContext.Default.InstanceRecord)),
                ActivityKind => state.With(Read(document, AsgJsonContext.Default.ActivityRecord)),
                _ => state,
            };
        }

        return state;
    }

    /// <summary>Stores a launch configuration.</summary>
    public static Mutation Put(string key, LaunchConfigurationRecord record) => Mutation.Put(ConfigurationKind, key, JsonSerializer.SerializeToUtf8Bytes(record, AsgJsonContext.Default.LaunchConfigurationRecord));

    /// <summary>Stores a group.</summary>
    public static Mutation Put(string key, GroupRecord record) => Mutation.Put(GroupKind, key, JsonSerializer.SerializeToUtf8Bytes(record, AsgJsonContext.Default.GroupRecord));

    /// <summary>Stores an instance.</summary>
    public static Mutation Put(InstanceRecord record) => Mutation.Put(InstanceKind, record.InstanceId, JsonSerializer.SerializeToUtf8Bytes(record, AsgJsonContext.Default.InstanceRecord));

    /// <summary>Stores an activity.</summary>
    public static Mutation Put(ActivityRecord record) => Mutation.Put(ActivityKind, record.ActivityId, JsonSerializer.SerializeToUtf8Bytes(record, AsgJsonContext.Default.ActivityRecord));

    /// <summary>Removes a launch configuration.</summary>
    public static Mutation DeleteConfiguration(string key) => Mutation.Delete(ConfigurationKind, key);

    /// <summary>Removes a group.</summary>
    public static Mutation DeleteGroup(string key) => Mutation.Delete(GroupKind, key);

    /// <summary>Removes an instance.</summary>
    public static Mutation DeleteInstance(string id) => Mutation.Delete(InstanceKind, id);

    /// <summary>Removes an activity.</summary>
    public static Mutation DeleteActivity(string id) => Mutation.Delete(ActivityKind, id);

    private static T Read<T>(StoredDocument document, JsonTypeInfo<T> info)
        => JsonSerializer.Deserialize(document.Body, info) ?? throw new InvalidDataException($"Empty {document.Kind} document {document.Id}.");
}

/// <summary>A decision's changes: the next state and the documents that make it durable, kept together.</summary>
public sealed class AsgEdit(AsgState state)
{
    private readonly List<Mutation> _mutations = [];

    /// <summary>The state so far.</summary>
    public AsgState State { get; private set; } = state;

    /// <summary>Puts a launch configuration.</summary>
    public void Put(string key, LaunchConfigurationRecord record)
    {
        State = State.With(key, record);
        _mutations.Add(AsgCodec.Put(key, record));
    }

    /// <summary>Puts a group.</summary>
    public void Put(string key, GroupRecord record)
    {
        State = State.With(key, record);
        _mutations.Add(AsgCodec.Put(key, record));
    }

    /// <summary>Puts an instance.</summary>
    public void Put(InstanceRecord record)
    {
        State = State.With(record);
        _mutations.Add(AsgCodec.Put(record));
    }

    /// <summary>Puts an activity; a group keeps its newest <see cref="ActivitiesKept"/>.</summary>
    public void Put(ActivityRecord record)
    {
        State = State.With(record);
        _mutations.Add(AsgCodec.Put(record));
        var old = State.Activities.Values.Where(a => a.GroupKey == record.GroupKey).OrderByDescending(a => a.StartTime).Skip(ActivitiesKept).ToList();
        foreach (var activity in old)
        {
            State = State with { Activities = State.Activities.Remove(activity.ActivityId) };
            _mutations.Add(AsgCodec.DeleteActivity(activity.ActivityId));
        }
    }

    /// <summary>Removes a launch configuration.</summary>
    public void RemoveConfiguration(string key)
    {
        State = State with { LaunchConfigurations = State.LaunchConfigurations.Remove(key) };
        _mutations.Add(AsgCodec.DeleteConfiguration(key));
    }

    /// <summary>Removes a group and its activities.</summary>
    public void RemoveGroup(string key)
    {
        State = State with { Groups = State.Groups.Remove(key) };
        _mutations.Add(AsgCodec.DeleteGroup(key));
        foreach (var activity in State.Activities.Values.Where(a => a.GroupKey == key).ToList())
        {
            State = State with { Activities = State.Activities.Remove(activity.ActivityId) };
            _mutations.Add(AsgCodec.DeleteActivity(activity.ActivityId));
        }
    }

    /// <summary>Removes an instance.</summary>
    public void RemoveInstance(string id)
    {
        State = State with { Instances = State.Instances.Remove(id) };
        _mutations.Add(AsgCodec.DeleteInstance(id));
    }

    /// <summary>How many activities a group keeps (older ones are forgotten, bounding the state).</summary>
    public const int ActivitiesKept = 100;

    /// <summary>The decision: the state, its documents and <paramref name="result"/>.</summary>
    public Decision<AsgState, T> Done<T>(T result) => new(State, [.. _mutations], result);
}
