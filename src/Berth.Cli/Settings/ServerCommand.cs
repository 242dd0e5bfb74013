using System.CommandLine;
using System.Net;
using Berth.Server.Credentials;
using Berth.Server.Hosting;

namespace Berth.Cli.Settings;

/// <summary><c>berth server</c>: its flags, and <see cref="ServerOptions"/> bound from them and the environment.</summary>
internal sealed class ServerCommand
{
    private readonly BerthEnvironment _environment;
    private readonly Option<int> _port = Flags.Port("--port", ServerOptions.DefaultPort, $"Port to listen on (default {ServerOptions.DefaultPort}).");
    private readonly Option<IPAddress> _bind = Flags.Address("--bind", IPAddress.Loopback, "Address to listen on (default 127.0.0.1).");
    private readonly Option<string> _dataDir;
    private readonly Option<bool> _noLocalAgent = new("--no-local-agent") { Description = "Do not run an agent for the local Docker Engine in the server process." };
    private readonly Option<bool> _noFargate = new("--no-fargate") { Description = "Do not run the FARGATE capacity agent for the local Docker Engine in the server process." };
    private readonly Option<string> _dockerHost;
    private readonly Option<TimeSpan> _lostAfter = Flags.Seconds("--agent-lost-after", TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(1), Flags.TimerLimit, "Seconds an agent may stay disconnected before its tasks are stopped as lost (default 180).");
    private readonly Option<TimeSpan> _retention = Flags.Seconds("--stopped-task-retention", TimeSpan.FromHours(1), TimeSpan.FromSeconds(1), TimeSpan.FromDays(3650), "Seconds a stopped task is kept before it is forgotten (default 3600).");
    private readonly Option<TimeSpan> _resync = Flags.Seconds("--service-resync", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1), Flags.TimerLimit, "The service scheduler runs a pass at least this often, in seconds (default 5).");
    private readonly Option<TimeSpan> _debounce = Flags.Seconds("--service-debounce", TimeSpan.FromMilliseconds(10), TimeSpan.Zero, Flags.TimerLimit, "Seconds the service scheduler waits after a change for more before its pass (default 0.01).");
    private readonly Option<TimeSpan> _logsSweep = Flags.Seconds("--logs-retention-sweep", TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(1), Flags.TimerLimit, "Seconds between deletions of log events past their group's retention (default 60).");
    private readonly Option<IPNetwork> _lbAddresses = Flags.Network("--lb-addresses", ServerOptions.DefaultLoadBalancerAddresses, "Addresses given to load balancers, one each, as their DNSName (default 127.1.0.0/16, on loopback).");
    private readonly Option<TimeSpan> _rateMinute = Flags.Seconds("--events-rate-minute", TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1), "Seconds an EventBridge rate() minute lasts: rate(1 minute) fires this often (default 60; shorter for tests).");
    private readonly Option<Docker.DockerTimeouts> _dockerTimeouts = Flags.DockerTimeoutOverrides();
    private readonly Option<int> _metadataPort = Flags.ListenPort("--metadata-port", Agent.Runtime.AgentOptions.DefaultMetadataPort, $"The local agent's task metadata endpoint port, on the Docker bridge gateway and 127.0.0.1; 0 turns it off (default {Agent.Runtime.AgentOptions.DefaultMetadataPort}).");
    private readonly Option<int> _introspectionPort = Flags.ListenPort("--introspection-port", Agent.Runtime.AgentOptions.DefaultIntrospectionPort, $"The local agent's introspection API port on 127.0.0.1; 0 turns it off (default {Agent.Runtime.AgentOptions.DefaultIntrospectionPort}).");
    private readonly Option<int> _fargateMetadataPort = Flags.ListenPort("--fargate-metadata-port", ServerOptions.DefaultFargateMetadataPort, $"The FARGATE capacity agent's task metadata endpoint port; 0 turns it off (default {ServerOptions.DefaultFargateMetadataPort}).");
    private readonly Option<int> _fargateIntrospectionPort = Flags.ListenPort("--fargate-introspection-port", ServerOptions.DefaultFargateIntrospectionPort, $"The FARGATE capacity agent's introspection API port on 127.0.0.1; 0 turns it off (default {ServerOptions.DefaultFargateIntrospectionPort}).");

    private readonly Option<int?> _fargateCpu = Flags.Whole("--fargate-cpu", 256, 1_048_576, "UNITS", "CPU units the FARGATE capacity agent offers (1024 a vCPU; default: 1024 per core of this host).");
    private readonly Option<int?> _fargateMemory = Flags.Whole("--fargate-memory", 512, 67_108_864, "MIB", "MiB of memory the FARGATE capacity agent offers (default: this host's memory).");
    private readonly Option<TimeSpan> _spotPressure = Flags.Seconds("--spot-pressure-interval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(10), Flags.TimerLimit, "Seconds between looks for on-demand FARGATE service tasks that need the room FARGATE_SPOT tasks hold (default 1).");

    private readonly Option<string> _asgProvisioner = Flags.Text("--asg-provisioner-command", null, "PATH", "An external EC2 Auto Scaling provisioner, run as PATH launch ... / PATH terminate --instance-id ID (default: instances are agents in the server for the local Docker Engine).");
    private readonly Option<TimeSpan> _asgInterval = Flags.Seconds("--asg-interval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(10), Flags.TimerLimit, "Seconds between the Auto Scaling provisioner's comparisons of each group with its desired capacity, and between placements of tasks waiting in PROVISIONING (default 1).");
    private readonly Option<TimeSpan> _uploadExpiry = Flags.Seconds("--registry-upload-expiry", TimeSpan.FromHours(1), TimeSpan.FromSeconds(1), Flags.TimerLimit, "Seconds a registry layer upload nobody uses is kept before it is removed (default 3600).");
    private readonly Option<int?> _maxUploads = Flags.Whole("--registry-max-uploads", 1, 100_000, "N", "Layer uploads one registry repository may have in flight; more are refused (429 TOOMANYREQUESTS, ECR's LimitExceededException) (default 100).");
    private readonly Option<string> _database;
    private readonly Option<TimeSpan> _leaderLease = Flags.Seconds("--leader-lease", TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), "With --database: seconds a server leads the controllers without renewing its lease; another takes over after it (default 15).");
    private readonly Option<string> _registryBlobs = Flags.Text("--registry-blobs", null, "DIR", "Where the registry keeps blobs (default DATA_DIR/registry); with several servers, one directory every server mounts.");
    private readonly Option<TimeSpan> _provisioningTimeout = Flags.Seconds("--task-provisioning-timeout", TimeSpan.FromMinutes(30), TimeSpan.FromMilliseconds(10), Flags.TimerLimit, "Seconds a task waits in PROVISIONING for an Auto Scaling group provider's scale-out before it stops with TaskFailedToStart (default 1800, ECS's upper bound).");

    /// <summary>The command, with <paramref name="run"/> as what it does once its options are valid.</summary>
    public ServerCommand(BerthEnvironment environment, Func<ServerOptions, CancellationToken, Task<int>> run)
    {
        _environment = environment;
        _dataDir = DataDir(environment);
        _dockerHost = Flags.DockerHost(environment);
        _database = Flags.Text("--database", environment.DatabaseUrl, "URL", "PostgreSQL database several servers share (postgres://USER:PASSWORD@HOST:PORT/DB; default $BERTH_DATABASE_URL; without it, SQLite files in the data dir).");
        Command = new Command("server", "Run the Berth server (ECS API) with its embedded SQLite state and an agent for the local Docker Engine.")
        {
            _port, _bind, _dataDir, _noLocalAgent, _noFargate, _dockerHost, _lostAfter, _retention, _resync, _debounce, _logsSweep, _lbAddresses, _rateMinute, _dockerTimeouts,
            _metadataPort, _introspectionPort, _fargateMetadataPort, _fargateIntrospectionPort, _fargateCpu, _fargateMemory, _spotPressure, _asgProvisioner, _asgInterval, _provisioningTimeout,
            _uploadExpiry, _maxUploads, _database, _leaderLease, _registryBlobs,
        };
        Command.SetAction(async (parse, cancellation) =>
        {
            var (options, problem) = Bind(parse);
            if (problem is not null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"berth server: {problem}");
                return BerthCli.UsageExitCode;
            }

            return await run(options!, cancellation);
        });
    }

    /// <summary>The <c>server</c> command.</summary>
    public Command Command { get; }

    /// <summary><c>--data-dir</c>, defaulting to <c>$BERTH_DATA_DIR</c>, else <c>~/.berth</c> (shared with <c>berth metering</c>).</summary>
    public static Option<string> DataDir(BerthEnvironment environment)
        => Flags.Text("--data-dir", environment.DataDir ?? Path.Combine(environment.Home, ".berth"), "DIR", "State directory (default $BERTH_DATA_DIR or ~/.berth).");

    /// <summary>
    /// The options, or the first reason they cannot be: the flags were checked as they were parsed; here the
    /// environment's values, then the data dir on disk (created when missing, so only once the rest is known good).
    /// </summary>
    public (ServerOptions? Options, string? Problem) Bind(ParseResult parse)
    {
        var accountId = _environment.AccountId ?? ServerOptions.DefaultAccountId;
        var region = _environment.Region ?? ServerOptions.DefaultRegion;
        var dockerHost = parse.GetValue(_dockerHost)!;
        var metricPeriodProblem = MetricPeriodProblem(_environment, out var metricPeriod);
        var problem = Checks.AccountIdProblem(accountId)
            ?? Checks.RegionProblem(region, _environment.RegionVariable)
            ?? RootKeysProblem(_environment)
            ?? metricPeriodProblem
            ?? Flags.DockerHostProblem(dockerHost, parse.GetResult(_dockerHost) is { Implicit: false } ? "--docker-host" : "DOCKER_HOST");
        if (problem is not null)
        {
            return (null, problem);
        }

        var database = parse.GetValue(_database);
        if (database is not null)
        {
            try
            {
                Berth.Storage.Postgres.ConnectionStrings.ToNpgsql(database);
            }
            catch (FormatException ex)
            {
                return (null, $"--database: {ex.Message}");
            }
        }

        var (dataDir, dataDirProblem) = Checks.DataDir(parse.GetValue(_dataDir)!);
        if (dataDirProblem is not null)
        {
            return (null, dataDirProblem);
        }

        return (new ServerOptions
        {
            Port = parse.GetValue(_port),
            BindAddress = parse.GetValue(_bind)!.ToString(),
            DataDir = dataDir!,
            AccountId = accountId,
            RootKeys = _environment is { RootAccessKeyId: { } key, RootSecretAccessKey: { } secret } ? new StoredKeyPair(key, secret) : null,
            Region = region,
            LocalAgent = !parse.GetValue(_noLocalAgent),
            FargateCapacity = !parse.GetValue(_noFargate),
            DockerHost = dockerHost,
            DockerTimeouts = parse.GetValue(_dockerTimeouts)!,
            AgentLostAfter = parse.GetValue(_lostAfter),
            StoppedTaskRetention = parse.GetValue(_retention),
            ServiceResync = parse.GetValue(_resync),
            ServiceDebounce = parse.GetValue(_debounce),
            LogsRetentionSweep = parse.GetValue(_logsSweep),
            LoadBalancerAddresses = parse.GetValue(_lbAddresses),
            EventsRateMinute = parse.GetValue(_rateMinute),
            MetricPeriod = metricPeriod,
            MetadataPort = parse.GetValue(_metadataPort),
            IntrospectionPort = parse.GetValue(_introspectionPort),
            FargateMetadataPort = parse.GetValue(_fargateMetadataPort),
            FargateIntrospectionPort = parse.GetValue(_fargateIntrospectionPort),
            FargateCpu = parse.GetValue(_fargateCpu),
            FargateMemoryMiB = parse.GetValue(_fargateMemory),
            SpotPressureInterval = parse.GetValue(_spotPressure),
            AsgProvisionerCommand = parse.GetValue(_asgProvisioner),
            AsgInterval = parse.GetValue(_asgInterval),
            TaskProvisioningTimeout = parse.GetValue(_provisioningTimeout),
            RegistryUploadExpiry = parse.GetValue(_uploadExpiry),
            RegistryMaxUploads = parse.GetValue(_maxUploads) ?? ServerOptions.DefaultRegistryMaxUploads,
            Database = database,
            LeaderLease = parse.GetValue(_leaderLease),
            RegistryBlobDir = parse.GetValue(_registryBlobs),
        }, null);
    }

    // A whole number of seconds that divides CloudWatch's minute, so periods of 60 s and longer are made of whole ones.
    private static string? MetricPeriodProblem(BerthEnvironment environment, out TimeSpan period)
    {
        period = ServerOptions.DefaultMetricPeriod;
        if (environment.MetricPeriodSeconds is not { } text)
        {
            return null;
        }

        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds < 1 || 60 % seconds != 0)
        {
            return $"BERTH_METRIC_PERIOD_SECONDS must be a whole number of seconds that divides 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60), not '{text}'.";
        }

        period = TimeSpan.FromSeconds(seconds);
        return null;
    }

    // One half of a key pair would silently fall back to generated credentials: refused instead.
    private static string? RootKeysProblem(BerthEnvironment environment)
        => (environment.RootAccessKeyId is null) == (environment.RootSecretAccessKey is null)
            ? null
            : "set both BERTH_ACCESS_KEY_ID and BERTH_SECRET_ACCESS_KEY, or neither.";
}
