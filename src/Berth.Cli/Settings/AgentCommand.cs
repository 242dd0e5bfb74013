using System.CommandLine;
using Berth.Agent.Client;
using Berth.Agent.Runtime;
using Berth.Docker;
using Berth.Protocol.Auth;
using Berth.Server.Hosting;

namespace Berth.Cli.Settings;

/// <summary>
/// What <c>berth agent</c> runs with: the agent's options, its Docker client's timeouts, and the join token it joins
/// with (then <see cref="AgentOptions.Credential"/> is the token's own pair until the agent has its key).
/// </summary>
public sealed record AgentSettings(AgentOptions Options, DockerTimeouts DockerTimeouts, string? JoinToken = null);

/// <summary><c>berth agent</c>: its flags, and <see cref="AgentSettings"/> bound from them and the environment.</summary>
internal sealed class AgentCommand
{
    private readonly BerthEnvironment _environment;
    private readonly Option<string> _cluster = Flags.Text("--cluster", "default", "NAME", "Cluster to register in (default: default).");
    private readonly Option<Uri[]> _endpoint = Flags.Urls("--endpoint", new Uri($"http://127.0.0.1:{ServerOptions.DefaultPort}"), $"The Berth server, or several sharing one database, comma-separated: the agent moves to the next when its server cannot be reached (default http://127.0.0.1:{ServerOptions.DefaultPort}).");
    private readonly Option<string> _dataDir = Flags.Text("--data-dir", null, "DIR", "The agent's state directory; the same directory is the same container instance.");
    private readonly Option<string> _zone = Flags.Text("--availability-zone", "local-1a", "ZONE", "The ecs.availability-zone attribute (default local-1a).");
    private readonly Option<string> _instanceType = Flags.Text("--instance-type", "berth.local", "TYPE", "The ecs.instance-type attribute (default berth.local).");
    private readonly Option<string[]> _attributes = new("--attribute") { Description = "A custom attribute, name=value (repeatable).", HelpName = "NAME=VALUE", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string?> _joinToken = new("--join-token") { Description = "Join with this token (`berth join-token create` prints it) and act with a key of the agent's own, limited to its instance and tasks; else BERTH_JOIN_TOKEN, else the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.", HelpName = "TOKEN" };
    private readonly Option<string> _dockerHost;
    private readonly Option<DockerTimeouts> _dockerTimeouts = Flags.DockerTimeoutOverrides();
    private readonly Option<int> _metadataPort = Flags.ListenPort("--metadata-port", AgentOptions.DefaultMetadataPort, $"The task metadata endpoint's port, on the Docker bridge gateway and 127.0.0.1; 0 turns it off (default {AgentOptions.DefaultMetadataPort}).");
    private readonly Option<int> _introspectionPort = Flags.ListenPort("--introspection-port", AgentOptions.DefaultIntrospectionPort, $"The introspection API's port; 0 turns it off (default {AgentOptions.DefaultIntrospectionPort}).");
    private readonly Option<System.Net.IPAddress> _introspectionBind = Flags.Address("--introspection-bind", System.Net.IPAddress.Loopback, "The introspection API's address (default 127.0.0.1).");

    /// <summary>The command, with <paramref name="run"/> as what it does once its options are valid.</summary>
    public AgentCommand(BerthEnvironment environment, Func<AgentSettings, CancellationToken, Task<int>> run)
    {
        _environment = environment;
        _dataDir.Required = true;
        _dockerHost = Flags.DockerHost(environment);
        Command = new Command("agent", "Run a Berth agent: register a container instance and run its tasks on Docker Engine. It joins with --join-token (recommended for other hosts), else signs with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; the region comes from AWS_DEFAULT_REGION.")
        {
            _cluster, _joinToken, _endpoint, _dataDir, _dockerHost, _zone, _instanceType, _attributes, _dockerTimeouts, _metadataPort, _introspectionPort, _introspectionBind,
        };
        Command.SetAction(async (parse, cancellation) =>
        {
            var (settings, problem) = Bind(parse);
            if (problem is not null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"berth agent: {problem}");
                return BerthCli.UsageExitCode;
            }

            return await run(settings!, cancellation);
        });
    }

    /// <summary>The <c>agent</c> command.</summary>
    public Command Command { get; }

    /// <summary>The settings, or the first reason they cannot be (the data dir is created when missing, last).</summary>
    public (AgentSettings? Settings, string? Problem) Bind(ParseResult parse)
    {
        var joinToken = parse.GetValue(_joinToken) ?? _environment.JoinToken;
        SigningCredential credential;
        if (joinToken is not null)
        {
            try
            {
                credential = AgentJoin.ParseToken(joinToken);
            }
            catch (FormatException ex)
            {
                return (null, $"--join-token: {ex.Message}");
            }
        }
        else if (_environment.AwsAccessKeyId is { } key && _environment.AwsSecretAccessKey is { } secret)
        {
            credential = new SigningCredential(key, secret, _environment.AwsSessionToken, null, "agent");
        }
        else
        {
            return (null, "give --join-token (or BERTH_JOIN_TOKEN), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the server's credentials).");
        }

        var region = _environment.Region ?? ServerOptions.DefaultRegion;
        var dockerHost = parse.GetValue(_dockerHost)!;
        var attributes = parse.GetValue(_attributes) ?? [];
        var problem = Checks.RegionProblem(region, _environment.RegionVariable)
            ?? Flags.DockerHostProblem(dockerHost, parse.GetResult(_dockerHost) is { Implicit: false } ? "--docker-host" : "DOCKER_HOST")
            ?? attributes.Where(a => a.Split('=', 2)[0].Length == 0).Select(a => $"--attribute must be NAME=VALUE or NAME (got '{a}').").FirstOrDefault();
        if (problem is not null)
        {
            return (null, problem);
        }

        var (dataDir, dataDirProblem) = Checks.DataDir(parse.GetValue(_dataDir)!);
        if (dataDirProblem is not null)
        {
            return (null, dataDirProblem);
        }

        var options = new AgentOptions
        {
            Cluster = parse.GetValue(_cluster)!,
            Endpoint = parse.GetValue(_endpoint)![0],
            Servers = new ServerEndpoints(parse.GetValue(_endpoint)!),
            Region = region,
            Credential = credential,
            DataDir = dataDir!,
            DockerHost = dockerHost,
            AvailabilityZone = parse.GetValue(_zone)!,
            InstanceType = parse.GetValue(_instanceType)!,
            MetadataPort = parse.GetValue(_metadataPort),
            IntrospectionPort = parse.GetValue(_introspectionPort),
            IntrospectionAddress = parse.GetValue(_introspectionBind)!,
            Attributes = attributes.Select(a => a.Split('=', 2)).GroupBy(a => a[0]).ToDictionary(g => g.Key, g => g.Last() is { Length: > 1 } last ? last[1] : null),
        };
        return (new AgentSettings(options, parse.GetValue(_dockerTimeouts)!, joinToken), null);
    }
}
