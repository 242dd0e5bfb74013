using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;

namespace Berth.WebConsole.Html;

/// <summary>
/// Markup that is already safe to send. Only <see cref="Of"/> (whose holes are encoded unless they are markup
/// themselves) and <see cref="Raw"/> make one, so a value from a user cannot reach a page unencoded by accident.
/// </summary>
public readonly struct Markup
{
    private readonly string? _value;

    private Markup(string value) => _value = value;

    /// <summary>Nothing.</summary>
    public static Markup Empty => default;

    /// <summary>The markup's text.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>Markup from an interpolated string: literal parts as written, every hole encoded unless it is <see cref="Markup"/>.</summary>
    public static Markup Of(MarkupHandler handler) => new(handler.ToString());

    /// <summary>Trusted markup written in this assembly (never a value from a request or the state).</summary>
    public static Markup Raw(string trusted) => new(trusted);

    /// <summary>The pieces one after another.</summary>
    public static Markup Join(IEnumerable<Markup> pieces)
    {
        var builder = new StringBuilder();
        foreach (var piece in pieces)
        {
            builder.Append(piece.Value);
        }

        return new(builder.ToString());
    }

    /// <summary>HTML-encodes text for an element body or a quoted attribute.</summary>
    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Builds <see cref="Markup"/> from an interpolated string, encoding the holes.</summary>
[InterpolatedStringHandler]
public readonly struct MarkupHandler
{
    private readonly StringBuilder _builder;

    /// <summary>Called by the compiler.</summary>
    public MarkupHandler(int literalLength, int formattedCount) => _builder = new StringBuilder(literalLength + (formattedCount * 16));

    /// <summary>Literal text of the template: trusted.</summary>
    public void AppendLiteral(string literal) => _builder.Append(literal);

    /// <summary>Markup: kept as it is.</summary>
    public void AppendFormatted(Markup markup) => _builder.Append(markup.Value);

    /// <summary>Text: encoded.</summary>
    public void AppendFormatted(string? text) => _builder.Append(Markup.Encode(text));

    /// <summary>Any other value: its invariant text, encoded.</summary>
    public void AppendFormatted<T>(T value) => _builder.Append(Markup.Encode(Convert.ToString(value, CultureInfo.InvariantCulture)));

    /// <inheritdoc />
    public override string ToString() => _builder.ToString();
}
