using System.Text;
using Berth.LoadBalancing.Config;

namespace Berth.LoadBalancing.Rules;

/// <summary>The parts of the request a redirect's tokens refer to.</summary>
/// <param name="Protocol">"http" or "https" (lower case, as the request came in).</param>
/// <param name="Host">The Host header without port.</param>
/// <param name="Port">The listener port.</param>
/// <param name="Path">The path, with its leading '/'.</param>
/// <param name="Query">The query without '?', empty when none.</param>
public sealed record RedirectSource(string Protocol, string Host, int Port, string Path, string Query);

/// <summary>Expands a redirect action's <c>#{...}</c> tokens into the Location URL, as ALB does. Pure.</summary>
public static class RedirectExpander
{
    /// <summary>The absolute URL to send in <c>Location</c>.</summary>
    public static string Location(RedirectAction action, RedirectSource source)
    {
        var protocol = Expand(action.Protocol, source).ToLowerInvariant();
        var host = Expand(action.Host, source);
        var port = Expand(action.Port, source);
        var path = Expand(action.Path, source);
        if (!path.StartsWith('/'))
            path = "/" + path;
        var query = Expand(action.Query, source);

        var url = new StringBuilder(protocol).Append("://").Append(host);
        var defaultPort = protocol == "https" ? "443" : "80";
        if (port.Length > 0 && port != defaultPort)
            url.Append(':').Append(port);
        url.Append(path);
        if (query.Length > 0)
            url.Append('?').Append(query);
        return url.ToString();
    }

    /// <summary>Replaces every token in <paramref name="template"/>.</summary>
    public static string Expand(string template, RedirectSource source) =>
        !template.Contains("#{", StringComparison.Ordinal) ? template : template
            .Replace("#{protocol}", source.Protocol, StringComparison.Ordinal)
            .Replace("#{host}", source.Host, StringComparison.Ordinal)
            .Replace("#{port}", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("#{path}", source.Path.TrimStart('/'), StringComparison.Ordinal)
            .Replace("#{query}", source.Query, StringComparison.Ordinal);
}
