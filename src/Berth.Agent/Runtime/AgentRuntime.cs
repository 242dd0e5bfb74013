using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Berth.Agent.Client;
using Berth.Agent.Engine;
using Berth.Agent.Metadata;
using Berth.Agent.Metrics;
using Berth.Docker;
using Berth.Ecs.Model;
using Berth.Ecs.Model.Agent;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Runtime;

/// <summary>
/// The agent: registers its container instance, keeps the channel to the server open (the server pushes the
/// instance's tasks the moment they change), runs one <see cref="TaskActor"/> per task with one
/// <see cref="TaskReporter"/> for as long as the task has something to report, and reports every transition with
/// SubmitTaskStateChange. Docker's event stream tells the actors of their containers' health. Every call to the server
/// is bounded by <see cref="AgentOptions.ServerCallTimeout"/> and retried through <see cref="Backoff"/>. Restarted with
/// the same data dir it is the same instance and adopts the containers it left running.
/// </summary>
/// <param name="options">How the agent runs.</param>
/// <param name="docker">The engine.</param>
/// <param name="ecs">The server.</param>
/// <param name="time">The clock of every wait and timeout.</param>
/// <param name="logger">Where the agent logs.</param>
/// <param name="random">The jitter of retries; used from several threads at once (<see cref="Random.Shared"/> when null).</param>
public sealed partial class AgentRuntime(AgentOptions options, IDockerEngine docker, EcsClient ecs, TimeProvider time, ILogger<AgentRuntime> logger, Random? random = null) : IAgentState
{
    /// <summary>The agent's version as it reports it.</summary>
    public const string Version = "berth-agent-0.1.0";

    private readonly Random _random = random ?? Random.Shared;

    // The awslogs driver: one shipper per container, checkpoints in the data dir.
    private readonly Logs.LogShipping _logs = new(docker, options.Servers ?? options.Endpoint, options.Region, options.Credential, options.DataDir, time, logger, options.LogsMultilineFlush);
    private readonly ConcurrentDictionary<string, TaskActor> _actors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _finished = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskReporter> _reporters = new(StringComparer.Ordinal);

    private MetadataEndpoint? _metadata;
    private MetadataIds? _metadataIds;

    /// <summary>The registered instance's ARN, once registered.</summary>
    public string? ContainerInstanceArn { get; private set; }

    /// <inheritdoc />
    public string Cluster => options.Cluster;

    /// <inheritdoc />
    public IEnumerable<TaskSnapshot> Tasks => _actors.Values.Select(a => a.Snapshot);

    /// <summary>Tasks whose actor is running (until its containers are cleaned up).</summary>
    internal int ActiveActors => _actors.Count;

    /// <summary>Tasks whose reporter is running (until their STOPPED is delivered).</summary>
    internal int ActiveReporters => _reporters.Count;

