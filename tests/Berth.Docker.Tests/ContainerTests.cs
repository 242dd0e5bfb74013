using System.Diagnostics;

namespace Berth.Docker.Tests;

/// <summary>Create/start/wait/stop/kill/inspect/list/logs/stats on the real engine.</summary>
public sealed class ContainerTests(DockerFixture fixture) : IClassFixture<DockerFixture>
{
    private readonly DockerClient _docker = fixture.Client;

    [Fact]
    public async Task Exit_code_is_returned_by_wait_and_inspect()
    {
        var id = await fixture.RunAsync("exit3", fixture.Spec("sh", "-c", "exit 3"));
        Assert.Equal(3, await _docker.WaitContainerAsync(id));

        var inspect = await _docker.InspectContainerAsync(id);
        Assert.Equal("exited", inspect.State.Status);
        Assert.False(inspect.State.Running);
        Assert.Equal(3, inspect.State.ExitCode);
        Assert.False(inspect.State.OOMKilled);
        Assert.NotNull(inspect.State.StartedAt);
        // For a process that exits at once the engine can record FinishedAt a few microseconds *before* StartedAt.
        Assert.NotNull(inspect.State.FinishedAt);
        Assert.True((inspect.State.FinishedAt.Value - inspect.State.StartedAt!.Value).Duration() < TimeSpan.FromSeconds(5));
        Assert.Equal($"/{fixture.Name("exit3")}", inspect.Name);
        Assert.Equal(fixture.RunId, inspect.Config!.Labels![DockerFixture.LabelKey]);
        Assert.Equal("default", inspect.HostConfig!.NetworkMode); // the engine reports "default" when no mode was given

        await _docker.RemoveContainerAsync(id);
        await Assert.ThrowsAsync<DockerNotFoundException>(() => _docker.InspectContainerAsync(id));
    }

    [Fact]
    public async Task Env_cmd_entrypoint_workdir_and_user_reach_the_process_and_logs_separate_streams()
    {
        var spec = fixture.Spec("echo out:$GREETING:$(pwd):$(id -u):$(id -g); echo err:$GREETING >&2; printf 'no newline'") with
        {
            Entrypoint = ["sh", "-c"],
            Env = ["GREETING=hello world"],
            WorkingDir = "/tmp/work",
            User = "1234:4321",
        };
        var id = await fixture.RunAsync("env", spec);
        Assert.Equal(0, await _docker.WaitContainerAsync(id));

        var lines = await fixture.LogsAsync(id);
        Assert.Equal(["out:hello world:/tmp/work:1234:4321", "no newline"], lines.Where(l => l.Stream == LogStream.Stdout).Select(l => l.Text));
        Assert.Equal(["err:hello world"], lines.Where(l => l.Stream == LogStream.Stderr).Select(l => l.Text));

        var tail = new List<LogLine>();
        await foreach (var line in _docker.ContainerLogsAsync(id, tail: 1))
            tail.Add(line);
        Assert.Single(tail);
    }

