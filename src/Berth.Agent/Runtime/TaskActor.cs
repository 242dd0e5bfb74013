using System.Threading.Channels;
using Berth.Agent.Client;
using Berth.Agent.Engine;
using Berth.Agent.Logs;
using Berth.Agent.Metadata;
using Berth.Docker;
using Berth.Ecs.Model;
using Berth.Ecs.Model.Agent;
using Microsoft.Extensions.Logging;
using TaskStatus = Berth.Agent.Engine.TaskStatus;

namespace Berth.Agent.Runtime;

/// <summary>What a task actor tells the control plane: one SubmitTaskStateChange's worth.</summary>
public sealed record TaskReport(string TaskArn, string Status, string? Reason, IReadOnlyList<ContainerStateChange> Containers, DateTimeOffset? PullStartedAt, DateTimeOffset? PullStoppedAt, DateTimeOffset? ExecutionStoppedAt, string? HealthStatus, IReadOnlyList<AttachmentStateChange>? Attachments = null);

/// <summary>
/// One task on the agent, and the only writer of what the agent knows of it: its containers, their ids and bindings,
/// the task's network namespace and cgroup, its pull times. Everything is read and written on the actor's loop only.
/// The loop asks <see cref="TaskTransitions"/> what to do and starts those steps (pull, create, start, stop, the task's
/// network and cgroup) off the loop, each handed copies of what it needs; a step's outcome comes back through the
/// mailbox as a message, as do container exits and health changes, and the loop folds them in one at a time. A step
/// that fails unexpectedly is logged and stops the task with "Berth agent error: ..." as its reason. Reports go out in
/// order through the report callback, STOPPED last.
/// </summary>
public sealed partial class TaskActor
{
    /// <summary>How a stop reason names a failure of the agent itself rather than of the task.</summary>
    public const string AgentErrorPrefix = "Berth agent error: ";

    // Waiting on a running container survives short engine outages; a longer one loses track of it and stops the task.
    private static readonly RetryPolicy ExitWatchRetry = new(30, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);

    private readonly Channel<object> _mailbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IDockerEngine _docker;
    private readonly Func<TaskReport, CancellationToken, Task> _report;
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly TaskDefinition _definition;
    private readonly Dictionary<string, ContainerDefinition> _definitions = new(StringComparer.Ordinal);
    private readonly TaskSpecContext _context;
    private readonly IReadOnlyList<ContainerPlan> _plans;
    private readonly List<ContainerSummary> _adopted;
    private readonly string? _attachmentId;
    private readonly List<AgentRegistryCredential> _registryCredentials;
    private readonly LogShipping? _logs;
    private readonly string? _defaultLogDriverMode;
    private readonly EcsTask _task0;
    private readonly Dictionary<string, string> _containerArns = new(StringComparer.Ordinal);
    private TaskSnapshot _snapshot;

    // Owned by the loop: nothing off the loop reads or writes these.
    private readonly Dictionary<string, ContainerKnown> _known = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NetworkBinding>> _bindings = new(StringComparer.Ordinal);
    private TaskKnown _task;
    private string? _pauseId;
    private string? _pauseAddress;
    private string? _cgroupParent;
    private string? _stopReason;
    private string? _stopCode;
    private TaskStatus _reported = TaskStatus.Provisioning;
    private string? _reportedSignature;
    private DateTimeOffset? _pullStartedAt;
    private DateTimeOffset? _pullStoppedAt;

