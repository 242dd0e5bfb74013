using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One long-lived boto3 client (<c>scripts/tasks_session.py</c>) pointed at a server: each call is a line of JSON
/// in and a line out, so polling DescribeTasks every 0.2 s costs no Python start. Calls are serialized.
/// </summary>
public sealed class EcsSession : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(45);

    private readonly Process _process;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly StringBuilder _stderr = new();
    private int _disposed;

    private EcsSession(Process process)
    {
        _process = process;
    }

    /// <summary>Starts a session against <paramref name="server"/> with its credentials.</summary>
    public static EcsSession Start(BerthServer server, string region = Clients.Region)
    {
        var start = new ProcessStartInfo(Executables.Resolve("python3"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add(Repo.OutputFile(Path.Combine("scripts", "tasks_session.py")));
        foreach (var (name, value) in Clients.Environment(server, region))
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start python3 tasks_session.py");
        var session = new EcsSession(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (session._stderr)
                {
                    session._stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        return session;
    }

    /// <summary>Runs one boto3 call (snake_case operation, args as JSON); returns what the user saw (see <c>berth_common.call</c>).</summary>
    public async Task<JsonNode> CallAsync(string operation, JsonNode? arguments = null)
    {
        var request = new JsonObject { ["op"] = operation, ["args"] = arguments?.DeepClone() ?? new JsonObject() };
        await _gate.WaitAsync();
        try
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"tasks_session.py exited with {_process.ExitCode}: {Stderr()}");
            }

            await _process.StandardInput.WriteLineAsync(request.ToJsonString());
            await _process.StandardInput.FlushAsync();
            using var cancel = new CancellationTokenSource(CallTimeout);
            string? line;
            try
            {
                line = await _process.StandardOutput.ReadLineAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{operation} did not answer within {CallTimeout}: {Stderr()}");
            }

            return JsonNode.Parse(line ?? throw new InvalidOperationException($"tasks_session.py closed its output: {Stderr()}"))!;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs a call that must succeed (HTTP 200) and returns its response.</summary>
    public async Task<JsonNode> OkAsync(string operation, JsonNode? arguments = null)
        => Expect.Ok(await CallAsync(operation, arguments));

    /// <summary>Parses <paramref name="json"/> and runs it as the call's arguments (for raw string literals).</summary>
    public Task<JsonNode> OkAsync(string operation, string json) => OkAsync(operation, JsonNode.Parse(json));

    /// <summary>Runs a call that must fail with <paramref name="code"/> (HTTP 400 unless said); returns the result.</summary>
    public async Task<JsonNode> ErrorAsync(string operation, JsonNode? arguments, string code, string? messageContains = null, int status = 400)
    {
        var result = await CallAsync(operation, arguments);
        Expect.Error(result, code, status: status, messageContains: messageContains);
        return result;
    }

    /// <summary>DescribeTasks of one task; fails when it is missing.</summary>
    public async Task<JsonNode> TaskAsync(string cluster, string taskArn)
    {
        var response = await OkAsync("describe_tasks", new JsonObject { ["cluster"] = cluster, ["tasks"] = new JsonArray(taskArn) });
        var tasks = response["tasks"]!.AsArray();
        Assert.True(tasks.Count == 1, $"DescribeTasks {taskArn}: {response.ToJsonString()}");
        return tasks[0]!;
    }

    /// <summary>Polls DescribeTasks (every 0.2 s) until every task satisfies <paramref name="done"/>; returns them in order.</summary>
    public async Task<List<JsonNode>> WaitTasksAsync(string cluster, IReadOnlyList<string> taskArns, Func<JsonNode, bool> done, string what, TimeSpan? timeout = null)
    {
        List<JsonNode> last = [];
        await Poll.UntilAsync(
            async () =>
            {
                var response = await OkAsync("describe_tasks", new JsonObject { ["cluster"] = cluster, ["tasks"] = new JsonArray([.. taskArns.Select(a => (JsonNode)a)]) });
                var tasks = response["tasks"]!.AsArray().Select(t => t!).ToList();
                last = [.. taskArns.Select(a => tasks.FirstOrDefault(t => (string?)t["taskArn"] == a)).OfType<JsonNode>()];
                return last.Count == taskArns.Count && last.All(done);
            },
            timeout ?? Poll.DefaultTimeout,
            () => $"tasks never {what}: {new JsonArray([.. last.Select(t => t.DeepClone())]).ToJsonString()}");
        return last;
    }

    /// <summary>Waits for one task's <c>lastStatus</c>.</summary>
    public async Task<JsonNode> WaitStatusAsync(string cluster, string taskArn, string lastStatus, TimeSpan? timeout = null)
        => (await WaitTasksAsync(cluster, [taskArn], t => (string?)t["lastStatus"] == lastStatus, lastStatus, timeout))[0];

    /// <summary>DescribeContainerInstances of one instance.</summary>
    public async Task<JsonNode> InstanceAsync(string cluster, string instanceArn)
    {
        var response = await OkAsync("describe_container_instances", new JsonObject { ["cluster"] = cluster, ["containerInstances"] = new JsonArray(instanceArn) });
        var instances = response["containerInstances"]!.AsArray();
        Assert.True(instances.Count == 1, $"DescribeContainerInstances {instanceArn}: {response.ToJsonString()}");
        return instances[0]!;
    }

    /// <summary>What the script wrote to stderr.</summary>
    public string Stderr()
    {
        lock (_stderr)
        {
            return _stderr.ToString();
        }
    }

    /// <inheritdoc />
    /// <remarks>Once; a test's clean-up may dispose a session its body already disposed.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            _process.StandardInput.Close();
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        _gate.Dispose();
    }
}
