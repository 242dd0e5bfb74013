using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Berth.Agent.Runtime;
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
}

/// <summary>Starts and stops the hosts of Auto Scaling instances. Both calls are idempotent: a restart repeats them.</summary>
public interface IInstanceLauncher : IAsyncDisposable
{
    /// <summary>Starts <paramref name="spec"/>'s host (nothing when it already runs).</summary>
    Task LaunchAsync(InstanceSpec spec, CancellationToken cancellationToken);

    /// <summary>Stops instance <paramref name="instanceId"/>'s host (nothing when it is not running).</summary>
    Task TerminateAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Whether an InService instance needs its host started again (an in-process agent after a restart).</summary>
    bool NeedsStart(string instanceId);
}

/// <summary>
/// The default provisioner: each instance is an agent inside the server for the local Docker Engine, with its own data
/// dir (<c>DATA_DIR/autoscaling/ID</c>, its identity the instance's id), the launch configuration's CPU and memory.
/// </summary>
/// <param name="dataDir">The server's data dir.</param>
/// <param name="runAgent">Runs one agent until its token is cancelled.</param>
public sealed class InProcessLauncher(string dataDir, Func<InstanceSpec, string, CancellationToken, Task> runAgent) : IInstanceLauncher
{
    private readonly ConcurrentDictionary<string, (Task Agent, CancellationTokenSource Stop)> _running = new(StringComparer.Ordinal);

    /// <summary>The agents running now.</summary>
    public int Running => _running.Count;

    /// <inheritdoc />
    public Task LaunchAsync(InstanceSpec spec, CancellationToken cancellationToken)
    {
        if (_running.ContainsKey(spec.InstanceId))
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

    /// <inheritdoc />
    public async Task TerminateAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (_running.TryRemove(instanceId, out var running))
        {
            await running.Stop.CancelAsync();
            await running.Agent.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            running.Stop.Dispose();
        }

        var dir = DirOf(instanceId);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <inheritdoc />
    public bool NeedsStart(string instanceId) => !_running.ContainsKey(instanceId);

    /// <summary>Stops every agent (the server is stopping; their instances come back with it).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (_, running) in _running)
        {
            await running.Stop.CancelAsync();
        }

        await Task.WhenAll(_running.Values.Select(r => r.Agent.ContinueWith(_ => { }, TaskScheduler.Default)));
        foreach (var (_, running) in _running)
        {
            running.Stop.Dispose();
        }

        _running.Clear();
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
    public bool NeedsStart(string instanceId) => false;

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
