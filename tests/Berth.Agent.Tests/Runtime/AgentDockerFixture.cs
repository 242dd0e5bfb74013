using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Berth.Agent.Engine;
using Berth.Agent.Runtime;
using Berth.Docker;
using Berth.Ecs.Model;
using Berth.Ecs.Model.Agent;
using Berth.Protocol.Auth;

namespace Berth.Agent.Tests.Runtime;

/// <summary>
/// The real engine for the agent's runtime tests: a busybox image built FROM scratch (no registry traffic) under a tag of
/// this run, tasks on an instance ARN of this run, and every container of that instance removed afterwards.
/// </summary>
public sealed class AgentDockerFixture : IAsyncLifetime
{
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..12];

    public string Image => $"berth-agent-test/busybox:{RunId}";

    public string InstanceArn => $"arn:aws:ecs:us-east-1:000000000000:container-instance/agent-test/{RunId}";

    public DockerClient Docker { get; } = new();

    public AgentOptions Options(string dataDir) => new()
    {
        Cluster = "agent-test",
        Endpoint = new Uri("http://127.0.0.1:9"),
        Region = "us-east-1",
        Credential = new SigningCredential("AKIDAGENTTEST", "secret", null, null, "arn:aws:iam::000000000000:root"),
        DataDir = dataDir,
        TaskCleanupWait = TimeSpan.Zero,
    };

    /// <summary>A task of this run's instance, desired RUNNING.</summary>
    public static AgentAssignment Assignment(params ContainerDefinition[] containers) => new()
    {
        Task = new EcsTask
        {
            TaskArn = $"arn:aws:ecs:us-east-1:000000000000:task/agent-test/{Guid.NewGuid():N}",
            ClusterArn = "arn:aws:ecs:us-east-1:000000000000:cluster/agent-test",
            DesiredStatus = "RUNNING",
            LastStatus = "PROVISIONING",
        },
        TaskDefinition = new TaskDefinition { Family = "agent-test", Revision = 1, NetworkMode = "bridge", ContainerDefinitions = [.. containers] },
    };

    public ContainerDefinition Container(string name, params string[] command) => new()
    {
        Name = name,
        Image = Image,
        Essential = true,
        Command = [.. command],
        StopTimeout = 1,
    };

    /// <summary>The containers of a task on the engine.</summary>
    public Task<IReadOnlyList<ContainerSummary>> ContainersOfAsync(string taskArn)
        => Docker.ListContainersAsync(new Dictionary<string, string?> { [ContainerSpecs.TaskArnLabel] = taskArn }, all: true);

    public async Task InitializeAsync()
    {
        var dir = Directory.CreateTempSubdirectory("berth-agent-test-");
        try
        {
            File.Copy("/bin/busybox", Path.Combine(dir.FullName, "busybox"));
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "Dockerfile"), """
                FROM scratch
                COPY busybox /bin/busybox
                RUN ["/bin/busybox","--install","-s","/bin"]
                CMD ["sh"]

                """);
            await RunDockerCliAsync("build", "-q", "-t", Image, dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var container in await Docker.ListContainersAsync(new Dictionary<string, string?> { [ContainerSpecs.InstanceLabel] = InstanceArn }, all: true))
            {
                await IgnoreNotFound(Docker.RemoveContainerAsync(container.Id, force: true));
            }

            await IgnoreNotFound(Docker.RemoveImageAsync(Image, force: true));
        }
        finally
        {
            Docker.Dispose();
        }
    }

    /// <summary>Waits for a report that satisfies <paramref name="condition"/>; the stopwatch only guards against a hang.</summary>
    public static async Task<TaskReport> ReportAsync(ConcurrentQueue<TaskReport> reports, Func<TaskReport, bool> condition, string what)
    {
        var guard = Stopwatch.StartNew();
        while (guard.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (reports.FirstOrDefault(condition) is { } report)
            {
                return report;
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"no report {what}; reports: {string.Join(" | ", reports.Select(r => $"{r.Status} {r.Reason} [{string.Join(", ", r.Containers.Select(c => $"{c.ContainerName}:{c.Status}:{c.HealthStatus}:{c.Reason}"))}]"))}");
    }

    private static async Task IgnoreNotFound(Task task)
    {
        try
        {
            await task;
        }
        catch (DockerNotFoundException)
        {
        }
    }

    private static async Task RunDockerCliAsync(params string[] args)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start docker");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }
}

/// <summary>
/// The real engine, seen through a proxy that counts the calls the agent makes, and that can throw in one operation: an
/// engine cannot be made to throw an arbitrary exception, so the failure tests use this, and only they.
/// </summary>
public class EngineProbe : DispatchProxy
{
    private IDockerEngine _inner = null!;
    private string? _failIn;
    private Exception? _failure;

    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    public static (IDockerEngine Engine, EngineProbe Probe) Over(IDockerEngine inner, string? failIn = null, Exception? failure = null)
    {
        var engine = Create<IDockerEngine, EngineProbe>();
        var probe = (EngineProbe)(object)engine;
        probe._inner = inner;
        probe._failIn = failIn;
        probe._failure = failure;
        return (engine, probe);
    }

    public int CallsTo(string operation) => Calls.GetValueOrDefault(operation);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var method = targetMethod!;
        Calls.AddOrUpdate(method.Name, 1, (_, n) => n + 1);
        if (method.Name == _failIn)
        {
            throw _failure!;
        }

        try
        {
            return method.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }
}
