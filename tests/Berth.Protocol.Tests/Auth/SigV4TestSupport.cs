using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;

namespace Berth.Protocol.Tests.Auth;

/// <summary>The fixed context of both test suites.</summary>
internal static class Vectors
{
    public const string AccessKeyId = "AKIDEXAMPLE";
    public const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    public const string Region = "us-east-1";
    public const string Service = "service";
    public const string AmzDate = "20150830T123600Z";
    public const string Scope = "20150830/us-east-1/service/aws4_request";
    public static readonly DateTimeOffset Time = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    private static readonly Lazy<string> Root = new(() => Locate());

    /// <summary>The <c>sigv4-test-suite</c> folder, vendored beside this file (<c>Auth/Vectors/sigv4-test-suite</c>).</summary>
    public static string SuiteRoot => Root.Value;

    public static SigV4Verifier Verifier(string? token, DateTimeOffset? now = null) =>
        new(new Store(new SigningCredential(AccessKeyId, Secret, token, null, "arn:aws:iam::123456789012:user/example")),
            new FixedTime(now ?? Time));

    // The build may put the binaries outside the repository (--artifacts-path), so the source file's own path is the fallback.
    private static string Locate([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = start.Length == 0 ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")))
                {
                    continue;
                }

                var candidate = Path.Combine(dir.FullName, "tests", "Berth.Protocol.Tests", "Auth", "Vectors", "sigv4-test-suite");
                if (Directory.Exists(candidate))
                {
                    return Path.GetFullPath(candidate);
                }
            }
        }

        throw new DirectoryNotFoundException(
            "tests/Berth.Protocol.Tests/Auth/Vectors/sigv4-test-suite not found in the repository.");
    }
}

/// <summary>A clock that always says the same time.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>A store holding one credential.</summary>
internal sealed class Store(params SigningCredential[] credentials) : ICredentialStore
{
    public SigningCredential? Find(string accessKeyId) =>
        Array.Find(credentials, c => c.AccessKeyId == accessKeyId);
}

/// <summary>An HTTP/1.1 request read from a test-suite file.</summary>
internal sealed record HttpMessage(string Method, string RawPath, string RawQuery, List<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public SigV4Request ToRequest() => new(Method, RawPath, RawQuery, Headers, Body);

    public string? Header(string name) =>
        Headers.Find(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public List<KeyValuePair<string, string>> HeadersWithout(params string[] names) =>
        Headers.FindAll(h => !Array.Exists(names, n => n.Equals(h.Key, StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// Parses the raw text. The request target may hold spaces (<c>GET /example space/ HTTP/1.1</c>), and a header line
    /// starting with whitespace continues the previous one (obs-fold, replaced by a space as RFC 9112 says).
    /// </summary>
    public static HttpMessage Parse(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var split = IndexOf(bytes, "\r\n\r\n"u8, out var separator);
        if (split < 0)
        {
            split = IndexOf(bytes, "\n\n"u8, out separator);
        }

        var head = Encoding.UTF8.GetString(bytes, 0, split < 0 ? bytes.Length : split);
        var body = split < 0 ? [] : bytes[(split + separator)..];
        var lines = head.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');

        var requestLine = lines[0];
        var firstSpace = requestLine.IndexOf(' ', StringComparison.Ordinal);
        var lastSpace = requestLine.LastIndexOf(' ');
        var method = requestLine[..firstSpace];
        var target = requestLine[(firstSpace + 1)..lastSpace];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var rawPath = question < 0 ? target : target[..question];
        var rawQuery = question < 0 ? "" : target[(question + 1)..];

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line[0] is ' ' or '\t')
            {
                var last = headers[^1];
                headers[^1] = new(last.Key, last.Value + " " + line.Trim());
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon], line[(colon + 1)..]));
        }

        return new HttpMessage(method, rawPath, rawQuery, headers, body);
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle, out int length)
    {
        length = needle.Length;
        return haystack.AsSpan().IndexOf(needle);
    }
}

