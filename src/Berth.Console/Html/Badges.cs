namespace Berth.WebConsole.Html;

/// <summary>A status shown as a badge whose colour follows what it means.</summary>
public static class Badges
{
    /// <summary>The badge of a status (ECS's words: RUNNING, STOPPED, ACTIVE, HEALTHY, COMPLETED, FAILED...).</summary>
    public static Markup Of(string? status, string? id = null)
    {
        var kind = status switch
        {
            "ENABLED" or "OK" or "Successful" => "good",
            "DISABLED" or "ALARM" or "Failed" => "bad",
            "RUNNING" or "ACTIVE" or "HEALTHY" or "COMPLETED" or "PRIMARY" or "true" => "good",
            "STOPPED" or "INACTIVE" or "FAILED" or "UNHEALTHY" or "false" or "DEREGISTERED" => "bad",
            null or "" => "none",
            _ => "busy",
        };
        return id is null
            ? Markup.Of($"<span class=\"badge {kind}\">{Format.Or(status)}</span>")
            : Markup.Of($"<span class=\"badge {kind}\" id=\"{id}\">{Format.Or(status)}</span>");
    }
}
