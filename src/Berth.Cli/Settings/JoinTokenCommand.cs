using System.CommandLine;
using System.Globalization;
using Berth.Protocol.Auth;
using Berth.Server.Hosting;

namespace Berth.Cli.Settings;

/// <summary>What <c>berth join-token</c> runs with: the action (create, list, revoke) and its values.</summary>
public sealed record JoinTokenSettings(Uri Endpoint, string Action, string? Cluster, TimeSpan? Expires, string? Description, string? TokenId, string Region, SigningCredential Credential);

/// <summary><c>berth join-token create|list|revoke</c>: tokens an agent on another host joins with instead of the account's keys.</summary>
internal sealed class JoinTokenCommand
{
    private readonly BerthEnvironment _environment;
    private readonly Option<Uri> _endpoint = Flags.Url("--endpoint", new Uri($"http://127.0.0.1:{ServerOptions.DefaultPort}"), $"The Berth server (default http://127.0.0.1:{ServerOptions.DefaultPort}).");
    private readonly Option<string?> _cluster = new("--cluster") { Description = "The only cluster agents joining with the token may join (default: the one each agent names).", HelpName = "NAME" };
    private readonly Option<string?> _expires = new("--expires") { Description = "How long the token can be used to join: 90s, 30m, 24h, 7d, or never (default 24h).", HelpName = "DURATION" };
    private readonly Option<string?> _description = new("--description") { Description = "A note kept with the token.", HelpName = "TEXT" };
    private readonly Argument<string> _id = new("TOKEN-ID") { Description = "The token's id (BJT...), as `list` shows it." };
    private readonly Option<string> _dataDir;

    /// <summary>The command, with <paramref name="run"/> as what it does once its options are valid.</summary>
    public JoinTokenCommand(BerthEnvironment environment, Func<JoinTokenSettings, TextWriter, CancellationToken, Task<int>> run)
    {
        _environment = environment;
        _dataDir = ServerCommand.DataDir(environment);
        var create = new Command("create", "Make a join token and print it as the last line. `berth agent --join-token TOKEN` joins with it: the agent gets a key of its own that may only register its own instance, report its own tasks, open its own channel and pull its tasks' images.")
        {
            _endpoint, _cluster, _expires, _description, _dataDir,
        };
        var list = new Command("list", "List the join tokens (never their secrets), with how many agents joined with each.") { _endpoint, _dataDir };
        var revoke = new Command("revoke", "Revoke a join token: no agent joins with it any more, and the keys of the agents that did stop working.") { _id, _endpoint, _dataDir };
        foreach (var (command, action) in new[] { (create, "create"), (list, "list"), (revoke, "revoke") })
        {
            command.SetAction(async (parse, cancellation) =>
            {
                var (settings, problem) = Bind(parse, action);
                if (problem is not null)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"berth join-token {action}: {problem}");
                    return BerthCli.UsageExitCode;
                }

                return await run(settings!, parse.InvocationConfiguration.Output, cancellation);
            });
        }

        Command = new Command("join-token", "Join tokens: how agents on other hosts join without the account's credentials. Credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else the data dir's credentials.json.") { create, list, revoke };
    }

    /// <summary>The <c>join-token</c> command.</summary>
    public Command Command { get; }

    /// <summary>Reads a duration: a whole number with s, m, h or d; or <c>never</c> (zero).</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        if (text == "never")
        {
            return TimeSpan.Zero;
        }

        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n == 0 || n > 10L * 366 * 24 * 3600)
        {
            return null;
        }

        var span = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => (TimeSpan?)null,
        };
        return span is { } value && value <= TimeSpan.FromDays(10 * 366) ? value : null;
    }

    /// <summary>The settings of <paramref name="action"/>, or why there are none.</summary>
    public (JoinTokenSettings? Settings, string? Problem) Bind(ParseResult parse, string action)
    {
        var region = _environment.Region ?? ServerOptions.DefaultRegion;
        if (Checks.RegionProblem(region, _environment.RegionVariable) is { } problem)
        {
            return (null, problem);
        }

        TimeSpan? expires = null;
        if (action == "create" && parse.GetValue(_expires) is { } text && (expires = ParseDuration(text)) is null)
        {
            return (null, $"--expires must be a duration such as 90s, 30m, 24h or 7d (up to ten years), or never (got '{text}').");
        }

        var credential = MeteringCommand.CredentialFrom(_environment, Path.GetFullPath(parse.GetValue(_dataDir)!), "join-token");
        if (credential is null)
        {
            return (null, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data dir.");
        }

        return (new JoinTokenSettings(
            parse.GetValue(_endpoint)!,
            action,
            action == "create" ? parse.GetValue(_cluster) : null,
            expires,
            action == "create" ? parse.GetValue(_description) : null,
            action == "revoke" ? parse.GetValue(_id) : null,
            region,
            credential), null);
    }
}
