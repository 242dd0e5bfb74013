using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Berth.LoadBalancing.Config;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Berth.LoadBalancing.Tests.DataPlane;

/// <summary>Real HTTP through the data plane to real Kestrel backends on loopback: rules, actions, ALB's errors and headers.</summary>
public class RoutingTests
{
    private static TargetGroupConfig Group(string id, params Backend[] backends) => new()
    {
        Id = id,
        HealthCheck = new HealthCheckConfig { Enabled = false },
        Targets = [.. backends.Select(Harness.Target)],
    };

    [Fact]
    public async Task Rules_route_by_path_and_host_by_priority_then_the_default_action()
    {
        await using var h = new Harness();
        var api = await h.BackendAsync("api");
        var web = await h.BackendAsync("web");
        var admin = await h.BackendAsync("admin");
        await h.Plane.ApplyAsync(h.Config(
            [new FixedResponseAction(404, "text/plain", "no route")],
            [Group("api", api), Group("web", web), Group("admin", admin)],
            [
                new RuleConfig { Id = "r-web", Priority = 20, Conditions = [new HostHeaderCondition(["www.*"])], Actions = [ForwardAction.To("web")] },
                new RuleConfig { Id = "r-api", Priority = 10, Conditions = [new PathPatternCondition(["/api/*"])], Actions = [ForwardAction.To("api")] },
                new RuleConfig { Id = "r-admin", Priority = 5, Conditions = [new PathPatternCondition(["/api/admin*"]), new HttpRequestMethodCondition(["POST"])], Actions = [ForwardAction.To("admin")] },
            ]));

        Assert.Equal("api", await h.GetStringAsync("/api/users"));
        Assert.Equal("api", await h.GetStringAsync("/api/admin"));
        using (var post = await h.Client.PostAsync(h.Url("/api/admin/x"), new StringContent("")))
            Assert.Equal("admin", await post.Content.ReadAsStringAsync());
        using (var request = new HttpRequestMessage(HttpMethod.Get, h.Url("/anything")) { Headers = { Host = "www.example.com" } })
        using (var response = await h.Client.SendAsync(request))
            Assert.Equal("web", await response.Content.ReadAsStringAsync());

        using var miss = await h.Client.GetAsync(h.Url("/nothing"));
        Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        Assert.Equal("no route", await miss.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", miss.Content.Headers.ContentType?.MediaType);

        // The request counts behind ALB's RequestCount metrics: every request served, and those forwarded per group.
        Assert.Equal(
            ["lb  5", "lb admin 1", "lb api 2", "lb web 1"],
            h.Plane.TakeRequestCounts().Select(c => $"{c.LoadBalancerId} {c.TargetGroupId} {c.Requests}").Order(StringComparer.Ordinal));
        Assert.Empty(h.Plane.TakeRequestCounts());
        Assert.Equal(["admin", "api", "web"], h.Plane.TargetGroupsInUse.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Targets_get_ALB_s_forwarding_headers_and_the_client_s_host()
    {
        await using var h = new Harness();
        var backend = await h.BackendAsync("b");
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [Group("g", backend)]));

        using var request = new HttpRequestMessage(HttpMethod.Get, h.Url("/headers")) { Headers = { Host = "shop.example.com" } };
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.9");
        using var response = await h.Client.SendAsync(request);
        var seen = Backend.ParseHeaders(await response.Content.ReadAsStringAsync());

        Assert.Equal("shop.example.com", seen["Host"]);
        Assert.Equal("203.0.113.9, 127.0.0.1", seen["X-Forwarded-For"]);
        Assert.Equal("http", seen["X-Forwarded-Proto"]);
        Assert.Equal(h.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), seen["X-Forwarded-Port"]);
        Assert.Matches("^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$", seen["X-Amzn-Trace-Id"]);
    }

