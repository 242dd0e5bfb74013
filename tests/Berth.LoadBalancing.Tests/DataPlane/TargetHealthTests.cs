using System.Collections.Concurrent;
using System.Net;
using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Health;
using Microsoft.Extensions.Time.Testing;

namespace Berth.LoadBalancing.Tests.DataPlane;

/// <summary>Health checks, fail-open, draining and target choice through the real data plane to real Kestrel backends.</summary>
public class TargetHealthTests
{
    private static TargetGroupConfig Group(string id, TargetGroupAttributes? attributes = null, params Backend[] backends) => new()
    {
        Id = id,
        HealthCheck = Harness.FastChecks,
        Attributes = attributes ?? new TargetGroupAttributes(),
        Targets = [.. backends.Select(Harness.Target)],
    };

    [Fact]
    public async Task Targets_move_initial_to_healthy_to_unhealthy_to_draining_with_ALB_s_reasons()
    {
        await using var h = new Harness();
        var backend = await h.BackendAsync("b1");
        var changes = new ConcurrentQueue<TargetHealthChange>();
        h.Plane.HealthChanged += (_, change) => changes.Enqueue(change);
        var group = Group("g", new TargetGroupAttributes { DeregistrationDelay = TimeSpan.FromMilliseconds(300) }, backend);
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [group]));

        var registered = changes.First();
        Assert.Null(registered.Previous);
        Assert.Equal((TargetHealthState.Initial, TargetHealthReason.RegistrationInProgress, "Target registration is in progress"),
            (registered.Current!.State, registered.Current.Reason, registered.Current.Description));

        await h.WaitForStateAsync("g", "b1", TargetHealthState.Healthy);
        Assert.Contains(changes, c => c.Current?.Reason == TargetHealthReason.InitialHealthChecking);
        Assert.Equal(new TargetHealthDescription("g", "b1", "127.0.0.1", backend.Port, TargetHealthState.Healthy, null, null), h.Plane.Health.Find("g", "b1"));

        backend.HealthStatus = 500;
        await h.WaitForStateAsync("g", "b1", TargetHealthState.Unhealthy);
        var unhealthy = h.Plane.Health.Find("g", "b1")!;
        Assert.Equal((TargetHealthReason.ResponseCodeMismatch, "Health checks failed with these codes: [500]"), (unhealthy.Reason, unhealthy.Description));

        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [group with { Targets = [] }]));
        var draining = h.Plane.Health.Find("g", "b1")!;
        Assert.Equal((TargetHealthState.Draining, TargetHealthReason.DeregistrationInProgress), (draining.State, draining.Reason));
        await h.WaitForHealthAsync(s => s.For("g").IsEmpty);
        Assert.Null(changes.Last().Current);
    }

    [Fact]
    public async Task A_target_that_stops_answering_becomes_unhealthy_with_FailedHealthChecks()
    {
        await using var h = new Harness();
        var closed = Harness.FreePort(IPAddress.Loopback);
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")],
            [new TargetGroupConfig { Id = "g", HealthCheck = Harness.FastChecks, Targets = [new TargetConfig("gone", "127.0.0.1", closed)] }]));

        await h.WaitForStateAsync("g", "gone", TargetHealthState.Unhealthy);
        Assert.Equal(TargetHealthReason.FailedHealthChecks, h.Plane.Health.Find("g", "gone")!.Reason);
    }

    [Fact]
    public async Task A_group_no_listener_uses_reports_its_targets_unused_and_starts_checking_once_used()
    {
        await using var h = new Harness();
        var backend = await h.BackendAsync("b");
        var group = Group("g", null, backend);
        await h.Plane.ApplyAsync(h.Config([new FixedResponseAction(200)], [group]));
        Assert.Equal((TargetHealthState.Unused, TargetHealthReason.NotInUse), (h.Plane.Health.Find("g", "b")!.State, h.Plane.Health.Find("g", "b")!.Reason));

        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [group]));
        await h.WaitForStateAsync("g", "b", TargetHealthState.Healthy);
    }

    [Fact]
    public async Task Unhealthy_targets_get_no_traffic_while_another_is_healthy_and_all_of_it_when_none_is()
    {
        await using var h = new Harness();
        var a = await h.BackendAsync("a");
        var b = await h.BackendAsync("b");
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [Group("g", null, a, b)]));
        await h.WaitForHealthAsync(s => s.For("g").All(t => t.State == TargetHealthState.Healthy));

        b.HealthStatus = 503;
        await h.WaitForStateAsync("g", "b", TargetHealthState.Unhealthy);
        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
            answers.Add(await h.GetStringAsync());
        Assert.All(answers, x => Assert.Equal("a", x));

        // Fail-open: with every target unhealthy, ALB routes to all of them.
        a.HealthStatus = 503;
        await h.WaitForStateAsync("g", "a", TargetHealthState.Unhealthy);
        answers.Clear();
        for (var i = 0; i < 6; i++)
            answers.Add(await h.GetStringAsync());
        Assert.Equal(["a", "b"], answers.Distinct().Order());
    }

    [Fact]
    public async Task Round_robin_spreads_requests_evenly()
    {
        await using var h = new Harness();
        var a = await h.BackendAsync("a");
        var b = await h.BackendAsync("b");
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [Group("g", null, a, b)]));
        await h.WaitForHealthAsync(s => s.For("g").All(t => t.State == TargetHealthState.Healthy));

        for (var i = 0; i < 10; i++)
            await h.GetStringAsync();
        Assert.Equal((5, 5), (a.Requests, b.Requests));
    }

    [Fact]
    public async Task Lb_cookie_stickiness_keeps_a_client_on_its_target()
    {
        await using var h = new Harness();
        var a = await h.BackendAsync("a");
        var b = await h.BackendAsync("b");
        var attributes = new TargetGroupAttributes { StickinessEnabled = true, StickinessDuration = TimeSpan.FromMinutes(5) };
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [Group("g", attributes, a, b)]));
        await h.WaitForHealthAsync(s => s.For("g").All(t => t.State == TargetHealthState.Healthy));

        using var first = await h.Client.GetAsync(h.Url("/"));
        var stuckTo = await first.Content.ReadAsStringAsync();
        var cookies = first.Headers.GetValues("Set-Cookie").ToList();
        var awsalb = cookies.Single(c => c.StartsWith("AWSALB=", StringComparison.Ordinal));
        Assert.Contains("Path=/", awsalb, StringComparison.Ordinal);
        Assert.Contains("Expires=", awsalb, StringComparison.Ordinal);
        Assert.Contains(cookies, c => c.StartsWith("AWSALBCORS=", StringComparison.Ordinal) && c.Contains("SameSite=None; Secure", StringComparison.Ordinal));
        Assert.DoesNotContain(a.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), awsalb, StringComparison.Ordinal);

        var value = awsalb.Split(';')[0];
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, h.Url("/"));
            request.Headers.Add("Cookie", value);
            using var response = await h.Client.SendAsync(request);
            Assert.Equal(stuckTo, await response.Content.ReadAsStringAsync());
        }

        // The sticky target turns unhealthy: the client moves to the healthy one.
        (stuckTo == "a" ? a : b).HealthStatus = 500;
        await h.WaitForStateAsync("g", stuckTo, TargetHealthState.Unhealthy);
        using var moved = new HttpRequestMessage(HttpMethod.Get, h.Url("/"));
        moved.Headers.Add("Cookie", value);
        using var movedResponse = await h.Client.SendAsync(moved);
        Assert.NotEqual(stuckTo, await movedResponse.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Least_outstanding_requests_avoids_the_busy_target()
    {
        await using var h = new Harness();
        var a = await h.BackendAsync("a");
        var b = await h.BackendAsync("b");
        var attributes = new TargetGroupAttributes { Algorithm = LoadBalancingAlgorithm.LeastOutstandingRequests };
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [Group("g", attributes, a, b)]));
        await h.WaitForHealthAsync(s => s.For("g").All(t => t.State == TargetHealthState.Healthy));

        // One request parked on a target makes it the busy one: the next requests all go to the other.
        var held = new List<Task<string>> { h.GetStringAsync("/hold") };
        await Harness.PollAsync(() => a.Holding + b.Holding == 1);
        var busy = a.Holding == 1 ? a : b;
        var idle = busy == a ? b : a;
        for (var i = 0; i < 5; i++)
            Assert.Equal(idle.Name, await h.GetStringAsync());
        busy.Release();
        Assert.Equal($"{busy.Name} held", await held[0]);
    }

    [Fact]
    public async Task A_deregistered_target_drains_its_in_flight_request_and_gets_no_new_ones()
    {
        await using var h = new Harness();
        var a = await h.BackendAsync("a");
        var b = await h.BackendAsync("b");
        var group = Group("g", new TargetGroupAttributes { DeregistrationDelay = TimeSpan.FromSeconds(30) }, a, b);
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [group]));
        await h.WaitForHealthAsync(s => s.For("g").All(t => t.State == TargetHealthState.Healthy));

        // Park a request on a.
        Task<string>? inFlight = null;
        while (a.Holding == 0)
        {
            var attempt = h.GetStringAsync("/hold");
            await Harness.PollAsync(() => a.Holding + b.Holding > 0);
            if (a.Holding > 0)
                inFlight = attempt;
            else
                b.Release();
        }

        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [group with { Targets = [Harness.Target(b)] }]));
        Assert.Equal(TargetHealthState.Draining, h.Plane.Health.Find("g", "a")!.State);
        for (var i = 0; i < 4; i++)
            Assert.Equal("b", await h.GetStringAsync());

        a.Release();
        Assert.Equal("a held", await inFlight!);
        // ALB keeps it draining for the whole delay even once nothing is in flight.
        Assert.Equal(TargetHealthState.Draining, h.Plane.Health.Find("g", "a")!.State);
    }

    [Fact]
    public async Task Weighted_forward_with_group_stickiness()
    {
        await using var h = new Harness();
        var a = await h.BackendAsync("a");
        var b = await h.BackendAsync("b");
        var forward = new ForwardAction([new WeightedTargetGroup("ga", 1), new WeightedTargetGroup("gb", 1)]) { StickinessDuration = TimeSpan.FromMinutes(1) };
        await h.Plane.ApplyAsync(h.Config([forward], [Group("ga", null, a), Group("gb", null, b)]));
        await h.WaitForHealthAsync(s => s.ByTargetGroup.Values.SelectMany(t => t).Count(t => t.State == TargetHealthState.Healthy) == 2);

        var seen = new HashSet<string>();
        for (var i = 0; i < 40 && seen.Count < 2; i++)
            seen.Add(await h.GetStringAsync());
        Assert.Equal(["a", "b"], seen.Order());

        using var first = await h.Client.GetAsync(h.Url("/"));
        var group = await first.Content.ReadAsStringAsync();
        var cookie = first.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("AWSALBTG=", StringComparison.Ordinal)).Split(';')[0];
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, h.Url("/"));
            request.Headers.Add("Cookie", cookie);
            using var response = await h.Client.SendAsync(request);
            Assert.Equal(group, await response.Content.ReadAsStringAsync());
        }

        // Weight 0 gets nothing.
        var zero = new ForwardAction([new WeightedTargetGroup("ga", 0), new WeightedTargetGroup("gb", 5)]);
        await h.Plane.ApplyAsync(h.Config([zero], [Group("ga", null, a), Group("gb", null, b)]));
        for (var i = 0; i < 6; i++)
            Assert.Equal("b", await h.GetStringAsync());
    }

    [Fact]
    public async Task A_request_still_in_flight_when_the_deregistration_delay_ends_is_cut()
    {
        await using var h = new Harness();
        var a = await h.BackendAsync("a");
        var group = Group("g", new TargetGroupAttributes { DeregistrationDelay = TimeSpan.FromMilliseconds(300) }, a);
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [group]));
        await h.WaitForStateAsync("g", "a", TargetHealthState.Healthy);
        var inFlight = h.Client.GetAsync(h.Url("/hold"));
        await Harness.PollAsync(() => a.Holding == 1);

        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [group with { Targets = [] }]));
        await h.WaitForHealthAsync(s => s.Find("g", "a") is null);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => inFlight);
        await Harness.PollAsync(() => a.Holding == 0);
    }

    [Fact]
    public async Task A_new_target_in_slow_start_gets_a_share_that_ramps_up_linearly()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        await using var h = new Harness(time);
        var old = await h.BackendAsync("old");
        var fresh = await h.BackendAsync("fresh");
        // Checks off: a registered target is healthy at once, so its slow start begins at the fake clock's now.
        var group = new TargetGroupConfig
        {
            Id = "g",
            HealthCheck = new HealthCheckConfig { Enabled = false },
            Attributes = new TargetGroupAttributes { SlowStart = TimeSpan.FromSeconds(100) },
            Targets = [Harness.Target(old)],
        };
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [group]));
        time.Advance(TimeSpan.FromSeconds(200));
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [group with { Targets = [Harness.Target(old), Harness.Target(fresh)] }]));

        async Task<int> ToFresh(int requests)
        {
            var before = fresh.Requests;
            for (var i = 0; i < requests; i++)
                await h.GetStringAsync();
            return fresh.Requests - before;
        }

        Assert.InRange(await ToFresh(200), 0, 12);      // share 0.01 → about 1 %
        time.Advance(TimeSpan.FromSeconds(50));
        Assert.InRange(await ToFresh(300), 60, 140);    // share 0.5 → a third
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(100, await ToFresh(200));          // out of slow start: plain round robin
    }
}
