using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Health;

namespace Berth.LoadBalancing.Tests.DataPlane;

/// <summary>A data plane on its own loopback address (127.0.x.y, unique to the test), a client without cookies or redirects, and health waits.</summary>
public sealed class Harness : IAsyncDisposable
{
    private static int _next = Environment.ProcessId % 200 * 250;
    private readonly List<IAsyncDisposable> _owned = [];

    public Harness(TimeProvider? time = null)
    {
        Plane = new LoadBalancerDataPlane(time ?? TimeProvider.System);
        Address = NextAddress();
        Port = FreePort(Address);
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, UseProxy = false })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public LoadBalancerDataPlane Plane { get; }

    public IPAddress Address { get; }

    public int Port { get; }

    public HttpClient Client { get; }

    public string Url(string path = "/") => $"http://{Address}:{Port}{path}";

    /// <summary>Health checks fast enough for tests: every 100 ms, 2 to turn either way.</summary>
    public static HealthCheckConfig FastChecks => new()
    {
        Path = "/health",
        Interval = TimeSpan.FromMilliseconds(100),
        Timeout = TimeSpan.FromMilliseconds(500),
        HealthyThreshold = 2,
        UnhealthyThreshold = 2,
    };

    public static IPAddress NextAddress()
    {
        var n = Interlocked.Increment(ref _next);
        return new IPAddress([127, (byte)(1 + n / 250 % 250), (byte)(n % 250 + 2), 1]);
    }

    public static int FreePort(IPAddress address)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public async Task<Backend> BackendAsync(string name)
    {
        var backend = await Backend.StartAsync(name);
        _owned.Add(backend);
        return backend;
    }

    public static TargetConfig Target(Backend backend) => new(backend.Name, "127.0.0.1", backend.Port);

    /// <summary>One load balancer at <see cref="Address"/> with one listener at <see cref="Port"/>.</summary>
    public DataPlaneConfig Config(IReadOnlyList<ListenerAction> defaultActions, IReadOnlyList<TargetGroupConfig> groups, IReadOnlyList<RuleConfig>? rules = null, TimeSpan? idleTimeout = null) => new()
    {
        LoadBalancers =
        [
            new LoadBalancerConfig
            {
                Id = "lb",
                Address = Address,
                IdleTimeout = idleTimeout ?? TimeSpan.FromSeconds(60),
                Listeners = [new ListenerConfig { Id = "listener", Port = Port, DefaultActions = defaultActions, Rules = rules ?? [] }],
            },
        ],
        TargetGroups = groups,
    };

    public async Task<string> GetStringAsync(string path = "/")
    {
        using var response = await Client.GetAsync(Url(path));
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Waits until the health view satisfies <paramref name="condition"/>, woken by health changes (and a poll as a backstop).</summary>
    public async Task<TargetHealthSnapshot> WaitForHealthAsync(Func<TargetHealthSnapshot, bool> condition, TimeSpan? timeout = null)
    {
        var changed = new SemaphoreSlim(0);
        void OnChange(object? sender, TargetHealthChange change) => changed.Release();
        Plane.HealthChanged += OnChange;
        try
        {
            var deadline = Stopwatch.StartNew();
            var limit = timeout ?? TimeSpan.FromSeconds(20);
            while (!condition(Plane.Health))
            {
                if (deadline.Elapsed > limit)
                    Assert.Fail($"health never got there; now: {string.Join("; ", Plane.Health.ByTargetGroup.SelectMany(g => g.Value).Select(t => $"{t.TargetGroupId}/{t.TargetId}={t.State} {t.Reason}"))}");
                await changed.WaitAsync(TimeSpan.FromMilliseconds(200));
            }
            return Plane.Health;
        }
        finally
        {
            Plane.HealthChanged -= OnChange;
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds (fails after 20 s).</summary>
    public static async Task PollAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "condition never held");
            await Task.Delay(20);
        }
    }

    public Task WaitForStateAsync(string group, string target, TargetHealthState state) =>
        WaitForHealthAsync(h => h.Find(group, target)?.State == state);

    public async ValueTask DisposeAsync()
    {
        await Plane.DisposeAsync();
        foreach (var owned in _owned)
            await owned.DisposeAsync();
        Client.Dispose();
    }
}
