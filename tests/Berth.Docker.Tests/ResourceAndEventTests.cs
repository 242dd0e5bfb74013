namespace Berth.Docker.Tests;

/// <summary>Memory limits and OOM, health checks, and the event stream.</summary>
public sealed class ResourceAndEventTests(DockerFixture fixture) : IClassFixture<DockerFixture>
{
    private const long EightMiB = 8 << 20;

    private readonly DockerClient _docker = fixture.Client;

    private ContainerSpec OomSpec() => fixture.Spec("sh", "-c", "x=a; while true; do x=$x$x; done") with
    {
        HostConfig = new HostConfig { Memory = EightMiB, MemorySwap = EightMiB },
    };

    [Fact]
    public async Task Exceeding_the_memory_limit_is_reported_as_OOMKilled()
    {
        var id = await fixture.RunAsync("oom", OomSpec());
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(137, await _docker.WaitContainerAsync(id, cancel.Token));

        var inspect = await _docker.InspectContainerAsync(id);
        Assert.True(inspect.State.OOMKilled);
        Assert.Equal(EightMiB, inspect.HostConfig!.Memory);
    }

    [Fact]
    public async Task Health_check_reaches_healthy_and_unhealthy()
    {
        var interval = HealthcheckSpec.Nanoseconds(TimeSpan.FromMilliseconds(300));
        var healthy = await fixture.RunAsync("healthy", fixture.Spec("sh", "-c", "touch /ready; sleep 30") with
        {
            Healthcheck = new HealthcheckSpec { Test = ["CMD-SHELL", "test -f /ready"], Interval = interval, Timeout = HealthcheckSpec.Nanoseconds(TimeSpan.FromSeconds(2)), Retries = 2 },
        });
        var unhealthy = await fixture.RunAsync("unhealthy", fixture.Spec("sleep", "30") with
        {
            Healthcheck = new HealthcheckSpec { Test = ["CMD", "sh", "-c", "echo probe failed; exit 1"], Interval = interval, Retries = 2 },
        });

        var first = await _docker.InspectContainerAsync(healthy);
        Assert.Contains(first.State.Health!.Status, new[] { "starting", "healthy" });

        var good = await DockerFixture.PollAsync(() => _docker.InspectContainerAsync(healthy), c => c.State.Health?.Status == "healthy", TimeSpan.FromSeconds(15));
        Assert.Equal("healthy", good.State.Health!.Status);

        var bad = await DockerFixture.PollAsync(() => _docker.InspectContainerAsync(unhealthy), c => c.State.Health?.Status == "unhealthy", TimeSpan.FromSeconds(15));
        Assert.Equal("unhealthy", bad.State.Health!.Status);
        Assert.True(bad.State.Health.FailingStreak >= 2);
        Assert.Contains(bad.State.Health.Log!, entry => entry.ExitCode == 1 && entry.Output!.Contains("probe failed"));
    }

    [Fact]
    public async Task Events_report_die_with_exit_code_oom_and_health()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var exit3 = await fixture.RunAsync("ev-exit3", fixture.Spec("sh", "-c", "exit 3"));
        var oom = await fixture.RunAsync("ev-oom", OomSpec());
        var health = await fixture.RunAsync("ev-health", fixture.Spec("sleep", "30") with
        {
            Healthcheck = new HealthcheckSpec { Test = ["CMD", "true"], Interval = HealthcheckSpec.Nanoseconds(TimeSpan.FromMilliseconds(300)) },
        });

        var filters = new Dictionary<string, IReadOnlyList<string>>
        {
            ["type"] = ["container"],
            ["label"] = [$"{DockerFixture.LabelKey}={fixture.RunId}"],
        };
        var seen = new List<DockerEvent>();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await foreach (var e in _docker.EventsAsync(filters, since, cancellationToken: cancel.Token))
            {
                seen.Add(e);
                var done = seen.Any(x => x.ActorId == exit3 && x.Action == "die")
                    && seen.Any(x => x.ActorId == oom && x.Action == "die")
                    && seen.Any(x => x.ActorId == oom && x.Action == "oom")
                    && seen.Any(x => x.ActorId == health && x.HealthStatus == "healthy");
                if (done)
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"events seen before the timeout: {string.Join(", ", seen.Select(e => $"{e.Name}:{e.Action}"))}");
        }

        var die3 = seen.Single(e => e.ActorId == exit3 && e.Action == "die");
        Assert.Equal(3, die3.ExitCode);
        Assert.Equal(fixture.Name("ev-exit3"), die3.Name);
        Assert.Equal(fixture.RunId, die3.Attributes[DockerFixture.LabelKey]);
        Assert.True(die3.Time > since);
        Assert.Contains(seen, e => e.ActorId == exit3 && e.Action == "start");
        Assert.Equal(137, seen.Single(e => e.ActorId == oom && e.Action == "die").ExitCode);
    }

    [Fact]
    public async Task The_health_status_filter_yields_only_health_changes()
    {
        // Docker matches the filter "health_status" against the actions "health_status: healthy" and "...: unhealthy";
        // the agent's health comes from this stream instead of inspecting every container on a timer.
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var interval = HealthcheckSpec.Nanoseconds(TimeSpan.FromMilliseconds(300));
        var good = await fixture.RunAsync("hf-good", fixture.Spec("sleep", "30") with
        {
            Healthcheck = new HealthcheckSpec { Test = ["CMD", "true"], Interval = interval },
        });
        var bad = await fixture.RunAsync("hf-bad", fixture.Spec("sleep", "30") with
        {
            Healthcheck = new HealthcheckSpec { Test = ["CMD", "false"], Interval = interval, Retries = 1 },
        });

        var filters = new Dictionary<string, IReadOnlyList<string>>
        {
            ["type"] = ["container"],
            ["label"] = [$"{DockerFixture.LabelKey}={fixture.RunId}"],
            ["event"] = ["health_status"],
        };
        var seen = new List<DockerEvent>();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await foreach (var e in _docker.EventsAsync(filters, since, cancellationToken: cancel.Token))
            {
                seen.Add(e);
                if (seen.Any(x => x.ActorId == good && x.HealthStatus == "healthy") && seen.Any(x => x.ActorId == bad && x.HealthStatus == "unhealthy"))
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"events seen before the timeout: {string.Join(", ", seen.Select(e => $"{e.Name}:{e.Action}"))}");
        }

        Assert.All(seen, e => Assert.NotNull(e.HealthStatus));
        Assert.Equal(fixture.RunId, seen.First(e => e.ActorId == good).Attributes[DockerFixture.LabelKey]);
    }
}
