namespace Berth.Protocol.RestJson;

/// <summary>
/// A model's request URI template (<c>/schedules/{Name}</c>): literal segments and labels. Labels match one path
/// segment each and are percent-decoded, so an ARN sent as <c>arn%3Aaws%3A...%2Fname</c> arrives whole.
/// </summary>
public sealed class UriTemplate
{
    private readonly string[] _segments;

    /// <summary>Reads <paramref name="template"/> (its path part; a query part of the template is ignored).</summary>
    public UriTemplate(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        Text = template;
        var question = template.IndexOf('?', StringComparison.Ordinal);
        _segments = Split(question < 0 ? template : template[..question]);
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>How many labels it has: a literal segment outranks a label when two templates match.</summary>
    public int LabelCount => _segments.Count(IsLabel);

    /// <summary>Matches a raw (still percent-encoded) request path; the labels' decoded values on success.</summary>
    public bool TryMatch(string rawPath, out Dictionary<string, string> labels)
    {
        labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var parts = Split(rawPath);
        if (parts.Length != _segments.Length)
        {
            return false;
        }

        for (var i = 0; i < parts.Length; i++)
        {
            var segment = _segments[i];
            if (IsLabel(segment))
            {
                if (parts[i].Length == 0)
                {
                    return false;
                }

                labels[segment[1..^1].TrimEnd('+')] = Uri.UnescapeDataString(parts[i]);
            }
            else if (!string.Equals(segment, parts[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLabel(string segment) => segment.Length > 2 && segment[0] == '{' && segment[^1] == '}';

    private static string[] Split(string path) => path.Trim('/').Split('/');
}
