using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests;

/// <summary>
/// The real <c>./berth</c> refusing bad settings before it starts anything, and a real server that stays up, answering
/// ServerException, when its SQLite file refuses a write.
/// </summary>
[Collection(OwnServerCollection.Name)]
public sealed class CommandLineTests
{
    [Fact]
    public async Task A_port_outside_1_to_65535_is_one_line_on_stderr_and_exit_code_2()
    {
        var result = await ProcessRunner.RunAsync(Repo.Launcher, ["server", "--port", "99999"], CleanEnvironment(), timeout: TimeSpan.FromMinutes(8));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(["berth server: --port must be a whole number from 1 to 65535 (got '99999')."], BerthLines(result.Stderr));
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task A_bad_account_id_from_the_environment_is_one_line_on_stderr_and_exit_code_2()
    {
        using var dataDir = new TempDir();
        var environment = CleanEnvironment();
        environment["BERTH_ACCOUNT_ID"] = "12345";
        var result = await ProcessRunner.RunAsync(Repo.Launcher, ["server", "--data-dir", dataDir.Path, "--no-local-agent"], environment, timeout: TimeSpan.FromMinutes(8));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(["berth server: BERTH_ACCOUNT_ID must be 12 digits, such as 000000000000 (got '12345')."], BerthLines(result.Stderr));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dataDir.Path));
    }

    [Fact]
    public async Task A_write_SQLite_refuses_is_ServerException_and_the_server_goes_on()
    {
        using var dataDir = new TempDir();
        await using var server = await BerthServer.StartAsync(dataDir.Path, extraArguments: ["--no-local-agent", "--no-fargate"], sqliteOnly: true); // what it tests is the SQLite file in the data dir

        // SQLite itself refuses the cluster's row, from a trigger added to the live database (WAL allows the second writer).
        var trigger = await ProcessRunner.RunAsync(
            "python3",
            [
                "-c",
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                + "c.execute(\"CREATE TRIGGER refuse BEFORE INSERT ON documents WHEN NEW.id LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END\"); c.commit()",
                Path.Combine(dataDir.Path, "state.db"),
            ],
            new Dictionary<string, string?>());
        Assert.True(trigger.ExitCode == 0, trigger.ToString());

        var refused = await Clients.AwsErrorAsync(server, "ServerException", "CreateCluster", "ecs", "create-cluster", "--cluster-name", "poison");
        Assert.Contains("An internal error occurred", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("refused by the test", refused, StringComparison.Ordinal);

        // The writer goes on: the next write commits, the refused one was never published.
        await Clients.AwsJsonAsync(server, "ecs", "create-cluster", "--cluster-name", "after");
        var clusters = (await Clients.AwsJsonAsync(server, "ecs", "list-clusters"))!["clusterArns"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Contains(clusters, a => a.EndsWith("/after", StringComparison.Ordinal));
        Assert.DoesNotContain(clusters, a => a.EndsWith("/poison", StringComparison.Ordinal));
        Assert.False(server.HasExited);
        Assert.Contains("failed; none of them was applied", server.Stdout, StringComparison.Ordinal);
    }

    // The launcher's own notes ("berth: building ...", "berth: Docker Engine ...") are not the command's output.
    private static string[] BerthLines(string stderr)
        => [.. stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith("berth: ", StringComparison.Ordinal))];

    // As the server helper does: nothing of the test host's build or of the machine's Berth/AWS settings leaks in.
    private static Dictionary<string, string?> CleanEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("BERTH_", StringComparison.Ordinal) || name.StartsWith("AWS_", StringComparison.Ordinal) || name == "DOCKER_HOST")
            {
                environment[name] = null;
            }
        }

        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        return environment;
    }
}
