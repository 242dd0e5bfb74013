using System.Text;
using Berth.Protocol.Errors;

namespace Berth.Protocol.Query;

/// <summary>An <c>application/x-www-form-urlencoded</c> body decoded into its parameters (the query protocol's input).</summary>
public static class QueryForm
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Decodes <paramref name="body"/>; a repeated name keeps its last value. Malformed escapes are refused.</summary>
    public static Dictionary<string, string> Parse(ReadOnlySpan<byte> body)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!body.IsEmpty)
        {
            var amp = body.IndexOf((byte)'&');
            var pair = amp < 0 ? body : body[..amp];
            body = amp < 0 ? [] : body[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf((byte)'=');
            var name = Decode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? string.Empty : Decode(pair[(eq + 1)..]);
            result[name] = value;
        }

        return result;
    }

    private static string Decode(ReadOnlySpan<byte> encoded)
    {
        var buffer = encoded.Length <= 512 ? stackalloc byte[encoded.Length] : new byte[encoded.Length];
        var count = 0;
        for (var i = 0; i < encoded.Length; i++)
        {
            var b = encoded[i];
            if (b == (byte)'+')
            {
                buffer[count++] = (byte)' ';
            }
            else if (b == (byte)'%')
            {
                if (i + 2 >= encoded.Length || HexValue(encoded[i + 1]) is not { } high || HexValue(encoded[i + 2]) is not { } low)
                {
                    throw Malformed();
                }

                buffer[count++] = (byte)((high << 4) | low);
                i += 2;
            }
            else
            {
                buffer[count++] = b;
            }
        }

        try
        {
            return StrictUtf8.GetString(buffer[..count]);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed();
        }
    }

    private static int? HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => null,
    };

    private static AwsException Malformed() => new("MalformedQueryString", "The request body is not a valid form-encoded query string.");
}
