using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Berth.Ecs.Capacity;
using Berth.Protocol.Auth;
using Berth.Server.Credentials;
using Berth.Server.Hosting;

namespace Berth.Cli.Settings;

/// <summary>What <c>berth metering</c> runs with.</summary>
public sealed record MeteringSettings(Uri Endpoint, string? Cluster, bool Json, string Region, SigningCredential Credential);

/// <summary><c>berth metering</c>: its flags, <see cref="MeteringSettings"/> bound from them and the environment, and the table it prints.</summary>
internal sealed class MeteringCommand
{
    private readonly BerthEnvironment _environment;
    private readonly Option<Uri> _endpoint = Flags.Url("--endpoint", new Uri($"http://127.0.0.1:{ServerOptions.DefaultPort}"), $"The Berth server (default http://127.0.0.1:{ServerOptions.DefaultPort}).");
    private readonly Option<string?> _cluster = new("--cluster") { Description = "Only this cluster's tasks (default: every cluster).", HelpName = "NAME" };
    private readonly Option<bool> _json = new("--json") { Description = "Print the server's JSON report as is." };
    private readonly Option<string> _dataDir;

    /// <summary>The command, with <paramref name="run"/> as what it does once its options are valid.</summary>
    public MeteringCommand(BerthEnvironment environment, Func<MeteringSettings, TextWriter, CancellationToken, Task<int>> run)
    {
        _environment = environment;
        _dataDir = ServerCommand.DataDir(environment);
        Command = new Command("metering", "Show FARGATE usage as Fargate bills it: vCPU-seconds and GB-seconds per task and in total. Credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else the data dir's credentials.json.")
        {
            _endpoint, _cluster, _json, _dataDir,
        };
        Command.SetAction(async (parse, cancellation) =>
        {
            var (settings, problem) = Bind(parse);
            if (problem is not null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"berth metering: {problem}");
                return BerthCli.UsageExitCode;
            }

            return await run(settings!, parse.InvocationConfiguration.Output, cancellation);
        });
    }

    /// <summary>The <c>metering</c> command.</summary>
    public Command Command { get; }

    /// <summary>The settings, or why there are none (no credentials anywhere).</summary>
    public (MeteringSettings? Settings, string? Problem) Bind(ParseResult parse)
    {
        var region = _environment.Region ?? ServerOptions.DefaultRegion;
        if (Checks.RegionProblem(region, _environment.RegionVariable) is { } problem)
        {
            return (null, problem);
        }

        var credential = CredentialFrom(_environment, Path.GetFullPath(parse.GetValue(_dataDir)!), "metering");
        return credential is null
            ? (null, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data dir.")
            : (new MeteringSettings(parse.GetValue(_endpoint)!, parse.GetValue(_cluster), parse.GetValue(_json), region, credential), null);
    }

    /// <summary>The report as a table: one line per task, then the totals.</summary>
    public static string Table(string json)
    {
        var report = JsonSerializer.Deserialize(json, MeteringJsonContext.Default.MeteringReport)!;
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"{"TASK",-34} {"CAPACITY",-12} {"STATUS",-12} {"VCPU",6} {"GB",6} {"SECONDS",9} {"VCPU-S",12} {"GB-S",12}");
        foreach (var task in report.Tasks)
        {
            var id = task.TaskArn[(task.TaskArn.LastIndexOf('/') + 1)..];
            text.AppendLine(c, $"{id,-34} {task.CapacityProviderName,-12} {task.LastStatus,-12} {task.Vcpu,6:0.##} {task.MemoryGb,6:0.##} {task.BilledSeconds,9} {task.VcpuSeconds,12:0.##} {task.GbSeconds,12:0.##}");
        }

        // Spot is billed apart from on-demand, as on Fargate.
        text.AppendLine(c, $"{"ON-DEMAND",-34} {"FARGATE",-12} {report.OnDemand.Tasks + " tasks",-12} {string.Empty,6} {string.Empty,6} {string.Empty,9} {report.OnDemand.VcpuSeconds,12:0.##} {report.OnDemand.GbSeconds,12:0.##}");
        text.AppendLine(c, $"{"SPOT",-34} {"FARGATE_SPOT",-12} {report.Spot.Tasks + " tasks",-12} {string.Empty,6} {string.Empty,6} {string.Empty,9} {report.Spot.VcpuSeconds,12:0.##} {report.Spot.GbSeconds,12:0.##}");

        text.Append(c, $"{"TOTAL",-34} {string.Empty,-12} {report.Tasks.Count + report.ExpiredTasks + " tasks",-12} {string.Empty,6} {string.Empty,6} {string.Empty,9} {report.VcpuSeconds,12:0.##} {report.GbSeconds,12:0.##}");
        return text.ToString();
    }

    // The AWS CLI's environment credentials, else the server's own from its data dir (never created here).
    internal static SigningCredential? CredentialFrom(BerthEnvironment environment, string dataDir, string name)
    {
        if (environment is { AwsAccessKeyId: { } key, AwsSecretAccessKey: { } secret })
        {
            return new SigningCredential(key, secret, environment.AwsSessionToken, null, name);
        }

        var chosen = environment is { RootAccessKeyId: { } rootKey, RootSecretAccessKey: { } rootSecret } ? new StoredKeyPair(rootKey, rootSecret) : null;
        if (chosen is null && !File.Exists(Path.Combine(dataDir, RootCredentials.FileName)))
        {
            return null;
        }

        return RootCredentials.LoadOrCreate(dataDir, ServerOptions.DefaultAccountId, chosen, out _);
    }
}
