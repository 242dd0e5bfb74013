using System.Buffers;
using System.Text.Json;
using Berth.Protocol.Auth;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Edge;

/// <summary>
/// The HTTP edge of every AWS JSON 1.1 service: reads the body (bounded), verifies SigV4, finds the
/// operation by <c>X-Amz-Target</c>, runs it and writes the answer or the error as AWS does.
/// </summary>
public sealed partial class AwsJsonEdge(DispatchTable table, SigV4Verifier verifier, string accountId, long maxBodyBytes, ILogger<AwsJsonEdge> logger)
{
    private const string ContentType = "application/x-amz-json-1.1";

    /// <summary>Requests whose target starts with this get <see cref="LargeBodyBytes"/> as their limit (null: none do).</summary>
    public string? LargeBodyTargetPrefix { get; init; }

    /// <summary>The body limit of <see cref="LargeBodyTargetPrefix"/>'s requests.</summary>
    public long LargeBodyBytes { get; init; }

    /// <summary>Handles one request to <c>POST /</c>.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        var target = http.Request.Headers["X-Amz-Target"].ToString();
        byte[]? rented = null;
        var limit = LargeBodyTargetPrefix is { } large && target.StartsWith(large, StringComparison.Ordinal) ? LargeBodyBytes : maxBodyBytes;
        try
        {
            var length = http.Request.ContentLength ?? -1;
            if (length > limit)
            {
                throw new AwsException("RequestEntityTooLargeException", $"Request body is larger than the maximum of {limit} bytes.", 413);
            }

            var (buffer, count) = await ReadBodyAsync(http.Request, length, limit, http.RequestAborted);
            rented = buffer;
            var body = new ReadOnlyMemory<byte>(buffer, 0, count);
            var identity = verifier.Verify(ToSigV4Request(http, body));
            if (!table.TryGet(target, out var operation))
            {
                throw new AwsException("UnknownOperationException", string.IsNullOrEmpty(target) ? "Missing X-Amz-Target header." : $"The operation {target} is not recognized.");
            }

            identity.RequireService(operation.SigningName);
            var context = new RequestContext(identity.Region, accountId, identity.PrincipalArn, requestId) { Cancellation = http.RequestAborted };
            var response = await operation.Invoke(context, body);
            http.Response.StatusCode = 200;
            http.Response.ContentType = ContentType;
            http.Response.ContentLength = response.Length;
            await http.Response.Body.WriteAsync(response, http.RequestAborted);
        }
        catch (AwsException ex)
        {
            LogRefused(logger, target, ex.ErrorType, ex.Message);
            await WriteErrorAsync(http, ex.StatusCode, ex.ErrorType, ex.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException)
        {
            // The body ended early or was malformed at the HTTP level: the client's fault, not the server's.
            LogRefused(logger, target, "SerializationException", ex.Message);
            await WriteErrorAsync(http, 400, "SerializationException", "The request body could not be read.");
        }
        catch (Exception ex)
        {
            LogFailed(logger, target, ex);
            await WriteErrorAsync(http, 500, "ServerException", "An internal error occurred.");
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Writes an AWS JSON error: <c>{"__type": ..., "message": ...}</c>.</summary>
    public static async Task WriteErrorAsync(HttpContext http, int status, string type, string message)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("__type", type);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = ContentType;
        http.Response.Headers["x-amzn-ErrorType"] = type;
        http.Response.ContentLength = buffer.WrittenCount;
        await http.Response.Body.WriteAsync(buffer.WrittenMemory);
    }

    internal static async Task<(byte[] Buffer, int Count)> ReadBodyAsync(HttpRequest request, long length, long maxBodyBytes, CancellationToken cancellationToken)
    {
        var capacity = length >= 0 ? (int)length : 4096;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 1));
        var count = 0;
        while (true)
        {
            if (count == buffer.Length)
            {
                if (count >= maxBodyBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw new AwsException("RequestEntityTooLargeException", $"Request body is larger than the maximum of {maxBodyBytes} bytes.", 413);
                }

                var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, maxBodyBytes + 1));
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
            if (count > maxBodyBytes)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw new AwsException("RequestEntityTooLargeException", $"Request body is larger than the maximum of {maxBodyBytes} bytes.", 413);
            }
        }
    }

    internal static SigV4Request ToSigV4Request(HttpContext http, ReadOnlyMemory<byte> body)
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused {Target}: {ErrorType}: {ErrorMessage}")]
    private static partial void LogRefused(ILogger logger, string target, string errorType, string errorMessage);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed {Target}")]
    private static partial void LogFailed(ILogger logger, string target, Exception exception);
}
