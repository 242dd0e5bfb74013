using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Berth.Agent.Client;
using Berth.Agent.Engine;
using Berth.Docker;
using Berth.Ecs.Model;
using Berth.Ecs.Model.Agent;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Runtime;

/// <summary>
/// The agent: registers its container instance, keeps the channel to the server open (the server pushes the
/// instance's tasks the moment they change), runs one <see cref="TaskActor"/> per task, and reports every
/// transition with SubmitTaskStateChange. Restarted with the same data dir it is the same instance and
/// adopts the containers it left running.
/// </summary>
public sealed partial class AgentRuntime(AgentOptions options, IDockerEngine docker, EcsClient ecs, TimeProvider time, ILogger<AgentRuntime> logger)
{
    /// <summary>The agent's version as it reports it.</summary>
    public const string Version = "berth-agent-0.1.0";

    private readonly ConcurrentDictionary<string, TaskActor> _actors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _finished = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskReporter> _reporters = new(StringComparer.Ordinal);

    /// <summary>The registered instance's ARN, once registered.</summary>
    public string? ContainerInstanceArn { get; private set; }

    /// <summary>Registers, then serves the channel until <paramref name="cancellationToken"/> fires, reconnecting with backoff.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var arn = await RegisterWithRetryAsync(cancellationToken);
        var backoff = TimeSpan.FromMilliseconds(200);
        var first = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ServeChannelAsync(arn, first, cancellationToken);
                first = false;
                backoff = TimeSpan.FromMilliseconds(200);
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

            await Task.Delay(backoff, time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
        }
    }

    private async Task<string> RegisterWithRetryAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return await RegisterAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or EcsClientException or DockerException && !cancellationToken.IsCancellationRequested)
            {
                LogRegisterFailed(logger, options.Cluster, ex.Message);
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

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
        catch (EcsClientException) when (request.ContainerInstanceArn is not null)
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

    private async Task ServeChannelAsync(string arn, bool first, CancellationToken cancellationToken)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        silence.CancelAfter(options.ChannelSilenceLimit);
        var adoptedOnce = !first;
        IReadOnlyList<ContainerSummary>? existing = null;
        await foreach (var message in ecs.ChannelAsync(options.Cluster, arn, silence.Token))
        {
            silence.CancelAfter(options.ChannelSilenceLimit);
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

            if (!adoptedOnce)
            {
                adoptedOnce = true;
                await RemoveOrphansAsync(existing, assigned.Select(a => a.Task!.TaskArn!).ToHashSet(StringComparer.Ordinal), cancellationToken);
            }
        }

        throw new IOException("The server closed the agent channel.");
    }

    private void Start(AgentAssignment assignment, string arn, IEnumerable<ContainerSummary> adopted, CancellationToken cancellationToken)
    {
        var taskArn = assignment.Task!.TaskArn!;
        var reporter = _reporters.GetOrAdd(taskArn, a => new TaskReporter(a, assignment.Task.ClusterArn!, ecs, time, logger, cancellationToken));
        var actor = new TaskActor(assignment, arn, docker, reporter.Enqueue, options, adopted, time, logger);
        if (!_actors.TryAdd(taskArn, actor))
        {
            return;
        }

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
                _finished.TryAdd(taskArn, 0);
                _actors.TryRemove(taskArn, out _);
            }
        }, CancellationToken.None);
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

/// <summary>
/// Sends one task's reports in order, retrying each until the server takes it, so the actor never waits on
/// the network: a task whose essential container exits stops at once even while the server is away.
/// </summary>
internal sealed partial class TaskReporter
{
    private readonly Channel<TaskReport> _queue = Channel.CreateUnbounded<TaskReport>(new UnboundedChannelOptions { SingleReader = true });

    public TaskReporter(string taskArn, string clusterArn, EcsClient ecs, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        _ = Task.Run(async () =>
        {
            await foreach (var queued in _queue.Reader.ReadAllAsync(cancellationToken))
            {
                // Reports waiting behind a slow one are folded into the newest: the server takes a task's status
                // forward in one step and stamps the times of every status it passes.
                var report = queued;
                while (_queue.Reader.TryRead(out var newer))
                {
                    report = newer;
                }

                var delay = TimeSpan.FromMilliseconds(100);
                while (true)
                {
                    try
                    {
                        await ecs.CallAsync("SubmitTaskStateChange", new SubmitTaskStateChangeRequest
                        {
                            Cluster = clusterArn,
                            Task = taskArn,
                            Status = report.Status,
                            Reason = report.Reason,
                            Containers = [.. report.Containers],
                            PullStartedAt = report.PullStartedAt,
                            PullStoppedAt = report.PullStoppedAt,
                            ExecutionStoppedAt = report.ExecutionStoppedAt,
                            HealthStatus = report.HealthStatus,
                            Attachments = report.Attachments is null ? null : [.. report.Attachments],
                        }, WireJsonContext.Default.SubmitTaskStateChangeRequest, WireJsonContext.Default.SubmitTaskStateChangeResponse, cancellationToken);
                        break;
                    }
                    catch (EcsClientException ex) when (ex.Status is >= 400 and < 500)
                    {
                        // The server refused it for good (task gone): retrying would not help.
                        LogReportRefused(logger, taskArn, ex.Message);
                        break;
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException or EcsClientException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                    {
                        await Task.Delay(delay, time, cancellationToken);
                        delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
                    }
                }
            }
        }, CancellationToken.None);
    }

    public Task Enqueue(TaskReport report, CancellationToken cancellationToken)
    {
        _queue.Writer.TryWrite(report);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report for task {TaskArn} refused: {Error}")]
    private static partial void LogReportRefused(ILogger logger, string taskArn, string error);
}

/// <summary>What the instance offers: CPU (1024 per core), memory (MiB), and the ports it reserves.</summary>
public static class HostResources
{
    /// <summary>The resources to register, read from this host.</summary>
    public static List<Resource> Detect(AgentOptions options)
    {
        var memoryMiB = MemoryMiB() - options.ReservedMemoryMiB;
        return
        [
            new Resource { Name = "CPU", Type = "INTEGER", IntegerValue = Environment.ProcessorCount * 1024 },
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
