namespace Berth.Protocol.Errors;

/// <summary>
/// An error that reaches the client as AWS sends it: a JSON body with <c>__type</c> and <c>message</c>
/// and an HTTP status (400 for everything the client got wrong).
/// </summary>
/// <remarks>Thrown by decision code; the edge turns it into the response. Nothing is written when one escapes a command.</remarks>
public class AwsException(string errorType, string message, int statusCode = 400) : Exception(message)
{
    /// <summary>The <c>__type</c> on the wire, e.g. <c>ClusterNotFoundException</c>.</summary>
    public string ErrorType { get; } = errorType;

    /// <summary>HTTP status code of the response.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>ECS's catch-all for a request the service refuses (HTTP 400).</summary>
    public static AwsException Client(string message) => new("ClientException", message);

    /// <summary>A parameter that is not valid (HTTP 400).</summary>
    public static AwsException InvalidParameter(string message) => new("InvalidParameterException", message);

    /// <summary>The request body could not be read as the operation's input shape (HTTP 400).</summary>
    public static AwsException Serialization(string message) => new("SerializationException", message);

    /// <summary>Something failed inside Berth (HTTP 500). Never used for anything the client did.</summary>
    public static AwsException Server(string message) => new("ServerException", message, 500);
}
