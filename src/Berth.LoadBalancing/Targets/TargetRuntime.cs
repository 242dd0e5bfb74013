using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Health;

namespace Berth.LoadBalancing.Targets;

/// <summary>One registration of a target in a group: its health, in-flight count and the loops that serve it.</summary>
internal sealed class TargetRuntime
{
    private int _outstanding;

    public TargetRuntime(string groupId, TargetConfig config)
    {
        GroupId = groupId;
        Config = config;
        Destination = $"http://{(config.Host.Contains(':', StringComparison.Ordinal) ? $"[{config.Host}]" : config.Host)}:{config.Port}/";
        CookieValue = OpaqueId($"{groupId}\n{config.Id}\n{config.Host}\n{config.Port}");
    }

    public string GroupId { get; }

    public TargetConfig Config { get; }

    /// <summary>The YARP destination prefix.</summary>
    public string Destination { get; }

    /// <summary>The AWSALB value that leads back here: a hash, so the cookie says nothing about the target.</summary>
    public string CookieValue { get; }

    /// <summary>Written under the data plane's gate, read lock-free by requests.</summary>
    public volatile HealthTracking Tracking = HealthTracking.Registered;

    /// <summary>When it last became healthy (slow start runs from here); null while not healthy. Guarded by the gate; read racy by requests (a stale value only shifts a share briefly).</summary>
    public DateTimeOffset? HealthySince { get; set; }

    /// <summary>Cancelled when the registration ends for good (drained or its group removed): stops every loop of it.</summary>
    public CancellationTokenSource Lifetime { get; } = new();

    /// <summary>The running health-check loop's stop switch; null when no loop runs. Guarded by the gate.</summary>
    public CancellationTokenSource? Checks { get; set; }

    /// <summary>Cancelled when the deregistration delay ends: in-flight requests to the target are aborted then.</summary>
    public CancellationTokenSource DrainDeadline { get; } = new();

    public int Outstanding => Volatile.Read(ref _outstanding);

    public void Begin() => Interlocked.Increment(ref _outstanding);

    public void End() => Interlocked.Decrement(ref _outstanding);

    public TargetHealthDescription Describe() =>
        new(GroupId, Config.Id, Config.Host, Config.Port, Tracking.State, Tracking.Reason, Tracking.Description);

    public static string OpaqueId(string text) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 18)).Replace('+', '-').Replace('/', '_');
}

/// <summary>A target group as requests see it: an immutable view swapped whole on every change.</summary>
internal sealed class TargetGroupView
{
    public TargetGroupView(TargetGroupConfig config, ImmutableArray<TargetRuntime> active)
    {
        Config = config;
        Active = active;
        ByCookie = active.ToFrozenDictionary(t => t.CookieValue, StringComparer.Ordinal);
    }

    public TargetGroupConfig Config { get; }

    /// <summary>Registered targets (not draining) in registration order.</summary>
    public ImmutableArray<TargetRuntime> Active { get; }

    public FrozenDictionary<string, TargetRuntime> ByCookie { get; }
}

/// <summary>A target group's mutable runtime: the current view and the draining targets.</summary>
internal sealed class TargetGroupRuntime(string id, string cookieValue)
{
    private long _sequence = -1;

    public string Id { get; } = id;

    /// <summary>The AWSALBTG value for this group.</summary>
    public string CookieValue { get; } = cookieValue;

    public volatile TargetGroupView View = null!;

    /// <summary>Whether a listener forwards to this group; targets of an unused group are not checked.</summary>
    public bool InUse { get; set; }

    /// <summary>Deregistered targets still draining. Guarded by the gate.</summary>
    public List<TargetRuntime> Draining { get; } = [];

    public ulong NextSequence() => (ulong)Interlocked.Increment(ref _sequence);
}
