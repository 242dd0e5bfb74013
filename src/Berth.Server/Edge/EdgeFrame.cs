using System.Buffers;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Edge;

/// <summary>The error codes one protocol answers the frame's own failures with.</summary>
/// <param name="TooLarge">A body over the limit (HTTP 413).</param>
/// <param name="Malformed">A body that ended early or was malformed at the HTTP level (HTTP 400).</param>
/// <param name="Internal">An unexpected failure (HTTP 500).</param>
internal sealed record EdgeCodes(string TooLarge, string Malformed, string Internal);

/// <summary>
/// What every protocol edge does around its own dispatch: reads the body into a pooled buffer within a limit, runs
/// the handling, and turns what it throws into the protocol's error answer — the service's error as it is, a client
/// that went away into nothing, an HTTP-level read failure into a 400, anything else into a logged 500.
/// </summary>
internal static partial class EdgeFrame
{
    /// <summary>Runs <paramref name="handle"/> on the request's body; <paramref name="name"/> names the request in the log once known.</summary>
    public static async Task RunAsync(HttpContext http, long limit, EdgeCodes codes, ILogger logger, Func<string> name, Func<ReadOnlyMemory<byte>, Task> handle, Func<int, string, string, Task> writeError)
    {
        byte[]? rented = null;
        try
        {
            var length = http.Request.ContentLength ?? -1;
            if (length > limit)
            {
                throw TooLarge(codes, limit);
            }

            var (buffer, count) = await ReadBodyAsync(http.Request, length, limit, codes, http.RequestAborted);
            rented = buffer;
            await handle(new ReadOnlyMemory<byte>(buffer, 0, count));
        }
        catch (AwsException ex)
        {
            var target = name();
            LogRefused(logger, target, ex.ErrorType, ex.Message);

            await writeError(ex.StatusCode, ex.ErrorType, ex.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (IOException ex) when (StorageFull.IsIoFull(ex))
        {
            // A file write (a registry blob) the file system refused for lack of space: not the client's doing.
            var target = name();
            LogStorageFull(logger, target, ex.Message);
            await writeError(500, "ServerException", StorageFull.Message);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException)
        {
            // The body ended early or was malformed at the HTTP level: the client's fault, not the server's.
            var target = name();
            LogRefused(logger, target, codes.Malformed, ex.Message);

            await writeError(400, codes.Malformed, "The request body could not be read.");
        }
        catch (Exception ex)
        {
            var target = name();
            LogFailed(logger, target, ex);
            await writeError(500, codes.Internal, "An internal error occurred.");
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The request as SigV4 verifies it: method, raw path and query as sent, every header value, the body.</summary>
    public static SigV4Request ToSigV4Request(HttpContext http, ReadOnlyMemory<byte> body)
    {
        var rawTarget = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.ToString();
        var question = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = question < 0 ? rawTarget : rawTarget[..question];
        var rawQuery = question < 0 ? string.Empty : rawTarget[(question + 1)..];
        var headers = new List<KeyValuePair<string, string>>(http.Request.Headers.Count);
        foreach (var header in http.Request.Headers)
        {
            foreach (var value in header.Value)
            {
                headers.Add(new KeyValuePair<string, string>(header.Key, value ?? string.Empty));
            }
        }

        return new SigV4Request(http.Request.Method, rawPath, rawQuery, headers, body);
    }

    private static AwsException TooLarge(EdgeCodes codes, long limit) => new(codes.TooLarge, $"Request body is larger than the maximum of {limit} bytes.", 413);

    // Into a pooled buffer that grows by doubling, up to the limit (a chunked body has no length to trust).
    private static async Task<(byte[] Buffer, int Count)> ReadBodyAsync(HttpRequest request, long length, long limit, EdgeCodes codes, CancellationToken cancellationToken)
    {
        var capacity = length >= 0 ? (int)length : 4096;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 1));
        var count = 0;
        while (true)
        {
            if (count == buffer.Length)
            {
                if (count >= limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw TooLarge(codes, limit);
                }

                var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, limit + 1));
                buffer.AsSpan(0, count).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(count), cancellationToken);
            if (read == 0)
            {
                return (buffer, count);
            }

            count += read;
            if (count > limit)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw TooLarge(codes, limit);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused {Target}: {ErrorType}: {ErrorMessage}")]
    private static partial void LogRefused(ILogger logger, string target, string errorType, string errorMessage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Target}: the storage is full: {ErrorMessage}")]
    private static partial void LogStorageFull(ILogger logger, string target, string errorMessage);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed {Target}")]
    private static partial void LogFailed(ILogger logger, string target, Exception exception);
}
