using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Berth.EndToEnd.Tests;

/// <summary>Crashes, graceful stops, restarts and concurrency, each on servers of its own.</summary>
[Collection(OwnServerCollection.Name)]
public sealed class DurabilityTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Kill_9_under_load_loses_no_acknowledged_write()
    {
        using var dataDir = new TempDir();
        using var scratch = new TempDir();
        JsonNode load;
        await using (var server = await BerthServer.StartAsync(dataDir.Path))
        {
            // The pid is the dotnet process itself (the launcher execs it), so SIGKILL hits the server, not a shell.
            Assert.Contains("berth.dll", server.CommandLine(), StringComparison.Ordinal);

            // 200 calls from 8 threads; the script sends SIGKILL itself right after the 60th acknowledgement, so calls are in flight.
            load = await Clients.PythonAsync(server, "load.py", ["dur", "200", "8", "60", server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "KILL"], timeout: TimeSpan.FromMinutes(2));
            await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(137, server.ExitCode);
        }

        var acks = load["acks"]!.AsArray();
        output.WriteLine($"acknowledged {acks.Count}, failed {load["failures"]!.AsArray().Count}, in flight at the kill {load["inFlightAtSignal"]}");
        Assert.Equal(60, (int?)load["signalledAfter"]);
        Assert.True(acks.Count < 200, "the kill came after every call had finished");
        Assert.NotEmpty(load["failures"]!.AsArray());
        Assert.True((int?)load["inFlightAtSignal"] > 0, "no call was in flight at the kill");

        var acksFile = scratch.File("acks.json");
        await File.WriteAllTextAsync(acksFile, load.ToJsonString());
        await using (var restarted = await BerthServer.StartAsync(dataDir.Path))
        {
            var verified = await Clients.PythonAsync(restarted, "verify.py", ["dur", acksFile]);
            output.WriteLine(verified.ToJsonString());
            Assert.Empty(verified["problems"]!.AsArray());
            Assert.Equal(acks.Count(a => (string?)a!["kind"] == "cluster"), (int?)verified["ackedClusters"]);
            Assert.True((int?)verified["listedRevisions"] >= (int?)verified["ackedRevisions"]);
            Assert.Equal((int?)verified["listedRevisions"], (int?)verified["completeRevisions"]);
        }
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_family_get_revisions_1_to_400_exactly()
    {
        using var dataDir = new TempDir();
        await using var server = await BerthServer.StartAsync(dataDir.Path);
        var report = await Clients.PythonAsync(server, "concurrency.py", ["conc-family", "16", "25"], timeout: TimeSpan.FromMinutes(2));

        var revisions = report["registered"]!.AsArray().Select(r => (int)r!["revision"]!).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 400), revisions);
        var arns = report["registered"]!.AsArray().Select(r => (string)r!["arn"]!).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(400, arns.Count);
        Assert.Equal(400, report["registered"]!.AsArray().Select(r => (string)r!["image"]!).Distinct().Count());

        var listed = Expect.Strings(report["listed"]);
        Assert.Equal(Enumerable.Range(1, 400).Select(i => $"arn:aws:ecs:us-east-1:000000000000:task-definition/conc-family:{i}"), listed);
        Assert.Equal(400, (int?)report["latest"]);
    }

    [Fact]
    public async Task The_server_watches_no_files_so_its_own_writes_cost_no_events()
    {
        // Started in the repository root (thousands of folders), as a user starts it in a home that holds ~/.berth.
        using var dataDir = new TempDir();
        await using var server = await BerthServer.StartAsync(dataDir.Path, extraArguments: ["--no-local-agent", "--no-fargate"]);
        var watches = 0;
        foreach (var fd in Directory.GetFiles($"/proc/{server.ProcessId}/fd"))
        {
            if (new FileInfo(fd).LinkTarget == "anon_inode:inotify")
            {
                watches += File.ReadLines($"/proc/{server.ProcessId}/fdinfo/{Path.GetFileName(fd)}").Count(l => l.StartsWith("inotify ", StringComparison.Ordinal));
            }
        }

        Assert.Equal(0, watches);
    }

    [Fact]
    public async Task Sigterm_drains_exits_0_within_seconds_and_state_survives()
    {
        using var dataDir = new TempDir();
        using var scratch = new TempDir();
        JsonNode load;
        await using (var server = await BerthServer.StartAsync(dataDir.Path))
        {
            var seeded = await Clients.OpsAsync(server, """
                [
                  {"op": "create_cluster", "args": {"clusterName": "term-seed", "tags": [{"key": "i", "value": "seed"}]}},
                  {"op": "put_account_setting", "args": {"name": "taskLongArnFormat", "value": "disabled"}}
                ]
                """);
            Assert.All(seeded, r => Expect.Ok(r));

            // SIGTERM right after the 40th acknowledgement of 120, while other calls are in flight.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            load = await Clients.PythonAsync(server, "load.py", ["term", "120", "8", "40", server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "TERM"], timeout: TimeSpan.FromMinutes(2));
            await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
            output.WriteLine($"load finished and server exited {clock.Elapsed.TotalSeconds:F1}s after the load started");
            Assert.Equal(0, server.ExitCode);
            Assert.Contains("Berth stopping", server.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal(40, (int?)load["signalledAfter"]);
        var acksFile = scratch.File("acks.json");
        await File.WriteAllTextAsync(acksFile, load.ToJsonString());
        await using (var restarted = await BerthServer.StartAsync(dataDir.Path))
        {
            var verified = await Clients.PythonAsync(restarted, "verify.py", ["term", acksFile]);
            output.WriteLine(verified.ToJsonString());
            Assert.Empty(verified["problems"]!.AsArray());

            var after = await Clients.OpsAsync(restarted, """
                [
                  {"op": "describe_clusters", "args": {"clusters": ["term-seed"], "include": ["TAGS"]}},
                  {"op": "list_account_settings", "args": {"name": "taskLongArnFormat"}}
                ]
                """);
            var cluster = Expect.Ok(after[0])["clusters"]![0]!;
            Assert.Equal("ACTIVE", (string?)cluster["status"]);
            Assert.Equal("seed", (string?)cluster["tags"]![0]!["value"]);
            Assert.Equal("disabled", (string?)Expect.Ok(after[1])["settings"]![0]!["value"]);

            // A quiet server stops quickly too.
            var (exitCode, elapsed) = await restarted.TerminateAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, exitCode);
            Assert.True(elapsed < TimeSpan.FromSeconds(5), $"SIGTERM took {elapsed}");
        }
    }

    [Fact]
    public async Task Generated_credentials_are_shown_once_kept_in_the_data_dir_and_survive_restart()
    {
        using var dataDir = new TempDir();
        string accessKeyId, secret;
        await using (var first = await BerthServer.StartAsync(dataDir.Path, environmentCredentials: false))
        {
            accessKeyId = first.AccessKeyId;
            secret = first.SecretAccessKey;
            Assert.NotEqual(BerthServer.TestAccessKeyId, accessKeyId);
            Assert.Matches("^[A-Z0-9]{16,128}$", accessKeyId);
            Assert.True(secret.Length >= 40, "secret too short");
            Assert.Contains($"AWS_ACCESS_KEY_ID={accessKeyId}", first.Stdout, StringComparison.Ordinal);
            Assert.Contains($"AWS_SECRET_ACCESS_KEY={secret}", first.Stdout, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir.Path, "credentials.json")));
            }

            Expect.Ok((await Clients.OpsAsync(first, """[{"op": "create_cluster", "args": {"clusterName": "creds"}}]"""))[0]);
            var (exitCode, _) = await first.TerminateAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, exitCode);
        }

        await using var second = await BerthServer.StartAsync(dataDir.Path, environmentCredentials: false);
        Assert.Equal(accessKeyId, second.AccessKeyId);
        Assert.Equal(secret, second.SecretAccessKey);
        Assert.DoesNotContain(secret, second.Stdout + second.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("generated root credentials", second.Stdout, StringComparison.Ordinal);

        var listed = Expect.Strings(Expect.Ok((await Clients.OpsAsync(second, """[{"op": "list_clusters"}]"""))[0])["clusterArns"]);
        Assert.Contains("arn:aws:ecs:us-east-1:000000000000:cluster/creds", listed);
    }
}
