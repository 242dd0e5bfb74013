using System.Net;
using Berth.Agent.Client;
using Berth.Agent.Runtime;
using Berth.AutoScaling;
using Berth.CloudWatch;
using Berth.CloudWatch.Alarms;
using Berth.CloudWatch.Store;
using Berth.Docker;
using Berth.Ec2AutoScaling;
using Berth.Ecs;
using Berth.Ecs.AgentAccess;
using Berth.Ecs.Arns;
using Berth.Ecs.Capacity;
using Berth.Ecs.Clusters;
using Berth.Ecs.Expiry;
using Berth.Ecs.Model;
using Berth.Ecs.Model.Agent;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Elb;
using Berth.Events;
using Berth.Events.Firing;
using Berth.Events.Scheduler;
using Berth.LoadBalancing;
using Berth.Logs;
using Berth.Logs.Retention;
using Berth.Logs.Storage;
using Berth.Protocol.Auth;
using Berth.Protocol.Cbor;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;
using Berth.Protocol.Query;
using Berth.Protocol.RestJson;
using Berth.Registry;
using Berth.Registry.Auth;
using Berth.Registry.Distribution;
using Berth.Registry.Ecr;
using Berth.Server.Agents;
using Berth.Server.AutoScaling;
using Berth.Server.Capacity;
using Berth.Server.ConsoleLinks;
using Berth.Server.Credentials;
using Berth.Server.Edge;
using Berth.Server.Events;
using Berth.Server.Expiry;
using Berth.Server.LoadBalancing;
using Berth.Server.Metering;
using Berth.Server.Metrics;
using Berth.Server.Services;
using Berth.Storage.Commit;
using Berth.Storage.Postgres;
using Berth.Storage.Shared;
using Berth.WebConsole.Auth;
using Berth.WebConsole.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Hosting;

/// <summary>Composes the server: state store, commit pipeline, services, edge, and the HTTP host.</summary>
public static partial class BerthServer
{
    /// <summary>The database file inside the data dir.</summary>
    public const string DatabaseFile = "state.db";

    /// <summary>The controller group whose lease decides which server runs the controllers (several servers only).</summary>
    public const string ControllersGroup = "controllers";

