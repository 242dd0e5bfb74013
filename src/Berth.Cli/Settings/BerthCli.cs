using System.CommandLine;
using Berth.Server.Hosting;

namespace Berth.Cli.Settings;

/// <summary>What each command does once its options are bound and valid (the real ones in Program; tests capture the options).</summary>
internal sealed record CommandRunners(
    Func<ServerOptions, CancellationToken, Task<int>> Server,
    Func<AgentSettings, CancellationToken, Task<int>> Agent,
    Func<MeteringSettings, TextWriter, CancellationToken, Task<int>> Metering,
    Func<LogsSettings, TextWriter, CancellationToken, Task<int>>? Logs = null,
    Func<SpotSettings, TextWriter, CancellationToken, Task<int>>? Spot = null,
    Func<JoinTokenSettings, TextWriter, CancellationToken, Task<int>>? JoinToken = null,
    Func<ConsoleSettings, TextWriter, CancellationToken, Task<int>>? Console = null);

/// <summary>
/// The <c>berth</c> command line: every subcommand's flags, bound with the environment into that process's one
/// options model and checked before anything starts. A bad value is one line on stderr and exit code 2.
/// </summary>
internal sealed class BerthCli
{
    /// <summary>The exit code of a command refused for its arguments or environment (as a shell builtin's misuse).</summary>
    public const int UsageExitCode = 2;

    private readonly RootCommand _root;

    /// <summary>The command line over <paramref name="environment"/>, running <paramref name="runners"/>.</summary>
    public BerthCli(BerthEnvironment environment, CommandRunners runners)
    {
        Server = new ServerCommand(environment, runners.Server);
        Agent = new AgentCommand(environment, runners.Agent);
        Metering = new MeteringCommand(environment, runners.Metering);
        Logs = new LogsCommand(environment, runners.Logs ?? ((_, _, _) => Task.FromResult(0)));
        Spot = new SpotCommand(environment, runners.Spot ?? ((_, _, _) => Task.FromResult(0)));
        JoinToken = new JoinTokenCommand(environment, runners.JoinToken ?? ((_, _, _) => Task.FromResult(0)));
        Console = new ConsoleCommand(environment, runners.Console ?? ((_, _, _) => Task.FromResult(0)));
        _root = new RootCommand("Berth: a self-hosted container platform that speaks the ECS API.") { Server.Command, Agent.Command, Metering.Command, Logs.Command, Spot.Command, JoinToken.Command, Console.Command };
    }

    /// <summary><c>berth server</c>.</summary>
    public ServerCommand Server { get; }

    /// <summary><c>berth agent</c>.</summary>
    public AgentCommand Agent { get; }

    /// <summary><c>berth metering</c>.</summary>
    public MeteringCommand Metering { get; }

    /// <summary><c>berth logs</c>.</summary>
    public LogsCommand Logs { get; }

    /// <summary><c>berth spot</c>.</summary>
    public SpotCommand Spot { get; }

    /// <summary><c>berth console</c>.</summary>
    public ConsoleCommand Console { get; }

    /// <summary><c>berth join-token</c>.</summary>
    public JoinTokenCommand JoinToken { get; }

    /// <summary>Parses <paramref name="args"/> and runs the command; its exit code.</summary>
    public async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var parse = _root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line per error, without the help screen System.CommandLine would print after them.
            // The whole path of the command (berth spot interrupt), not its last name alone.
            var names = new List<string>();
            for (var result = parse.CommandResult; result is not null && result.Command != _root; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            {
                names.Insert(0, result.Command.Name);
            }

            var command = string.Join(' ', ["berth", .. names]);
            foreach (var message in parse.Errors.Select(e => e.Message).Distinct(StringComparer.Ordinal))
            {
                await error.WriteLineAsync($"{command}: {message}");
            }

            return UsageExitCode;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }
}
