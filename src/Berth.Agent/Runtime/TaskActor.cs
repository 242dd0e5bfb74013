using System.Threading.Channels;
using Berth.Agent.Engine;
using Berth.Docker;
using Berth.Ecs.Model;
using Berth.Ecs.Model.Agent;
using Microsoft.Extensions.Logging;
using TaskStatus = Berth.Agent.Engine.TaskStatus;

namespace Berth.Agent.Runtime;

/// <summary>What a task actor tells the control plane: one SubmitTaskStateChange's worth.</summary>
public sealed record TaskReport(string TaskArn, string Status, string? Reason, IReadOnlyList<ContainerStateChange> Containers, DateTimeOffset? PullStartedAt, DateTimeOffset? PullStoppedAt, DateTimeOffset? ExecutionStoppedAt, string? HealthStatus, IReadOnlyList<AttachmentStateChange>? Attachments = null);

/// <summary>
/// The only writer of one task's state on the agent. It asks <see cref="TaskTransitions"/> what to do,
/// starts those steps on Docker, and folds their outcomes (and container exits and health changes) back in
/// through its mailbox, one message at a time. Reports go out in order through the report callback.
/// </summary>
public sealed partial class TaskActor
{
    private readonly Channel<object> _mailbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IDockerEngine _docker;
    private readonly Func<TaskReport, CancellationToken, Task> _report;
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TaskDefinition _definition;
    private readonly TaskSpecContext _context;
    private readonly IReadOnlyList<ContainerPlan> _plans;
    private readonly Dictionary<string, ContainerKnown> _known = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NetworkBinding>> _bindings = new(StringComparer.Ordinal);
    private readonly List<ContainerSummary> _adopted;
    private TaskKnown _task;
    private string? _pauseId;
    private string? _pauseAddress;
    private string? _cgroupParent;
    private readonly string? _attachmentId;
    private TaskStatus _reported = TaskStatus.Provisioning;
    private string? _reportedSignature;
    private DateTimeOffset? _pullStartedAt;
    private DateTimeOffset? _pullStoppedAt;
    private readonly List<AgentRegistryCredential> _registryCredentials;

    /// <summary>Creates the actor for an assignment; <paramref name="adopted"/> are the task's containers already on the engine.</summary>
    public TaskActor(AgentAssignment assignment, string containerInstanceArn, IDockerEngine docker, Func<TaskReport, CancellationToken, Task> report, AgentOptions options, IEnumerable<ContainerSummary> adopted, TimeProvider time, ILogger logger)
    {
        var task = assignment.Task!;
        _definition = assignment.TaskDefinition!;
        _registryCredentials = assignment.RegistryCredentials ?? [];
        _docker = docker;
        _report = report;
        _options = options;
        _time = time;
        _logger = logger;
        _adopted = [.. adopted];
        TaskArn = task.TaskArn!;
        _context = new TaskSpecContext(task.ClusterArn!, TaskArn, containerInstanceArn, _definition, task.Overrides, null, _ids, options.HostIp);
        _plans = [.. _definition.ContainerDefinitions!.Select(c => new ContainerPlan(
            c.Name!,
            c.Essential ?? true,
            [.. (c.DependsOn ?? []).Select(d => new Dependency(d.ContainerName!, d.Condition!))],
            c.HealthCheck?.Command is { Count: > 0 },
            [.. (c.VolumesFrom ?? []).Select(v => v.SourceContainer!).Where(n => n is not null)]))];
        foreach (var plan in _plans)
        {
            _known[plan.Name] = new ContainerKnown(ContainerStatus.None);
        }

        _task = new TaskKnown(task.DesiredStatus != "STOPPED");
        _attachmentId = task.Attachments?.FirstOrDefault(a => a.Type == "ElasticNetworkInterface")?.Id;
        _reported = ParseStatus(task.LastStatus);
    }

    /// <summary>The task this actor runs.</summary>
    public string TaskArn { get; }

    /// <summary>Tells the actor what the control plane wants now.</summary>
    public void Desire(EcsTask task) => _mailbox.Writer.TryWrite(new DesiredChanged(task.DesiredStatus != "STOPPED"));