    [Fact]
    public async Task Followed_logs_stream_until_the_container_exits()
    {
        var id = await fixture.RunAsync("follow", fixture.Spec("sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done"));
        var lines = new List<string>();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var line in _docker.ContainerLogsAsync(id, follow: true, cancellationToken: cancel.Token))
            lines.Add(line.Text);
        Assert.Equal(["line1", "line2", "line3"], lines);
    }

    [Fact]
    public async Task Attached_output_counts_what_the_container_writes_without_frame_headers()
    {
        // Five bytes a write (atomic into the pipe, so the engine frames whole writes), on both streams, until the
        // test has read 100 bytes: with the frames' 8-byte headers counted, pieces would not be multiples of five.
        var id = await fixture.RunAsync("attach", fixture.Spec("sh", "-c", "while :; do echo tick; echo tock >&2; sleep 0.05; done"));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var pieces = new List<int>();
        await foreach (var size in _docker.AttachOutputAsync(id, tty: false, cancel.Token))
        {
            pieces.Add(size);
            if (pieces.Sum() >= 100)
                break;
        }

        Assert.All(pieces, size => Assert.Equal(0, size % 5));
        await _docker.KillContainerAsync(id);
    }

    [Fact]
    public async Task Stop_waits_for_the_timeout_only_when_TERM_is_ignored()
    {
        var trapping = await fixture.RunAsync("trap", fixture.Spec("sh", "-c", "trap 'exit 0' TERM; echo ready; while true; do sleep 0.1; done"));
        var ignoring = await fixture.RunAsync("ignore", fixture.Spec("sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"));
        // PID 1 without a handler ignores TERM, so the signal must not arrive before the trap is installed.
        await fixture.ReadyAsync(trapping);
        await fixture.ReadyAsync(ignoring);

        async Task<TimeSpan> StopAsync(string id)
        {
            var watch = Stopwatch.StartNew();
            await _docker.StopContainerAsync(id, timeoutSeconds: 2);
            return watch.Elapsed;
        }

        var times = await Task.WhenAll(StopAsync(trapping), StopAsync(ignoring));
        // Exit code 0 is the proof TERM ended the trapping one before the timeout (a kill would be 137);
        // only the lower bound on the ignoring one is a time fact that load cannot break.
        Assert.True(times[1] >= TimeSpan.FromSeconds(1.9), $"ignoring container took {times[1]}");
        Assert.Equal(0, (await _docker.InspectContainerAsync(trapping)).State.ExitCode);
        Assert.Equal(137, (await _docker.InspectContainerAsync(ignoring)).State.ExitCode);

        await _docker.StopContainerAsync(trapping, 2); // already stopped: 304 is fine
    }

    [Fact]
    public async Task Kill_delivers_the_signal_and_a_stopped_container_conflicts()
    {
        var id = await fixture.RunAsync("kill", fixture.Spec("sh", "-c", "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done"));
        await fixture.ReadyAsync(id);
        await _docker.KillContainerAsync(id, "SIGUSR1");
        Assert.Equal(42, await _docker.WaitContainerAsync(id));

        var hard = await fixture.RunAsync("kill9", fixture.Spec("sleep", "30"));
        await _docker.KillContainerAsync(hard);
        Assert.Equal(137, await _docker.WaitContainerAsync(hard));

        await Assert.ThrowsAsync<DockerConflictException>(() => _docker.KillContainerAsync(hard));
    }

    [Fact]
    public async Task List_filters_by_labels()
    {
        var labelsA = new Dictionary<string, string> { [DockerFixture.LabelKey] = fixture.RunId, ["role"] = "a" };
        var labelsB = new Dictionary<string, string> { [DockerFixture.LabelKey] = fixture.RunId, ["role"] = "b" };
        var a = await fixture.RunAsync("list-a", fixture.Spec("sleep", "30") with { Labels = labelsA });
        var b = await _docker.CreateContainerAsync(fixture.Name("list-b"), fixture.Spec("true") with { Labels = labelsB });

        var onlyA = await _docker.ListContainersAsync(new Dictionary<string, string?> { [DockerFixture.LabelKey] = fixture.RunId, ["role"] = "a" });
        Assert.Equal([a], onlyA.Select(c => c.Id));
        Assert.Equal("running", onlyA[0].State);
        Assert.Equal([$"/{fixture.Name("list-a")}"], onlyA[0].Names);

        var withRole = await _docker.ListContainersAsync(new Dictionary<string, string?> { [DockerFixture.LabelKey] = fixture.RunId, ["role"] = null });
        Assert.Equal(new[] { a, b }.Order(), withRole.Select(c => c.Id).Order());

        var running = await _docker.ListContainersAsync(new Dictionary<string, string?> { ["role"] = "b", [DockerFixture.LabelKey] = fixture.RunId }, all: false);
        Assert.Empty(running);
    }

    [Fact]
    public async Task Stats_report_memory_limit_and_cpu()
    {
        var spec = fixture.Spec("sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 30") with
        {
            HostConfig = new HostConfig { Memory = 64 << 20, CpuShares = 256 },
        };
        var id = await fixture.RunAsync("stats", spec);
        await Task.Delay(300);
        var stats = await _docker.ContainerStatsAsync(id);
        Assert.Equal(64L << 20, stats.MemoryLimit);
        Assert.True(stats.MemoryUsage > 0);
        Assert.True(stats.CpuTotalUsage > 0);
        Assert.True(stats.OnlineCpus > 0);
        Assert.NotNull(stats.Read);
    }

    [Fact]
    public async Task Missing_entrypoint_fails_start_with_a_docker_message()
    {
        var id = await _docker.CreateContainerAsync(fixture.Name("badexec"), fixture.Spec("/no/such/binary"));
        var ex = await Assert.ThrowsAnyAsync<DockerException>(() => _docker.StartContainerAsync(id));
        Assert.Contains("no such file", ex.DockerMessage, StringComparison.OrdinalIgnoreCase);
        var state = (await _docker.InspectContainerAsync(id)).State;
        Assert.False(state.Running);
        Assert.False(string.IsNullOrEmpty(state.Error));
    }
}
