using System.Globalization;
using System.Text;

namespace Berth.Protocol.Query;

/// <summary>
/// Writes the XML of a query-protocol response: elements named as the model's members, lists as <c>member</c>
/// children, maps as <c>entry</c>/<c>key</c>/<c>value</c>, booleans <c>true</c>/<c>false</c>, timestamps ISO 8601.
/// Absent (null) members are left out.
/// </summary>
public sealed class QueryXmlWriter
{
    private readonly StringBuilder _xml = new(512);
    private readonly Stack<string> _open = new();

    /// <summary>Opens element <paramref name="name"/>.</summary>
    public void Start(string name)
    {
        _xml.Append('<').Append(name).Append('>');
        _open.Push(name);
    }

    /// <summary>Closes the innermost open element.</summary>
    public void End() => _xml.Append("</").Append(_open.Pop()).Append('>');

    /// <summary>A string element.</summary>
    public void String(string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        _xml.Append('<').Append(name).Append('>');
        Escape(value);
        _xml.Append("</").Append(name).Append('>');
    }

    /// <summary>An integer element.</summary>
    public void Int(string name, int? value) => Raw(name, value?.ToString(CultureInfo.InvariantCulture));

    /// <summary>A long element.</summary>
    public void Long(string name, long? value) => Raw(name, value?.ToString(CultureInfo.InvariantCulture));

    /// <summary>A double element.</summary>
    public void Double(string name, double? value) => Raw(name, value?.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>A boolean element.</summary>
    public void Bool(string name, bool? value) => Raw(name, value is null ? null : value.Value ? "true" : "false");

    /// <summary>A timestamp element (ISO 8601, UTC, milliseconds).</summary>
    public void Timestamp(string name, DateTimeOffset? value)
        => Raw(name, value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));

    /// <summary>A blob element (base64).</summary>
    public void Blob(string name, byte[]? value) => Raw(name, value is null ? null : Convert.ToBase64String(value));

    /// <summary>
    /// The whole response of <paramref name="action"/>: <c>&lt;ActionResponse xmlns=...&gt;&lt;ActionResult&gt;...</c>
    /// then <c>ResponseMetadata/RequestId</c>, as botocore's query parser finds the result by its wrapper.
    /// </summary>
    public static byte[] Response<T>(string action, string xmlNamespace, string requestId, T result) where T : IQueryShape<T>
    {
        var w = new QueryXmlWriter();
        w._xml.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<").Append(action).Append("Response xmlns=\"").Append(xmlNamespace).Append("\">");
        w.Start(action + "Result");
        result.WriteQuery(w);
        w.End();
        w.Start("ResponseMetadata");
        w.String("RequestId", requestId);
        w.End();
        w._xml.Append("</").Append(action).Append("Response>");
        return Encoding.UTF8.GetBytes(w._xml.ToString());
    }

    /// <summary>
    /// A query-protocol error: <c>&lt;ErrorResponse&gt;&lt;Error&gt;&lt;Type&gt;Sender|Receiver&lt;/Type&gt;&lt;Code&gt;...</c>
    /// with the request id beside it, as botocore reads the error code and message.
    /// </summary>
    public static byte[] Error(string xmlNamespace, string code, string message, string requestId, bool senderFault)
    {
        var w = new QueryXmlWriter();
        w._xml.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"").Append(xmlNamespace).Append("\">");
        w.Start("Error");
        w.String("Type", senderFault ? "Sender" : "Receiver");
        w.String("Code", code);
        w.String("Message", message);
        w.End();
        w.String("RequestId", requestId);
        w._xml.Append("</ErrorResponse>");
        return Encoding.UTF8.GetBytes(w._xml.ToString());
    }

    /// <summary>The XML written so far (for tests of single shapes).</summary>
    public override string ToString() => _xml.ToString();

    private void Raw(string name, string? text)
    {
        if (text is not null)
        {
            _xml.Append('<').Append(name).Append('>').Append(text).Append("</").Append(name).Append('>');
        }
    }

    private void Escape(string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '&': _xml.Append("&amp;"); break;
                case '<': _xml.Append("&lt;"); break;
                case '>': _xml.Append("&gt;"); break;
                case '"': _xml.Append("&quot;"); break;
                case '\r': _xml.Append("&#xD;"); break; // a raw CR would be read back as LF
                default: _xml.Append(c); break;
            }
        }
    }
}