    /// <summary>Runs until SIGTERM/SIGINT (or <paramref name="stopping"/>), then drains and stops.</summary>
    public static async Task<int> RunAsync(ServerOptions options, CancellationToken stopping = default)
    {
        Directory.CreateDirectory(options.DataDir);
        var root = RootCredentials.LoadOrCreate(options.DataDir, options.AccountId, options.RootKeys, out var generated);
        if (generated)
        {
            // Printed once, on the start that made them; afterwards they are only in the data dir.
            Console.WriteLine($"Berth generated root credentials (kept in {Path.Combine(options.DataDir, RootCredentials.FileName)}):");
            Console.WriteLine($"  AWS_ACCESS_KEY_ID={root.AccessKeyId}");
            Console.WriteLine($"  AWS_SECRET_ACCESS_KEY={root.SecretAccessKey}");
        }

        // The state's writers log from before the HTTP host (and its loggers) exists until after it is gone.
        using var stateLoggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
        var time = TimeProvider.System;

        // One server keeps each component's state in a SQLite file of the data dir; several share one PostgreSQL
        // database (a namespace per component), and the controllers run on the server that holds their lease.
        await using var shared = options.Database is { } databaseUrl ? await PostgresDatabase.OpenAsync(databaseUrl, stateLoggers.CreateLogger("Berth.Storage"), stopping) : null;
        var stores = shared is null ? StateStores.Sqlite(options.DataDir) : StateStores.Postgres(shared);
        await using var leadership = shared is null
            ? null
            : new PostgresLeadership(shared.Source, ControllersGroup, $"{Environment.MachineName}:{options.Port}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}", options.LeaderLease, time, stateLoggers.CreateLogger("Berth.Leadership"));
        var ecsState = await stores.OpenAsync(DatabaseFile, "ecs", StateCodec.Load, StateCodec.Apply, stateLoggers.CreateLogger("Berth.State"), stopping);
        var pipeline = ecsState.Pipeline;
        RegistryService? registry = null;

        // Load balancing keeps its own file and writer too: the data plane follows its state, not the ECS state.
        await using var elb = await ElbControlPlane.OpenAsync(stores, stateLoggers.CreateLogger("Berth.Elb"), stopping);

        // EC2 Auto Scaling keeps its own file and writer too (autoscaling.db).
        await using var ec2AutoScaling = await AsgControlPlane.OpenAsync(stores, stateLoggers.CreateLogger("Berth.Ec2AutoScaling"), stopping);

        // CloudWatch Logs keeps its own file and writer: ingest never goes through the ECS state's single writer.
        // Several servers keep the logs in their shared database, so a line shipped through one is read through any.
        await using var logs = shared is null
            ? await LogStore.OpenAsync(Path.Combine(options.DataDir, LogStore.FileName), stateLoggers.CreateLogger("Berth.Logs"), stopping)
            : LogStore.OpenShared(shared.Source, stateLoggers.CreateLogger("Berth.Logs"));

        // EventBridge keeps its own file and writer too (events.db).
        await using var events = await EventsService.OpenAsync(stores, stateLoggers.CreateLogger("Berth.Events"), stopping);

        // Application Auto Scaling keeps its own file and writer too (application-autoscaling.db).
        await using var autoScaling = await AutoScalingService.OpenAsync(stores, stateLoggers.CreateLogger("Berth.AutoScaling"), stopping);
        try
        {
            var url = $"http://{options.BindAddress}:{options.Port}";
            var table = new DispatchTable();
            var ecsApi = new EcsApi(pipeline, time) { AgentEndpoint = url, TargetGroups = new ElbTargetGroupCatalog(elb.Pipeline) };
            ecsApi.Register(table);

            // The registry keeps its own metadata file; its passwords are signed with a key derived from the root secret and the account.
            registry = await RegistryService.OpenAsync(
                stores,
                new RegistryOptions
                {
                    DataDir = options.DataDir,
                    BlobDir = options.RegistryBlobDir,
                    Maintains = leadership is null ? null : () => leadership.Current is not null,
                    AccountId = options.AccountId,
                    Host = $"{options.BindAddress}:{options.Port}",
                    TokenKey = RegistryTokens.DeriveKey(root.SecretAccessKey, options.AccountId),
                    UploadExpiry = options.RegistryUploadExpiry,
                    MaxUploadsPerRepository = options.RegistryMaxUploads,
                },
                time,
                stateLoggers.CreateLogger("Berth.Registry"),
                stopping);
            new EcrApi(registry).Register(table);
            new LogsApi(logs, time).Register(table);

            // CloudWatch metrics and alarms live in memory, beside the ECS state and off its writer (see MetricStore);
            // several servers exchange what changed in each through their database.
            var metricStore = new MetricStore(options.MetricPeriod) { RecordsChanges = shared is not null };
            var alarms = new AlarmBook(metricStore, time) { RecordsChanges = shared is not null };
            await using var metricExchange = shared is null ? null : new MetricExchange(shared.Source, metricStore, alarms, time, stateLoggers.CreateLogger<MetricExchange>());
            metricExchange?.Start();
            new CloudWatchApi(metricStore, time) { Alarms = alarms }.Register(table);
            new TaskMetricsIngest(pipeline, metricStore, time).Register(table);
            var scalingApi = new AutoScalingApi(autoScaling.Pipeline, alarms, new EcsScalableResources(pipeline, options.AccountId), time, options.MetricPeriod);
            scalingApi.Register(table);

            // Alarms live in memory: a target-tracking policy's are put again from the stored policy.
            scalingApi.RestoreAlarms(options.AccountId);
            await using var scaling = new ScalingController(autoScaling.Pipeline, pipeline, alarms, time, options.MetricPeriod, options.AccountId, stateLoggers.CreateLogger<ScalingController>()) { Leadership = leadership };
            using var metricSweep = time.CreateTimer(_ => metricStore.Sweep(time.GetUtcNow()), null, TimeSpan.FromHours(1), TimeSpan.FromHours(1));

            var runTaskTarget = new EcsRunTaskTarget(ecsApi, options.AccountId);
            var invocationMetrics = new MetricStoreSink(metricStore, time);
            var logGroupTarget = new LogGroupTarget(logs, time);
            await using var delivery = new EventDelivery(events.Pipeline, runTaskTarget, stateLoggers.CreateLogger<EventDelivery>(), invocationMetrics, time) { LogGroups = logGroupTarget };
            new EventsApi(events.Pipeline, options.AccountId, time) { Published = delivery.Publish }.Register(table);
            table.Freeze();
            var queryTable = new QueryDispatchTable();
            var addresses = new AddressPool(options.LoadBalancerAddresses, () => elb.Pipeline.Current);
            await using var plane = new LoadBalancerDataPlane(time, stateLoggers);
            await using var feed = new DataPlaneFeed(elb.Pipeline, plane, AddressPool.AddressOf, id => InstanceHost(pipeline.Current, id), time, options.LoadBalancerResync, stateLoggers.CreateLogger<DataPlaneFeed>());
            // Alarms are evaluated just after each metric period ends, on the timer's thread (a read of the store per
            // alarm), after the load balancers' request metrics of the period are put.
            var albMetrics = new AlbMetricsPublisher(plane, metricStore, time);
            var alarmLogger = stateLoggers.CreateLogger("Berth.CloudWatch");

            // Set once the console exists: its live pages redraw their charts after each period.
            Action? periodEnded = null;
            using var alarmEvaluation = new MetricPeriodTicker(time, options.MetricPeriod, () =>
            {
                try
                {
                    albMetrics.Publish();
                    alarms.EvaluateAll();
                    scaling.Wake();
                    Volatile.Read(ref periodEnded)?.Invoke();
                }
                catch (Exception ex)
                {
                    // A timer callback that throws would end the process: logged, and the next period tries again.
                    LogAlarmEvaluationFailed(alarmLogger, ex);
                }
            });
            new ElbApi(elb.Pipeline, time, new Random()) { DnsName = addresses.DnsName, Health = feed }.Register(queryTable);
            new Ec2AutoScalingApi(ec2AutoScaling.Pipeline, time).Register(queryTable);
            queryTable.Freeze();
            var restTable = new RestJsonDispatchTable();
            new SchedulerApi(events.Pipeline, options.AccountId, time).Register(restTable);
            restTable.Freeze();

            // The default cluster exists from the first start, as in ECS, so the one command gives a working cluster.
            await pipeline.ExecuteAsync(s => ClusterDecisions.Create(s, new Scope(options.Region, options.AccountId), new CreateClusterRequest()));

            // FARGATE tasks run on the hosts of Berth's own capacity cluster; it exists so any agent can join it.
            await pipeline.ExecuteAsync(s => ClusterDecisions.CreateCapacity(s, new Scope(options.Region, options.AccountId)));

            // The agents Berth runs itself join as any other does, with the built-in token (its secret derives from root's).
            await pipeline.ExecuteAsync(s => AgentAccessDecisions.EnsureBuiltin(s, time.GetUtcNow(), AgentKeys.BuiltinTokenId));

            // No configuration files are read, so none is watched: by default the host watches its content root (the
            // working directory, often the home that holds the data dir) recursively, a watch per folder and an
            // event per SQLite write.
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                Args = ["--hostBuilder:reloadConfigOnChange=false"],
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

            // A start that fails (an address in use) throws to the caller, which says so in one line: not logged twice.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
            builder.WebHost.UseKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Listen(IPAddress.Parse(options.BindAddress), options.Port);
                kestrel.Limits.MaxRequestBodySize = null; // the edge enforces its own, documented limit
            });
            builder.Services.AddSingleton(table);
            await using var app = builder.Build();
            var verifier = new SigV4Verifier(new CredentialStore(root, options.AccountId, () => pipeline.Current), time);
            var edge = new AwsJsonEdge(table, verifier, options.AccountId, options.MaxBodyBytes, app.Services.GetRequiredService<ILogger<AwsJsonEdge>>())
            {
                // A full PutLogEvents batch (1 MiB of messages) is larger than that once JSON-encoded.
                LargeBodyTargetPrefix = Berth.Logs.Model.WireOperations.TargetPrefix + ".",
                LargeBodyBytes = ServerOptions.LogsMaxBodyBytes,
                ScopedKeys = new AgentGate(pipeline, options.AccountId).Check,
            };
            var queryEdge = new QueryEdge(queryTable, verifier, options.AccountId, options.MaxBodyBytes, app.Services.GetRequiredService<ILogger<QueryEdge>>());
            var restEdge = new RestJsonEdge(restTable, verifier, options.AccountId, options.MaxBodyBytes, app.Services.GetRequiredService<ILogger<RestJsonEdge>>());
            var cborServices = new Dictionary<string, CborService>(StringComparer.Ordinal)
            {
                [Berth.CloudWatch.Model.WireCbor.ServiceShape] = new(
                    new CborMembers(Berth.CloudWatch.Model.WireCbor.TimestampMembers, Berth.CloudWatch.Model.WireCbor.DoubleMembers, Berth.CloudWatch.Model.WireCbor.BlobMembers),
                    Berth.CloudWatch.Model.WireCbor.Errors),
            };
            var cborEdge = new CborEdge(table, verifier, options.AccountId, options.MaxBodyBytes, cborServices, app.Services.GetRequiredService<ILogger<CborEdge>>());
            var loggers = app.Services.GetRequiredService<ILoggerFactory>();
            var logger = loggers.CreateLogger("Berth.Server");
            await using var hub = new AgentHub(pipeline, verifier, options.AccountId, time, new AgentHubOptions { LostAfter = options.AgentLostAfter, RegistryCredentials = RegistryCredentialsFor(registry), Leadership = leadership }, loggers.CreateLogger<AgentHub>());
            await using var services = new ServiceController(pipeline, time, IdSource.Random, new Random(), new ServiceControllerOptions { Resync = options.ServiceResync, Debounce = options.ServiceDebounce }, loggers.CreateLogger<ServiceController>()) { Leadership = leadership };
            services.Start();
            scaling.Start();
            await using var expiry = new ExpiryController(pipeline, time, RetentionPeriods.Of(options.StoppedTaskRetention), loggers.CreateLogger<ExpiryController>()) { Leadership = leadership };
            expiry.Start();
            await using var rules = new RuleScheduler(events.Pipeline, runTaskTarget, time, new RuleSchedulerOptions
            {
                RateMinute = options.EventsRateMinute,
                FlexibleSeed = Random.Shared.Next(),

                // ECS replays a firing's RunTask from its client token only while it keeps the token.
                RecoveryWindow = options.StoppedTaskRetention,
            },
            loggers.CreateLogger<RuleScheduler>(),
            invocationMetrics)
            {
                Ready = token => FleetReadiness.WaitAsync(pipeline, hub.HasChannel, time, FleetReadiness.Grace, token),
                LogGroups = logGroupTarget,
                Leadership = leadership,
            };
            rules.Start();
            delivery.Start();
            await using var ecsEvents = new EcsEventSource(pipeline, delivery, time, loggers.CreateLogger<EcsEventSource>()) { Leadership = leadership };
            ecsEvents.Start();
            await using var logRetention = new RetentionSweeper(logs, time, options.LogsRetentionSweep, loggers.CreateLogger<RetentionSweeper>())
            {
                Sweeps = leadership is null ? null : () => leadership.Current is not null,
            };
            logRetention.Start();
            var metering = new MeteringEndpoint(pipeline, verifier, options.AccountId, time);
            var spot = new SpotEndpoint(pipeline, verifier, options.AccountId, time);
            var join = new JoinEndpoint(pipeline, verifier, options.AccountId, time);
            await using var spotPressure = new SpotController(pipeline, time, options.SpotPressureInterval, loggers.CreateLogger<SpotController>()) { Leadership = leadership };
            spotPressure.Start();
            var distribution = new DistributionHandler(registry, app.Services.GetRequiredService<ILogger<DistributionHandler>>());
            using var webConsole = new ConsoleEndpoint(
                new ConsoleSources
                {
                    Ecs = pipeline,
                    Api = table,
                    Registry = registry,
                    Logs = logs,
                    LoadBalancing = new ConsoleLoadBalancing
                    {
                        Elb = elb.Pipeline,
                        Health = feed,
                        SubscribeHealthChanged = notify =>
                        {
                            EventHandler<Berth.LoadBalancing.Health.TargetHealthChange> handler = (_, _) => notify();
                            plane.HealthChanged += handler;
                            return () => plane.HealthChanged -= handler;
                        },
                        TaskTargets = (ecs, service, task) => ServiceTargets.TargetsOf(ecs, service, task).Select(t => (t.TargetGroupArn, t.Id, t.Port)),
                    },
                    Region = options.Region,
                    AccountId = options.AccountId,
                    Endpoint = url,
                    Time = time,
                    AutoScaling = autoScaling.Pipeline,
                    Metrics = metricStore,
                    Alarms = alarms,
                    Events = events.Pipeline,
                    EventsRateMinute = options.EventsRateMinute,
                },
                new CredentialStore(root, options.AccountId),
                ConsoleSessions.DeriveKey(root.SecretAccessKey, options.AccountId),
                loggers.CreateLogger<ConsoleEndpoint>())
            { Stopping = app.Lifetime.ApplicationStopping };
            Volatile.Write(ref periodEnded, webConsole.Changed);
            var consoleLink = new ConsoleLinkEndpoint(verifier, webConsole.Sessions, time);
            var barrier = shared is null ? null : new ReadBarrier(shared);
            barrier?.Add("ecs", pipeline);
            barrier?.Add("elb", elb.Pipeline);
            barrier?.Add("autoscaling", ec2AutoScaling.Pipeline);
            barrier?.Add("events", events.Pipeline);
            barrier?.Add("application-autoscaling", autoScaling.Pipeline);
            barrier?.Add("registry", registry.Pipeline);
            app.Run(http => barrier is null
                ? Route(http, options.DataDir, edge, queryEdge, restEdge, cborEdge, hub, metering, spot, join, consoleLink, distribution, webConsole)
                : SyncedAsync(http, barrier, () => Route(http, options.DataDir, edge, queryEdge, restEdge, cborEdge, hub, metering, spot, join, consoleLink, distribution, webConsole)));
            await using var targets = new ServiceTargetsController(pipeline, elb.Pipeline, feed, time, IdSource.Random, new ServiceTargetsOptions(), loggers.CreateLogger<ServiceTargetsController>()) { Leadership = leadership };
            plane.HealthChanged += (_, _) => targets.Wake();
            await app.StartAsync(stopping);
            feed.Start();
            targets.Start();
            LogListening(logger, url, options.DataDir);
            ConsoleEndpoint.Announce(logger, url);

