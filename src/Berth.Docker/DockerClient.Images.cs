using System.Text.Json;

namespace Berth.Docker;

/// <summary>Image operations.</summary>
public sealed partial class DockerClient
{
    public Task PullImageAsync(string image, RegistryAuth? auth = null, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.PullImage), Timeouts.PullImage, async ct =>
        {
            var (repository, tag) = SplitReference(image);
            using var response = await SendAsync(
                HttpMethod.Post, $"images/create?fromImage={Escape(repository)}&tag={Escape(tag)}", null, nameof(DockerTimeouts.PullImage), ct,
                configure: request =>
                {
                    if (auth is not null)
                        request.Headers.Add("X-Registry-Auth", EncodeAuth(auth));
                });

            await DrainProgressAsync(response, $"PullImage of '{image}'", ct);
            return true;
        }, cancellationToken);

    public Task ImportImageAsync(Stream rootfsTar, string repository, string tag, IReadOnlyList<string>? changes = null, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.PullImage), Timeouts.PullImage, async ct =>
        {
            var query = $"images/create?fromSrc=-&repo={Escape(repository)}&tag={Escape(tag)}" + string.Concat((changes ?? []).Select(c => "&changes=" + Escape(c)));
            using var content = new StreamContent(rootfsTar);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
            using var response = await SendAsync(HttpMethod.Post, query, content, nameof(DockerTimeouts.PullImage), ct);
            await DrainProgressAsync(response, $"ImportImage of '{repository}:{tag}'", ct);
            return true;
        }, cancellationToken);

    public Task<ImageInspect> InspectImageAsync(string image, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.InspectImage), Timeouts.InspectImage, async ct =>
        {
            using var response = await SendAsync(HttpMethod.Get, $"images/{EscapeName(image)}/json", null, nameof(DockerTimeouts.InspectImage), ct);
            return await ReadJsonAsync(response, DockerJsonContext.Default.ImageInspect, ct);
        }, cancellationToken);

    public async Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken = default)
    {
        try
        {
            await InspectImageAsync(image, cancellationToken);
            return true;
        }
        catch (DockerNotFoundException)
        {
            return false;
        }
    }

    public Task RemoveImageAsync(string image, bool force = false, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.RemoveImage), Timeouts.RemoveImage, async ct =>
        {
            using var response = await SendAsync(
                HttpMethod.Delete, $"images/{EscapeName(image)}?force={Flag(force)}", null, nameof(DockerTimeouts.RemoveImage), ct);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Reads an image progress stream to its end. Failures after the engine started arrive as a 200 whose
    /// stream ends with an error line, so that line is the error.
    /// </summary>
    private static async Task DrainProgressAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await foreach (var message in DockerStreams.ReadJsonLinesAsync(body, DockerJsonContext.Default.ProgressMessage, ct))
        {
            var error = message.ErrorDetail?.Message ?? message.Error;
            if (!string.IsNullOrEmpty(error))
                throw new DockerException($"Docker {what} failed: {error}", nameof(DockerTimeouts.PullImage), dockerMessage: error);
        }
    }

    /// <summary>
    /// Splits <c>registry:5000/repo:tag</c> / <c>repo@sha256:...</c> into the <c>fromImage</c> and <c>tag</c> parameters;
    /// a reference without tag or digest means <c>latest</c>.
    /// </summary>
    internal static (string Repository, string Tag) SplitReference(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
            return (image[..at], image[(at + 1)..]);
        var colon = image.LastIndexOf(':');
        if (colon > image.LastIndexOf('/'))
            return (image[..colon], image[(colon + 1)..]);
        return (image, "latest");
    }

    /// <summary>Escapes a reference for a path segment, keeping the slashes of <c>registry/repo</c> (the engine routes on them).</summary>
    private static string EscapeName(string image) => string.Join('/', image.Split('/').Select(Escape));

    /// <summary>The <c>X-Registry-Auth</c> value: URL-safe base64 (with padding) of the credentials JSON.</summary>
    internal static string EncodeAuth(RegistryAuth auth)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(auth, DockerJsonContext.Default.RegistryAuth);
        return Convert.ToBase64String(json).Replace('+', '-').Replace('/', '_');
    }
}
