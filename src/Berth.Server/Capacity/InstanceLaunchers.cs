using System.Diagnostics;
using System.Globalization;
using Berth.Agent.Runtime;
using Berth.Ec2AutoScaling.LaunchConfigurations;
using Berth.Ec2AutoScaling.State;
using Berth.Protocol.Auth;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Capacity;

/// <summary>What an Auto Scaling instance is: its id, size, the cluster it joins and the attributes it registers with.</summary>
/// <param name="InstanceId"><c>i-</c> and 17 hex digits.</param>
/// <param name="GroupName">Its group.</param>
/// <param name="Cluster">The ECS cluster its user data names.</param>
/// <param name="InstanceType">The EC2 instance type.</param>
/// <param name="CpuUnits">CPU units it registers (1024 a vCPU).</param>
/// <param name="MemoryMiB">Memory it registers.</param>
/// <param name="AvailabilityZone">Its zone.</param>
public sealed record InstanceSpec(string InstanceId, string GroupName, string Cluster, string InstanceType, int CpuUnits, int MemoryMiB, string AvailabilityZone)
{
    /// <summary>The attributes its agent registers with: its group (placement) and its own id (ECS finds it by them).</summary>
    public IReadOnlyDictionary<string, string?> Attributes => new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        [Ecs.CapacityProviders.GroupCapacity.Attribute] = GroupName,
        [InstanceAttribute] = InstanceId,
    };

    /// <summary>The attribute naming the Auto Scaling instance a container instance is.</summary>
    public const string InstanceAttribute = "berth.autoscaling-instance";

    /// <summary>What <paramref name="instance"/>'s host is, from its group and launch configuration (null once either is gone).</summary>
    public static InstanceSpec? Of(AsgState state, Ec2AutoScaling.State.InstanceRecord instance)
    {
        var region = AsgState.RegionOf(instance.GroupKey);
        return state.Groups.TryGetValue(instance.GroupKey, out var group)
            && state.LaunchConfigurations.TryGetValue(AsgState.Key(region, instance.LaunchConfigurationName), out var configuration)
            && InstanceSizes.Of(instance.InstanceType) is { } size
            ? new InstanceSpec(instance.InstanceId, group.Name, configuration.Cluster, instance.InstanceType, size.CpuUnits, size.MemoryMiB, instance.AvailabilityZone)
            : null;
    }
}

/// <summary>Where an Auto Scaling instance's host is, as one server sees it.</summary>
public enum InstanceHosting
{
    /// <summary>An operator's provisioner runs it: Berth neither restarts nor replaces it by itself.</summary>
    External,

    /// <summary>Its agent runs in this server.</summary>
    Running,

    /// <summary>Its agent ran in this server and its data dir is here: this server starts it again.</summary>
    Resumable,

    /// <summary>Not here: in another server, or in one that is gone.</summary>
    Elsewhere,
}

/// <summary>Starts and stops the hosts of Auto Scaling instances. Both calls are idempotent: a restart repeats them.</summary>
public interface IInstanceLauncher : IAsyncDisposable
{
    /// <summary>Starts <paramref name="spec"/>'s host (nothing when it already runs).</summary>
    Task LaunchAsync(InstanceSpec spec, CancellationToken cancellationToken);

    /// <summary>Stops instance <paramref name="instanceId"/>'s host (nothing when it is not running).</summary>
    Task TerminateAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Where instance <paramref name="instanceId"/>'s host is, as this server sees it.</summary>
    InstanceHosting Hosting(string instanceId);

    /// <summary>The instances whose hosts are in this server: running, or left in its data dir by an earlier run.</summary>
    IReadOnlyCollection<string> Hosted();

    /// <summary>The container instance a host here registered as (null when it has not, or is not here).</summary>
    string? ContainerInstanceArnOf(string instanceId);
}