    /// <summary>Creates the actor for an assignment; <paramref name="adopted"/> are the task's containers already on the engine.</summary>
    /// <remarks>
    /// With <paramref name="metadata"/> and <paramref name="metadataIds"/> every container gets the task metadata
    /// endpoint's variables, each with its own id.
    /// </remarks>
    public TaskActor(AgentAssignment assignment, string containerInstanceArn, IDockerEngine docker, Func<TaskReport, CancellationToken, Task> report, AgentOptions options, IEnumerable<ContainerSummary> adopted, TimeProvider time, ILogger logger, Random? random = null, LogShipping? logs = null, MetadataEndpoint? metadata = null, MetadataIds? metadataIds = null)
    {
        _logs = logs;
        var task = assignment.Task!;
        _definition = assignment.TaskDefinition!;
        _registryCredentials = assignment.RegistryCredentials ?? [];
        _defaultLogDriverMode = assignment.DefaultLogDriverMode;
        _docker = docker;
        _report = report;
        _options = options;
        _time = time;
        _random = random ?? Random.Shared;
        _logger = logger;
        _adopted = [.. adopted];
        TaskArn = task.TaskArn!;

        // Steps get the ids of the containers created so far as a copy taken on the loop, never this context's.
        _task0 = task;
        var ids = metadataIds is null ? null : _definition.ContainerDefinitions!.ToDictionary(c => c.Name!, c => metadataIds.For(TaskArn, c.Name!), StringComparer.Ordinal);
        _context = new TaskSpecContext(task.ClusterArn!, TaskArn, containerInstanceArn, _definition, task.Overrides, null, new Dictionary<string, string>(), options.HostIp, Metadata: metadata, MetadataIds: ids);
        foreach (var container in task.Containers ?? [])
        {
            if (container.Name is not null && container.ContainerArn is not null)
            {
                _containerArns[container.Name] = container.ContainerArn;
            }
        }

        _plans = [.. _definition.ContainerDefinitions!.Select(c => new ContainerPlan(
            c.Name!,
            c.Essential ?? true,
            [.. (c.DependsOn ?? []).Select(d => new Dependency(d.ContainerName!, d.Condition!))],
            c.HealthCheck?.Command is { Count: > 0 },
            [.. (c.VolumesFrom ?? []).Select(v => v.SourceContainer!).Where(n => n is not null)]))];
        foreach (var definition in _definition.ContainerDefinitions!)
        {
            _definitions[definition.Name!] = definition;
        }

        foreach (var plan in _plans)
        {
            _known[plan.Name] = new ContainerKnown(ContainerStatus.None);
        }

        _task = new TaskKnown(task.DesiredStatus != "STOPPED");
        _attachmentId = task.Attachments?.FirstOrDefault(a => a.Type == "ElasticNetworkInterface")?.Id;
        _reported = ParseStatus(task.LastStatus);
        _snapshot = BuildSnapshot();
    }

    private enum Step
    {
        Pull,
        Create,
        Start,
        Stop,
        Provision,
        Deprovision,
        WatchExit,
        InspectHealth,
    }

    /// <summary>The task this actor runs.</summary>
    public string TaskArn { get; }

    /// <summary>What the actor knew of its task when it last decided: safe to read from any thread.</summary>
    public TaskSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Tells the actor what the control plane wants now.</summary>
    public void Desire(EcsTask task) => _mailbox.Writer.TryWrite(new DesiredChanged(task.DesiredStatus != "STOPPED"));

    /// <summary>An engine event about one of this task's containers: its health changes (matched to the container by id on the loop).</summary>
    internal void Observe(DockerEvent engineEvent)
    {
        if (engineEvent.HealthStatus is { } status)
        {
            _mailbox.Writer.TryWrite(new HealthEvent(engineEvent.ActorId, ParseHealth(status)));
        }
    }

    /// <summary>The engine's event stream was away, so health changes may have been missed: look once at each container with a health check.</summary>
    internal void ResyncHealth() => _mailbox.Writer.TryWrite(new HealthResync());

