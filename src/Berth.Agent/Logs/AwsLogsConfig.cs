using System.Text;
using System.Text.RegularExpressions;
using Berth.Docker;
using Berth.Ecs.Model;

namespace Berth.Agent.Logs;

/// <summary>
/// A container's <c>awslogs</c> options as the awslogs driver reads them: the group, its region, the stream prefix,
/// whether to create the group, how lines join into one event (<c>awslogs-datetime-format</c> or
/// <c>awslogs-multiline-pattern</c>), and Docker's delivery <c>mode</c> / <c>max-buffer-size</c>, which the agent hands to
/// the local json-file driver the container really writes to.
/// </summary>
public sealed record AwsLogsConfig(string Group, string? Region, string? StreamPrefix, bool CreateGroup, Regex? EventStart, string? Mode, string? MaxBufferSize)
{
    /// <summary>The driver name in a task definition.</summary>
    public const string Driver = "awslogs";

    /// <summary>ECS's reason when the group is missing and the task may not create it.</summary>
    public const string MissingGroupReason = "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1";

    /// <summary>The awslogs options of <paramref name="definition"/>, or null when it does not use awslogs (or names no group).</summary>
    public static AwsLogsConfig? Of(ContainerDefinition definition)
    {
        if (definition.LogConfiguration is not { LogDriver: Driver } configuration)
        {
            return null;
        }

        var options = configuration.Options ?? [];
        if (options.GetValueOrDefault("awslogs-group") is not { Length: > 0 } group)
        {
            return null;
        }

        Regex? start = null;
        if (options.GetValueOrDefault("awslogs-multiline-pattern") is { Length: > 0 } pattern)
        {
            start = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        else if (options.GetValueOrDefault("awslogs-datetime-format") is { Length: > 0 } format)
        {
            start = new Regex("^" + DatetimeRegex(format), RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }

        return new AwsLogsConfig(
            group,
            options.GetValueOrDefault("awslogs-region"),
            options.GetValueOrDefault("awslogs-stream-prefix") is { Length: > 0 } prefix ? prefix : null,
            string.Equals(options.GetValueOrDefault("awslogs-create-group"), "true", StringComparison.OrdinalIgnoreCase),
            start,
            options.GetValueOrDefault("mode"),
            options.GetValueOrDefault("max-buffer-size"));
    }

    /// <summary>
    /// Whether the container waits for delivery (<c>mode: blocking</c>): its own mode, else the account's
    /// <c>defaultLogDriverMode</c> (<paramref name="accountDefault"/>), else ECS's default since June 2025, non-blocking.
    /// </summary>
    public bool Blocks(string? accountDefault) => (Mode ?? accountDefault) == "blocking";

    /// <summary>ECS's stream name: <c>prefix/container-name/task-id</c>, or the Docker container id without a prefix.</summary>
    public string StreamName(string containerName, string taskId, string containerId)
        => StreamPrefix is null ? containerId : $"{StreamPrefix}/{containerName}/{taskId}";

    /// <summary>What the container really logs to: Docker's json-file, with the delivery mode the definition asked for.</summary>
    public LogConfig DockerLogConfig()
    {
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Mode is not null)
        {
            config["mode"] = Mode;
        }

        if (MaxBufferSize is not null)
        {
            config["max-buffer-size"] = MaxBufferSize;
        }

        return new LogConfig { Type = "json-file", Config = config };
    }

    /// <summary>
    /// The regular expression of a strftime format as Docker's awslogs driver builds it for <c>awslogs-datetime-format</c>:
    /// each directive becomes the pattern of what it prints; everything else matches itself.
    /// </summary>
    public static string DatetimeRegex(string format)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] == '%' && i + 1 < format.Length)
            {
                i++;
                builder.Append(format[i] switch
                {
                    'a' => "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)",
                    'A' => "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)",
                    'b' => "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
                    'B' => "(?:January|February|March|April|May|June|July|August|September|October|November|December)",
                    'd' => "(?:0[1-9]|[1,2][0-9]|3[0,1])",
                    'H' => "(?:[0,1][0-9]|2[0-3])",
                    'I' => "(?:0[0-9]|1[0-2])",
                    'j' => "(?:0[0-9][1-9]|[1,2][0-9][0-9]|3[0-5][0-9]|36[0-6])",
                    'L' => "\\.\\d{3}",
                    'm' => "(?:0[1-9]|1[0-2])",
                    'M' => "[0-5][0-9]",
                    'p' => "[A,P]M",
                    'S' => "[0-5][0-9]",
                    'y' => "\\d{2}",
                    'Y' => "\\d{4}",
                    'z' => "[+-]\\d{4}",
                    'Z' => "[A-Z]{1,4}T",
                    'f' => "\\d{1,9}",
                    '%' => "%",
                    var other => Regex.Escape("%" + other),
                });
            }
            else
            {
                builder.Append(Regex.Escape(format[i].ToString()));
            }
        }

        return builder.ToString();
    }
}