/// <summary>
/// The default provisioner: each instance is an agent inside the server for the local Docker Engine, with its own data
/// dir (<c>DATA_DIR/autoscaling/ID</c>, its identity the instance's id), the launch configuration's CPU and memory.
/// The server that launched an instance is its host, as an EC2 host is: it alone starts it again after a restart, and
/// terminating it removes its containers with it.
/// </summary>
/// <param name="dataDir">The server's data dir.</param>
/// <param name="runAgent">Runs one agent until its token is cancelled.</param>
/// <param name="removeContainers">Removes every container of a container instance (ARN) from the engine.</param>
/// <param name="time">The clock of the terminated instances' memory.</param>
public sealed class InProcessLauncher(string dataDir, Func<InstanceSpec, string, CancellationToken, Task> runAgent, Func<string, CancellationToken, Task> removeContainers, TimeProvider time) : IInstanceLauncher
{
    // Long enough for any pass that read an instance before its termination to have acted on that read.
    private static readonly TimeSpan TerminatedMemory = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (Task Agent, CancellationTokenSource Stop)> _running = new(StringComparer.Ordinal);

    // Instances terminated here lately: a launch from a pass that read them before their termination starts nothing.
    private readonly Dictionary<string, DateTimeOffset> _terminated = new(StringComparer.Ordinal);

    /// <summary>The agents running now.</summary>
    public int Running
    {
        get
        {
            lock (_gate)
            {
                return _running.Count;
            }
        }
    }

    /// <inheritdoc />
    public Task LaunchAsync(InstanceSpec spec, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_running.ContainsKey(spec.InstanceId) || _terminated.ContainsKey(spec.InstanceId))
            {
                return Task.CompletedTask;
            }

            var dir = DirOf(spec.InstanceId);
            if (!File.Exists(Path.Combine(dir, "agent.json")))
            {
                // The instance's id is its agent's identity, so ECS shows the Auto Scaling instance as its ec2InstanceId.
                new AgentIdentity(spec.InstanceId, null).Save(dir);
            }

            var stop = new CancellationTokenSource();
            _running[spec.InstanceId] = (Task.Run(() => runAgent(spec, dir, stop.Token), CancellationToken.None), stop);
            return Task.CompletedTask;
        }
    }

    /// <inheritdoc />
    public async Task TerminateAsync(string instanceId, CancellationToken cancellationToken)
    {
        (Task Agent, CancellationTokenSource Stop) running;
        bool wasRunning;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            foreach (var old in _terminated.Where(t => now - t.Value > TerminatedMemory).Select(t => t.Key).ToList())
            {
                _terminated.Remove(old);
            }

            _terminated[instanceId] = now;
            wasRunning = _running.Remove(instanceId, out running);
        }

        if (wasRunning)
        {
            await running.Stop.CancelAsync();
            await running.Agent.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            running.Stop.Dispose();
        }

        // The host goes with everything on it: the containers its agent left (stopped, or still running when the
        // instance was replaced while this server was away).
        if (ContainerInstanceArnOf(instanceId) is { } arn)
        {
            await removeContainers(arn, cancellationToken);
        }

        try
        {
            Directory.Delete(DirOf(instanceId), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Not here, or removed by a concurrent termination.
        }
    }

    /// <inheritdoc />
    public InstanceHosting Hosting(string instanceId)
    {
        lock (_gate)
        {
            if (_running.ContainsKey(instanceId))
            {
                return InstanceHosting.Running;
            }
        }

        return File.Exists(Path.Combine(DirOf(instanceId), "agent.json")) ? InstanceHosting.Resumable : InstanceHosting.Elsewhere;
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Hosted()
    {
        var hosted = new HashSet<string>(StringComparer.Ordinal);
        var root = Path.Combine(dataDir, "autoscaling");
        if (Directory.Exists(root))
        {
            hosted.UnionWith(Directory.EnumerateDirectories(root).Select(Path.GetFileName).OfType<string>());
        }

        lock (_gate)
        {
            hosted.UnionWith(_running.Keys);
        }

        return hosted;
    }

    /// <inheritdoc />
    public string? ContainerInstanceArnOf(string instanceId)
    {
        var dir = DirOf(instanceId);
        try
        {
            return File.Exists(Path.Combine(dir, "agent.json")) ? AgentIdentity.LoadOrCreate(dir).ContainerInstanceArn : null;
        }
        catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException)
        {
            // Being written or removed at this moment: read again on the next pass.
            return null;
        }
    }

    /// <summary>Stops every agent (the server is stopping; their instances come back with it).</summary>
    public async ValueTask DisposeAsync()
    {
        List<(Task Agent, CancellationTokenSource Stop)> running;
        lock (_gate)
        {
            running = [.. _running.Values];
            _running.Clear();
        }

        foreach (var agent in running)
        {
            await agent.Stop.CancelAsync();
        }

        await Task.WhenAll(running.Select(r => r.Agent.ContinueWith(_ => { }, TaskScheduler.Default)));
        foreach (var agent in running)
        {
            agent.Stop.Dispose();
        }
    }

    private string DirOf(string instanceId) => Path.Combine(dataDir, "autoscaling", instanceId);
}

