using Berth.Cli.Settings;
using Berth.Server.Hosting;

namespace Berth.Cli.Tests;

/// <summary>What one run of the <c>berth</c> command line did, with the options a command would have started with.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr, ServerOptions? Server, AgentSettings? Agent, MeteringSettings? Metering, SpotSettings? Spot = null, JoinTokenSettings? JoinToken = null)
{
    /// <summary>The stderr lines.</summary>
    public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// Runs the real command line (parsing, binding, checks) with <paramref name="environment"/> as the process environment
    /// and <paramref name="home"/> as the home directory; a command that gets as far as starting records its options instead.
    /// </summary>
    public static async Task<CliRun> InvokeAsync(string[] args, IReadOnlyDictionary<string, string?> environment, string home)
    {
        ServerOptions? server = null;
        AgentSettings? agent = null;
        MeteringSettings? metering = null;
        SpotSettings? spot = null;
        JoinTokenSettings? joinToken = null;
        var cli = new BerthCli(
            new BerthEnvironment(environment, home),
            new CommandRunners(
                (options, _) =>
                {
                    server = options;
                    return Task.FromResult(0);
                },
                (settings, _) =>
                {
                    agent = settings;
                    return Task.FromResult(0);
                },
                (settings, _, _) =>
                {
                    metering = settings;
                    return Task.FromResult(0);
                },
                null,
                (settings, _, _) =>
                {
                    spot = settings;
                    return Task.FromResult(0);
                },
                (settings, _, _) =>
                {
                    joinToken = settings;
                    return Task.FromResult(0);
                }));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await cli.InvokeAsync(args, stdout, stderr);
        return new CliRun(exit, stdout.ToString(), stderr.ToString(), server, agent, metering, spot, joinToken);
    }
}
