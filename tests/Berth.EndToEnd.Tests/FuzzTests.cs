using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests;

/// <summary>
/// Every operation the server routes, fuzzed from botocore's own models (scripts/fuzz.py) in each protocol it speaks —
/// AWS JSON, query (ELBv2, EC2 Auto Scaling), rest-json (Scheduler), Smithy RPC v2 CBOR (CloudWatch) — and the
/// registry's <c>/v2/</c>: malformed bodies, a wrong type at every member path, numbers and timestamps out of range,
/// null list elements and map values, broken chunked framing, bad manifests, ranges, digests and tokens — all answered
/// 4xx with nothing committed to any store — and a null at every member path, a value outside its enum at every enum
/// member and (query) a list, map or structure given as one plain value, never a 5xx. The operations are found by
/// asking the server, so a service added later is fuzzed without touching this test. Also: two Authorization headers
/// are refused alike on every endpoint, and what the server writes is its own user's alone.
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

        // The services Berth answers are all found and fuzzed, in each of their protocols.
        var services = report["services"]!.AsObject();
        foreach (var service in new[] { "ecs", "ecr", "logs", "events", "application-autoscaling", "cloudwatch", "elbv2", "autoscaling", "scheduler", "cloudwatch-cbor", "registry-v2" })
        {
            Assert.True(services[service] is JsonValue count && (int)count > 40, $"{service} was not fuzzed: {services.ToJsonString()}");
        }

        Assert.True((int)report["cases"]!["null"]! > 500, report["cases"]!.ToJsonString());
        Assert.True((int)report["cases"]!["loose"]! > 300, report["cases"]!.ToJsonString());
        Assert.True(report["serverErrors"]!.AsArray().Count == 0, "5xx answers: " + report["serverErrors"]!.ToJsonString());
        Assert.True(report["accepted"]!.AsArray().Count == 0, "accepted: " + report["accepted"]!.ToJsonString());
        Assert.True(report["changedFiles"]!.AsArray().Count == 0, "written during the reject phase: " + report["changedFiles"]!.ToJsonString());

        // A step on an upload another step completed or cancelled finds it gone.
        var sequences = report["registrySequences"]!.AsArray();
        Assert.Equal(8, sequences.Count);
        Assert.All(sequences, s => Assert.True((int)s!["afterStatus"]! is 201 or 204 && (int)s["status"]! == 404 && (string?)s["code"] == "BLOB_UPLOAD_UNKNOWN", s!.ToJsonString()));

        // A body slower than the minimum data rate: 400 as the AWS edge answers it, and the upload is still there.
        var slow = report["slowBody"]!;
        Assert.True((int)slow["status"]! == 400 && (string?)slow["code"] == "BLOB_UPLOAD_INVALID" && (int)slow["uploadStatus"]! == 204, slow.ToJsonString());

        // Two Authorization headers: 400 alike on every endpoint, in each protocol's own error shape.
        var doubled = report["doubleAuthorization"]!.AsObject();
        Assert.Equal(["json", "query", "rest-json", "cbor", "registry"], doubled.Select(p => p.Key));
        foreach (var (endpoint, answer) in doubled)
        {
            var expected = endpoint == "registry" ? "UNAUTHORIZED" : "IncompleteSignatureException";
            Assert.True((int)answer!["status"]! == 400 && (string?)answer["code"] == expected, $"{endpoint}: {answer.ToJsonString()}");
        }
        Assert.False(_server.HasExited, _server.Output());
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_data_dir_and_every_file_the_server_writes_are_its_own_users_alone()
    {
        // Something in every store: a cluster (ecs), a repository (registry), a log group (logs), a rule (events).
        var calls = """
            [{"op": "create_cluster", "args": {"clusterName": "e2e-modes"}}]
            """;
        Expect.Ok((await Clients.OpsAsync(_server, calls))[0]);
        foreach (var command in new[]
        {
            new[] { "ecr", "create-repository", "--repository-name", "e2e-modes" },
            ["logs", "create-log-group", "--log-group-name", "e2e-modes"],
            ["events", "put-rule", "--name", "e2e-modes", "--schedule-expression", "rate(5 minutes)"],
        })
        {
            var result = await Clients.AwsAsync(_server, command);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        const UnixFileMode OwnerAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(OwnerAll, File.GetUnixFileMode(_dataDir.Path));
        var entries = Directory.EnumerateFileSystemEntries(_dataDir.Path, "*", SearchOption.AllDirectories).ToList();
        if (!SharedPostgres.Enabled)
        {
            // On PostgreSQL the stores are in the database; the data dir holds the registry's files alone.
            Assert.Contains(entries, e => e.EndsWith(".db-wal", StringComparison.Ordinal));
        }
        foreach (var entry in entries)
        {
            var mode = File.GetUnixFileMode(entry);
            Assert.True((mode & ~OwnerAll) == 0, $"{entry} is {mode}");
        }
    }
}
