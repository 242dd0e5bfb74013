using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Runtime.CompilerServices;
using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Health;
using Berth.LoadBalancing.Proxy;
using Berth.LoadBalancing.Rules;
using Berth.LoadBalancing.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Forwarder;

namespace Berth.LoadBalancing;

/// <summary>
/// The Application Load Balancer's HTTP data plane. <see cref="ApplyAsync"/> reconciles it to a
/// <see cref="DataPlaneConfig"/> at run time: Kestrel listeners open and close per (address, port), target groups
/// gain and drain targets, health checks start and stop. <see cref="Health"/> and <see cref="HealthChanged"/> report
/// every target's health as DescribeTargetHealth shows it.
/// </summary>
/// <remarks>
/// Requests go through YARP's <see cref="IHttpForwarder"/> directly rather than through YARP's routes and clusters:
/// ALB's rules (priority, six condition types with wildcards, fixed responses, redirects, weighted forwards with group
/// stickiness) and its target choice (fail-open, slow start, lb_cookie, draining) do not map onto YARP's route
/// matching and load-balancing policies without fighting them, while the forwarder still gives us YARP's pooled
/// keep-alive connections, WebSocket upgrades, header handling and error classification.
/// Each (address, port) is its own small Kestrel host, because Kestrel cannot add or remove endpoints of a running
/// server; opening one takes a few milliseconds.
/// </remarks>
public sealed partial class LoadBalancerDataPlane : IHostedService, IAsyncDisposable
{
    /// <summary>How long a closing listener waits for in-flight requests before it drops them.</summary>
    public static readonly TimeSpan ListenerShutdownGrace = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ServiceProvider _services;
    private readonly RequestHandler _handler;
    private readonly HttpClient _healthClient;
    private readonly SemaphoreSlim _applyLock = new(1, 1);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TargetGroupRuntime> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<IPEndPoint, Endpoint> _endpoints = [];
    private volatile TargetHealthSnapshot _health = TargetHealthSnapshot.Empty;
    private volatile ImmutableDictionary<string, TargetGroupRuntime> _groupsView = ImmutableDictionary<string, TargetGroupRuntime>.Empty;
    private readonly ConcurrentDictionary<(string LoadBalancerId, string TargetGroupId), StrongBox<long>> _requests = new();
    private bool _stopped;
    private int _disposed;

