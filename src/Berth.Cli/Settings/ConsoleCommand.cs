using System.CommandLine;
using Berth.Protocol.Auth;
using Berth.Server.Hosting;

namespace Berth.Cli.Settings;

/// <summary>What <c>berth console</c> runs with.</summary>
public sealed record ConsoleSettings(Uri Endpoint, string Region, SigningCredential Credential);

/// <summary><c>berth console [--endpoint URL]</c>: prints a one-time link that signs a browser into the web console.</summary>
internal sealed class ConsoleCommand
{
    private readonly BerthEnvironment _environment;
    private readonly Option<Uri> _endpoint = Flags.Url("--endpoint", new Uri($"http://127.0.0.1:{ServerOptions.DefaultPort}"), $"The Berth server (default http://127.0.0.1:{ServerOptions.DefaultPort}).");
    private readonly Option<string> _dataDir;

    /// <summary>The command, with <paramref name="run"/> as what it does once its options are valid.</summary>
    public ConsoleCommand(BerthEnvironment environment, Func<ConsoleSettings, TextWriter, CancellationToken, Task<int>> run)
    {
        _environment = environment;
        _dataDir = ServerCommand.DataDir(environment);
        Command = new Command("console", "Print a link that signs a browser into the web console (once, within 5 minutes) as the key in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else the data dir's credentials.json.")
        {
            _endpoint, _dataDir,
        };
        Command.SetAction(async (parse, cancellation) =>
        {
            var region = _environment.Region ?? ServerOptions.DefaultRegion;
            var problem = Checks.RegionProblem(region, _environment.RegionVariable);
            var credential = MeteringCommand.CredentialFrom(_environment, Path.GetFullPath(parse.GetValue(_dataDir)!), "console");
            problem ??= credential is null ? "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data dir." : null;
            if (problem is not null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"berth console: {problem}");
                return BerthCli.UsageExitCode;
            }

            return await run(new ConsoleSettings(parse.GetValue(_endpoint)!, region, credential!), parse.InvocationConfiguration.Output, cancellation);
        });
    }

    /// <summary>The <c>console</c> command.</summary>
    public Command Command { get; }
}