            using var agentStopping = CancellationTokenSource.CreateLinkedTokenSource(stopping);

            // Long-lived agent channels would hold the HTTP server's drain open: end them (and the local agent) first.
            app.Lifetime.ApplicationStopping.Register(() =>
            {
                hub.Stop();
                agentStopping.Cancel();
            });
            var agent = options.LocalAgent
                ? Task.Run(() => RunLocalAgentAsync(options, root, url, time, loggers, ClusterRules.DefaultName, "agent", "berth.local", (options.MetadataPort, options.IntrospectionPort), agentStopping.Token), CancellationToken.None)
                : Task.CompletedTask;
            var fargate = options.FargateCapacity
                ? Task.Run(() => RunLocalAgentAsync(options, root, url, time, loggers, FargateCapacity.ClusterName, "fargate-agent", "berth.fargate", (options.FargateMetadataPort, options.FargateIntrospectionPort), agentStopping.Token, (options.FargateCpu, options.FargateMemoryMiB)), CancellationToken.None)
                : Task.CompletedTask;
            // Auto Scaling instances: agents in this process by default, else the operator's provisioner command.
            await using IInstanceLauncher launcher = options.AsgProvisionerCommand is { } command
                ? new CommandLauncher(command, url, options.Region, root, TimeSpan.FromMinutes(5), loggers.CreateLogger<CommandLauncher>())
                : new InProcessLauncher(
                    options.DataDir,
                    (spec, dir, token) => RunLocalAgentAsync(
                        options, root, url, time, loggers, spec.Cluster, dir, spec.InstanceType, (0, 0), token, (spec.CpuUnits, spec.MemoryMiB), spec.Attributes, spec.AvailabilityZone),
                    (arn, token) => RemoveContainersAsync(options, arn, token),
                    time);
            await using var provisioner = new GroupProvisioner(ec2AutoScaling.Pipeline, pipeline, launcher, time, options.AsgInterval, options.AgentLostAfter, loggers.CreateLogger<GroupProvisioner>()) { Leadership = leadership };
            provisioner.Start();

