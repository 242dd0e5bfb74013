namespace Berth.Protocol.Auth;

/// <summary>
/// The parts of an HTTP request that SigV4 verification reads.
/// </summary>
/// <param name="Method">The HTTP method as received, e.g. <c>POST</c>.</param>
/// <param name="RawPath">The path exactly as received: still percent-encoded, never decoded.</param>
/// <param name="RawQuery">The query string as received, without the leading <c>?</c>; empty when there is none.</param>
/// <param name="Headers">Every header in arrival order. Names compare case-insensitively; a name may repeat.
/// HTTP/2 servers must pass <c>:authority</c> as <c>host</c>.</param>
/// <param name="Body">The whole request body (hashed unless <c>x-amz-content-sha256</c> says <c>UNSIGNED-PAYLOAD</c>).</param>
public sealed record SigV4Request(
    string Method,
    string RawPath,
    string RawQuery,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    ReadOnlyMemory<byte> Body);
