using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Health;

namespace Berth.LoadBalancing.Tests.DataPlane;

/// <summary>Real busybox httpd containers as targets: checks, round robin, a container that dies, draining.</summary>
public class ContainerTargetTests(BusyboxFixture docker) : IClassFixture<BusyboxFixture>
{
    [Fact]
    public async Task Traffic_reaches_both_containers_and_leaves_one_that_dies()
    {
        await using var h = new Harness();
        var one = await docker.StartHttpdAsync("one");
        var two = await docker.StartHttpdAsync("two");
        var group = new TargetGroupConfig
        {
            Id = "web",
            HealthCheck = Harness.FastChecks with { Interval = TimeSpan.FromMilliseconds(200) },
            Attributes = new TargetGroupAttributes { DeregistrationDelay = TimeSpan.FromMilliseconds(500) },
            Targets = [new TargetConfig("one", one.Address, 80), new TargetConfig("two", two.Address, 80)],
        };
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("web")], [group]));
        await h.WaitForHealthAsync(s => s.For("web").Length == 2 && s.For("web").All(t => t.State == TargetHealthState.Healthy));

        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
            answers.Add(await h.GetStringAsync("/index.html"));
        Assert.Equal(3, answers.Count(a => a == "one"));
        Assert.Equal(3, answers.Count(a => a == "two"));

        await docker.Client.KillContainerAsync(two.Id);
        await h.WaitForStateAsync("web", "two", TargetHealthState.Unhealthy);
        // Its address is gone from the bridge, so checks time out (a refused connection would be FailedHealthChecks).
        Assert.Contains(h.Plane.Health.Find("web", "two")!.Reason, new[] { TargetHealthReason.Timeout, TargetHealthReason.FailedHealthChecks });
        for (var i = 0; i < 4; i++)
            Assert.Equal("one", await h.GetStringAsync("/index.html"));

        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("web")], [group with { Targets = [group.Targets[0]] }]));
        Assert.Equal(TargetHealthState.Draining, h.Plane.Health.Find("web", "two")!.State);
        await h.WaitForHealthAsync(s => s.Find("web", "two") is null);
    }

    [Fact]
    public async Task A_health_check_path_that_is_not_found_is_a_response_code_mismatch()
    {
        await using var h = new Harness();
        var target = await docker.StartHttpdAsync("lost");
        var group = new TargetGroupConfig
        {
            Id = "lost",
            HealthCheck = Harness.FastChecks with { Path = "/missing", Matcher = "200-299" },
            Targets = [new TargetConfig("lost", target.Address, 80)],
        };
        await h.Plane.ApplyAsync(h.Config([ForwardAction.To("lost")], [group]));

        await h.WaitForStateAsync("lost", "lost", TargetHealthState.Unhealthy);
        Assert.Equal("Health checks failed with these codes: [404]", h.Plane.Health.Find("lost", "lost")!.Description);
        // Fail-open: the only target is unhealthy, so it still gets the request.
        Assert.Equal("lost", await h.GetStringAsync("/index.html"));
    }
}