    /// <summary>Runs the task to STOPPED (reported), then cleans its containers up after the cleanup wait.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var token = cancellationToken;
        await AdoptAsync(token);
        string? stopReason = null;
        while (true)
        {
            var decision = TaskTransitions.Next(_plans, _known, _task);
            stopReason ??= decision.StopReason;
            await ReportIfChangedAsync(decision.Status, stopReason, token);
            if (decision.Status == TaskStatus.Stopped)
            {
                break;
            }

            Launch(decision, token);
            var message = await _mailbox.Reader.ReadAsync(token);
            Apply(message);
            while (_mailbox.Reader.TryRead(out var more))
            {
                Apply(more);
            }
        }

        LogStopped(_logger, TaskArn, stopReason ?? "stopped as desired");
        try
        {
            await Task.Delay(_options.TaskCleanupWait, _time, token);
            await CleanUpAsync(CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the containers stay until the next agent cleans them up.
        }
    }

    private void Apply(object message)
    {
        switch (message)
        {
            case DesiredChanged desired:
                _task = _task with { DesiredRunning = desired.Running && _task.DesiredRunning };
                break;
            case ContainerChanged changed:
                var current = _known[changed.Name];
                // An exit seen after the container already stopped (watcher and stop racing) changes nothing.
                if (current.Status != ContainerStatus.Stopped || changed.Known.Status != ContainerStatus.Stopped || current.Busy)
                {
                    _known[changed.Name] = changed.Known;
                }

                break;
            case ContainerCreated created:
                _ids[created.Name] = created.Id;
                _known[created.Name] = new ContainerKnown(ContainerStatus.Created);
                break;
            case ContainerStarted started:
                // The exit watcher may have won the race for a container that stopped at once.
                _bindings[started.Name] = started.Bindings;
                var before = _known[started.Name];
                _known[started.Name] = before.Status == ContainerStatus.Stopped ? before with { Busy = false } : new ContainerKnown(ContainerStatus.Running);
                break;
            case HealthSeen health when _known[health.Name].Status == ContainerStatus.Running:
                _known[health.Name] = _known[health.Name] with { Health = health.Health };
                break;
            case ProvisionDone provision:
                _task = _task with { Provisioned = provision.Provisioned, ProvisionBusy = false, EverProvisioned = _task.EverProvisioned || provision.Provisioned };
                if (provision.Error is not null)
                {
                    // The task could not get its network: it fails to start, with the reason on its first container.
                    var first = _plans[0].Name;
                    _known[first] = new ContainerKnown(ContainerStatus.Stopped, StartFailure: true, Reason: provision.Error);
                }

                break;
        }
    }

    private void Launch(TaskDecision decision, CancellationToken token)
    {
        if (decision.StopReason is not null)
        {
            _task = _task with { DesiredRunning = false };
        }

        switch (decision.TaskAction)
        {
            case TaskActionKind.Provision:
                _task = _task with { ProvisionBusy = true };
                _ = Run(() => ProvisionAsync(token), token);
                break;
            case TaskActionKind.Deprovision:
                _task = _task with { ProvisionBusy = true };
                _ = Run(() => DeprovisionAsync(token), token);
                break;
        }

        foreach (var action in decision.Actions)
        {
            var name = action.Container;
            _known[name] = _known[name] with { Busy = true };
            var definition = _definition.ContainerDefinitions!.First(c => c.Name == name);
            _ = action.Kind switch
            {
                ActionKind.Pull => Run(() => PullAsync(definition, token), token),
                ActionKind.Create => Run(() => CreateAsync(definition, token), token),
                ActionKind.Start => Run(() => StartAsync(definition, token), token),
                ActionKind.Stop => Run(() => StopAsync(definition, token), token),
                _ => Run(() => Task.FromResult<object>(new ContainerChanged(name, _known[name] with { Status = ContainerStatus.Stopped, Busy = false })), token),
            };
        }
    }

