using System.Text.Json.Serialization;

namespace Berth.Docker;

/// <summary>Credentials for a pull, sent as the base64url JSON <c>X-Registry-Auth</c> header.</summary>
public sealed record RegistryAuth(
    [property: JsonPropertyName("username")] string Username,
    [property: JsonPropertyName("password")] string Password,
    [property: JsonPropertyName("serveraddress")] string? ServerAddress);

/// <summary>The fields of <c>GET /images/{name}/json</c> that Berth uses.</summary>
public sealed record ImageInspect
{
    /// <summary><c>sha256:...</c>.</summary>
    public required string Id { get; init; }

    public IReadOnlyList<string>? RepoTags { get; init; }

    /// <summary><c>repo@sha256:...</c> entries (ECS reports the digest of the pulled image).</summary>
    public IReadOnlyList<string>? RepoDigests { get; init; }

    [JsonConverter(typeof(DockerTimeConverter))]
    public DateTimeOffset? Created { get; init; }

    public long Size { get; init; }
    public string? Os { get; init; }
    public string? Architecture { get; init; }
    public ContainerConfig? Config { get; init; }
}

/// <summary><c>GET /version</c>.</summary>
public sealed record DockerVersion
{
    public string? Version { get; init; }
    public string? ApiVersion { get; init; }
    public string? MinAPIVersion { get; init; }
    public string? Os { get; init; }
    public string? Arch { get; init; }
    public string? KernelVersion { get; init; }
    public string? GitCommit { get; init; }
}

/// <summary>One line of a JSON progress stream (<c>POST /images/create</c>).</summary>
internal sealed record ProgressMessage
{
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("error")]
    public string? Error { get; init; }

    [JsonPropertyName("errorDetail")]
    public ProgressErrorDetail? ErrorDetail { get; init; }
}

internal sealed record ProgressErrorDetail
{
    [JsonPropertyName("code")]
    public int? Code { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }
}

internal sealed record ErrorResponse
{
    [JsonPropertyName("message")]
    public string? Message { get; init; }
}
