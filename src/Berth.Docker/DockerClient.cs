using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Berth.Docker;

/// <summary>
/// <see cref="IDockerEngine"/> on the Docker Engine HTTP API, pinned to API <see cref="ApiVersion"/>, over a unix socket
/// (<c>unix:///var/run/docker.sock</c>) or TCP (<c>tcp://127.0.0.1:2375</c>). Every call runs under a named timeout from
/// <see cref="DockerTimeouts"/> and maps failures to the typed <see cref="DockerException"/> family.
/// </summary>
public sealed partial class DockerClient : IDockerEngine, IDisposable
{
    /// <summary>The engine's default socket.</summary>
    public const string DefaultHost = "unix:///var/run/docker.sock";

    /// <summary>The API version every request is pinned to (Docker 20.10).</summary>
    public const string ApiVersion = "1.41";

    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    private readonly HttpClient _http;

    public DockerClient(string? host = null, DockerTimeouts? timeouts = null)
    {
        Host = string.IsNullOrWhiteSpace(host) ? DefaultHost : host.Trim();
        Timeouts = timeouts ?? DockerTimeouts.Default;
        var (handler, baseAddress) = CreateTransport(Host);
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The host string the client was built from.</summary>
    public string Host { get; }

    public DockerTimeouts Timeouts { get; }

    public void Dispose() => _http.Dispose();

    public Task<DockerVersion> VersionAsync(CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.Version), Timeouts.Version, async ct =>
        {
            using var response = await SendAsync(HttpMethod.Get, "version", null, nameof(DockerTimeouts.Version), ct);
            return await ReadJsonAsync(response, DockerJsonContext.Default.DockerVersion, ct);
        }, cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.Ping), Timeouts.Ping, async ct =>
        {
            using var response = await SendAsync(HttpMethod.Get, "_ping", null, nameof(DockerTimeouts.Ping), ct);
            return true;
        }, cancellationToken);

    private static (HttpMessageHandler Handler, Uri BaseAddress) CreateTransport(string host)
    {
        var versionPath = $"/v{ApiVersion}/";
        if (host.StartsWith("unix://", StringComparison.OrdinalIgnoreCase))
        {
            var socketPath = host["unix://".Length..];
            if (socketPath.Length == 0)
                throw new ArgumentException($"Docker host '{host}' has no socket path.", nameof(host));
            var endpoint = new UnixDomainSocketEndPoint(socketPath);
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(endpoint, ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            return (handler, new Uri("http://localhost" + versionPath));
        }

        if (host.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase) || host.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            var authority = host[(host.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
            if (!Uri.TryCreate("http://" + authority + versionPath, UriKind.Absolute, out var baseAddress))
                throw new ArgumentException($"Docker host '{host}' is not a valid tcp://host:port address.", nameof(host));
            return (new SocketsHttpHandler(), baseAddress);
        }

        throw new ArgumentException($"Unsupported Docker host '{host}': expected unix:///path or tcp://host:port.", nameof(host));
    }

    /// <summary>Runs one call under its named timeout, mapping transport failures and expiry to typed errors.</summary>
    private async Task<T> CallAsync<T>(string operation, TimeSpan timeout, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
            timeoutSource.CancelAfter(timeout);
        try
        {
            return await call(timeoutSource.Token);
        }
        catch (Exception ex) when (MapFailure(ex, operation, timeout, timeoutSource, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>
    /// Opens a streaming response and yields what <paramref name="parse"/> reads from it, with the same timeout and error
    /// mapping as <see cref="CallAsync{T}"/> applied to the whole enumeration.
    /// </summary>
    private async IAsyncEnumerable<T> StreamAsync<T>(
        string operation,
        TimeSpan timeout,
        HttpMethod method,
        string path,
        Func<Stream, CancellationToken, IAsyncEnumerable<T>> parse,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
            timeoutSource.CancelAfter(timeout);
        var token = timeoutSource.Token;

        HttpResponseMessage response;
        Stream body;
        try
        {
            response = await SendAsync(method, path, null, operation, token);
            body = await response.Content.ReadAsStreamAsync(token);
        }
        catch (Exception ex) when (MapFailure(ex, operation, timeout, timeoutSource, cancellationToken) is { } mapped)
        {
            throw mapped;
        }

        using (response)
        {
            await using var items = parse(body, token).GetAsyncEnumerator(token);
            while (true)
            {
                T item;
                try
                {
                    if (!await items.MoveNextAsync())
                        break;
                    item = items.Current;
                }
                catch (Exception ex) when (MapFailure(ex, operation, timeout, timeoutSource, cancellationToken) is { } mapped)
                {
                    throw mapped;
                }
                yield return item;
            }
        }
    }

    /// <summary>The typed error for <paramref name="ex"/>, or null to let it propagate unchanged.</summary>
    private Exception? MapFailure(Exception ex, string operation, TimeSpan timeout, CancellationTokenSource timeoutSource, CancellationToken callerToken)
    {
        if (ex is DockerException)
            return null;
        if (callerToken.IsCancellationRequested)
            return ex is OperationCanceledException ? null : new OperationCanceledException(callerToken);
        if (timeoutSource.IsCancellationRequested && ex is OperationCanceledException or IOException or HttpRequestException)
            return new DockerTimeoutException(operation, timeout);
        return ex switch
        {
            HttpRequestException or IOException or SocketException =>
                new DockerUnavailableException($"Docker engine at {Host} is unavailable ({operation}): {ex.Message}", operation, ex),
            JsonException => new DockerException($"Docker returned malformed JSON to {operation}: {ex.Message}", operation, innerException: ex),
            _ => null,
        };
    }

    /// <summary>Sends a request and returns the response when its status is 2xx or one of <paramref name="alsoAccepted"/>; otherwise throws the typed error.</summary>
    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method,
        string path,
        HttpContent? content,
        string operation,
        CancellationToken cancellationToken,
        Action<HttpRequestMessage>? configure = null,
        HttpStatusCode? alsoAccepted = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        configure?.Invoke(request);
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.IsSuccessStatusCode || response.StatusCode == alsoAccepted)
            return response;
        using (response)
            throw await ErrorFromResponseAsync(response, operation, cancellationToken);
    }

    private static async Task<DockerException> ErrorFromResponseAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        string? dockerMessage = null;
        try
        {
            dockerMessage = JsonSerializer.Deserialize(text, DockerJsonContext.Default.ErrorResponse)?.Message;
        }
        catch (JsonException)
        {
        }
        dockerMessage ??= string.IsNullOrWhiteSpace(text) ? response.ReasonPhrase : text.Trim();
        var status = (int)response.StatusCode;
        var message = $"Docker {operation} failed ({status}): {dockerMessage}";
        return response.StatusCode switch
        {
            HttpStatusCode.NotFound => new DockerNotFoundException(message, operation, dockerMessage),
            HttpStatusCode.Conflict => new DockerConflictException(message, operation, dockerMessage),
            _ => new DockerException(message, operation, response.StatusCode, dockerMessage),
        };
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync(body, typeInfo, cancellationToken)
            ?? throw new DockerException($"Docker returned an empty body where {typeof(T).Name} was expected.");
    }

    private static ByteArrayContent JsonBody<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
        content.Headers.ContentType = JsonMediaType;
        return content;
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static string Flag(bool value) => value ? "1" : "0";
}
