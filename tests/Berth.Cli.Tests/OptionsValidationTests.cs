using Berth.Docker;
using Berth.Server.Credentials;
using Berth.Server.Hosting;

namespace Berth.Cli.Tests;

/// <summary>
/// Every process's options, bound from its command line and environment and checked before anything starts: a bad
/// value is one line on stderr and exit code 2 (and nothing runs); good values are the options the process runs with.
/// </summary>
public sealed class OptionsValidationTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("berth-cli-").FullName;

    public OptionsValidationTests()
    {
        File.WriteAllText(Path.Combine(_home, "a-file"), "not a directory");
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    /// <summary>(arguments, NAME=VALUE environment, the one line on stderr). {home} is a fresh directory, {file} a file in it.</summary>
    public static TheoryData<string[], string[], string> Refused => new()
    {
        { ["server", "--port", "99999"], [], "berth server: --port must be a whole number from 1 to 65535 (got '99999')." },
        { ["server", "--port", "0"], [], "berth server: --port must be a whole number from 1 to 65535 (got '0')." },
        { ["server", "--port", "-1"], [], "berth server: --port must be a whole number from 1 to 65535 (got '-1')." },
        { ["server", "--port", "http"], [], "berth server: --port must be a whole number from 1 to 65535 (got 'http')." },
        { ["server", "--bind", "localhost"], [], "berth server: --bind must be an IP address such as 127.0.0.1 or 0.0.0.0 (got 'localhost')." },
        { ["server", "--agent-lost-after", "-5"], [], "berth server: --agent-lost-after must be a number of seconds from 1 to 2147483 (got '-5')." },
        { ["server", "--agent-lost-after", "soon"], [], "berth server: --agent-lost-after must be a number of seconds from 1 to 2147483 (got 'soon')." },
        { ["server", "--fargate-cpu", "128"], [], "berth server: --fargate-cpu must be a whole number from 256 to 1048576 (got '128')." },
        { ["server", "--fargate-memory", "lots"], [], "berth server: --fargate-memory must be a whole number from 512 to 67108864 (got 'lots')." },
        { ["server", "--spot-pressure-interval", "0"], [], "berth server: --spot-pressure-interval must be a number of seconds from 0.01 to 2147483 (got '0')." },
        { ["server", "--asg-interval", "0"], [], "berth server: --asg-interval must be a number of seconds from 0.01 to 2147483 (got '0')." },
        { ["server", "--task-provisioning-timeout", "soon"], [], "berth server: --task-provisioning-timeout must be a number of seconds from 0.01 to 2147483 (got 'soon')." },
        { ["server", "--registry-upload-expiry", "0.5"], [], "berth server: --registry-upload-expiry must be a number of seconds from 1 to 2147483 (got '0.5')." },
        { ["server", "--registry-upload-expiry", "never"], [], "berth server: --registry-upload-expiry must be a number of seconds from 1 to 2147483 (got 'never')." },
        { ["server", "--database", "mysql://db/berth"], [], "berth server: --database: not a PostgreSQL URL or connection string: Format of the initialization string does not conform to specification starting at index 0." },
        { ["server", "--database", "postgres://db/berth?port=x"], [], "berth server: --database: the URL's parameter 'port' is not valid: The input string 'x' was not in a correct format." },
        { ["server", "--leader-lease", "0.5"], [], "berth server: --leader-lease must be a number of seconds from 1 to 3600 (got '0.5')." },
        { ["agent", "--data-dir", "{home}/agent", "--endpoint", "http://a:4580,ftp://b"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth agent: --endpoint must be http:// or https:// URLs separated by commas (got 'ftp://b')." },
        { ["server", "--registry-max-uploads", "0"], [], "berth server: --registry-max-uploads must be a whole number from 1 to 100000 (got '0')." },
        { ["server", "--registry-max-uploads", "many"], [], "berth server: --registry-max-uploads must be a whole number from 1 to 100000 (got 'many')." },
        { ["spot", "interrupt", "--count", "0"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth spot interrupt: --count must be a whole number from 1 to 1000 (got '0')." },
        { ["spot", "interrupt", "--count", "2", "--task", "arn:x"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth spot interrupt: give --task or --count, not both." },
        { ["join-token", "create", "--expires", "soon"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth join-token create: --expires must be a duration such as 90s, 30m, 24h or 7d (up to ten years), or never (got 'soon')." },
        { ["join-token", "create", "--expires", "0h"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth join-token create: --expires must be a duration such as 90s, 30m, 24h or 7d (up to ten years), or never (got '0h')." },
        { ["join-token", "create", "--expires", "4000d"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth join-token create: --expires must be a duration such as 90s, 30m, 24h or 7d (up to ten years), or never (got '4000d')." },
        { ["console", "--data-dir", "{home}/none"], [], "berth console: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data dir." },
        { ["join-token", "list", "--data-dir", "{home}/none"], [], "berth join-token list: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data dir." },
        { ["agent", "--data-dir", "{home}/agent", "--join-token", "not-a-token"], [], "berth agent: --join-token: A join token is ID.SECRET as `./berth join-token create` prints it (61 characters, starting with BJT)." },
        { ["agent", "--data-dir", "{home}/agent"], [], "berth agent: give --join-token (or BERTH_JOIN_TOKEN), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the server's credentials)." },
        { ["spot", "interrupt", "--data-dir", "{home}/none"], [], "berth spot interrupt: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data dir." },
        { ["server", "--metadata-port", "65536"], [], "berth server: --metadata-port must be a whole number from 0 (off) to 65535 (got '65536')." },
        { ["server", "--fargate-introspection-port", "-1"], [], "berth server: --fargate-introspection-port must be a whole number from 0 (off) to 65535 (got '-1')." },
        { ["agent", "--data-dir", "{home}/agent", "--introspection-bind", "localhost"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth agent: --introspection-bind must be an IP address such as 127.0.0.1 or 0.0.0.0 (got 'localhost')." },
        { ["server", "--lb-addresses", "127.1.0.1"], [], "berth server: --lb-addresses must be an IPv4 network such as 127.1.0.0/16, /30 or larger (got '127.1.0.1')." },
        { ["server", "--lb-addresses", "127.1.0.0/31"], [], "berth server: --lb-addresses must be an IPv4 network such as 127.1.0.0/16, /30 or larger (got '127.1.0.0/31')." },
        { ["server", "--stopped-task-retention", "0"], [], "berth server: --stopped-task-retention must be a number of seconds from 1 to 315360000 (got '0')." },
        { ["server", "--stopped-task-retention", "-3600"], [], "berth server: --stopped-task-retention must be a number of seconds from 1 to 315360000 (got '-3600')." },
        { ["server", "--stopped-task-retention", "NaN"], [], "berth server: --stopped-task-retention must be a number of seconds from 1 to 315360000 (got 'NaN')." },
        { ["server", "--service-resync", "0"], [], "berth server: --service-resync must be a number of seconds from 0.001 to 2147483 (got '0')." },
        { ["server", "--service-debounce", "-0.01"], [], "berth server: --service-debounce must be a number of seconds from 0 to 2147483 (got '-0.01')." },
        { ["server", "--events-rate-minute", "61"], [], "berth server: --events-rate-minute must be a number of seconds from 0.1 to 60 (got '61')." },
        { ["server", "--events-rate-minute", "0"], [], "berth server: --events-rate-minute must be a number of seconds from 0.1 to 60 (got '0')." },
        { ["server", "--docker-timeout", "pull-image=-1"], [], "berth server: --docker-timeout pull-image must be a number of seconds above 0 and at most 2147483, or infinite (got '-1')." },
        { ["server", "--docker-timeout", "pull-image"], [], "berth server: --docker-timeout must be NAME=SECONDS with NAME one of create-container, events, inspect-container, inspect-image, kill-container, list-containers, logs, network, ping, pull-image, remove-container, remove-image, start-container, stats, stop-grace, version, volume, wait-container (got 'pull-image')." },
        { ["server", "--docker-host", "ftp://docker"], [], "berth server: --docker-host: Unsupported Docker host 'ftp://docker': expected unix:///path or tcp://host:port." },
        { ["server"], ["DOCKER_HOST=unix://"], "berth server: DOCKER_HOST: Docker host 'unix://' has no socket path." },
        { ["server"], ["BERTH_ACCOUNT_ID=123"], "berth server: BERTH_ACCOUNT_ID must be 12 digits, such as 000000000000 (got '123')." },
        { ["server"], ["BERTH_ACCOUNT_ID=12345678901x"], "berth server: BERTH_ACCOUNT_ID must be 12 digits, such as 000000000000 (got '12345678901x')." },
        { ["server"], ["BERTH_REGION=US East"], "berth server: BERTH_REGION must be a region name such as us-east-1 (got 'US East')." },
        { ["server"], ["AWS_DEFAULT_REGION=eu_west_1"], "berth server: AWS_DEFAULT_REGION must be a region name such as us-east-1 (got 'eu_west_1')." },
        { ["server"], ["BERTH_METRIC_PERIOD_SECONDS=7"], "berth server: BERTH_METRIC_PERIOD_SECONDS must be a whole number of seconds that divides 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60), not '7'." },
        { ["server"], ["BERTH_METRIC_PERIOD_SECONDS=0.5"], "berth server: BERTH_METRIC_PERIOD_SECONDS must be a whole number of seconds that divides 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60), not '0.5'." },
        { ["server"], ["BERTH_ACCESS_KEY_ID=AKIAONLYHALF"], "berth server: set both BERTH_ACCESS_KEY_ID and BERTH_SECRET_ACCESS_KEY, or neither." },
        { ["server", "--data-dir", "{file}"], [], "berth server: data dir '{file}' cannot be used: The file '{file}' already exists." },
        { ["server", "--data-dir", "{file}/state"], [], "berth server: data dir '{file}/state' cannot be used: " },
        { ["server"], ["BERTH_DATA_DIR={file}"], "berth server: data dir '{file}' cannot be used: The file '{file}' already exists." },
        { ["server", "--data-dir", ""], [], "berth server: --data-dir must not be empty." },
        { ["server", "--no-such-flag"], [], "berth server: Unrecognized command or argument '--no-such-flag'." },
        { ["agent"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth agent: Option '--data-dir' is required." },
        { ["agent", "--data-dir", "{file}"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth agent: data dir '{file}' cannot be used: The file '{file}' already exists." },
        { ["agent", "--data-dir", "{home}/agent", "--endpoint", "127.0.0.1:4580"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth agent: --endpoint must be http:// or https:// URLs separated by commas (got '127.0.0.1:4580')." },
        { ["agent", "--data-dir", "{home}/agent", "--attribute", "=x"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth agent: --attribute must be NAME=VALUE or NAME (got '=x')." },
        { ["agent", "--data-dir", "{home}/agent", "--docker-timeout", "start-container=0"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth agent: --docker-timeout start-container must be a number of seconds above 0 and at most 2147483, or infinite (got '0')." },
        { ["metering", "--data-dir", "{home}/nothing-here"], [], "berth metering: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data dir." },
        { ["metering", "--endpoint", "ftp://x"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"], "berth metering: --endpoint must be an http:// or https:// URL (got 'ftp://x')." },
        { [], [], "berth: Required command was not provided." },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_bad_value_is_one_line_on_stderr_and_exit_code_2(string[] args, string[] environment, string expected)
    {
        var run = await RunAsync(args, environment);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith(Expand(expected), line, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
        Assert.Null(run.Server);
        Assert.Null(run.Agent);
        Assert.Null(run.Metering);
    }

    [Fact]
    public async Task No_flags_and_no_environment_are_the_documented_defaults()
    {
        var run = await RunAsync(["server"], []);

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Stderr);
        Assert.Equal(
            new ServerOptions
            {
                Port = 4580,
                BindAddress = "127.0.0.1",
                DataDir = Path.Combine(_home, ".berth"),
                AccountId = "000000000000",
                RootKeys = null,
                Region = "us-east-1",
                LocalAgent = true,
                FargateCapacity = true,
                DockerHost = "unix:///var/run/docker.sock",
                DockerTimeouts = DockerTimeouts.Default,
                AgentLostAfter = TimeSpan.FromSeconds(180),
                StoppedTaskRetention = TimeSpan.FromSeconds(3600),
                ServiceResync = TimeSpan.FromSeconds(5),
                ServiceDebounce = TimeSpan.FromMilliseconds(10),
            },
            run.Server);

        // The ECS agent's ports for the local agent; the FARGATE capacity agent's own beside them.
        Assert.Equal((51679, 51678, 51681, 51680), (run.Server!.MetadataPort, run.Server.IntrospectionPort, run.Server.FargateMetadataPort, run.Server.FargateIntrospectionPort));

        // The data dir exists once the options are accepted: the check created it.
        Assert.True(Directory.Exists(Path.Combine(_home, ".berth")));
    }

    [Fact]
    public async Task Every_flag_and_variable_lands_in_the_server_options()
    {
        var run = await RunAsync(
            [
                "server", "--port", "65535", "--bind", "0.0.0.0", "--data-dir", "{home}/state", "--no-local-agent", "--no-fargate",
                "--docker-host", "tcp://127.0.0.1:2375", "--agent-lost-after", "5", "--stopped-task-retention", "1",
                "--service-resync", "0.5", "--service-debounce", "0", "--docker-timeout", "pull-image=1200", "--docker-timeout", "Events=30",
                "--docker-timeout", "logs=infinite", "--lb-addresses", "10.9.0.0/24", "--events-rate-minute", "2",
                "--metadata-port", "0", "--introspection-port", "6000", "--fargate-metadata-port", "6001", "--fargate-introspection-port", "0",
            ],
            ["BERTH_ACCOUNT_ID=123456789012", "BERTH_REGION=eu-west-3", "AWS_DEFAULT_REGION=ap-south-1", "BERTH_ACCESS_KEY_ID=AKIACHOSEN", "BERTH_SECRET_ACCESS_KEY=chosen-secret", "DOCKER_HOST=unix:///ignored.sock", "BERTH_METRIC_PERIOD_SECONDS=5"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Stderr);
        Assert.Equal(
            new ServerOptions
            {
                Port = 65535,
                BindAddress = "0.0.0.0",
                DataDir = Path.Combine(_home, "state"),
                AccountId = "123456789012",
                RootKeys = new StoredKeyPair("AKIACHOSEN", "chosen-secret"),
                Region = "eu-west-3",
                LocalAgent = false,
                FargateCapacity = false,
                DockerHost = "tcp://127.0.0.1:2375",
                DockerTimeouts = DockerTimeouts.Default with { PullImage = TimeSpan.FromSeconds(1200), Events = TimeSpan.FromSeconds(30), Logs = Timeout.InfiniteTimeSpan },
                AgentLostAfter = TimeSpan.FromSeconds(5),
                LoadBalancerAddresses = System.Net.IPNetwork.Parse("10.9.0.0/24"),
                StoppedTaskRetention = TimeSpan.FromSeconds(1),
                ServiceResync = TimeSpan.FromSeconds(0.5),
                ServiceDebounce = TimeSpan.Zero,
                EventsRateMinute = TimeSpan.FromSeconds(2),
                MetricPeriod = TimeSpan.FromSeconds(5),
                MetadataPort = 0,
                IntrospectionPort = 6000,
                FargateMetadataPort = 6001,
                FargateIntrospectionPort = 0,
            },
            run.Server);
    }

    [Fact]
    public async Task The_environment_gives_the_defaults_flags_do_not()
    {
        var run = await RunAsync(
            ["server", "--stopped-task-retention", "86400"],
            ["BERTH_DATA_DIR={home}/from-env", "AWS_DEFAULT_REGION=eu-central-1", "DOCKER_HOST=tcp://10.0.0.1:2375", "BERTH_ACCOUNT_ID=", "BERTH_REGION="]);

        Assert.Equal(0, run.ExitCode);
        var options = run.Server!;
        Assert.Equal(Path.Combine(_home, "from-env"), options.DataDir);
        Assert.Equal("eu-central-1", options.Region);
        Assert.Equal("tcp://10.0.0.1:2375", options.DockerHost);

        // An empty variable counts as unset, as it always has.
        Assert.Equal("000000000000", options.AccountId);
        Assert.Equal(TimeSpan.FromDays(1), options.StoppedTaskRetention);
        Assert.Equal(TimeSpan.FromMinutes(1), options.MetricPeriod);
    }

    [Fact]
    public async Task The_agent_options_come_from_its_flags_and_the_AWS_variables()
    {
        var run = await RunAsync(
            [
                "agent", "--cluster", "web", "--endpoint", "http://10.1.2.3:4580", "--data-dir", "{home}/agent", "--availability-zone", "zone-b",
                "--instance-type", "big", "--attribute", "disk=ssd", "--attribute", "gpu", "--docker-timeout", "pull-image=60",
                "--metadata-port", "7001", "--introspection-port", "7000", "--introspection-bind", "0.0.0.0",
            ],
            ["AWS_ACCESS_KEY_ID=AKIAAGENT", "AWS_SECRET_ACCESS_KEY=agent-secret", "AWS_SESSION_TOKEN=token", "AWS_DEFAULT_REGION=us-west-2", "DOCKER_HOST=unix:///run/other.sock"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Stderr);
        var (options, timeouts, _) = run.Agent!;
        Assert.Equal("web", options.Cluster);
        Assert.Equal(new Uri("http://10.1.2.3:4580"), options.Endpoint);
        Assert.Equal(Path.Combine(_home, "agent"), options.DataDir);
        Assert.True(Directory.Exists(options.DataDir));
        Assert.Equal("us-west-2", options.Region);
        Assert.Equal("unix:///run/other.sock", options.DockerHost);
        Assert.Equal("zone-b", options.AvailabilityZone);
        Assert.Equal("big", options.InstanceType);
        Assert.Equal(new Dictionary<string, string?> { ["disk"] = "ssd", ["gpu"] = null }, options.Attributes);
        Assert.Equal(("AKIAAGENT", "agent-secret", "token"), (options.Credential.AccessKeyId, options.Credential.SecretAccessKey, options.Credential.SessionToken));
        Assert.Equal(DockerTimeouts.Default with { PullImage = TimeSpan.FromSeconds(60) }, timeouts);
        Assert.Equal((7001, 7000, System.Net.IPAddress.Any), (options.MetadataPort, options.IntrospectionPort, options.IntrospectionAddress));
    }

    [Fact]
    public async Task Join_tokens_are_made_listed_and_revoked_with_the_account_s_credentials()
    {
        var create = await RunAsync(["join-token", "create", "--cluster", "web", "--expires", "7d", "--description", "rack 4", "--endpoint", "http://127.0.0.1:9999"], ["AWS_ACCESS_KEY_ID=AKIAUSER", "AWS_SECRET_ACCESS_KEY=user-secret"]);
        Assert.Equal(0, create.ExitCode);
        Assert.Equal(("create", "web", TimeSpan.FromDays(7), "rack 4", "AKIAUSER"), (create.JoinToken!.Action, create.JoinToken.Cluster, create.JoinToken.Expires, create.JoinToken.Description, create.JoinToken.Credential.AccessKeyId));
        var never = await RunAsync(["join-token", "create", "--expires", "never"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"]);
        Assert.Equal((null, TimeSpan.Zero), (never.JoinToken!.Cluster, never.JoinToken.Expires));
        var revoke = await RunAsync(["join-token", "revoke", "BJTAAAAAAAAAAAAAAAAA"], ["AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s"]);
        Assert.Equal(("revoke", "BJTAAAAAAAAAAAAAAAAA"), (revoke.JoinToken!.Action, revoke.JoinToken.TokenId));
    }

    [Fact]
    public async Task An_agent_given_a_join_token_needs_no_account_credentials()
    {
        const string Token = "BJTAAAAAAAAAAAAAAAAA.0123456789abcdefghijABCDEFGHIJ0123456789";
        var run = await RunAsync(["agent", "--data-dir", "{home}/agent", "--join-token", Token], []);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal((Token, "BJTAAAAAAAAAAAAAAAAA"), (run.Agent!.JoinToken, run.Agent.Options.Credential.AccessKeyId));
        var fromEnvironment = await RunAsync(["agent", "--data-dir", "{home}/agent"], ["BERTH_JOIN_TOKEN=" + Token]);
        Assert.Equal(Token, fromEnvironment.Agent!.JoinToken);
    }

    [Fact]
    public async Task Spot_interrupt_takes_a_task_or_a_count_and_the_AWS_variables()
    {
        var one = await RunAsync(["spot", "interrupt", "--task", "arn:aws:ecs:us-east-1:000000000000:task/web/abc", "--endpoint", "http://127.0.0.1:9999"], ["AWS_ACCESS_KEY_ID=AKIAUSER", "AWS_SECRET_ACCESS_KEY=user-secret"]);
        Assert.Equal(0, one.ExitCode);
        Assert.Equal(("arn:aws:ecs:us-east-1:000000000000:task/web/abc", null, "AKIAUSER"), (one.Spot!.Task, one.Spot.Count, one.Spot.Credential.AccessKeyId));
        Assert.Equal(new Uri("http://127.0.0.1:9999"), one.Spot.Endpoint);
        var three = await RunAsync(["spot", "interrupt", "--count", "3"], ["AWS_ACCESS_KEY_ID=AKIAUSER", "AWS_SECRET_ACCESS_KEY=user-secret"]);
        Assert.Equal((null, 3), (three.Spot!.Task, three.Spot.Count));
    }

    [Fact]
    public async Task Server_sizes_the_Fargate_capacity_and_the_spot_pressure_look()
    {
        var run = await RunAsync(["server", "--data-dir", "{home}/s", "--fargate-cpu", "1024", "--fargate-memory", "2048", "--spot-pressure-interval", "0.2"], []);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal((1024, 2048, TimeSpan.FromSeconds(0.2)), (run.Server!.FargateCpu, run.Server.FargateMemoryMiB, run.Server.SpotPressureInterval));
        var defaults = await RunAsync(["server", "--data-dir", "{home}/d"], []);
        Assert.Equal((null, null, TimeSpan.FromSeconds(1)), (defaults.Server!.FargateCpu, defaults.Server.FargateMemoryMiB, defaults.Server.SpotPressureInterval));
    }

    [Fact]
    public async Task Server_takes_the_Auto_Scaling_provisioner_and_its_interval()
    {
        var run = await RunAsync(["server", "--data-dir", "{home}/s", "--asg-provisioner-command", "/usr/local/bin/provision", "--asg-interval", "0.2", "--task-provisioning-timeout", "5"], []);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(("/usr/local/bin/provision", TimeSpan.FromSeconds(0.2), TimeSpan.FromSeconds(5)), (run.Server!.AsgProvisionerCommand, run.Server.AsgInterval, run.Server.TaskProvisioningTimeout));
        var defaults = await RunAsync(["server", "--data-dir", "{home}/d"], []);
        Assert.Equal(((string?)null, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(30)), (defaults.Server!.AsgProvisionerCommand, defaults.Server.AsgInterval, defaults.Server.TaskProvisioningTimeout));
    }

    [Fact]
    public async Task Server_takes_the_registry_upload_expiry_and_cap()
    {
        var run = await RunAsync(["server", "--data-dir", "{home}/s", "--registry-upload-expiry", "30", "--registry-max-uploads", "5"], []);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal((TimeSpan.FromSeconds(30), 5), (run.Server!.RegistryUploadExpiry, run.Server.RegistryMaxUploads));
        var defaults = await RunAsync(["server", "--data-dir", "{home}/d"], []);
        Assert.Equal((TimeSpan.FromHours(1), 100), (defaults.Server!.RegistryUploadExpiry, defaults.Server.RegistryMaxUploads));
    }

    [Fact]
    public async Task Server_takes_the_database_from_the_flag_else_the_environment_and_the_lease()
    {
        var flagged = await RunAsync(["server", "--data-dir", "{home}/s", "--database", "postgres://berth@db/berth", "--leader-lease", "5", "--registry-blobs", "/mnt/blobs"], ["BERTH_DATABASE_URL=postgres://other/x"]);
        Assert.Equal(0, flagged.ExitCode);
        Assert.Equal(("postgres://berth@db/berth", TimeSpan.FromSeconds(5), "/mnt/blobs"), (flagged.Server!.Database, flagged.Server.LeaderLease, flagged.Server.RegistryBlobDir));
        var fromEnvironment = await RunAsync(["server", "--data-dir", "{home}/e"], ["BERTH_DATABASE_URL=postgres://other/x"]);
        Assert.Equal("postgres://other/x", fromEnvironment.Server!.Database);
        var defaults = await RunAsync(["server", "--data-dir", "{home}/d"], []);
        Assert.Equal(((string?)null, TimeSpan.FromSeconds(15), (string?)null), (defaults.Server!.Database, defaults.Server.LeaderLease, defaults.Server.RegistryBlobDir));
    }

    [Fact]
    public async Task Metering_signs_with_the_AWS_variables_else_the_servers_chosen_root_keys()
    {
        var withAws = await RunAsync(["metering", "--cluster", "web", "--json"], ["AWS_ACCESS_KEY_ID=AKIAUSER", "AWS_SECRET_ACCESS_KEY=user-secret", "BERTH_ACCESS_KEY_ID=AKIAROOT", "BERTH_SECRET_ACCESS_KEY=root-secret"]);
        Assert.Equal(0, withAws.ExitCode);
        Assert.Equal(new Uri("http://127.0.0.1:4580"), withAws.Metering!.Endpoint);
        Assert.Equal(("web", true, "AKIAUSER"), (withAws.Metering.Cluster, withAws.Metering.Json, withAws.Metering.Credential.AccessKeyId));

        var withRoot = await RunAsync(["metering", "--data-dir", "{home}/nothing-here"], ["BERTH_ACCESS_KEY_ID=AKIAROOT", "BERTH_SECRET_ACCESS_KEY=root-secret"]);
        Assert.Equal(0, withRoot.ExitCode);
        Assert.Equal("AKIAROOT", withRoot.Metering!.Credential.AccessKeyId);
        Assert.False(Directory.Exists(Path.Combine(_home, "nothing-here")));
    }

    [Fact]
    public async Task Help_lists_the_new_flags_and_exits_0()
    {
        var run = await RunAsync(["server", "--help"], []);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--stopped-task-retention", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("--docker-timeout", run.Stdout, StringComparison.Ordinal);
        Assert.Null(run.Server);
    }

    private Task<CliRun> RunAsync(string[] args, string[] environment)
        => CliRun.InvokeAsync(
            [.. args.Select(Expand)],
            environment.Select(e => e.Split('=', 2)).ToDictionary(e => e[0], e => (string?)Expand(e[1]), StringComparer.Ordinal),
            _home);

    private string Expand(string text) => text.Replace("{file}", Path.Combine(_home, "a-file"), StringComparison.Ordinal).Replace("{home}", _home, StringComparison.Ordinal);
}
