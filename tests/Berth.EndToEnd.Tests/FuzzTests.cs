using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests;

/// <summary>
/// Every AWS JSON operation the server routes, fuzzed from botocore's own models (scripts/fuzz.py): malformed bodies,
/// a wrong JSON type at every member path, numbers and timestamps out of range, null list elements and map values —
/// all answered 4xx with nothing committed to any store — and a null at every member path, never a 5xx. The operations
/// are found by asking the server, so a service added later is fuzzed without touching this test.
/// </summary>
public sealed class FuzzTests : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-fuzz-");
    private BerthServer _server = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
        => _server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-local-agent", "--no-fargate"]);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dataDir.Dispose();
    }

    [Fact]
    public async Task No_malformed_or_out_of_range_input_is_a_server_error_or_writes_anything()
    {
        var report = await Clients.PythonAsync(_server, "fuzz.py", [_dataDir.Path], timeout: TimeSpan.FromMinutes(4));

        // The services Berth answers in AWS JSON are all found and fuzzed.
        var services = report["services"]!.AsObject();
        foreach (var service in new[] { "ecs", "ecr", "logs", "events" })
        {
            Assert.True(services[service] is JsonValue count && (int)count > 100, $"{service} was not fuzzed: {services.ToJsonString()}");
        }

        Assert.True((int)report["cases"]!["null"]! > 500, report["cases"]!.ToJsonString());
        Assert.True(report["serverErrors"]!.AsArray().Count == 0, "5xx answers: " + report["serverErrors"]!.ToJsonString());
        Assert.True(report["accepted"]!.AsArray().Count == 0, "accepted: " + report["accepted"]!.ToJsonString());
        Assert.True(report["changedFiles"]!.AsArray().Count == 0, "written during the reject phase: " + report["changedFiles"]!.ToJsonString());
        Assert.False(_server.HasExited, _server.Output());
    }
}
