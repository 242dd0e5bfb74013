using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Berth.Ecs.Capacity;
using Berth.Protocol.Auth;
using Berth.Server.Credentials;
using Berth.Server.Hosting;

namespace Berth.Cli;

/// <summary>What <c>berth metering</c> needs besides the HTTP call: credentials and the table it prints.</summary>
internal static class MeteringCommand
{
    /// <summary>The AWS CLI's environment credentials, else the server's own from its data dir (never created here).</summary>
    public static SigningCredential? Credential(string dataDir)
    {
        var key = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
        var secret = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY");
        if (!string.IsNullOrEmpty(key) && !string.IsNullOrEmpty(secret))
        {
            return new SigningCredential(key, secret, Environment.GetEnvironmentVariable("AWS_SESSION_TOKEN") is { Length: > 0 } token ? token : null, null, "metering");
        }

        if (!File.Exists(Path.Combine(dataDir, RootCredentials.FileName)) && Environment.GetEnvironmentVariable("BERTH_ACCESS_KEY_ID") is not { Length: > 0 })
        {
            return null;
        }

        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        return RootCredentials.LoadOrCreate(dataDir, ServerOptions.DefaultAccountId, environment, out _);
    }

    /// <summary>The report as a table: one line per task, then the totals.</summary>
    public static string Table(string json)
    {
        var report = JsonSerializer.Deserialize(json, MeteringJsonContext.Default.MeteringReport)!;
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"{"TASK",-34} {"STATUS",-12} {"VCPU",6} {"GB",6} {"SECONDS",9} {"VCPU-S",12} {"GB-S",12}");
        foreach (var task in report.Tasks)
        {
            var id = task.TaskArn[(task.TaskArn.LastIndexOf('/') + 1)..];
            text.AppendLine(c, $"{id,-34} {task.LastStatus,-12} {task.Vcpu,6:0.##} {task.MemoryGb,6:0.##} {task.BilledSeconds,9} {task.VcpuSeconds,12:0.##} {task.GbSeconds,12:0.##}");
        }

        text.Append(c, $"{"TOTAL",-34} {report.Tasks.Count + " tasks",-12} {string.Empty,6} {string.Empty,6} {string.Empty,9} {report.VcpuSeconds,12:0.##} {report.GbSeconds,12:0.##}");
        return text.ToString();
    }
}
