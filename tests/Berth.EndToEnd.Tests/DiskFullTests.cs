using Berth.EndToEnd.Tests.Infrastructure;
namespace Berth.EndToEnd.Tests;

/// <summary>A fact that runs only as root (it mounts a file system); skipped with the reason otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    /// <summary>Skips the test unless the process is privileged.</summary>
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "Needs root to mount a 16 MiB tmpfs as the data dir (CI runs as root).";
        }
    }
}

/// <summary>
/// The server's data dir on a 16 MiB tmpfs that the test fills: every write that fails for lack of space answers
/// ServerException saying the storage is full, <c>/_berth/health</c> answers 503 with the reason, and writes go
/// through again once space is freed.
/// </summary>
public sealed class DiskFullTests : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-full-");
    private BerthServer? _server;
    private bool _mounted;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return;
        }

        var mount = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", _dataDir.Path], new Dictionary<string, string?>());
        Assert.True(mount.ExitCode == 0, mount.ToString());
        _mounted = true;
        _server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-local-agent", "--no-fargate"], sqliteOnly: true); // what it tests is the SQLite file in the data dir
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_mounted)
        {
            await ProcessRunner.RunAsync("umount", [_dataDir.Path], new Dictionary<string, string?>());
        }

        _dataDir.Dispose();
    }

    [RootFact]
    public async Task A_full_disk_is_ServerException_saying_so_health_is_503_and_writes_resume_once_space_returns()
    {
        var report = await Clients.PythonAsync(_server!, "disk_full.py", [_dataDir.Path], timeout: TimeSpan.FromMinutes(3));

        Assert.Equal(200, (int)report["healthBefore"]!["status"]!);
        Assert.Equal(503, (int)report["healthFull"]!["status"]!);
        Assert.StartsWith("storage is full", (string)report["healthFull"]!["body"]!["reason"]!, StringComparison.Ordinal);
        foreach (var (store, answer) in report["full"]!.AsObject())
        {
            Assert.True(answer!["ok"]!.GetValue<bool>() == false, $"{store} never refused a write: {answer.ToJsonString()}");
            Assert.True((int)answer["status"]! == 500 && (string?)answer["code"] == "ServerException", $"{store}: {answer.ToJsonString()}");
            Assert.Contains("storage is full", (string)answer["message"]!, StringComparison.Ordinal);
        }

        Assert.Equal(200, (int)report["healthAfter"]!["status"]!);
        foreach (var (write, answer) in report["after"]!.AsObject())
        {
            Assert.True(answer!["ok"]!.GetValue<bool>(), $"{write} after space returned: {answer.ToJsonString()}");
        }

        Assert.False(_server!.HasExited, _server.Output());
    }
}