    // Runs one step off the actor's loop and posts its outcome back into the mailbox.
    private Task Run(Func<Task<object>> step, CancellationToken token) => Task.Run(async () =>
    {
        try
        {
            _mailbox.Writer.TryWrite(await step());
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }, CancellationToken.None);

    private async Task<object> PullAsync(ContainerDefinition definition, CancellationToken token)
    {
        var name = definition.Name!;
        _pullStartedAt ??= _time.GetUtcNow();
        try
        {
            var image = definition.Image!;
            var (policy, auth) = ImagePulls.For(image, _registryCredentials);
            if (policy == PullPolicy.Always)
            {
                try
                {
                    await _docker.PullImageAsync(image, auth, token);
                }
                catch (DockerException)
                {
                    if (!await _docker.ImageExistsAsync(image, token))
                    {
                        throw;
                    }
                }
            }
            else if (!await _docker.ImageExistsAsync(image, token))
            {
                await _docker.PullImageAsync(image, null, token);
            }

            _pullStoppedAt = _time.GetUtcNow();
            return new ContainerChanged(name, new ContainerKnown(ContainerStatus.Pulled));
        }
        catch (DockerException ex)
        {
            _pullStoppedAt = _time.GetUtcNow();
            return new ContainerChanged(name, new ContainerKnown(ContainerStatus.Stopped, StartFailure: true, Reason: $"CannotPullContainerError: {ex.DockerMessage ?? ex.Message}"));
        }
    }

    private async Task<object> CreateAsync(ContainerDefinition definition, CancellationToken token)
    {
        var name = definition.Name!;
        try
        {
            foreach (var volume in _definition.Volumes ?? [])
            {
                if (volume.Host?.SourcePath is not { Length: > 0 } && (definition.MountPoints ?? []).Any(m => m.SourceVolume == volume.Name))
                {
                    await _docker.CreateVolumeAsync(new VolumeSpec
                    {
                        Name = ContainerSpecs.VolumeName(_context, volume),
                        Driver = volume.DockerVolumeConfiguration?.Driver,
                        DriverOpts = volume.DockerVolumeConfiguration?.DriverOpts,
                        Labels = volume.DockerVolumeConfiguration?.Labels,
                    }, token);
                }
            }

            var spec = ContainerSpecs.For(_context with { PauseContainerId = _pauseId, ContainerIds = new Dictionary<string, string>(_ids), CgroupParent = _cgroupParent }, definition);
            string id;
            try
            {
                id = await _docker.CreateContainerAsync(ContainerSpecs.DockerName(_context, name), spec, token);
            }
            catch (DockerConflictException)
            {
                // Created by an earlier run of this agent that died before it learned the id: take it over.
                id = (await _docker.InspectContainerAsync(ContainerSpecs.DockerName(_context, name), token)).Id;
            }

            return new ContainerCreated(name, id);
        }
        catch (DockerException ex)
        {
            return new ContainerChanged(name, new ContainerKnown(ContainerStatus.Stopped, StartFailure: true, Reason: $"CannotCreateContainerError: {ex.DockerMessage ?? ex.Message}"));
        }
    }

    private async Task<object> StartAsync(ContainerDefinition definition, CancellationToken token)
    {
        var name = definition.Name!;
        var id = _ids[name];
        try
        {
            await _docker.StartContainerAsync(id, token);
            Watch(name, id, definition.HealthCheck is not null, token);

            // Only published ports need a look at what Docker bound (dynamic host ports are chosen at start).
            var bindings = _definition.NetworkMode is null or "bridge" && definition.PortMappings is { Count: > 0 }
                ? ContainerSpecs.NetworkBindings((await _docker.InspectContainerAsync(id, token)).NetworkSettings?.Ports)
                : [];
            return new ContainerStarted(name, bindings);
        }
        catch (DockerException ex)
        {
            return new ContainerChanged(name, new ContainerKnown(ContainerStatus.Stopped, StartFailure: true, Reason: $"CannotStartContainerError: {ex.DockerMessage ?? ex.Message}"));
        }
    }

    private async Task<object> StopAsync(ContainerDefinition definition, CancellationToken token)
    {
        var name = definition.Name!;
        var id = _ids[name];
        try
        {
            await _docker.StopContainerAsync(id, definition.StopTimeout ?? ContainerSpecs.DefaultStopTimeoutSeconds, token);
        }
        catch (DockerNotFoundException)
        {
            return new ContainerChanged(name, _known[name] with { Status = ContainerStatus.Stopped, Busy = false, Reason = "Container is gone" });
        }

        return await ExitedAsync(name, id, token);
    }

    // After a container exits: its exit code, and ECS's reason when the kernel killed it for memory.
    private async Task<object> ExitedAsync(string name, string id, CancellationToken token)
    {
        var inspect = await _docker.InspectContainerAsync(id, token);
        return new ContainerChanged(name, new ContainerKnown(ContainerStatus.Stopped, false, inspect.State.ExitCode, Health.Unknown, ExitReason(inspect)));
    }

    private void Watch(string name, string id, bool health, CancellationToken token)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                await _docker.WaitContainerAsync(id, token);
                var exited = (ContainerChanged)await ExitedAsync(name, id, token);
                _mailbox.Writer.TryWrite(new ContainerExited(name, exited.Known));
            }
            catch (Exception ex) when (ex is OperationCanceledException or DockerException)
            {
            }
        }, CancellationToken.None);
        if (!health)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            var last = Health.Unknown;
            try
            {
                while (!token.IsCancellationRequested)
                {
                    var inspect = await _docker.InspectContainerAsync(id, token);
                    if (!inspect.State.Running)
                    {
                        return;
                    }

                    var now = inspect.State.Health?.Status switch { "healthy" => Health.Healthy, "unhealthy" => Health.Unhealthy, _ => Health.Unknown };
                    if (now != last)
                    {
                        last = now;
                        _mailbox.Writer.TryWrite(new HealthSeen(name, now));
                    }

                    await Task.Delay(TimeSpan.FromSeconds(1), _time, token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or DockerException)
            {
            }
        }, CancellationToken.None);
    }

    private async Task<object> ProvisionAsync(CancellationToken token)
    {
        var (cpu, memory) = ContainerSpecs.TaskLimits(_context);
        _cgroupParent = TaskCgroup.Create(ContainerSpecs.TaskId(TaskArn), cpu, memory);
        if (_definition.NetworkMode != "awsvpc")
        {
            return new ProvisionDone(true, null);
        }

        try
        {
            var image = await PauseImage.EnsureAsync(_docker, token);
            string id;
            try
            {
                id = await _docker.CreateContainerAsync(ContainerSpecs.PauseName(_context), ContainerSpecs.Pause(_context, image), token);
            }
            catch (DockerConflictException)
            {
                id = (await _docker.InspectContainerAsync(ContainerSpecs.PauseName(_context), token)).Id;
            }

            await _docker.StartContainerAsync(id, token);
            _pauseId = id;
            _pauseAddress = (await _docker.InspectContainerAsync(id, token)).NetworkSettings?.IPAddress;
            return new ProvisionDone(true, null);
        }
        catch (DockerException ex)
        {
            return new ProvisionDone(false, $"ResourceInitializationError: unable to set up the task network: {ex.DockerMessage ?? ex.Message}");
        }
    }

    private async Task<object> DeprovisionAsync(CancellationToken token)
    {
        if (_pauseId is { } id)
        {
            try
            {
                await _docker.RemoveContainerAsync(id, force: true, cancellationToken: token);
            }
            catch (DockerNotFoundException)
            {
            }
        }

        return new ProvisionDone(false, null);
    }

    private async Task AdoptAsync(CancellationToken token)
    {
        var cgroup = TaskCgroup.ParentOf(ContainerSpecs.TaskId(TaskArn));
        if (_adopted.Count > 0 && TaskCgroup.Supported && Directory.Exists("/sys/fs/cgroup/memory" + cgroup))
        {
            _cgroupParent = cgroup;
        }

        foreach (var summary in _adopted)
        {
            var inspect = await _docker.InspectContainerAsync(summary.Id, token);
            var labels = inspect.Config?.Labels ?? new Dictionary<string, string>();
            if (labels.ContainsKey(ContainerSpecs.PauseLabel))
            {
                _pauseId = inspect.Id;
                _pauseAddress = inspect.NetworkSettings?.IPAddress;
                _task = _task with { Provisioned = inspect.State.Running, EverProvisioned = true };
                continue;
            }

            if (!labels.TryGetValue(ContainerSpecs.ContainerNameLabel, out var name) || !_known.ContainsKey(name))
            {
                continue;
            }

            _ids[name] = inspect.Id;
            if (inspect.State.Running)
            {
                _known[name] = new ContainerKnown(ContainerStatus.Running);
                _bindings[name] = ContainerSpecs.NetworkBindings(inspect.NetworkSettings?.Ports);
                Watch(name, inspect.Id, inspect.Config?.Healthcheck is not null, token);
            }
            else if (inspect.State.Status == "created")
            {
                _known[name] = new ContainerKnown(ContainerStatus.Created);
            }
            else
            {
                _known[name] = new ContainerKnown(ContainerStatus.Stopped, ExitCode: inspect.State.ExitCode, Reason: ExitReason(inspect));
            }
        }

        if (_ids.Count > 0 && _definition.NetworkMode != "awsvpc")
        {
            _task = _task with { Provisioned = true, EverProvisioned = true };
        }
    }

    // ECS's reason for a container the kernel killed for its memory limit; none for an ordinary exit.
    private static string? ExitReason(ContainerInspect inspect)
        => inspect.State.OOMKilled ? "OutOfMemoryError: Container killed due to memory usage" : null;

    private async Task CleanUpAsync(CancellationToken token)
    {
        foreach (var id in _ids.Values)
        {
            try
            {
                await _docker.RemoveContainerAsync(id, force: true, cancellationToken: token);
            }
            catch (DockerException)
            {
                // Already gone, or the engine is away: the next agent start cleans up what is left.
            }
        }

        TaskCgroup.Remove(ContainerSpecs.TaskId(TaskArn));
    }

    private async Task ReportIfChangedAsync(TaskStatus status, string? reason, CancellationToken token)
    {
        var containers = _plans.Select(p => Change(p.Name)).ToList();
        var signature = string.Join(";", containers.Select(c => $"{c.ContainerName}:{c.Status}:{c.ExitCode}:{c.HealthStatus}:{c.NetworkBindings?.Count}")) + "|" + status + "|" + _task.Provisioned;
        if (signature == _reportedSignature)
        {
            return;
        }

        var health = TaskTransitions.TaskHealth(_plans, _known);
        var path = status > _reported ? TaskTransitions.Path(_reported, status) : [_reported];
        foreach (var step in path)
        {
            await _report(new TaskReport(
                TaskArn,
                Wire(step),
                step == TaskStatus.Stopped ? reason : null,
                containers,
                _pullStartedAt,
                _pullStoppedAt,
                step == TaskStatus.Stopped ? _time.GetUtcNow() : null,
                WireHealth(health),
                Attachment(step)), token);
        }

        _reported = status > _reported ? status : _reported;
        _reportedSignature = signature;
    }

    // The awsvpc network interface: ATTACHED with its address while the namespace exists, DELETED once torn down.
    private List<AttachmentStateChange>? Attachment(TaskStatus status)
    {
        if (_attachmentId is null || _definition.NetworkMode != "awsvpc" || (_pauseId is null && status < TaskStatus.Stopped))
        {
            return null;
        }

        if (status == TaskStatus.Stopped || !_task.Provisioned)
        {
            return [new AttachmentStateChange { AttachmentArn = _attachmentId, Status = "DELETED" }];
        }

        return
        [
            new AttachmentStateChange
            {
                AttachmentArn = _attachmentId,
                Status = "ATTACHED",
                Details = _pauseAddress is null ? null : [new Ecs.Model.KeyValuePair { Name = "privateIPv4Address", Value = _pauseAddress }],
            },
        ];
    }

    private ContainerStateChange Change(string name)
    {
        var known = _known[name];
        return new ContainerStateChange
        {
            ContainerName = name,
            RuntimeId = _ids.GetValueOrDefault(name),
            Status = known.Status switch
            {
                ContainerStatus.Running => "RUNNING",
                ContainerStatus.Stopped => "STOPPED",
                _ => "PENDING",
            },
            ExitCode = known.Status == ContainerStatus.Stopped ? known.ExitCode : null,
            Reason = known.Reason,
            NetworkBindings = _bindings.GetValueOrDefault(name),
            HealthStatus = WireHealth(known.Health),
        };
    }

    private static string WireHealth(Health health) => health switch { Health.Healthy => "HEALTHY", Health.Unhealthy => "UNHEALTHY", _ => "UNKNOWN" };

    private static string Wire(TaskStatus status) => status.ToString().ToUpperInvariant();

    private static TaskStatus ParseStatus(string? status) => Enum.TryParse<TaskStatus>(status, ignoreCase: true, out var parsed) ? parsed : TaskStatus.Provisioning;

    private sealed record DesiredChanged(bool Running);

    private record ContainerChanged(string Name, ContainerKnown Known);

    private sealed record ContainerExited(string Name, ContainerKnown Exited) : ContainerChanged(Name, Exited);

    private sealed record HealthSeen(string Name, Health Health);

    private sealed record ProvisionDone(bool Provisioned, string? Error);

    private sealed record ContainerCreated(string Name, string Id);

    private sealed record ContainerStarted(string Name, List<NetworkBinding> Bindings);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskArn} stopped: {StoppedReason}")]
    private static partial void LogStopped(ILogger logger, string taskArn, string stoppedReason);
}