/// <summary>Builds variants of a verified request with one signed part changed.</summary>
internal static class Tamper
{
    public static IEnumerable<(string What, SigV4Request Request)> Variants(SigV4Request request)
    {
        var headers = request.Headers.ToList();
        yield return ("method", request with { Method = request.Method == "GET" ? "POST" : "GET" });
        yield return ("path", request with { RawPath = request.RawPath + "x" });
        yield return ("added query parameter", request with { RawQuery = request.RawQuery.Length == 0 ? "tamper=1" : request.RawQuery + "&tamper=1" });

        var pairs = request.RawQuery.Length == 0 ? [] : request.RawQuery.Split('&');
        for (var i = 0; i < pairs.Length; i++)
        {
            var changed = (string[])pairs.Clone();
            var name = pairs[i].Split('=')[0];
            if (name == "X-Amz-Signature")
            {
                changed[i] = name + "=" + FlipHex(pairs[i][(name.Length + 1)..]);
                yield return ("query signature", request with { RawQuery = string.Join('&', changed) });
                continue;
            }

            changed[i] = pairs[i] + (pairs[i].Contains('=', StringComparison.Ordinal) ? "x" : "=x");
            yield return ($"query value of {name}", request with { RawQuery = string.Join('&', changed) });
            if (name == "X-Amz-Date")
            {
                changed[i] = name + "=" + ShiftDate(pairs[i][(name.Length + 1)..]);
                yield return ("query date +1s", request with { RawQuery = string.Join('&', changed) });
            }
        }

        foreach (var signed in SignedHeaders(request))
        {
            var index = headers.FindIndex(h => h.Key.Equals(signed, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                continue;
            }

            var changed = headers.ToList();
            changed[index] = new(headers[index].Key, headers[index].Value + "x");
            yield return ($"header {signed}", request with { Headers = changed });

            var removed = headers.FindAll(h => !h.Key.Equals(signed, StringComparison.OrdinalIgnoreCase));
            yield return ($"header {signed} removed", request with { Headers = removed });

            if (signed == "x-amz-date")
            {
                var shifted = headers.ToList();
                shifted[index] = new(headers[index].Key, ShiftDate(headers[index].Value.Trim()));
                yield return ("x-amz-date +1s", request with { Headers = shifted });
            }
        }

        var authorization = headers.FindIndex(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
        if (authorization >= 0)
        {
            var value = headers[authorization].Value;
            var at = value.IndexOf("Signature=", StringComparison.Ordinal) + "Signature=".Length;
            var changed = headers.ToList();
            changed[authorization] = new(headers[authorization].Key, value[..at] + FlipHex(value[at..]));
            yield return ("header signature", request with { Headers = changed });
        }

        if (!request.Body.IsEmpty)
        {
            yield return ("body", request with { Body = request.Body.ToArray().Append((byte)'x').ToArray() });
        }
    }

    /// <summary>Which variants still verified (should be none).</summary>
    public static List<string> Accepted(SigV4Verifier verifier, SigV4Request request, bool normalizePath)
    {
        var accepted = new List<string>();
        foreach (var (what, variant) in Variants(request))
        {
            try
            {
                verifier.Verify(variant, normalizePath);
                accepted.Add(what);
            }
            catch (AwsException)
            {
            }
        }

        return accepted;
    }

    private static string[] SignedHeaders(SigV4Request request)
    {
        var authorization = request.Headers.FirstOrDefault(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)).Value;
        string? list = null;
        if (authorization is not null)
        {
            var at = authorization.IndexOf("SignedHeaders=", StringComparison.Ordinal) + "SignedHeaders=".Length;
            list = authorization[at..authorization.IndexOf(',', at)];
        }
        else
        {
            var pair = request.RawQuery.Split('&').First(p => p.StartsWith("X-Amz-SignedHeaders=", StringComparison.Ordinal));
            list = Uri.UnescapeDataString(pair["X-Amz-SignedHeaders=".Length..]);
        }

        return list.Split(';');
    }

    private static string FlipHex(string hex) => (hex[0] == '0' ? '1' : '0') + hex[1..];

    private static string ShiftDate(string amzDate) =>
        DateTime.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)
            .AddSeconds(1)
            .ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
}
