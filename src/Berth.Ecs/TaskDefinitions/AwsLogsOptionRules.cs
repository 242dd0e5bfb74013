using System.Text.RegularExpressions;
using Berth.Ecs.Model;
using Berth.Protocol.Errors;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>
/// The awslogs driver's options as its driver checks them (Docker's awslogs validation, which ECS runs when it
/// registers the driver's configuration): only the driver's own options, a multi-line pattern that compiles, not both
/// multi-line options at once, <c>awslogs-create-group</c> a boolean; on FARGATE the stream prefix is required.
/// </summary>
public static class AwsLogsOptionRules
{
    private static readonly string[] Known =
    [
        "awslogs-group", "awslogs-region", "awslogs-stream-prefix", "awslogs-create-group", "awslogs-datetime-format",
        "awslogs-multiline-pattern", "awslogs-endpoint", "awslogs-credentials-endpoint", "awslogs-stream", "awslogs-format",
        "awslogs-force-flush-interval-seconds", "awslogs-max-buffered-events", "awslogs-create-stream", "mode", "max-buffer-size", "tag",
    ];

    /// <summary>Throws ClientException when an awslogs configuration's options are not the driver's.</summary>
    public static void Check(LogConfiguration log)
    {
        if (log.LogDriver != "awslogs" || log.Options is null)
        {
            return;
        }

        foreach (var key in log.Options.Keys)
        {
            if (Array.IndexOf(Known, key) < 0)
            {
                throw AwsException.Client($"Log driver awslogs: unknown log opt '{key}' for awslogs log driver");
            }
        }

        if (log.Options.ContainsKey("awslogs-datetime-format") && log.Options.ContainsKey("awslogs-multiline-pattern"))
        {
            throw AwsException.Client("Log driver awslogs: you cannot configure log opt 'awslogs-datetime-format' and 'awslogs-multiline-pattern' at the same time");
        }

        if (log.Options.GetValueOrDefault("awslogs-multiline-pattern") is { } pattern)
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException)
            {
                throw AwsException.Client($"Log driver awslogs: awslogs could not parse multiline pattern key '{pattern}'");
            }
        }

        // ECS takes only "true" here: "false" is refused too, with the advice to leave the option out.
        if (log.Options.GetValueOrDefault("awslogs-create-group") is { } create && !string.Equals(create, "true", StringComparison.OrdinalIgnoreCase))
        {
            throw AwsException.Client("Log driver awslogs option 'awslogs-create-group' should only be set to 'true', else omit option.");
        }

        if (log.Options.GetValueOrDefault("mode") is { } mode && mode is not ("blocking" or "non-blocking"))
        {
            throw AwsException.Client($"Log driver awslogs: unknown mode '{mode}' (blocking or non-blocking)");
        }
    }

    /// <summary>FARGATE's extra requirement: ECS names streams by the prefix there, so it must be given.</summary>
    public static string? FargateProblem(LogConfiguration? log)
        => log is { LogDriver: "awslogs" } && log.Options?.GetValueOrDefault("awslogs-stream-prefix") is not { Length: > 0 }
            ? "Fargate requires log configuration options to include awslogs-stream-prefix to support log driver awslogs."
            : null;
}