    [Fact]
    public async Task Fixed_responses_and_redirects()
    {
        await using var h = new Harness();
        await h.Plane.ApplyAsync(h.Config(
            [new FixedResponseAction(200, "application/json", """{"ok":true}""")],
            [],
            [
                new RuleConfig { Id = "r1", Priority = 1, Conditions = [new PathPatternCondition(["/old/*"])], Actions = [new RedirectAction { Path = "/new/#{path}", StatusCode = 301 }] },
                new RuleConfig { Id = "r2", Priority = 2, Conditions = [new PathPatternCondition(["/secure"])], Actions = [new RedirectAction { Protocol = "HTTPS", Port = "443", Host = "secure.#{host}" }] },
            ]));

        using var fixedResponse = await h.Client.GetAsync(h.Url("/"));
        Assert.Equal(HttpStatusCode.OK, fixedResponse.StatusCode);
        Assert.Equal("application/json", fixedResponse.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"ok":true}""", await fixedResponse.Content.ReadAsStringAsync());

        using var moved = await h.Client.GetAsync(h.Url("/old/page?x=1"));
        Assert.Equal(HttpStatusCode.MovedPermanently, moved.StatusCode);
        Assert.Equal($"http://{h.Address}:{h.Port}/new/old/page?x=1", moved.Headers.Location?.ToString());

        using var request = new HttpRequestMessage(HttpMethod.Get, h.Url("/secure")) { Headers = { Host = "example.com" } };
        using var found = await h.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Found, found.StatusCode);
        Assert.Equal("https://secure.example.com/secure", found.Headers.Location?.ToString());
    }

    [Fact]
    public async Task No_registered_targets_is_503_with_ALB_s_page()
    {
        await using var h = new Harness();
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("empty")], [new TargetGroupConfig { Id = "empty" }]));

        using var response = await h.Client.GetAsync(h.Url("/"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("awselb/2.0", response.Headers.Server.ToString());
        Assert.Equal(
            "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_target_that_refuses_is_502()
    {
        await using var h = new Harness();
        var closedPort = Harness.FreePort(IPAddress.Loopback);
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")],
            [new TargetGroupConfig { Id = "g", HealthCheck = new HealthCheckConfig { Enabled = false }, Targets = [new TargetConfig("dead", "127.0.0.1", closedPort)] }]));

        using var response = await h.Client.GetAsync(h.Url("/"));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("<title>502 Bad Gateway</title>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_target_is_504_after_the_idle_timeout()
    {
        await using var h = new Harness();
        var backend = await h.BackendAsync("slow");
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [Group("g", backend)], idleTimeout: TimeSpan.FromMilliseconds(500)));

        using var response = await h.Client.GetAsync(h.Url("/hold"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("<title>504 Gateway Time-out</title>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSockets_pass_through()
    {
        await using var h = new Harness();
        var backend = await h.BackendAsync("ws");
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("g")], [Group("g", backend)]));

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{h.Address}:{h.Port}/ws"), CancellationToken.None);
        foreach (var message in new[] { "hello", "again" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal($"ws:{message}", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task Listeners_open_retarget_and_close_at_run_time_and_share_a_port_across_addresses()
    {
        await using var h = new Harness();
        var one = await h.BackendAsync("one");
        var two = await h.BackendAsync("two");
        var other = Harness.NextAddress();
        TargetGroupConfig[] groups = [Group("g1", one), Group("g2", two)];
        LoadBalancerConfig Lb(string id, IPAddress address, string group) => new()
        {
            Id = id,
            Address = address,
            Listeners = [new ListenerConfig { Id = id + "-l", Port = h.Port, DefaultActions = [ForwardAction.To(group)] }],
        };

        await h.Plane.ApplyAsync(new DataPlaneConfig { LoadBalancers = [Lb("a", h.Address, "g1")], TargetGroups = groups });
        Assert.Equal("one", await h.GetStringAsync());
        await Assert.ThrowsAsync<HttpRequestException>(() => h.Client.GetAsync($"http://{other}:{h.Port}/"));

        // A second load balancer on the same port at another loopback address.
        await h.Plane.ApplyAsync(new DataPlaneConfig { LoadBalancers = [Lb("a", h.Address, "g1"), Lb("b", other, "g2")], TargetGroups = groups });
        Assert.Equal("one", await h.GetStringAsync());
        Assert.Equal("two", await h.Client.GetStringAsync($"http://{other}:{h.Port}/"));

        // Retargeted in place: the listener stays open, its default action changes.
        await h.Plane.ApplyAsync(new DataPlaneConfig { LoadBalancers = [Lb("a", h.Address, "g2"), Lb("b", other, "g2")], TargetGroups = groups });
        Assert.Equal("two", await h.GetStringAsync());

        await h.Plane.ApplyAsync(new DataPlaneConfig { LoadBalancers = [Lb("b", other, "g2")], TargetGroups = groups });
        Assert.Equal([new IPEndPoint(other, h.Port)], h.Plane.ListeningEndpoints);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => new HttpClient().GetAsync(h.Url("/")));
        Assert.IsType<SocketException>(refused.InnerException);
    }

    [Fact]
    public async Task A_taken_port_fails_that_listener_only()
    {
        await using var h = new Harness();
        var backend = await h.BackendAsync("b");
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var taken = Harness.NextAddress();
        squatter.Bind(new IPEndPoint(taken, h.Port));
        squatter.Listen();
        var config = h.Config([ForwardAction.To("g")], [Group("g", backend)]);
        config = config with
        {
            LoadBalancers = [.. config.LoadBalancers, new LoadBalancerConfig { Id = "lb2", Address = taken, Listeners = [new ListenerConfig { Id = "l2", Port = h.Port, DefaultActions = [ForwardAction.To("g")] }] }],
        };

        var error = await Assert.ThrowsAsync<AggregateException>(() => h.Plane.ApplyAsync(config));
        Assert.Contains("l2", error.InnerExceptions.Single().Message, StringComparison.Ordinal);
        Assert.Equal("b", await h.GetStringAsync());
    }

    [Fact]
    public async Task Hosted_in_a_generic_host_it_stops_listening_with_the_host()
    {
        var address = Harness.NextAddress();
        var port = Harness.FreePort(address);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLoadBalancerDataPlane();
        using var host = builder.Build();
        await host.StartAsync();
        var plane = host.Services.GetRequiredService<LoadBalancerDataPlane>();
        await plane.ApplyAsync(new DataPlaneConfig
        {
            LoadBalancers = [new LoadBalancerConfig { Id = "lb", Address = address, Listeners = [new ListenerConfig { Id = "l", Port = port, DefaultActions = [new FixedResponseAction(200, null, "up")] }] }],
        });
        using var client = new HttpClient();
        Assert.Equal("up", await client.GetStringAsync($"http://{address}:{port}/"));

        await host.StopAsync();
        Assert.Empty(plane.ListeningEndpoints);
        await Assert.ThrowsAsync<HttpRequestException>(() => new HttpClient().GetAsync($"http://{address}:{port}/"));
    }
}
