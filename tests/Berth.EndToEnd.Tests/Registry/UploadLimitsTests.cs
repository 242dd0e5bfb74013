using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Registry;

/// <summary>
/// <c>--registry-max-uploads</c> and <c>--registry-upload-expiry</c> on a real server: uploads past the cap are
/// refused by ECR (LimitExceededException) and on <c>/v2/</c> (429 TOOMANYREQUESTS), per repository, and an abandoned
/// upload is gone after the expiry, making room again.
/// </summary>
public sealed class UploadLimitsTests : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-uploads-");
    private BerthServer _server = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
        => _server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-local-agent", "--no-fargate", "--registry-max-uploads", "2", "--registry-upload-expiry", "1"]);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dataDir.Dispose();
    }

    [Fact]
    public async Task Uploads_past_the_cap_are_refused_and_abandoned_ones_expire()
    {
        var report = await Clients.PythonAsync(_server, "registry_uploads.py", timeout: TimeSpan.FromMinutes(2));
        Assert.All(report["first"]!.AsArray(), a => Assert.True((bool)a!["ok"]!, a.ToJsonString()));
        Assert.Equal("LimitExceededException", (string?)report["thirdEcr"]!["code"]);
        Assert.Equal((429, "TOOMANYREQUESTS"), ((int)report["thirdV2"]!["status"]!, (string?)report["thirdV2"]!["code"]));
        Assert.Equal(202, (int)report["otherRepository"]!["status"]!);
        Assert.Equal("UploadNotFoundException", (string?)report["abandonedPart"]!["code"]);
        Assert.Equal((404, "BLOB_UPLOAD_UNKNOWN"), ((int)report["abandonedV2"]!["status"]!, (string?)report["abandonedV2"]!["code"]));
        Assert.True((bool)report["afterExpiry"]!["ok"]!, report["afterExpiry"]!.ToJsonString());
    }
}
