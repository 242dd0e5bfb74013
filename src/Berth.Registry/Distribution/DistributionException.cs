using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Berth.Registry.Distribution;

/// <summary>An error of the distribution spec: a code from its table, a message, and the HTTP status that goes with it.</summary>
public sealed class DistributionException(int status, string code, string message) : Exception(message)
{
    /// <summary>HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The spec's error code, e.g. <c>BLOB_UNKNOWN</c>.</summary>
    public string Code { get; } = code;

    /// <summary>BLOB_UNKNOWN (404).</summary>
    public static DistributionException BlobUnknown(string digest) => new(404, "BLOB_UNKNOWN", $"blob unknown to registry: {digest}");

    /// <summary>BLOB_UPLOAD_UNKNOWN (404).</summary>
    public static DistributionException UploadUnknown() => new(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry");

    /// <summary>BLOB_UPLOAD_INVALID (400).</summary>
    public static DistributionException UploadInvalid(string message) => new(400, "BLOB_UPLOAD_INVALID", message);

    /// <summary>DIGEST_INVALID (400).</summary>
    public static DistributionException DigestInvalid(string message) => new(400, "DIGEST_INVALID", message);

    /// <summary>MANIFEST_UNKNOWN (404).</summary>
    public static DistributionException ManifestUnknown(string reference) => new(404, "MANIFEST_UNKNOWN", $"manifest unknown: {reference}");

    /// <summary>MANIFEST_INVALID (400).</summary>
    public static DistributionException ManifestInvalid(string message) => new(400, "MANIFEST_INVALID", message);

    /// <summary>NAME_UNKNOWN (404), with ECR's message.</summary>
    public static DistributionException NameUnknown(string name, string registryId)
        => new(404, "NAME_UNKNOWN", $"The repository with name '{name}' does not exist in the registry with id '{registryId}'");

    /// <summary>NAME_INVALID (400).</summary>
    public static DistributionException NameInvalid(string name) => new(400, "NAME_INVALID", $"invalid repository name: {name}");

    /// <summary>UNAUTHORIZED (401).</summary>
    public static DistributionException Unauthorized() => new(401, "UNAUTHORIZED", "authentication required");

    /// <summary>UNSUPPORTED (405).</summary>
    public static DistributionException Unsupported(string message) => new(405, "UNSUPPORTED", message);

    /// <summary>Writes <c>{"errors":[{"code","message","detail"}]}</c>.</summary>
    public async Task WriteAsync(HttpContext http)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("errors");
            writer.WriteStartObject();
            writer.WriteString("code", Code);
            writer.WriteString("message", Message);
            writer.WriteNull("detail");
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        http.Response.StatusCode = Status;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.ContentLength = buffer.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        }
    }
}
