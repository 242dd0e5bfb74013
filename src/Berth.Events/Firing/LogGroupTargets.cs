namespace Berth.Events.Firing;

/// <summary>One event a rule sends to a CloudWatch Logs log group target.</summary>
/// <param name="Region">The log group's region.</param>
/// <param name="LogGroup">The log group's name.</param>
/// <param name="Stream">The log stream: the event's id, so each event is a stream of its own.</param>
/// <param name="Message">The event (or what the target's Input, InputPath or InputTransformer makes of it).</param>
/// <param name="Time">The event's time: the log event's timestamp.</param>
/// <param name="Source">The rule.</param>
public sealed record LogDelivery(string Region, string LogGroup, string Stream, string Message, DateTimeOffset Time, InvocationSource Source);

/// <summary>Writes rule deliveries into CloudWatch Logs (the server implements it over the logs store).</summary>
public interface ILogGroupTarget
{
    /// <summary>Writes the event; returns why it could not (a missing log group, a refused event), or null.</summary>
    Task<string?> PutAsync(LogDelivery delivery, CancellationToken cancellationToken);
}

/// <summary>Log group target ARNs: <c>arn:aws:logs:REGION:ACCOUNT:log-group:NAME</c>, optionally ending in <c>:*</c>.</summary>
public static class LogGroupTargets
{
    /// <summary>The region and log group a target ARN names, or null when it is not a log group's ARN.</summary>
    public static (string Region, string LogGroup)? Parse(string arn)
    {
        var parts = arn.Split(':', 7);
        if (parts.Length < 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group" || parts[3].Length == 0)
        {
            return null;
        }

        var name = parts[6].EndsWith(":*", StringComparison.Ordinal) ? parts[6][..^2] : parts[6];
        return name.Length == 0 ? null : (parts[3], name);
    }
}
