using System.CommandLine;
using Berth.Protocol.Auth;
using Berth.Server.Hosting;

namespace Berth.Cli.Settings;

/// <summary>What <c>berth logs</c> runs with.</summary>
public sealed record LogsSettings(Uri Endpoint, string Cluster, string Task, bool Follow, TimeSpan PollInterval, string Region, SigningCredential Credential);

/// <summary><c>berth logs TASK [--follow]</c>: a task's containers' awslogs output, read through the server's CloudWatch Logs API.</summary>
internal sealed class LogsCommand
{
    private readonly BerthEnvironment _environment;
    private readonly Argument<string> _task = new("task") { Description = "The task's id or ARN." };
    private readonly Option<Uri> _endpoint = Flags.Url("--endpoint", new Uri($"http://127.0.0.1:{ServerOptions.DefaultPort}"), $"The Berth server (default http://127.0.0.1:{ServerOptions.DefaultPort}).");
    private readonly Option<string> _cluster = Flags.Text("--cluster", "default", "NAME", "The task's cluster (default: default).");
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep printing new lines until the task has stopped and its output is read." };
    private readonly Option<TimeSpan> _poll = Flags.Seconds("--poll", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(10), Flags.TimerLimit, "With --follow, seconds between reads (default 1).");
    private readonly Option<string> _dataDir;

    /// <summary>The command, with <paramref name="run"/> as what it does once its options are valid.</summary>
    public LogsCommand(BerthEnvironment environment, Func<LogsSettings, TextWriter, CancellationToken, Task<int>> run)
    {
        _environment = environment;
        _dataDir = ServerCommand.DataDir(environment);
        Command = new Command("logs", "Print a task's containers' output (containers that log with awslogs), read through the server's CloudWatch Logs API. Credentials as for berth metering.")
        {
            _task, _endpoint, _cluster, _follow, _poll, _dataDir,
        };
        Command.SetAction(async (parse, cancellation) =>
        {
            var region = _environment.Region ?? ServerOptions.DefaultRegion;
            if (Checks.RegionProblem(region, _environment.RegionVariable) is { } problem)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"berth logs: {problem}");
                return BerthCli.UsageExitCode;
            }

            if (MeteringCommand.CredentialFrom(_environment, Path.GetFullPath(parse.GetValue(_dataDir)!), "logs") is not { } credential)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("berth logs: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data dir.");
                return BerthCli.UsageExitCode;
            }

            var settings = new LogsSettings(parse.GetValue(_endpoint)!, parse.GetValue(_cluster)!, parse.GetValue(_task)!, parse.GetValue(_follow), parse.GetValue(_poll), region, credential);
            return await run(settings, parse.InvocationConfiguration.Output, cancellation);
        });
    }

    /// <summary>The <c>logs</c> command.</summary>
    public Command Command { get; }
}
