using System.CommandLine;
using Berth.Protocol.Auth;
using Berth.Server.Hosting;

namespace Berth.Cli.Settings;

/// <summary>What <c>berth spot interrupt</c> runs with: one task, or how many (null: one).</summary>
public sealed record SpotSettings(Uri Endpoint, string? Task, int? Count, string Region, SigningCredential Credential);

/// <summary><c>berth spot interrupt [--task ARN | --count N]</c>: its flags and <see cref="SpotSettings"/> bound from them and the environment.</summary>
internal sealed class SpotCommand
{
    private readonly BerthEnvironment _environment;
    private readonly Option<Uri> _endpoint = Flags.Url("--endpoint", new Uri($"http://127.0.0.1:{ServerOptions.DefaultPort}"), $"The Berth server (default http://127.0.0.1:{ServerOptions.DefaultPort}).");
    private readonly Option<string?> _task = new("--task") { Description = "The FARGATE_SPOT task to interrupt (its ARN).", HelpName = "ARN" };
    private readonly Option<int?> _count = Flags.Whole("--count", 1, 1000, "N", "How many FARGATE_SPOT tasks to interrupt, the youngest first (default 1).");
    private readonly Option<string> _dataDir;

    /// <summary>The command, with <paramref name="run"/> as what it does once its options are valid.</summary>
    public SpotCommand(BerthEnvironment environment, Func<SpotSettings, TextWriter, CancellationToken, Task<int>> run)
    {
        _environment = environment;
        _dataDir = ServerCommand.DataDir(environment);
        var interrupt = new Command("interrupt", "Interrupt FARGATE_SPOT tasks as AWS takes spot capacity back: each gets ECS's two-minute warning (the task state change event, then SIGTERM and its stopTimeout), stopCode SpotInterruption. Credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else the data dir's credentials.json.")
        {
            _endpoint, _task, _count, _dataDir,
        };
        interrupt.SetAction(async (parse, cancellation) =>
        {
            var (settings, problem) = Bind(parse);
            if (problem is not null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"berth spot interrupt: {problem}");
                return BerthCli.UsageExitCode;
            }

            return await run(settings!, parse.InvocationConfiguration.Output, cancellation);
        });
        Command = new Command("spot", "FARGATE_SPOT capacity.") { interrupt };
    }

    /// <summary>The <c>spot</c> command.</summary>
    public Command Command { get; }

    /// <summary>The settings, or why there are none.</summary>
    public (SpotSettings? Settings, string? Problem) Bind(ParseResult parse)
    {
        var task = parse.GetValue(_task);
        var count = parse.GetValue(_count);
        if (task is not null && count is not null)
        {
            return (null, "give --task or --count, not both.");
        }

        var region = _environment.Region ?? ServerOptions.DefaultRegion;
        if (Checks.RegionProblem(region, _environment.RegionVariable) is { } problem)
        {
            return (null, problem);
        }

        var credential = MeteringCommand.CredentialFrom(_environment, Path.GetFullPath(parse.GetValue(_dataDir)!), "spot");
        return credential is null
            ? (null, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data dir.")
            : (new SpotSettings(parse.GetValue(_endpoint)!, task, count, region, credential), null);
    }
}
