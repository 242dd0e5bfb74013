namespace Berth.WebConsole.Html;

/// <summary>A status shown as a badge whose colour follows what it means.</summary>
public static class Badges
{
    /// <summary>
    /// The badge of a status (ECS's words: RUNNING, STOPPED, ACTIVE, HEALTHY, COMPLETED, FAILED...; ELB's: active,
    /// healthy, unhealthy, initial, draining, unused...).
    /// </summary>
    public static Markup Of(string? status, string? id = null)
    {
        var kind = status switch
        {
            "ENABLED" or "OK" or "Successful" => "good",
            "DISABLED" or "ALARM" or "Failed" => "bad",
            "RUNNING" or "ACTIVE" or "HEALTHY" or "COMPLETED" or "PRIMARY" or "true" or "active" or "healthy" => "good",
            "STOPPED" or "INACTIVE" or "FAILED" or "UNHEALTHY" or "false" or "DEREGISTERED" or "unhealthy" or "failed" => "bad",
            null or "" or "unused" or "unavailable" => "none",
            _ => "busy",
        };
        return id is null
            ? Markup.Of($"<span class=\"badge {kind}\">{Format.Or(status)}</span>")
            : Markup.Of($"<span class=\"badge {kind}\" id=\"{id}\">{Format.Or(status)}</span>");
    }
}