/// <summary>
/// An operator's provisioner: Berth runs <c>COMMAND launch ...</c> and <c>COMMAND terminate --instance-id ID</c> (see the
/// README); exit status 0 is success. Launch gets the agent's join parameters as flags and the credentials in
/// <c>AWS_ACCESS_KEY_ID</c> / <c>AWS_SECRET_ACCESS_KEY</c>; both must be idempotent, as Berth repeats a launch or
/// terminate it cannot be sure finished (after a restart).
/// </summary>
public sealed partial class CommandLauncher(string command, string endpoint, string region, SigningCredential credential, TimeSpan timeout, ILogger logger) : IInstanceLauncher
{
    /// <inheritdoc />
    public Task LaunchAsync(InstanceSpec spec, CancellationToken cancellationToken)
    {
        List<string> arguments =
        [
            "launch", "--instance-id", spec.InstanceId, "--group", spec.GroupName, "--cluster", spec.Cluster, "--instance-type", spec.InstanceType,
            "--cpu", spec.CpuUnits.ToString(CultureInfo.InvariantCulture), "--memory", spec.MemoryMiB.ToString(CultureInfo.InvariantCulture),
            "--availability-zone", spec.AvailabilityZone, "--endpoint", endpoint, "--region", region,
        ];
        foreach (var (name, value) in spec.Attributes)
        {
            arguments.Add("--attribute");
            arguments.Add($"{name}={value}");
        }

        return RunAsync(arguments, cancellationToken);
    }

    /// <inheritdoc />
    public Task TerminateAsync(string instanceId, CancellationToken cancellationToken) => RunAsync(["terminate", "--instance-id", instanceId], cancellationToken);

    /// <inheritdoc />
    public InstanceHosting Hosting(string instanceId) => InstanceHosting.External;

    /// <inheritdoc />
    public IReadOnlyCollection<string> Hosted() => [];

    /// <inheritdoc />
    public string? ContainerInstanceArnOf(string instanceId) => null;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task RunAsync(List<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["AWS_ACCESS_KEY_ID"] = credential.AccessKeyId;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = credential.SecretAccessKey;
        start.Environment["AWS_DEFAULT_REGION"] = region;
        start.Environment["BERTH_ENDPOINT"] = endpoint;

        // What the command's agent joins with (`berth agent` reads BERTH_JOIN_TOKEN): a key of its own, not the account's.
        start.Environment["BERTH_JOIN_TOKEN"] = Credentials.AgentKeys.TokenText(Credentials.AgentKeys.BuiltinTokenId, Credentials.AgentKeys.BuiltinSecret(credential.SecretAccessKey));
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start.");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var output = process.StandardOutput.ReadToEndAsync(limit.Token);
        var error = process.StandardError.ReadToEndAsync(limit.Token);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new LaunchFailedException($"{command} {arguments[0]} did not finish within {timeout.TotalSeconds:0} s.");
        }

        var stderr = await error;
        var stdout = (await output).Trim();
        LogRan(logger, command, arguments[0], process.ExitCode, stdout);
        if (process.ExitCode != 0)
        {
            throw new LaunchFailedException($"{command} {arguments[0]} exited with {process.ExitCode}: {stderr.Trim()}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Provisioner {Command} {Action} exited {ExitCode}: {Output}")]
    private static partial void LogRan(ILogger logger, string command, string action, int exitCode, string output);
}

/// <summary>A provisioner command failed; the message says how.</summary>
public sealed class LaunchFailedException(string message) : Exception(message);
