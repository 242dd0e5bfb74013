using System.Diagnostics;
using System.Net;

namespace Berth.Docker.Tests;

/// <summary>Version, reachability, images and the error/timeout mapping against the real engine.</summary>
public sealed class EngineTests(DockerFixture fixture) : IClassFixture<DockerFixture>
{
    private readonly DockerClient _docker = fixture.Client;

    [Fact]
    public async Task Version_and_ping()
    {
        var version = await _docker.VersionAsync();
        Assert.Equal("1.41", version.ApiVersion);
        Assert.False(string.IsNullOrEmpty(version.Version));
        Assert.Equal("linux", version.Os);
        await _docker.PingAsync();
    }

    [Fact]
    public async Task Missing_socket_and_refused_tcp_are_unavailable()
    {
        using var missing = new DockerClient($"unix:///tmp/berth-no-such-{fixture.RunId}.sock");
        var ex = await Assert.ThrowsAsync<DockerUnavailableException>(() => missing.PingAsync());
        Assert.Equal("Ping", ex.Operation);

        using var refused = new DockerClient("tcp://127.0.0.1:1");
        await Assert.ThrowsAsync<DockerUnavailableException>(() => refused.VersionAsync());
    }

    [Fact]
    public void Unsupported_host_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => new DockerClient("npipe:////./pipe/docker_engine"));
    }

    [Fact]
    public async Task Image_inspect_exists_and_not_found()
    {
        var image = await _docker.InspectImageAsync(fixture.Image);
        Assert.StartsWith("sha256:", image.Id);
        Assert.Contains(fixture.Image, image.RepoTags!);
        Assert.Equal(["sh"], image.Config!.Cmd);
        Assert.True(await _docker.ImageExistsAsync(fixture.Image));

        var ex = await Assert.ThrowsAsync<DockerNotFoundException>(() => _docker.InspectImageAsync($"berth-test/none-{fixture.RunId}:nope"));
        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Contains("No such image", ex.DockerMessage, StringComparison.OrdinalIgnoreCase);
        Assert.False(await _docker.ImageExistsAsync($"berth-test/none-{fixture.RunId}:nope"));
    }

    [Fact]
    public async Task Pull_from_an_unreachable_loopback_registry_fails_fast_and_typed()
    {
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<DockerException>(
            () => _docker.PullImageAsync("127.0.0.1:1/nope:1", new RegistryAuth("user", "secret", "127.0.0.1:1")));
        Assert.Equal("PullImage", ex.Operation);
        Assert.Contains("connection refused", ex.DockerMessage, StringComparison.OrdinalIgnoreCase);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"pull took {watch.Elapsed}");
    }

    [Fact]
    public async Task Missing_container_and_image_are_not_found()
    {
        var ex = await Assert.ThrowsAsync<DockerNotFoundException>(() => _docker.InspectContainerAsync($"berth-test-missing-{fixture.RunId}"));
        Assert.Equal("InspectContainer", ex.Operation);
        await Assert.ThrowsAsync<DockerNotFoundException>(() => _docker.RemoveContainerAsync($"berth-test-missing-{fixture.RunId}", force: true));

        var spec = fixture.Spec("true") with { Image = $"berth-test/none-{fixture.RunId}:nope" };
        await Assert.ThrowsAsync<DockerNotFoundException>(() => _docker.CreateContainerAsync(fixture.Name("noimage"), spec));
    }

    [Fact]
    public async Task Duplicate_name_is_a_conflict()
    {
        await _docker.CreateContainerAsync(fixture.Name("dup"), fixture.Spec("true"));
        var ex = await Assert.ThrowsAsync<DockerConflictException>(() => _docker.CreateContainerAsync(fixture.Name("dup"), fixture.Spec("true")));
        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
        Assert.Contains("already in use", ex.DockerMessage);
    }

    [Fact]
    public async Task Timeout_on_a_wait_names_the_call_and_caller_cancellation_stays_cancellation()
    {
        var id = await fixture.RunAsync("waittimeout", fixture.Spec("sleep", "30"));
        using var impatient = new DockerClient(timeouts: DockerTimeouts.Default with { WaitContainer = TimeSpan.FromMilliseconds(300) });

        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<DockerTimeoutException>(() => impatient.WaitContainerAsync(id));
        Assert.Equal("WaitContainer", ex.Operation);
        Assert.Equal(TimeSpan.FromMilliseconds(300), ex.Timeout);
        Assert.Contains("WaitContainer", ex.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _docker.WaitContainerAsync(id, cancel.Token));

        // The client is still usable after abandoned long-running calls.
        Assert.True((await _docker.InspectContainerAsync(id)).State.Running);
    }
}
