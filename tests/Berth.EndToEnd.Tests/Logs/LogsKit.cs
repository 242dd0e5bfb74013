using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using static Berth.EndToEnd.Tests.Tasks.TaskTestKit;

namespace Berth.EndToEnd.Tests.Logs;

/// <summary>What the logs tests share: task definitions that log with awslogs, running them, reading streams with boto3.</summary>
public static class LogsKit
{
    /// <summary>Registers a one-container definition that runs <paramref name="script"/> in sh and logs with awslogs.</summary>
    public static Task RegisterAsync(EcsSession ecs, string family, string image, string script, JsonObject options)
        => ecs.OkAsync("register_task_definition", new JsonObject
        {
            ["family"] = family,
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = "main",
                ["image"] = image,
                ["memory"] = 32,
                ["command"] = new JsonArray("sh", "-c", script),
                ["logConfiguration"] = new JsonObject { ["logDriver"] = "awslogs", ["options"] = options },
            }),
        });

    /// <summary>awslogs options with a group, the region and a stream prefix, plus <paramref name="more"/>.</summary>
    public static JsonObject Options(string group, params (string Key, string Value)[] more)
    {
        var options = new JsonObject { ["awslogs-group"] = group, ["awslogs-region"] = Clients.Region, ["awslogs-stream-prefix"] = "app", ["awslogs-create-group"] = "true" };
        foreach (var (key, value) in more)
        {
            options[key] = value;
        }

        return options;
    }

    /// <summary>Runs the family on the cluster and returns the task's ARN.</summary>
    public static async Task<string> RunAsync(EcsSession ecs, string family, string cluster = "default")
        => Assert.Single(TaskArns(await ecs.OkAsync("run_task", new JsonObject { ["cluster"] = cluster, ["taskDefinition"] = family })));

    /// <summary>The task's id (the last part of its ARN), as ECS puts it into the stream name.</summary>
    public static string TaskId(string taskArn) => taskArn[(taskArn.LastIndexOf('/') + 1)..];

    /// <summary>Whether the stream holds exactly <c>PREFIX0..PREFIX(n-1)</c>, once each, in order (boto3, GetLogEvents pages).</summary>
    public static async Task<JsonNode> VerifyAsync(BerthServer server, string group, string stream, int n, string prefix)
        => await Clients.PythonAsync(server, "logs_tool.py", ["verify", group, stream, n.ToString(System.Globalization.CultureInfo.InvariantCulture), prefix], timeout: TimeSpan.FromMinutes(2));

    /// <summary>How many events the stream holds.</summary>
    public static async Task<int> CountAsync(BerthServer server, string group, string stream)
        => (int)(await Clients.PythonAsync(server, "logs_tool.py", ["count", group, stream]))["count"]!;

    /// <summary>A shell loop writing <c>PREFIX0..PREFIX(n-1)</c>, pausing <paramref name="pause"/> s after every <paramref name="every"/> lines.</summary>
    public static string Counter(int n, string prefix, int every = 0, string pause = "0")
        => every == 0
            ? $"i=0; while [ $i -lt {n} ]; do echo {prefix}$i; i=$((i+1)); done"
            : $"i=0; while [ $i -lt {n} ]; do echo {prefix}$i; i=$((i+1)); if [ $((i % {every})) -eq 0 ]; then sleep {pause}; fi; done";
}
