using System.Security.Cryptography;
using System.Text;

namespace Berth.Agent.Metadata;

/// <summary>
/// The secret id in each container's metadata endpoint path, as ECS's v4 URI carries one: an HMAC of the task ARN and
/// container name under a key kept in the agent's data dir, so a restarted agent serves the ids its containers were
/// created with, and no container can work out another's.
/// </summary>
public sealed class MetadataIds
{
    private const string FileName = "metadata.key";
    private readonly byte[] _key;

    /// <summary>Ids under <paramref name="key"/> (tests); <see cref="LoadOrCreate"/> for an agent.</summary>
    public MetadataIds(byte[] key) => _key = key;

    /// <summary>The key of the data dir, made (random, 32 bytes, written atomically) the first time.</summary>
    public static MetadataIds LoadOrCreate(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        if (File.Exists(path) && File.ReadAllBytes(path) is { Length: 32 } existing)
        {
            return new MetadataIds(existing);
        }

        Directory.CreateDirectory(dataDir);
        var key = RandomNumberGenerator.GetBytes(32);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(key);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        return new MetadataIds(key);
    }

    /// <summary>The id of container <paramref name="container"/> of task <paramref name="taskArn"/>: 32 hex digits.</summary>
    public string For(string taskArn, string container)
        => Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(taskArn + "\n" + container)))[..32];
}

/// <summary>
/// Where containers reach their agent's metadata endpoint: <paramref name="BridgeBase"/> (the gateway of Docker's
/// <c>bridge</c> network, for bridge and awsvpc tasks) and <paramref name="HostBase"/> (loopback, for host tasks);
/// null where the agent does not listen.
/// </summary>
/// <param name="BridgeBase">E.g. <c>http://172.17.0.1:51679</c>.</param>
/// <param name="HostBase">E.g. <c>http://127.0.0.1:51679</c>.</param>
public sealed record MetadataEndpoint(string? BridgeBase, string? HostBase)
{
    /// <summary>The base a container of a task in <paramref name="networkMode"/> uses, or null (none, or not served).</summary>
    public string? BaseFor(string? networkMode) => networkMode switch
    {
        null or "bridge" or "awsvpc" => BridgeBase,
        "host" => HostBase,
        _ => null,
    };
}
