using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Agent.Runtime;

/// <summary>Who the agent is: kept in its data dir, so restarting with the same dir is the same container instance.</summary>
public sealed record AgentIdentity(
    [property: JsonPropertyName("ec2InstanceId")] string Ec2InstanceId,
    [property: JsonPropertyName("containerInstanceArn")] string? ContainerInstanceArn)
{
    private const string FileName = "agent.json";

    /// <summary>Loads the identity, or makes a new one (a new data dir is a new instance).</summary>
    public static AgentIdentity LoadOrCreate(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        if (File.Exists(path))
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentIdentityJson.Default.AgentIdentity)!;
        }

        return new AgentIdentity("i-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9))[..17], null);
    }

    /// <summary>Saves atomically (temporary file, fsync, rename).</summary>
    public void Save(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, FileName);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(JsonSerializer.SerializeToUtf8Bytes(this, AgentIdentityJson.Default.AgentIdentity));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

[JsonSerializable(typeof(AgentIdentity))]
internal sealed partial class AgentIdentityJson : JsonSerializerContext
{
}
