using System.Net;

namespace Berth.Docker;

/// <summary>A Docker Engine call failed; carries the HTTP status and Docker's own <c>message</c> when there was one.</summary>
public class DockerException : Exception
{
    public DockerException(string message, string? operation = null, HttpStatusCode? statusCode = null, string? dockerMessage = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Operation = operation;
        StatusCode = statusCode;
        DockerMessage = dockerMessage;
    }

    /// <summary>The client call that failed (the name used in <see cref="DockerTimeouts"/>), e.g. <c>InspectContainer</c>.</summary>
    public string? Operation { get; }

    /// <summary>The engine's HTTP status; null when the failure was not an HTTP error (transport, stream error line).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The engine's <c>message</c> (or a progress stream's <c>errorDetail.message</c>), verbatim.</summary>
    public string? DockerMessage { get; }
}

/// <summary>404: no such container, image, network or volume.</summary>
public sealed class DockerNotFoundException(string message, string? operation, string? dockerMessage)
    : DockerException(message, operation, HttpStatusCode.NotFound, dockerMessage);

/// <summary>409: name already in use, container not running (kill), removal already in progress, network has endpoints...</summary>
public sealed class DockerConflictException(string message, string? operation, string? dockerMessage)
    : DockerException(message, operation, HttpStatusCode.Conflict, dockerMessage);

/// <summary>The engine could not be reached: socket missing, connection refused, or the connection dropped mid-call.</summary>
public sealed class DockerUnavailableException(string message, string? operation, Exception? innerException)
    : DockerException(message, operation, null, null, innerException);

/// <summary>A call exceeded its named timeout (see <see cref="DockerTimeouts"/>).</summary>
public sealed class DockerTimeoutException(string operation, TimeSpan timeout)
    : DockerException($"Docker call '{operation}' timed out after {timeout}.", operation)
{
    /// <summary>The timeout that expired.</summary>
    public TimeSpan Timeout { get; } = timeout;
}