    /// <summary>Runs the task to STOPPED (reported), then cleans its containers up after the cleanup wait.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var token = cancellationToken;
        try
        {
            await AdoptAsync(token);
            while (true)
            {
                var decision = TaskTransitions.Next(_plans, _known, _task);
                _stopReason ??= decision.StopReason;
                _stopCode ??= decision.StopCode;
                if (decision.Status == TaskStatus.Stopped && _logs is not null)
                {
                    // awslogs: everything the containers wrote is shipped before the task is reported STOPPED.
                    await _logs.DrainAsync(TaskArn, token);
                }

                await ReportIfChangedAsync(decision.Status, _stopReason, token);
                if (decision.Status == TaskStatus.Stopped)
                {
                    break;
                }

                Launch(decision, token);
                Publish();
                Apply(await _mailbox.Reader.ReadAsync(token), token);
                while (_mailbox.Reader.TryRead(out var more))
                {
                    Apply(more, token);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
        {
            // The loop itself failed, so nothing can drive the task further: it is reported STOPPED with the reason and
            // its containers are removed now rather than left running with nobody watching them.
            LogLoopFailed(_logger, TaskArn, ex);
            _stopReason ??= AgentError(ex);
            await AbortAsync(_stopReason, token);
        }

        Publish();
        LogStopped(_logger, TaskArn, _stopReason ?? "stopped as desired");
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

    private void Apply(object message, CancellationToken token)
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
            case ContainerGone gone:
                var was = _known[gone.Name];
                if (was.Status != ContainerStatus.Stopped || was.Busy)
                {
                    _known[gone.Name] = was with { Status = ContainerStatus.Stopped, Busy = false, Reason = was.Reason ?? "Container is gone" };
                }

                break;
            case Pulled pulled:
                _pullStoppedAt = pulled.At;
                _known[pulled.Name] = pulled.Known;
                break;
            case ContainerCreated created:
                _ids[created.Name] = created.Id;
                _known[created.Name] = new ContainerKnown(ContainerStatus.Created, Health: _known[created.Name].Health);
                break;
            case ContainerStarted started:
                // The exit watcher may have won the race for a container that stopped at once; a health event may
                // have come before the start's own answer.
                _bindings[started.Name] = started.Bindings;
                var before = _known[started.Name];
                _known[started.Name] = before.Status == ContainerStatus.Stopped ? before with { Busy = false } : new ContainerKnown(ContainerStatus.Running, Health: before.Health);
                break;
            case HealthEvent health:
                if (NameOf(health.ContainerId) is { } named)
                {
                    SetHealth(named, health.Health);
                }

                break;
            case HealthSeen seen:
                SetHealth(seen.Name, seen.Health);
                break;
            case HealthResync:
                foreach (var plan in _plans)
                {
                    if (plan.HasHealthCheck && _known[plan.Name].Status == ContainerStatus.Running && _ids.TryGetValue(plan.Name, out var id))
                    {
                        var name = plan.Name;
                        RunStep(name, Step.InspectHealth, ct => InspectHealthAsync(name, id, ct), token);
                    }
                }

                break;
            case Provisioned provisioned:
                _cgroupParent = provisioned.CgroupParent;
                _pauseId = provisioned.PauseId ?? _pauseId;
                _pauseAddress = provisioned.PauseAddress ?? _pauseAddress;
                var ok = provisioned.Error is null;
                _task = _task with { Provisioned = ok, ProvisionBusy = false, EverProvisioned = _task.EverProvisioned || ok };
                if (!ok)
                {
                    // The task could not get its network: it fails to start, with the reason on its first container.
                    _known[_plans[0].Name] = new ContainerKnown(ContainerStatus.Stopped, StartFailure: true, Reason: provisioned.Error);
                }

                break;
            case Deprovisioned:
                _task = _task with { Provisioned = false, ProvisionBusy = false };
                break;
            case Abandoned abandoned:
                // A container that never started in a task that failed to start carries the task's reason, so the
                // server, seeing an essential container STOPPED before the task's own STOPPED, does not take it for
                // an exit (it makes the task TaskFailedToStart with a container's reason).
                var left = _known[abandoned.Name];
                var because = _stopCode == TaskTransitions.TaskFailedToStart ? _stopReason : null;
                _known[abandoned.Name] = left with { Status = ContainerStatus.Stopped, Busy = false, Reason = left.Reason ?? because };
                break;
            case StepFailed failed:
                Fail(failed);
                break;
        }
    }

    // A step that failed unexpectedly stops the task with its reason, and frees what it held: nothing stays busy.
    private void Fail(StepFailed failed)
    {
        _task = _task with { Failure = _task.Failure ?? failed.Reason };
        switch (failed.Step)
        {
            case Step.Provision or Step.Deprovision:
                _task = _task with { Provisioned = false, ProvisionBusy = false };
                break;
            case Step.Stop:
                // Whether it stopped is not known; the cleanup removes it by force either way.
                _known[failed.Container!] = _known[failed.Container!] with { Status = ContainerStatus.Stopped, Busy = false, Reason = failed.Reason };
                break;
            case Step.Pull or Step.Create or Step.Start:
                // Left where it was and no longer busy, so stopping abandons it.
                _known[failed.Container!] = _known[failed.Container!] with { Busy = false, Reason = failed.Reason };
                break;
            default:
                // A watcher: the container is where it was; stopping the task stops it.
                break;
        }
    }

    private void SetHealth(string name, Health health)
    {
        if (_known[name].Status != ContainerStatus.Stopped)
        {
            _known[name] = _known[name] with { Health = health };
        }
    }

    private string? NameOf(string containerId)
    {
        foreach (var (name, id) in _ids)
        {
            if (id == containerId)
            {
                return name;
            }
        }

        return null;
    }

    private void Launch(TaskDecision decision, CancellationToken token)
    {
        if (decision.StopReason is not null)
        {
            // The agent stops the task on its own: it is desired STOPPED from now on.
            _task = _task with { DesiredRunning = false };
        }

        switch (decision.TaskAction)
        {
            case TaskActionKind.Provision:
                _task = _task with { ProvisionBusy = true };
                RunStep(null, Step.Provision, ProvisionAsync, token);
                break;
            case TaskActionKind.Deprovision:
                _task = _task with { ProvisionBusy = true };
                var pauseId = _pauseId;
                RunStep(null, Step.Deprovision, ct => DeprovisionAsync(pauseId, ct), token);
                break;
        }

        foreach (var action in decision.Actions)
        {
            var name = action.Container;
            _known[name] = _known[name] with { Busy = true };
            var definition = _definitions[name];
            switch (action.Kind)
            {
                case ActionKind.Pull:
                    _pullStartedAt ??= _time.GetUtcNow();
                    RunStep(name, Step.Pull, ct => PullAsync(definition, ct), token);
                    break;
                case ActionKind.Create:
                    var context = _context with { PauseContainerId = _pauseId, ContainerIds = new Dictionary<string, string>(_ids), CgroupParent = _cgroupParent };
                    RunStep(name, Step.Create, ct => CreateAsync(definition, context, ct), token);
                    break;
                case ActionKind.Start:
                    var startId = _ids[name];
                    RunStep(name, Step.Start, ct => StartAsync(definition, startId, ct), token);
                    break;
                case ActionKind.Stop:
                    var stopId = _ids[name];
                    RunStep(name, Step.Stop, ct => StopAsync(definition, stopId, ct), token);
                    break;
                default:
                    // Nothing to do on Docker, but the loop decides again only on a message.
                    _mailbox.Writer.TryWrite(new Abandoned(name));
                    break;
            }
        }
    }

    // Runs one step off the loop and posts its outcome (if any) back into the mailbox; an exception the step did not
    // turn into an outcome of its own is logged and posted as the step's failure.
    private void RunStep(string? container, Step step, Func<CancellationToken, Task<object?>> body, CancellationToken token)
        => _ = Task.Run(async () =>
        {
            object? outcome;
            try
            {
                outcome = await body(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogStepFailed(_logger, TaskArn, step.ToString(), container ?? "(task)", ex);
                outcome = new StepFailed(container, step, AgentError(ex));
            }

            if (outcome is not null)
            {
                _mailbox.Writer.TryWrite(outcome);
            }
        }, CancellationToken.None);

    private async Task<object?> PullAsync(ContainerDefinition definition, CancellationToken token)
    {
        var name = definition.Name!;
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

            return new Pulled(name, _time.GetUtcNow(), new ContainerKnown(ContainerStatus.Pulled));
        }
        catch (DockerException ex)
        {
            return new Pulled(name, _time.GetUtcNow(), new ContainerKnown(ContainerStatus.Stopped, StartFailure: true, Reason: $"CannotPullContainerError: {ex.DockerMessage ?? ex.Message}"));
        }
    }

    private async Task<object?> CreateAsync(ContainerDefinition definition, TaskSpecContext context, CancellationToken token)
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
                        Name = ContainerSpecs.VolumeName(context, volume),
                        Driver = volume.DockerVolumeConfiguration?.Driver,
                        DriverOpts = volume.DockerVolumeConfiguration?.DriverOpts,
                        Labels = volume.DockerVolumeConfiguration?.Labels,
                    }, token);
                }
            }

            if (_logs is not null && AwsLogsConfig.Of(definition) is { } awslogs && await _logs.PrepareAsync(awslogs, token) is { } logProblem)
            {
                return new ContainerChanged(name, new ContainerKnown(ContainerStatus.Stopped, StartFailure: true, Reason: logProblem));
            }

            var spec = ContainerSpecs.For(context, definition);
            string id;
            try
            {
                id = await _docker.CreateContainerAsync(ContainerSpecs.DockerName(context, name), spec, token);
            }
            catch (DockerConflictException)
            {
                // Created by an earlier run of this agent that died before it learned the id: take it over.
                id = (await _docker.InspectContainerAsync(ContainerSpecs.DockerName(context, name), token)).Id;
            }

            return new ContainerCreated(name, id);
        }
        catch (DockerException ex)
        {
            return new ContainerChanged(name, new ContainerKnown(ContainerStatus.Stopped, StartFailure: true, Reason: $"CannotCreateContainerError: {ex.DockerMessage ?? ex.Message}"));
        }
    }

    private async Task<object?> StartAsync(ContainerDefinition definition, string id, CancellationToken token)
    {
        var name = definition.Name!;
        try
        {
            await _docker.StartContainerAsync(id, token);
            WatchExit(name, id, token);
            ShipLogs(definition, id, token);

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

    private async Task<object?> StopAsync(ContainerDefinition definition, string id, CancellationToken token)
    {
        var name = definition.Name!;
        try
        {
            await _docker.StopContainerAsync(id, definition.StopTimeout ?? ContainerSpecs.DefaultStopTimeoutSeconds, token);
            return await ExitedAsync(name, id, token);
        }
        catch (DockerNotFoundException)
        {
            return new ContainerGone(name);
        }
    }

    // After a container exits: its exit code, and ECS's reason when the kernel killed it for memory.
    private async Task<ContainerChanged> ExitedAsync(string name, string id, CancellationToken token)
    {
        var inspect = await _docker.InspectContainerAsync(id, token);
        return new ContainerChanged(name, new ContainerKnown(ContainerStatus.Stopped, false, inspect.State.ExitCode, Health.Unknown, ExitReason(inspect)));
    }

    // Waits for the container to exit; health comes from the engine's event stream (see Observe), not from polling.
    private void WatchExit(string name, string id, CancellationToken token) => RunStep(name, Step.WatchExit, async ct =>
    {
        try
        {
            await Backoff.RunAsync(ExitWatchRetry, c => _docker.WaitContainerAsync(id, c), ex => ex is DockerException and not DockerNotFoundException, _time, _random, null, ct);
            var exited = await ExitedAsync(name, id, ct);
            return new ContainerExited(name, exited.Known);
        }
        catch (DockerNotFoundException)
        {
            return new ContainerGone(name);
        }
    }, token);

    // The fallback where the event stream cannot tell: one look at a running container's health.
    private async Task<object?> InspectHealthAsync(string name, string id, CancellationToken token)
    {
        try
        {
            var inspect = await _docker.InspectContainerAsync(id, token);
            return inspect.State.Running ? new HealthSeen(name, ParseHealth(inspect.State.Health?.Status)) : null;
        }
        catch (DockerException)
        {
            // Gone or the engine away: the exit watcher and the event stream tell the rest.
            return null;
        }
    }

    private async Task<object?> ProvisionAsync(CancellationToken token)
    {
        var (cpu, memory) = ContainerSpecs.TaskLimits(_context);
        var cgroupParent = TaskCgroup.Create(ContainerSpecs.TaskId(TaskArn), cpu, memory);
        if (_definition.NetworkMode != "awsvpc")
        {
            return new Provisioned(null, cgroupParent, null, null);
        }

        string? pauseId = null;
        try
        {
            var image = await PauseImage.EnsureAsync(_docker, token);
            try
            {
                pauseId = await _docker.CreateContainerAsync(ContainerSpecs.PauseName(_context), ContainerSpecs.Pause(_context, image), token);
            }
            catch (DockerConflictException)
            {
                pauseId = (await _docker.InspectContainerAsync(ContainerSpecs.PauseName(_context), token)).Id;
            }

            await _docker.StartContainerAsync(pauseId, token);
            var address = (await _docker.InspectContainerAsync(pauseId, token)).NetworkSettings?.IPAddress;
            return new Provisioned(null, cgroupParent, pauseId, address);
        }
        catch (DockerException ex)
        {
            return new Provisioned($"ResourceInitializationError: unable to set up the task network: {ex.DockerMessage ?? ex.Message}", cgroupParent, pauseId, null);
        }
    }

    private async Task<object?> DeprovisionAsync(string? pauseId, CancellationToken token)
    {
        if (pauseId is not null)
        {
            try
            {
                await _docker.RemoveContainerAsync(pauseId, force: true, cancellationToken: token);
            }
            catch (DockerNotFoundException)
            {
            }
        }

        return new Deprovisioned();
    }

    // On the loop, before it decides anything: what an earlier run of the agent left on the engine.
    private async Task AdoptAsync(CancellationToken token)
    {
        var cgroup = TaskCgroup.ParentOf(ContainerSpecs.TaskId(TaskArn));
        if (_adopted.Count > 0 && TaskCgroup.Supported && Directory.Exists("/sys/fs/cgroup/memory" + cgroup))
        {
            _cgroupParent = cgroup;
        }

        foreach (var summary in _adopted)
        {
            ContainerInspect inspect;
            try
            {
                inspect = await _docker.InspectContainerAsync(summary.Id, token);
            }
            catch (DockerNotFoundException)
            {
                continue;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A container of the task cannot be looked at: the task stops, and the cleanup removes it by its labels.
                LogStepFailed(_logger, TaskArn, "Adopt", summary.Id, ex);
                _task = _task with { Failure = _task.Failure ?? AgentError(ex) };
                continue;
            }

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
            if (inspect.State.Running || inspect.State.Status != "created")
            {
                // Shipping resumes from the container's checkpoint; a stopped one ships the rest of its output and ends.
                ShipLogs(_definitions[name], inspect.Id, token);
            }

            if (inspect.State.Running)
            {
                // Health changes before this agent started are not in its event stream: the adoption's inspect tells.
                _known[name] = new ContainerKnown(ContainerStatus.Running, Health: ParseHealth(inspect.State.Health?.Status));
                _bindings[name] = ContainerSpecs.NetworkBindings(inspect.NetworkSettings?.Ports);
                WatchExit(name, inspect.Id, token);
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

    private void ShipLogs(ContainerDefinition definition, string id, CancellationToken token)
    {
        if (_logs is not null && AwsLogsConfig.Of(definition) is { } awslogs)
        {
            _logs.Follow(TaskArn, definition.Name!, ContainerSpecs.TaskId(TaskArn), id, awslogs, token, awslogs.Blocks(_defaultLogDriverMode), definition.PseudoTerminal == true);
        }
    }

    // The loop failed: report STOPPED with the reason and remove the containers at once.
    private async Task AbortAsync(string reason, CancellationToken token)
    {
        foreach (var plan in _plans)
        {
            _known[plan.Name] = _known[plan.Name] with { Status = ContainerStatus.Stopped, Busy = false };
        }

        _task = _task with { Provisioned = false, ProvisionBusy = false };
        try
        {
            _reportedSignature = null;
            await ReportIfChangedAsync(TaskStatus.Stopped, reason, token);
            await CleanUpAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogLoopFailed(_logger, TaskArn, ex);
        }
    }

    // ECS's reason for a container the kernel killed for its memory limit; none for an ordinary exit.
    private static string? ExitReason(ContainerInspect inspect)
        => inspect.State.OOMKilled ? "OutOfMemoryError: Container killed due to memory usage" : null;

    private static string AgentError(Exception ex) => AgentErrorPrefix + ex.Message;

    private static Health ParseHealth(string? status) => status switch { "healthy" => Health.Healthy, "unhealthy" => Health.Unhealthy, _ => Health.Unknown };

    // Every container of the task on this instance, whether or not the loop learned its id (a step that failed
    // between creating a container and reporting it), and the pause container.
    private async Task CleanUpAsync(CancellationToken token)
    {
        var ids = new HashSet<string>(_ids.Values, StringComparer.Ordinal);
        if (_pauseId is not null)
        {
            ids.Add(_pauseId);
        }

        try
        {
            var labels = new Dictionary<string, string?> { [ContainerSpecs.TaskArnLabel] = TaskArn, [ContainerSpecs.InstanceLabel] = _context.ContainerInstanceArn };
            foreach (var container in await _docker.ListContainersAsync(labels, all: true, token))
            {
                ids.Add(container.Id);
            }
        }
        catch (DockerException)
        {
            // The engine is away: the ids the loop knows are removed below, the rest at the next agent start.
        }

        foreach (var id in ids)
        {
            try
            {
                await _docker.RemoveContainerAsync(id, force: true, cancellationToken: token);
                _logs?.Forget(id);
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

    private void Publish() => Volatile.Write(ref _snapshot, BuildSnapshot());

    // On the loop (or in the constructor): a copy of what is known now.
    private TaskSnapshot BuildSnapshot()
    {
        var (cpu, memory) = ContainerSpecs.TaskLimits(_context);
        var containers = _plans.Select(plan =>
        {
            var definition = _definitions[plan.Name];
            var overrides = _context.Overrides?.ContainerOverrides?.FirstOrDefault(o => o.Name == plan.Name);
            var known = _known[plan.Name];
            var ports = _bindings.TryGetValue(plan.Name, out var bound) && bound.Count > 0
                ? bound.Select(b => new PortSnapshot(b.ContainerPort ?? 0, b.Protocol ?? "tcp", b.HostPort, b.BindIP)).ToList()
                : (definition.PortMappings ?? []).Where(p => p.ContainerPort is not null).Select(p => new PortSnapshot(p.ContainerPort!.Value, p.Protocol ?? "tcp", p.HostPort is > 0 ? p.HostPort : null, null)).ToList();
            return new ContainerSnapshot(
                plan.Name,
                _context.MetadataIds?.GetValueOrDefault(plan.Name) ?? string.Empty,
                _ids.GetValueOrDefault(plan.Name),
                ContainerSpecs.DockerName(_context, plan.Name),
                definition.Image ?? string.Empty,
                _containerArns.GetValueOrDefault(plan.Name),
                known.Status,
                known.ExitCode,
                known.Health,
                plan.HasHealthCheck,
                overrides?.Cpu ?? definition.Cpu ?? 0,
                overrides?.Memory ?? definition.Memory ?? 0,
                definition.LogConfiguration?.LogDriver,
                definition.LogConfiguration?.Options,
                ports);
        }).ToList();
        return new TaskSnapshot(
            TaskArn,
            _context.ClusterArn,
            _definition.Family ?? string.Empty,
            _definition.Revision ?? 0,
            _task.DesiredRunning,
            _reported,
            _definition.NetworkMode ?? "bridge",
            _task0.LaunchType,
            _task0.AvailabilityZone ?? _options.AvailabilityZone,
            cpu,
            memory,
            _pullStartedAt,
            _pullStoppedAt,
            _pauseAddress,
            _pauseId,
            containers);
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

    private sealed record ContainerGone(string Name);

    private sealed record Pulled(string Name, DateTimeOffset At, ContainerKnown Known);

    private sealed record ContainerCreated(string Name, string Id);

    private sealed record ContainerStarted(string Name, List<NetworkBinding> Bindings);

    private sealed record HealthEvent(string ContainerId, Health Health);

    private sealed record HealthSeen(string Name, Health Health);

    private sealed record HealthResync;

    private sealed record Provisioned(string? Error, string? CgroupParent, string? PauseId, string? PauseAddress);

    private sealed record Deprovisioned;

    private sealed record Abandoned(string Name);

    private sealed record StepFailed(string? Container, Step Step, string Reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskArn} stopped: {StoppedReason}")]
    private static partial void LogStopped(ILogger logger, string taskArn, string stoppedReason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Task {TaskArn}: step {Step} of {Container} failed; the task stops")]
    private static partial void LogStepFailed(ILogger logger, string taskArn, string step, string container, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Task {TaskArn}: the actor's loop failed; the task is reported stopped and its containers removed")]
    private static partial void LogLoopFailed(ILogger logger, string taskArn, Exception exception);
}