            // Not led: every server keeps the instances it hosts in step with their groups.
            await using var hosted = new InstanceHost(ec2AutoScaling.Pipeline, pipeline, launcher, time, options.AsgInterval, loggers.CreateLogger<InstanceHost>());
            hosted.Start();
            await using var waitingTasks = new ProvisioningController(pipeline, time, options.AsgInterval, options.TaskProvisioningTimeout, loggers.CreateLogger<ProvisioningController>()) { Leadership = leadership };
            waitingTasks.Start();
            await using var managedScaling = new ManagedScalingController(pipeline, ec2AutoScaling.Pipeline, metricStore, time, options.MetricPeriod, loggers.CreateLogger<ManagedScalingController>()) { Leadership = leadership };
            managedScaling.Start();
            await app.WaitForShutdownAsync(stopping);
            LogStopping(logger);
            await agentStopping.CancelAsync();
            await agent;
            await fargate;
        }
        finally
        {
            // Drains commands already accepted so every acknowledged write is durable before exit.
            await ecsState.DisposeAsync();
            if (registry is not null)
            {
                await registry.DisposeAsync();
            }
        }

        return 0;
    }

    // An instance target's host. Agents do not report an address yet, so an instance Berth knows is taken to be this
    // host (true for the local agent and FARGATE capacity); targets on other hosts are registered by IP.
    private static string? InstanceHost(EcsState state, string instanceId)
        => state.ContainerInstances.Values.Any(i => i.Ec2InstanceId == instanceId) ? "127.0.0.1" : null;

    // The in-process agent is an ordinary agent that happens to share the process: same channel, same API. Each of the
    // two has its own metadata and introspection ports, as two agents on one host would.
    private static async Task RunLocalAgentAsync(
        ServerOptions options, SigningCredential root, string url, TimeProvider time, ILoggerFactory loggers, string cluster, string dataSubdir, string instanceType, (int Metadata, int Introspection) ports, CancellationToken cancellationToken,
        (int? Cpu, int? MemoryMiB) size = default, IReadOnlyDictionary<string, string?>? attributes = null, string availabilityZone = "local-1a")
    {
        using var docker = new DockerClient(options.DockerHost, options.DockerTimeouts);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var dataDir = Path.Combine(options.DataDir, dataSubdir);
        SigningCredential key;
        try
        {
            key = await AgentJoin.ResolveAsync(http, new Uri(url), options.Region, AgentKeys.TokenText(AgentKeys.BuiltinTokenId, AgentKeys.BuiltinSecret(root.SecretAccessKey)), cluster, dataDir, time, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        var agentOptions = new AgentOptions
        {
            Cluster = cluster,
            Endpoint = new Uri(url),
            Region = options.Region,
            Credential = key,
            DataDir = dataDir,
            DockerHost = options.DockerHost,
            InstanceType = instanceType,
            MetadataPort = ports.Metadata,
            IntrospectionPort = ports.Introspection,
            MetricPeriod = options.MetricPeriod,
            CpuUnits = size.Cpu,
            MemoryMiB = size.MemoryMiB,
            Attributes = attributes ?? new Dictionary<string, string?>(),
            AvailabilityZone = availabilityZone,

            // An Auto Scaling instance is one container instance for life; once deregistered it waits to be removed.
            KeepIdentity = attributes is not null,
        };
        var ecs = new EcsClient(http, agentOptions.Endpoint, agentOptions.Region, key, time);
        try
        {
            await new AgentRuntime(agentOptions, docker, ecs, time, loggers.CreateLogger<AgentRuntime>()).RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    // What an Auto Scaling instance's agent left on the engine: every container labelled with its container instance.
    private static async Task RemoveContainersAsync(ServerOptions options, string containerInstanceArn, CancellationToken cancellationToken)
    {
        using var docker = new DockerClient(options.DockerHost, options.DockerTimeouts);
        var left = await docker.ListContainersAsync(new Dictionary<string, string?> { [Berth.Agent.Engine.ContainerSpecs.InstanceLabel] = containerInstanceArn }, all: true, cancellationToken);
        foreach (var container in left)
        {
            await docker.RemoveContainerAsync(container.Id, force: true, cancellationToken: cancellationToken);
        }
    }

    // A task whose images live in this server's registry gets a pull password for the principal that pulls them:
    // its execution role when it names one, else the account root.
    private static Func<EcsTask, TaskDefinition, List<AgentRegistryCredential>?> RegistryCredentialsFor(RegistryService registry) => (task, definition) =>
    {
        var host = registry.Options.Host;
        if (!(definition.ContainerDefinitions ?? []).Any(c => c.Image?.StartsWith(host + "/", StringComparison.Ordinal) == true))
        {
            return null;
        }

        var principal = definition.ExecutionRoleArn ?? $"arn:aws:iam::{registry.AccountId}:root";

        // The agent may pull its task's images and nothing else: not push, not other repositories.
        var repositories = (definition.ContainerDefinitions ?? [])
            .Select(c => c.Image)
            .Where(image => image?.StartsWith(host + "/", StringComparison.Ordinal) == true)
            .Select(image => RepositoryOf(image![(host.Length + 1)..]))
            .ToHashSet(StringComparer.Ordinal);
        var (password, _) = registry.Tokens.Issue(principal, repositories);
        return [new AgentRegistryCredential { Registry = host, Username = RegistryTokens.UserName, Password = password }];
    };

    // NAME[:TAG] or NAME@DIGEST: a tag's colon comes after the name's last slash.
    private static string RepositoryOf(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        var name = at >= 0 ? reference[..at] : reference;
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? name[..colon] : name;
    }

    private static Task Route(HttpContext http, string dataDir, AwsJsonEdge edge, QueryEdge queryEdge, RestJsonEdge restEdge, CborEdge cborEdge, AgentHub hub, MeteringEndpoint metering, SpotEndpoint spot, JoinEndpoint join, ConsoleLinkEndpoint consoleLink, DistributionHandler distribution, ConsoleEndpoint webConsole)
    {
        var path = http.Request.Path.Value;
        if (ConsoleEndpoint.Owns(path))
        {
            return webConsole.HandleAsync(http);
        }

        if (path is not null && (path == "/v2" || path.StartsWith("/v2/", StringComparison.Ordinal)))
        {
            // The registry streams its own bodies: the AWS edge's 1 MiB limit does not apply here.
            return distribution.HandleAsync(http);
        }

        if (path == "/_berth/health" && HttpMethods.IsGet(http.Request.Method))
        {
            return HealthAsync(http, dataDir);
        }

        if (cborEdge.TryAccept(http, out var cborService, out var cborOperation))
        {
            // Smithy RPC v2 CBOR (CloudWatch): the path names the service and the operation.
            return cborEdge.HandleAsync(http, cborService, cborOperation);
        }

        if (restEdge.TryAccept(http, out var restService))
        {
            // Signed for a rest-json service (EventBridge Scheduler): the method and path name the operation.
            return restEdge.HandleAsync(http, restService);
        }

        if (path == "/" && HttpMethods.IsPost(http.Request.Method))
        {
            // Form-encoded and signed for a query-protocol service (ELBv2): XML in and out. Everything else is AWS JSON.
            return queryEdge.TryAccept(http, out var service) ? queryEdge.HandleAsync(http, service) : edge.HandleAsync(http);
        }

        if (path == MeteringEndpoint.Path && HttpMethods.IsGet(http.Request.Method))
        {
            return metering.HandleAsync(http);
        }

        if (path == SpotEndpoint.Path && HttpMethods.IsPost(http.Request.Method))
        {
            return spot.HandleAsync(http);
        }

        if (path == "/_berth/agent/v1/channel" && HttpMethods.IsGet(http.Request.Method))
        {
            return hub.HandleAsync(http);
        }

        if (path == ConsoleLinkEndpoint.Path && HttpMethods.IsPost(http.Request.Method))
        {
            return consoleLink.HandleAsync(http);
        }

        if (JoinEndpoint.Owns(path, http.Request.Method))
        {
            return join.HandleAsync(http);
        }

        return AwsJsonEdge.WriteErrorAsync(http, 404, "UnknownOperationException", $"No operation at {http.Request.Method} {path}.");
    }

    // Several servers: every request but an agent's channel and the health check is served on state at least as new
    // as the database's when it arrived (ReadBarrier). A database that cannot be reached answers 503, not a stale read.
    private static async Task SyncedAsync(HttpContext http, ReadBarrier barrier, Func<Task> route)
    {
        var path = http.Request.Path.Value;
        if (path is not ("/_berth/agent/v1/channel" or "/_berth/health"))
        {
            try
            {
                await barrier.WaitAsync(http.RequestAborted);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException or CommitFailedException && !http.RequestAborted.IsCancellationRequested)
            {
                await AwsJsonEdge.WriteErrorAsync(http, 503, "ServiceUnavailableException", "The state database cannot be reached; try again.");
                return;
            }
        }

        await route();
    }

    // 503 with the reason while the data dir's file system has less than 1 MiB free: writes would fail.
    private static Task HealthAsync(HttpContext http, string dataDir)
    {
        http.Response.ContentType = "application/json";
        var free = new DriveInfo(dataDir).AvailableFreeSpace;
        if (free >= StorageFull.HealthyFreeBytes)
        {
            return http.Response.WriteAsync("{\"status\":\"ok\"}");
        }

        http.Response.StatusCode = 503;
        var reason = $"storage is full: {free} bytes free on the data dir's file system, less than {StorageFull.HealthyFreeBytes}";
        using var buffer = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("status", "unavailable");
            writer.WriteString("reason", reason);
            writer.WriteEndObject();
        }

        return http.Response.Body.WriteAsync(buffer.ToArray()).AsTask();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Berth listening on {Url} (data dir {DataDir})")]
    private static partial void LogListening(ILogger logger, string url, string dataDir);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alarm evaluation failed")]
    private static partial void LogAlarmEvaluationFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Berth stopping")]
    private static partial void LogStopping(ILogger logger);
}