    /// <summary>Creates a data plane with nothing configured; nothing listens until <see cref="ApplyAsync"/>.</summary>
    public LoadBalancerDataPlane(TimeProvider timeProvider, ILoggerFactory? loggerFactory = null)
    {
        _time = timeProvider;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<LoadBalancerDataPlane>();
        _services = new ServiceCollection()
            .AddSingleton(loggerFactory)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddSingleton(timeProvider)
            .AddHttpForwarder()
            .BuildServiceProvider();
        var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            // As YARP recommends for a proxy: no proxy, redirects, decompression or cookies of its own.
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            // ALB's connect timeout to targets.
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        });
        _handler = new RequestHandler(_services.GetRequiredService<IHttpForwarder>(), invoker, new AlbTransformer(timeProvider), timeProvider, this);
        _healthClient = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.Zero })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _healthClient.DefaultRequestHeaders.UserAgent.ParseAdd("ELB-HealthChecker/2.0");
    }

    /// <summary>Raised after a target's health changes (registered, checked, draining, gone). Handlers run on the thread that changed it (often a socket completion): keep them short and never block in them.</summary>
    public event EventHandler<TargetHealthChange>? HealthChanged;

    /// <summary>Every target's health now.</summary>
    public TargetHealthSnapshot Health => _health;

    /// <summary>The (address, port) pairs listening now.</summary>
    public IReadOnlyList<IPEndPoint> ListeningEndpoints
    {
        get
        {
            lock (_endpoints)
                return [.. _endpoints.Keys];
        }
    }

    /// <summary>The target groups a listener forwards to now (ALB reports their per-target metrics).</summary>
    public IReadOnlyList<string> TargetGroupsInUse => [.. _groupsView.Values.Where(g => g.InUse).Select(g => g.Id)];

    internal TargetGroupRuntime? Group(string id) => _groupsView.GetValueOrDefault(id);

    /// <summary>
    /// The requests served since the last call, per load balancer (every request a listener answered: forwards,
    /// fixed responses, redirects, errors) and per load balancer and target group (the requests forwarded to the
    /// group); only non-zero counts. The counters restart at zero.
    /// </summary>
    public IReadOnlyList<RequestCount> TakeRequestCounts()
    {
        var counts = new List<RequestCount>();
        foreach (var (key, counter) in _requests)
        {
            var requests = Interlocked.Exchange(ref counter.Value, 0);
            if (requests > 0)
                counts.Add(new RequestCount(key.LoadBalancerId, key.TargetGroupId.Length == 0 ? null : key.TargetGroupId, requests));
        }
        return counts;
    }

    // One request served by a load balancer, and, with a group, forwarded to it. Health checks do not come here.
    internal void CountRequest(string loadBalancerId, string? targetGroupId) =>
        Interlocked.Increment(ref _requests.GetOrAdd((loadBalancerId, targetGroupId ?? ""), static _ => new StrongBox<long>()).Value);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _applyLock.WaitAsync(cancellationToken);
        try
        {
            _stopped = true;
            List<Endpoint> endpoints;
            lock (_endpoints)
            {
                endpoints = [.. _endpoints.Values];
                _endpoints.Clear();
            }
            await Task.WhenAll(endpoints.Select(e => StopEndpointAsync(e)));
            lock (_gate)
            {
                foreach (var group in _groups.Values)
                {
                    foreach (var target in group.View.Active.Concat(group.Draining))
                        End(target);
                }
            }
        }
        finally
        {
            _applyLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await StopAsync(CancellationToken.None);
        _healthClient.Dispose();
        await _services.DisposeAsync();
        _applyLock.Dispose();
    }

    /// <summary>
    /// Reconciles the data plane to <paramref name="config"/>: target groups and targets first (removed targets start
    /// draining), then listeners (closed, retargeted in place, opened). Calls are serialized. Throws
    /// <see cref="AggregateException"/> when some listener could not open (e.g. the port is taken); everything else
    /// is applied regardless. A listener that stays keeps its connections: its rules, actions and the target idle
    /// timeout change in place; the client keep-alive timeout is the one it opened with.
    /// </summary>
    public async Task ApplyAsync(DataPlaneConfig config, CancellationToken cancellationToken = default)
    {
        await _applyLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            var changes = new List<TargetHealthChange>();
            lock (_gate)
                ReconcileTargetGroups(config, changes);
            Raise(changes);
            await ReconcileEndpointsAsync(config, cancellationToken);
        }
        finally
        {
            _applyLock.Release();
        }
    }

    private void ReconcileTargetGroups(DataPlaneConfig config, List<TargetHealthChange> changes)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lb in config.LoadBalancers)
        {
            foreach (var listener in lb.Listeners)
            {
                foreach (var action in listener.DefaultActions.Concat(listener.Rules.SelectMany(r => r.Actions)))
                {
                    if (action is ForwardAction forward)
                        used.UnionWith(forward.TargetGroups.Select(g => g.TargetGroupId));
                }
            }
        }
        var desired = new Dictionary<string, TargetGroupConfig>(StringComparer.Ordinal);
        foreach (var group in config.TargetGroups)
            desired[group.Id] = group;

        foreach (var gone in _groups.Keys.Where(id => !desired.ContainsKey(id)).ToList())
        {
            var group = _groups[gone];
            foreach (var target in group.View.Active.Concat(group.Draining))
            {
                changes.Add(new TargetHealthChange(target.Describe(), null));
                End(target);
            }
            _groups.Remove(gone);
        }

        foreach (var groupConfig in desired.Values)
        {
            if (!_groups.TryGetValue(groupConfig.Id, out var group))
            {
                group = new TargetGroupRuntime(groupConfig.Id, TargetRuntime.OpaqueId("tg\n" + groupConfig.Id));
                group.View = new TargetGroupView(groupConfig, []);
                _groups[groupConfig.Id] = group;
            }
            group.InUse = used.Contains(groupConfig.Id);
            var previous = group.View.Active.ToDictionary(t => t.Config);
            var active = ImmutableArray.CreateBuilder<TargetRuntime>();
            foreach (var targetConfig in groupConfig.Targets.Distinct())
            {
                if (previous.Remove(targetConfig, out var kept))
                {
                    active.Add(kept);
                    continue;
                }
                var target = new TargetRuntime(group.Id, targetConfig);
                // Registering a target that is still draining replaces that registration (ALB shows one entry).
                var draining = group.Draining.FindIndex(d => d.Config == targetConfig);
                TargetHealthDescription? before = null;
                if (draining >= 0)
                {
                    before = group.Draining[draining].Describe();
                    group.Draining[draining].Checks?.Cancel();
                    group.Draining.RemoveAt(draining);
                }
                target.Tracking = !group.InUse ? HealthTracking.NotInUse
                    : !groupConfig.HealthCheck.Enabled ? HealthTracking.ChecksDisabled
                    : HealthTracking.Registered;
                if (target.Tracking.State == TargetHealthState.Healthy)
                    target.HealthySince = _time.GetUtcNow();
                active.Add(target);
                changes.Add(new TargetHealthChange(before, target.Describe()));
            }
            foreach (var removed in previous.Values)
            {
                var before = removed.Describe();
                StopChecks(removed);
                removed.Tracking = HealthTracking.Draining;
                removed.HealthySince = null;
                group.Draining.Add(removed);
                changes.Add(new TargetHealthChange(before, removed.Describe()));
                _ = DrainAsync(group, removed, groupConfig.Attributes.DeregistrationDelay);
                LogDraining(_logger, group.Id, removed.Config.Id, groupConfig.Attributes.DeregistrationDelay.TotalSeconds);
            }
            group.View = new TargetGroupView(groupConfig, active.ToImmutable());
            foreach (var target in group.View.Active)
                EnsureChecks(group, target, changes);
        }
        _groupsView = _groups.ToImmutableDictionary(StringComparer.Ordinal);
        RebuildHealth();
    }

    // Puts a registered target in the state its group calls for: unused, healthy without checks, or checked.
    private void EnsureChecks(TargetGroupRuntime group, TargetRuntime target, List<TargetHealthChange> changes)
    {
        var checks = group.View.Config.HealthCheck;
        HealthTracking? next = null;
        if (!group.InUse)
        {
            StopChecks(target);
            if (target.Tracking.State != TargetHealthState.Unused)
                next = HealthTracking.NotInUse;
        }
        else if (!checks.Enabled)
        {
            StopChecks(target);
            if (target.Tracking != HealthTracking.ChecksDisabled)
                next = HealthTracking.ChecksDisabled;
        }
        else if (target.Checks is null)
        {
            if (target.Tracking.State is TargetHealthState.Unused || target.Tracking == HealthTracking.ChecksDisabled)
                next = HealthTracking.Registered;
            target.Checks = CancellationTokenSource.CreateLinkedTokenSource(target.Lifetime.Token);
            var token = target.Checks.Token;
            _ = Task.Run(() => HealthCheckLoopAsync(group, target, token), CancellationToken.None);
        }
        if (next is not null)
            SetTracking(target, next, changes);
    }

    private static void StopChecks(TargetRuntime target)
    {
        target.Checks?.Cancel();
        target.Checks?.Dispose();
        target.Checks = null;
    }

    // The registration is over: loops stop and whatever is still in flight is aborted.
    private static void End(TargetRuntime target)
    {
        StopChecks(target);
        target.Lifetime.Cancel();
        target.DrainDeadline.Cancel();
    }

    private void SetTracking(TargetRuntime target, HealthTracking next, List<TargetHealthChange> changes)
    {
        var before = target.Describe();
        var wasHealthy = target.Tracking.State == TargetHealthState.Healthy;
        target.Tracking = next;
        if (next.State == TargetHealthState.Healthy && !wasHealthy)
            target.HealthySince = _time.GetUtcNow();
        else if (next.State != TargetHealthState.Healthy)
            target.HealthySince = null;
        var after = target.Describe();
        if (before != after)
            changes.Add(new TargetHealthChange(before, after));
    }

    private async Task DrainAsync(TargetGroupRuntime group, TargetRuntime target, TimeSpan delay)
    {
        try
        {
            if (delay > TimeSpan.Zero)
                await Task.Delay(delay, _time, target.Lifetime.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var changes = new List<TargetHealthChange>();
        lock (_gate)
        {
            if (!group.Draining.Remove(target))
                return;
            changes.Add(new TargetHealthChange(target.Describe(), null));
            End(target);
            RebuildHealth();
        }
        LogDrained(_logger, group.Id, target.Config.Id);
        Raise(changes);
    }

    private async Task HealthCheckLoopAsync(TargetGroupRuntime group, TargetRuntime target, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var checks = group.View.Config.HealthCheck;
            var outcome = await CheckOnceAsync(target, checks, cancellationToken);
            var changes = new List<TargetHealthChange>();
            lock (_gate)
            {
                if (cancellationToken.IsCancellationRequested)
                    return;
                SetTracking(target, HealthTransitions.Next(target.Tracking, outcome, checks.HealthyThreshold, checks.UnhealthyThreshold), changes);
                if (changes.Count > 0)
                    RebuildHealth();
            }
            foreach (var change in changes)
                LogHealthChanged(_logger, group.Id, target.Config.Id, change.Previous?.State, change.Current?.State, change.Current?.Reason);
            Raise(changes);
            try
            {
                await Task.Delay(checks.Interval, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<HealthCheckOutcome> CheckOnceAsync(TargetRuntime target, HealthCheckConfig checks, CancellationToken cancellationToken)
    {
        HttpCodeMatcher matcher;
        try
        {
            matcher = HttpCodeMatcher.Parse(checks.Matcher);
        }
        catch (FormatException)
        {
            matcher = HttpCodeMatcher.Parse("200");
        }
        var host = target.Config.Host.Contains(':', StringComparison.Ordinal) ? $"[{target.Config.Host}]" : target.Config.Host;
        var path = checks.Path.StartsWith('/') ? checks.Path : "/" + checks.Path;
        using var timeout = new CancellationTokenSource(checks.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{host}:{checks.Port ?? target.Config.Port}{path}");
            request.Headers.ConnectionClose = true;
            using var response = await _healthClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var code = (int)response.StatusCode;
            return matcher.Matches(code) ? new HealthCheckOutcome(HealthCheckResult.Success, code) : new HealthCheckOutcome(HealthCheckResult.ResponseCodeMismatch, code);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckOutcome(HealthCheckResult.Timeout);
        }
        catch (OperationCanceledException)
        {
            return new HealthCheckOutcome(HealthCheckResult.ConnectionFailed);
        }
        catch (HttpRequestException)
        {
            return new HealthCheckOutcome(HealthCheckResult.ConnectionFailed);
        }
        catch (Exception e) when (e is UriFormatException or InvalidOperationException or IOException)
        {
            // A target address the URL cannot carry fails its checks rather than ending the loop.
            return new HealthCheckOutcome(HealthCheckResult.ConnectionFailed);
        }
    }

    // Called under the gate.
    private void RebuildHealth()
    {
        var builder = ImmutableDictionary.CreateBuilder<string, ImmutableArray<TargetHealthDescription>>(StringComparer.Ordinal);
        foreach (var group in _groups.Values)
            builder[group.Id] = [.. group.View.Active.Select(t => t.Describe()), .. group.Draining.Select(t => t.Describe())];
        _health = new TargetHealthSnapshot(builder.ToImmutable());
    }

    private void Raise(List<TargetHealthChange> changes)
    {
        foreach (var change in changes)
        {
            try
            {
                HealthChanged?.Invoke(this, change);
            }
            catch (Exception e)
            {
                LogHandlerFailed(_logger, e);
            }
        }
    }

    private async Task ReconcileEndpointsAsync(DataPlaneConfig config, CancellationToken cancellationToken)
    {
        var desired = new Dictionary<IPEndPoint, ListenerRuntime>();
        var errors = new List<Exception>();
        foreach (var lb in config.LoadBalancers)
        {
            foreach (var listener in lb.Listeners)
            {
                var key = new IPEndPoint(lb.Address, listener.Port);
                if (!desired.TryAdd(key, new ListenerRuntime(lb, listener)))
                    errors.Add(new InvalidOperationException($"listener {listener.Id}: {key} is already used by another listener"));
            }
        }

        List<Endpoint> closing;
        lock (_endpoints)
        {
            closing = [.. _endpoints.Where(e => !desired.ContainsKey(e.Key)).Select(e => e.Value)];
            foreach (var endpoint in closing)
                _endpoints.Remove(endpoint.Key);
            foreach (var (key, listener) in desired)
            {
                if (_endpoints.TryGetValue(key, out var endpoint))
                    endpoint.Listener = listener;
            }
        }
        await Task.WhenAll(closing.Select(e => StopEndpointAsync(e)));

        foreach (var (key, listener) in desired)
        {
            lock (_endpoints)
            {
                if (_endpoints.ContainsKey(key))
                    continue;
            }
            try
            {
                var endpoint = await StartEndpointAsync(key, listener, cancellationToken);
                lock (_endpoints)
                    _endpoints[key] = endpoint;
                LogListenerOpened(_logger, listener.LoadBalancerId, listener.ListenerId, key);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                LogListenerFailed(_logger, listener.LoadBalancerId, listener.ListenerId, key, e);
                errors.Add(new InvalidOperationException($"listener {listener.ListenerId}: cannot listen on {key}: {e.Message}", e));
            }
        }
        if (errors.Count > 0)
            throw new AggregateException("some listeners could not be opened", errors);
    }

    private async Task<Endpoint> StartEndpointAsync(IPEndPoint key, ListenerRuntime listener, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        // The request path runs where the connection's bytes arrive, not after a hop to the thread pool: it never
        // blocks (rules, target choice and YARP's forwarder are all non-blocking), and a hop per request costs a
        // thread wake-up that, on a small machine, is a large part of the proxy's CPU per request.
        builder.WebHost.UseSockets(sockets =>
        {
            sockets.UnsafePreferInlineScheduling = true;
            // One read per request instead of a zero-byte read first: a syscall less per request, for a 4 KiB buffer
            // held by each idle keep-alive connection.
            sockets.WaitForDataBeforeAllocatingBuffer = false;
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Keep-alive to clients for the load balancer's idle timeout, as ALB; fixed when the listener opens.
            kestrel.Limits.KeepAliveTimeout = listener.IdleTimeout;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(key, options => options.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        var endpoint = new Endpoint(key, app) { Listener = listener };
        app.Run(context => _handler.HandleAsync(context, endpoint));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return endpoint;
    }

    private async Task StopEndpointAsync(Endpoint endpoint)
    {
        endpoint.Listener = null;
        using var grace = new CancellationTokenSource(ListenerShutdownGrace, _time);
        try
        {
            await endpoint.App.StopAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await endpoint.App.DisposeAsync();
        LogListenerClosed(_logger, endpoint.Key);
    }

    /// <summary>One open (address, port): its Kestrel host and the listener it serves now.</summary>
    internal sealed class Endpoint(IPEndPoint key, WebApplication app)
    {
        public IPEndPoint Key { get; } = key;

        public WebApplication App { get; } = app;

        /// <summary>Swapped in place when the listener's rules change; null while closing.</summary>
        public volatile ListenerRuntime? Listener;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "lb: listener {ListenerId} of {LoadBalancerId} listening on {Endpoint}")]
    private static partial void LogListenerOpened(ILogger logger, string loadBalancerId, string listenerId, IPEndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Error, Message = "lb: listener {ListenerId} of {LoadBalancerId} cannot listen on {Endpoint}")]
    private static partial void LogListenerFailed(ILogger logger, string loadBalancerId, string listenerId, IPEndPoint endpoint, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "lb: listener on {Endpoint} closed")]
    private static partial void LogListenerClosed(ILogger logger, IPEndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "lb: target {TargetId} in {TargetGroupId} health {Previous} -> {Current} ({Reason})")]
    private static partial void LogHealthChanged(ILogger logger, string targetGroupId, string targetId, TargetHealthState? previous, TargetHealthState? current, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "lb: target {TargetId} in {TargetGroupId} draining for {DelaySeconds} s")]
    private static partial void LogDraining(ILogger logger, string targetGroupId, string targetId, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "lb: target {TargetId} in {TargetGroupId} drained")]
    private static partial void LogDrained(ILogger logger, string targetGroupId, string targetId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "lb: a HealthChanged handler threw")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);
}

/// <summary>A listener as requests see it: rules in priority order and the forwarder settings. Immutable.</summary>
internal sealed class ListenerRuntime
{
    public ListenerRuntime(LoadBalancerConfig lb, ListenerConfig listener)
    {
        LoadBalancerId = lb.Id;
        ListenerId = listener.Id;
        Port = listener.Port;
        IdleTimeout = lb.IdleTimeout;
        Rules = RuleMatcher.ByPriority(listener.Rules);
        DefaultActions = listener.DefaultActions;
        RequestConfig = new ForwarderRequestConfig
        {
            // ALB answers 504 when the target is silent for the idle timeout.
            ActivityTimeout = lb.IdleTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    public string LoadBalancerId { get; }

    public string ListenerId { get; }

    public int Port { get; }

    public TimeSpan IdleTimeout { get; }

    public IReadOnlyList<RuleConfig> Rules { get; }

    public IReadOnlyList<ListenerAction> DefaultActions { get; }

    public ForwarderRequestConfig RequestConfig { get; }
}

/// <summary>Requests a load balancer served, in all or forwarded to one target group.</summary>
/// <param name="LoadBalancerId">The load balancer.</param>
/// <param name="TargetGroupId">The target group they were forwarded to; null for all the load balancer's requests.</param>
/// <param name="Requests">How many.</param>
public sealed record RequestCount(string LoadBalancerId, string? TargetGroupId, long Requests);