    /// <summary>Registers, then serves the channel until <paramref name="cancellationToken"/> fires, reconnecting with backoff.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // The endpoints are up before any task is started, so every container is created with their variables.
        _metadataIds = MetadataIds.LoadOrCreate(options.DataDir);
        await using var endpoints = await AgentEndpoints.StartAsync(new EndpointOptions(options.MetadataPort, options.IntrospectionPort, options.IntrospectionAddress), this, docker, Version, logger, cancellationToken);
        _metadata = endpoints.Metadata;
        var events = Task.Run(() => ContainerEvents.RunAsync(docker, options.ReconnectRetry, time, _random, Route, Resync, logger, stopping.Token), CancellationToken.None);
        var metrics = options.MetricPeriod > TimeSpan.Zero
            ? Task.Run(() => new TaskMetricsSampler(() => Tasks, () => ContainerInstanceArn, docker, ecs, time, options.MetricPeriod, logger).RunAsync(stopping.Token), CancellationToken.None)
            : Task.CompletedTask;
        try
        {
            await ServeAsync(cancellationToken);
        }
        finally
        {
            await stopping.CancelAsync();
            await events;
            await metrics;
        }
    }

    private async Task ServeAsync(CancellationToken cancellationToken)
    {
        var arn = await RegisterWithRetryAsync(cancellationToken);
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var heard = new StrongBox<bool>();
            try
            {
                await ServeChannelAsync(arn, heard, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or EcsClientException or OperationCanceledException or TimeoutException)
            {
                LogChannelLost(logger, arn, ex.Message);
                if (ex is EcsClientException { ErrorType: "ClusterNotFoundException" or "InvalidParameterException" })
                {
                    // The instance was deregistered or its cluster deleted: register again.
                    arn = await RegisterWithRetryAsync(cancellationToken);
                }
            }

            // A channel that delivered messages was healthy: its loss starts the backoff over.
            failures = heard.Value ? 1 : failures + 1;
            await Task.Delay(Backoff.Delay(options.ReconnectRetry, failures, _random.NextDouble()), time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private Task<string> RegisterWithRetryAsync(CancellationToken cancellationToken)
        => Backoff.RunAsync(
            options.RegisterRetry,
            RegisterAsync,
            ex => ex is HttpRequestException or IOException or EcsClientException or DockerException or TimeoutException,
            time,
            _random,
            (_, ex, _) => LogRegisterFailed(logger, options.Cluster, ex.Message),
            cancellationToken);

    private async Task<string> RegisterAsync(CancellationToken cancellationToken)
    {
        var identity = AgentIdentity.LoadOrCreate(options.DataDir);
        var version = await docker.VersionAsync(cancellationToken);
        var request = new RegisterContainerInstanceRequest
        {
            Cluster = options.Cluster,
            ContainerInstanceArn = identity.ContainerInstanceArn,
            Ec2InstanceId = identity.Ec2InstanceId,
            TotalResources = HostResources.Detect(options),
            VersionInfo = new VersionInfo { AgentVersion = Version, AgentHash = "berth", DockerVersion = "DockerVersion: " + version.Version },
            Attributes = Capabilities.Attributes(options),
        };
        ContainerInstance instance;
        try
        {
            instance = (await ecs.CallAsync("RegisterContainerInstance", request, WireJsonContext.Default.RegisterContainerInstanceRequest, WireJsonContext.Default.RegisterContainerInstanceResponse, cancellationToken)).ContainerInstance!;
        }
        catch (EcsClientException) when (request.ContainerInstanceArn is not null && !options.KeepIdentity)
        {
            // The old identity is not known any more (deregistered, or another server): become a new instance.
            request.ContainerInstanceArn = null;
            instance = (await ecs.CallAsync("RegisterContainerInstance", request, WireJsonContext.Default.RegisterContainerInstanceRequest, WireJsonContext.Default.RegisterContainerInstanceResponse, cancellationToken)).ContainerInstance!;
        }

        (identity with { ContainerInstanceArn = instance.ContainerInstanceArn }).Save(options.DataDir);
        ContainerInstanceArn = instance.ContainerInstanceArn;
        LogRegistered(logger, instance.ContainerInstanceArn!, options.Cluster);
        return instance.ContainerInstanceArn!;
    }

    // The channel's silence limit bounds both its opening and every wait for its next message.
    private async Task ServeChannelAsync(string arn, StrongBox<bool> heard, CancellationToken cancellationToken)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        silence.CancelAfter(options.ChannelSilenceLimit);
        var adopted = false;
        IReadOnlyList<ContainerSummary>? existing = null;
        await foreach (var message in ecs.ChannelAsync(options.Cluster, arn, silence.Token))
        {
            silence.CancelAfter(options.ChannelSilenceLimit);
            if (!heard.Value)
            {
                // The server is back: reports that ran out of attempts while it was away go now.
                heard.Value = true;
                foreach (var reporter in _reporters.Values)
                {
                    reporter.ServerReachable();
                }
            }

            if (message.Type != AgentChannelMessage.AssignmentsType)
            {
                continue;
            }

            // Containers left by an earlier run are looked up once per channel, for adoption; tasks that arrive
            // later were never seen by this engine.
            existing ??= await docker.ListContainersAsync(new Dictionary<string, string?> { [ContainerSpecs.InstanceLabel] = arn }, all: true, cancellationToken);
            var assigned = (message.Tasks ?? []).Where(a => a.Task?.TaskArn is not null && a.TaskDefinition is not null).ToList();
            foreach (var assignment in assigned)
            {
                var taskArn = assignment.Task!.TaskArn!;
                if (_actors.TryGetValue(taskArn, out var actor))
                {
                    actor.Desire(assignment.Task);
                }
                else if (!_finished.ContainsKey(taskArn))
                {
                    Start(assignment, arn, existing.Where(c => c.Labels?.GetValueOrDefault(ContainerSpecs.TaskArnLabel) == taskArn), cancellationToken);
                }
            }

            // The first message of a channel carries every task of the instance: containers of any other task go.
            if (!adopted)
            {
                adopted = true;
                await RemoveOrphansAsync(existing, assigned.Select(a => a.Task!.TaskArn!).ToHashSet(StringComparer.Ordinal), cancellationToken);
            }
        }

        throw new IOException("The server closed the agent channel.");
    }

    private void Start(AgentAssignment assignment, string arn, IEnumerable<ContainerSummary> adopted, CancellationToken cancellationToken)
    {
        var taskArn = assignment.Task!.TaskArn!;
        var clusterArn = assignment.Task.ClusterArn!;
        var reporter = new TaskReporter(taskArn, (report, token) => SubmitAsync(clusterArn, report, token), options.ReportRetry, time, _random, logger);
        var actor = new TaskActor(assignment, arn, docker, reporter.Enqueue, options, adopted, time, logger, _random, _logs, _metadata, _metadataIds);
        if (!_reporters.TryAdd(taskArn, reporter))
        {
            return;
        }

        if (!_actors.TryAdd(taskArn, actor))
        {
            _reporters.TryRemove(taskArn, out _);
            return;
        }

        // The reporter ends once the task's STOPPED is delivered; the actor goes on to clean up after its wait.
        _ = Task.Run(async () =>
        {
            try
            {
                await reporter.RunAsync(cancellationToken);
            }
            finally
            {
                _reporters.TryRemove(taskArn, out _);
            }
        }, CancellationToken.None);
        _ = Task.Run(async () =>
        {
            try
            {
                await actor.RunAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                LogActorFailed(logger, taskArn, ex);
            }
            finally
            {
                reporter.Complete();
                _finished.TryAdd(taskArn, 0);
                _actors.TryRemove(taskArn, out _);
            }
        }, CancellationToken.None);
    }

    private async Task SubmitAsync(string clusterArn, TaskReport report, CancellationToken cancellationToken)
        => await ecs.CallAsync("SubmitTaskStateChange", new SubmitTaskStateChangeRequest
        {
            Cluster = clusterArn,
            Task = report.TaskArn,
            Status = report.Status,
            Reason = report.Reason,
            Containers = [.. report.Containers],
            PullStartedAt = report.PullStartedAt,
            PullStoppedAt = report.PullStoppedAt,
            ExecutionStoppedAt = report.ExecutionStoppedAt,
            HealthStatus = report.HealthStatus,
            Attachments = report.Attachments is null ? null : [.. report.Attachments],
        }, WireJsonContext.Default.SubmitTaskStateChangeRequest, WireJsonContext.Default.SubmitTaskStateChangeResponse, cancellationToken);

    // An engine event about a container of one of this agent's tasks goes to that task's actor.
    private void Route(DockerEvent engineEvent)
    {
        if (engineEvent.Attributes.GetValueOrDefault(ContainerSpecs.TaskArnLabel) is { } taskArn && _actors.TryGetValue(taskArn, out var actor))
        {
            actor.Observe(engineEvent);
        }
    }

    private void Resync()
    {
        foreach (var actor in _actors.Values)
        {
            actor.ResyncHealth();
        }
    }

    private async Task RemoveOrphansAsync(IReadOnlyList<ContainerSummary> existing, HashSet<string> assigned, CancellationToken cancellationToken)
    {
        foreach (var container in existing)
        {
            var taskArn = container.Labels?.GetValueOrDefault(ContainerSpecs.TaskArnLabel);
            if (taskArn is not null && !assigned.Contains(taskArn) && !_actors.ContainsKey(taskArn))
            {
                LogOrphan(logger, taskArn, container.Id);
                try
                {
                    await docker.RemoveContainerAsync(container.Id, force: true, cancellationToken: cancellationToken);
                }
                catch (DockerNotFoundException)
                {
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered container instance {ContainerInstanceArn} in cluster {Cluster}")]
    private static partial void LogRegistered(ILogger logger, string containerInstanceArn, string cluster);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register in cluster {Cluster}: {Error}; retrying")]
    private static partial void LogRegisterFailed(ILogger logger, string cluster, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent channel of {ContainerInstanceArn} lost: {Error}; reconnecting")]
    private static partial void LogChannelLost(ILogger logger, string containerInstanceArn, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Task {TaskArn} actor failed")]
    private static partial void LogActorFailed(ILogger logger, string taskArn, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removing container {ContainerId} of task {TaskArn}, which the server no longer runs here")]
    private static partial void LogOrphan(ILogger logger, string taskArn, string containerId);
}

/// <summary>What the instance offers: CPU (1024 per core), memory (MiB), and the ports it reserves.</summary>
public static class HostResources
{
    /// <summary>The resources to register, read from this host.</summary>
    public static List<Resource> Detect(AgentOptions options)
    {
        var memoryMiB = (options.MemoryMiB ?? MemoryMiB()) - options.ReservedMemoryMiB;
        return
        [
            new Resource { Name = "CPU", Type = "INTEGER", IntegerValue = options.CpuUnits ?? Environment.ProcessorCount * 1024 },
            new Resource { Name = "MEMORY", Type = "INTEGER", IntegerValue = (int)Math.Max(0, memoryMiB) },
            new Resource { Name = "PORTS", Type = "STRINGSET", StringSetValue = [.. options.ReservedPorts.Select(p => p.ToString(CultureInfo.InvariantCulture))] },
            new Resource { Name = "PORTS_UDP", Type = "STRINGSET", StringSetValue = [] },
        ];
    }

    private static long MemoryMiB()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    var kib = long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    return kib / 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024);
    }
}

/// <summary>The attributes an instance registers with: ECS's own, the capabilities this agent supports, and custom ones.</summary>
public static class Capabilities
{
    /// <summary>The attributes list for RegisterContainerInstance.</summary>
    public static List<EcsAttribute> Attributes(AgentOptions options)
    {
        var attributes = new List<EcsAttribute>
        {
            new() { Name = "ecs.os-type", Value = "linux" },
            new() { Name = "ecs.os-family", Value = "LINUX" },
            new() { Name = "ecs.cpu-architecture", Value = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "x86_64" },
            new() { Name = "ecs.availability-zone", Value = options.AvailabilityZone },
            new() { Name = "ecs.instance-type", Value = options.InstanceType },
        };
        string[] capabilities =
        [
            "com.amazonaws.ecs.capability.privileged-container",
            "com.amazonaws.ecs.capability.task-iam-role",
            "com.amazonaws.ecs.capability.task-iam-role-network-host",
            "com.amazonaws.ecs.capability.logging-driver.json-file",
            "com.amazonaws.ecs.capability.logging-driver.none",
            "com.amazonaws.ecs.capability.logging-driver.syslog",
            "com.amazonaws.ecs.capability.logging-driver.journald",
            "com.amazonaws.ecs.capability.logging-driver.awslogs",
            "ecs.capability.execution-role-awslogs",
            "ecs.capability.task-eni",
            "ecs.capability.container-health-check",
            "ecs.capability.container-ordering",
            "ecs.capability.docker-plugin.local",
            "ecs.capability.task-cpu-mem-limit",
            "ecs.capability.pid-ipc-namespace-sharing",
            "ecs.capability.env-files.s3",
        ];
        attributes.AddRange(capabilities.Select(c => new EcsAttribute { Name = c }));
        for (var minor = 17; minor <= 41; minor++)
        {
            attributes.Add(new EcsAttribute { Name = $"com.amazonaws.ecs.capability.docker-remote-api.1.{minor}" });
        }

        attributes.AddRange(options.Attributes.Select(a => new EcsAttribute { Name = a.Key, Value = a.Value }));
        return attributes;
    }
}
