using System.Globalization;
using System.Text.Json;
using Berth.Protocol.Errors;
using Berth.Registry.Blobs;
using Berth.Registry.Ecr;
using Berth.Registry.Manifests;
using Berth.Registry.State;
using Berth.Registry.Uploads;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Registry.Distribution;

/// <summary>
/// The OCI distribution API under <c>/v2/</c>: blobs (streamed, with Range), uploads (monolithic, chunked, streamed,
/// cross-repository mount), manifests, tags, catalog and referrers. Every request needs a registry token, as with ECR.
/// </summary>
public sealed partial class DistributionHandler(RegistryService registry, ILogger<DistributionHandler> logger)
{
    private const string Realm = "Basic realm=\"Berth Registry\"";

    /// <summary>Handles one request whose path starts with <c>/v2</c>.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        http.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        var route = DistributionRoute.Parse(http.Request.Path.Value ?? "/v2/");
        try
        {
            if (http.Request.Headers.Authorization.Count > 1)
            {
                throw new DistributionException(400, "UNAUTHORIZED", "only one Authorization header is allowed");
            }

            if (registry.Tokens.VerifyHeader(http.Request.Headers.Authorization.ToString()) is not { } grant)
            {
                http.Response.Headers.WWWAuthenticate = Realm;
                throw DistributionException.Unauthorized();
            }

            if (!grant.Allows(http.Request.Method, route.Kind, route.Name))
            {
                // An agent's pull password: its task's repositories, read only.
                throw new DistributionException(403, "DENIED", "requested access to the resource is denied");
            }

            await DispatchAsync(http, route);
        }
        catch (DistributionException error)
        {
            LogRefused(logger, http.Request.Method, http.Request.Path.Value ?? string.Empty, error.Code, error.Message);
            await error.WriteAsync(http);
        }
        catch (AwsException aws)
        {
            var error = FromEcr(aws, route);
            LogRefused(logger, http.Request.Method, http.Request.Path.Value ?? string.Empty, error.Code, error.Message);
            await error.WriteAsync(http);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is BodyReadException or BadHttpRequestException && !http.RequestAborted.IsCancellationRequested)
        {
            // Broken chunked framing or a body slower than the minimum data rate: the client's fault.
            var error = route.Kind == RouteKind.Manifest
                ? DistributionException.ManifestInvalid("the request body could not be read")
                : DistributionException.UploadInvalid("the request body could not be read");
            LogRefused(logger, http.Request.Method, http.Request.Path.Value ?? string.Empty, error.Code, ex.Message);
            await error.WriteAsync(http);
        }
        catch (IOException ex) when (StorageFull.IsIoFull(ex))
        {
            LogRefused(logger, http.Request.Method, http.Request.Path.Value ?? string.Empty, "UNKNOWN", ex.Message);
            await new DistributionException(500, "UNKNOWN", StorageFull.Message).WriteAsync(http);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException && http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogFailed(logger, http.Request.Method, http.Request.Path.Value ?? string.Empty, ex);
            await new DistributionException(500, "UNKNOWN", "an internal error occurred").WriteAsync(http);
        }
    }

    private Task DispatchAsync(HttpContext http, DistributionRoute route)
    {
        var method = http.Request.Method;
        switch (route.Kind)
        {
            case RouteKind.Base when HttpMethods.IsGet(method) || HttpMethods.IsHead(method):
                return JsonAsync(http, 200, w =>
                {
                    w.WriteStartObject();
                    w.WriteEndObject();
                });
            case RouteKind.Catalog when HttpMethods.IsGet(method):
                return CatalogAsync(http);
            case RouteKind.Tags when HttpMethods.IsGet(method):
                return TagsAsync(http, route.Name);
            case RouteKind.Manifest when HttpMethods.IsGet(method) || HttpMethods.IsHead(method):
                return GetManifestAsync(http, route.Name, route.Reference);
            case RouteKind.Manifest when HttpMethods.IsPut(method):
                return PutManifestAsync(http, route.Name, route.Reference);
            case RouteKind.Manifest when HttpMethods.IsDelete(method):
                return DeleteManifestAsync(http, route.Name, route.Reference);
            case RouteKind.Blob when HttpMethods.IsGet(method) || HttpMethods.IsHead(method):
                return GetBlobAsync(http, route.Name, route.Reference);
            case RouteKind.Blob when HttpMethods.IsDelete(method):
                return DeleteBlobAsync(http, route.Name, route.Reference);
            case RouteKind.Upload when HttpMethods.IsPost(method) && route.Reference.Length == 0:
                return StartUploadAsync(http, route.Name);
            case RouteKind.Upload when HttpMethods.IsPatch(method) && route.Reference.Length > 0:
                return PatchUploadAsync(http, route.Name, route.Reference);
            case RouteKind.Upload when HttpMethods.IsPut(method) && route.Reference.Length > 0:
                return FinishUploadAsync(http, route.Name, route.Reference);
            case RouteKind.Upload when HttpMethods.IsGet(method) && route.Reference.Length > 0:
                return UploadStatusAsync(http, route.Name, route.Reference);
            case RouteKind.Upload when HttpMethods.IsDelete(method) && route.Reference.Length > 0:
                return CancelUploadAsync(http, route.Name, route.Reference);
            case RouteKind.Referrers when HttpMethods.IsGet(method):
                return ReferrersAsync(http, route.Name, route.Reference);
            case RouteKind.Unknown:
                throw new DistributionException(404, "NOT_FOUND", "no such endpoint");
            default:
                throw Method(http);
        }
    }

    private static DistributionException Method(HttpContext http) => DistributionException.Unsupported($"{http.Request.Method} is not supported here");

    private RepositoryRecord Repository(string name)
    {
        if (!RepositoryRules.IsValidName(name))
        {
            throw DistributionException.NameInvalid(name);
        }

        return registry.Pipeline.Current.Repositories.TryGetValue(name, out var repository) ? repository : throw DistributionException.NameUnknown(name, registry.AccountId);
    }

    // ---- catalog and tags ----

    private Task CatalogAsync(HttpContext http)
    {
        var names = registry.Pipeline.Current.Repositories.Keys;
        var (page, next) = Paginate(http, names);
        if (next is not null)
        {
            http.Response.Headers.Link = $"</v2/_catalog?n={page.Count}&last={Uri.EscapeDataString(next)}>; rel=\"next\"";
        }

        return JsonAsync(http, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("repositories");
            page.ForEach(w.WriteStringValue);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private Task TagsAsync(HttpContext http, string name)
    {
        var repository = Repository(name);
        var (page, next) = Paginate(http, repository.ImageTags.Keys);
        if (next is not null)
        {
            http.Response.Headers.Link = $"</v2/{name}/tags/list?n={page.Count}&last={Uri.EscapeDataString(next)}>; rel=\"next\"";
        }

        return JsonAsync(http, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteStartArray("tags");
            page.ForEach(w.WriteStringValue);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    // Keys are sorted; `last` is exclusive, `n` the page size (everything when absent).
    private static (List<string> Page, string? Next) Paginate(HttpContext http, IEnumerable<string> sortedKeys)
    {
        var last = http.Request.Query["last"].ToString();
        var remaining = sortedKeys.Where(k => last.Length == 0 || string.CompareOrdinal(k, last) > 0).ToList();
        var text = http.Request.Query["n"].ToString();
        if (text.Length == 0)
        {
            return (remaining, null);
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw new DistributionException(400, "PAGINATION_NUMBER_INVALID", $"invalid number of results requested: {text}");
        }

        if (n >= remaining.Count)
        {
            return (remaining, null);
        }

        var page = remaining.Take(n).ToList();
        return (page, page.Count > 0 ? page[^1] : null);
    }

    // ---- manifests ----

    private ImageRecord Resolve(RepositoryRecord repository, string reference)
    {
        var digest = Digest.IsValid(reference) ? reference : repository.ImageTags.GetValueOrDefault(reference);
        return digest is not null && repository.Images.TryGetValue(digest, out var image) ? image : throw DistributionException.ManifestUnknown(reference);
    }

    private async Task GetManifestAsync(HttpContext http, string name, string reference)
    {
        var image = Resolve(Repository(name), reference);
        var content = registry.Blobs.ReadAll(image.Digest) ?? throw DistributionException.ManifestUnknown(reference);
        http.Response.StatusCode = 200;
        http.Response.ContentType = image.MediaType;
        http.Response.ContentLength = content.Length;
        http.Response.Headers["Docker-Content-Digest"] = image.Digest;
        http.Response.Headers.ETag = $"\"{image.Digest}\"";
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.Body.WriteAsync(content, http.RequestAborted);
        }
    }

    private async Task PutManifestAsync(HttpContext http, string name, string reference)
    {
        Repository(name);
        var content = await ReadSmallBodyAsync(http, RegistryService.MaxManifestBytes);
        var isDigest = Digest.IsValid(reference);
        if (!isDigest && !RepositoryRules.IsValidTag(reference))
        {
            throw new DistributionException(400, "TAG_INVALID", $"invalid tag: {reference}");
        }

        ImageRecord image;
        try
        {
            image = await registry.PushManifestAsync(name, isDigest ? null : reference, isDigest ? reference : null, content, http.Request.ContentType, refuseExisting: false, http.RequestAborted);
        }
        catch (ManifestException ex)
        {
            throw DistributionException.ManifestInvalid(ex.Message);
        }
        catch (MissingBlobsException ex)
        {
            throw new DistributionException(400, "MANIFEST_BLOB_UNKNOWN", $"blob unknown to registry: {ex.Digests[0]}");
        }

        http.Response.StatusCode = 201;
        http.Response.Headers.Location = $"/v2/{name}/manifests/{image.Digest}";
        http.Response.Headers["Docker-Content-Digest"] = image.Digest;
        if (image.Subject is not null)
        {
            http.Response.Headers["OCI-Subject"] = image.Subject;
        }

        http.Response.ContentLength = 0;
    }

    private async Task DeleteManifestAsync(HttpContext http, string name, string reference)
    {
        var repository = Repository(name);
        if (Digest.IsValid(reference))
        {
            if (!repository.Images.ContainsKey(reference))
            {
                throw DistributionException.ManifestUnknown(reference);
            }

            var removed = await registry.Pipeline.ExecuteAsync(s => ImageDecisions.DeleteManifest(s, registry.AccountId, name, reference));
            registry.Removed([removed]);
        }
        else
        {
            if (!repository.ImageTags.ContainsKey(reference))
            {
                throw DistributionException.ManifestUnknown(reference);
            }

            await registry.Pipeline.ExecuteAsync(s => ImageDecisions.DeleteTag(s, registry.AccountId, name, reference));
        }

        http.Response.StatusCode = 202;
        http.Response.ContentLength = 0;
    }

    private Task ReferrersAsync(HttpContext http, string name, string digest)
    {
        var repository = Repository(name);
        if (!Digest.IsValid(digest))
        {
            throw DistributionException.DigestInvalid($"invalid digest: {digest}");
        }

        var filter = http.Request.Query["artifactType"].ToString();
        var referrers = repository.Images.Values.Where(i => i.Subject == digest && (filter.Length == 0 || i.ArtifactType == filter)).ToList();
        if (filter.Length > 0)
        {
            http.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        }

        return JsonAsync(http, 200, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", MediaTypes.OciIndex);
            w.WriteStartArray("manifests");
            foreach (var image in referrers)
            {
                w.WriteStartObject();
                w.WriteString("mediaType", image.MediaType);
                w.WriteString("digest", image.Digest);
                w.WriteNumber("size", image.ManifestSize);
                if (image.ArtifactType is not null)
                {
                    w.WriteString("artifactType", image.ArtifactType);
                }

                if (image.Annotations is { Count: > 0 } annotations)
                {
                    w.WriteStartObject("annotations");
                    foreach (var (key, value) in annotations)
                    {
                        w.WriteString(key, value);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }, MediaTypes.OciIndex);
    }

    // ---- blobs ----

    private async Task GetBlobAsync(HttpContext http, string name, string digest)
    {
        Repository(name);
        if (!Digest.IsValid(digest))
        {
            throw DistributionException.DigestInvalid($"invalid digest: {digest}");
        }

        var size = registry.Blobs.SizeOf(digest) ?? throw DistributionException.BlobUnknown(digest);
        registry.Gc.Touch(digest);
        http.Response.Headers["Docker-Content-Digest"] = digest;
        http.Response.Headers.ETag = $"\"{digest}\"";
        http.Response.Headers.AcceptRanges = "bytes";
        http.Response.ContentType = "application/octet-stream";
        long offset = 0, count = size;
        if (http.Request.Headers.Range.ToString() is { Length: > 0 } range && HttpMethods.IsGet(http.Request.Method))
        {
            if (!TryParseRange(range, size, out offset, out count))
            {
                http.Response.Headers.ContentRange = $"bytes */{size}";
                throw new DistributionException(416, "BLOB_UNKNOWN", "requested range not satisfiable");
            }

            http.Response.StatusCode = 206;
            http.Response.Headers.ContentRange = $"bytes {offset}-{offset + count - 1}/{size}";
        }
        else
        {
            http.Response.StatusCode = 200;
        }

        http.Response.ContentLength = count;
        if (HttpMethods.IsGet(http.Request.Method) && count > 0)
        {
            await SendRangeAsync(http, registry.Blobs.PathOf(digest), offset, count);
        }
    }

    // Reads straight into the response pipe's own buffers, 256 KiB at a time: one copy from the page cache, and
    // Kestrel's flow control paces the reads to the client.
    private static async Task SendRangeAsync(HttpContext http, string path, long offset, long count)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        var writer = http.Response.BodyWriter;
        var position = offset;
        var remaining = count;
        while (remaining > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(remaining, 256 * 1024));
            var read = RandomAccess.Read(file, memory.Span[..(int)Math.Min(memory.Length, remaining)], position);
            if (read == 0)
            {
                throw new IOException($"{path} ended {remaining} bytes early");
            }

            writer.Advance(read);
            position += read;
            remaining -= read;
            var flushed = await writer.FlushAsync(http.RequestAborted);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary>Parses one <c>bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c> range against <paramref name="size"/>.</summary>
    internal static bool TryParseRange(string header, long size, out long offset, out long count)
    {
        offset = 0;
        count = 0;
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || header.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        var spec = header["bytes=".Length..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return false;
        }

        var first = spec[..dash];
        var last = spec[(dash + 1)..];
        if (first.Length == 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) || suffix == 0 || size == 0)
            {
                return false;
            }

            count = Math.Min(suffix, size);
            offset = size - count;
            return true;
        }

        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset >= size)
        {
            return false;
        }

        var end = size - 1;
        if (last.Length > 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < offset)
            {
                return false;
            }

            end = Math.Min(end, size - 1);
        }

        count = end - offset + 1;
        return true;
    }

    private Task DeleteBlobAsync(HttpContext http, string name, string digest)
    {
        Repository(name);
        if (!Digest.IsValid(digest))
        {
            throw DistributionException.DigestInvalid($"invalid digest: {digest}");
        }

        if (!registry.Blobs.Exists(digest))
        {
            throw DistributionException.BlobUnknown(digest);
        }

        // Blobs are shared: one a manifest still needs stays; otherwise it is handed to the collector.
        if (registry.Pipeline.Current.ReferencedDigests().Contains(digest))
        {
            throw new DistributionException(405, "UNSUPPORTED", $"blob {digest} is referenced by a manifest; delete the manifest instead");
        }

        registry.Removed([new ImageRecord { Digest = digest, MediaType = string.Empty, ManifestSize = 0, ImageSize = 0, PushedAt = default }]);
        http.Response.StatusCode = 202;
        http.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    // ---- uploads ----

    private async Task StartUploadAsync(HttpContext http, string name)
    {
        Repository(name);
        var query = http.Request.Query;
        var mount = query["mount"].ToString();
        if (mount.Length > 0 && Digest.IsValid(mount) && registry.Blobs.Exists(mount))
        {
            // Blobs are shared across repositories, so a mount is a lookup.
            registry.Gc.Touch(mount);
            Created(http, name, mount);
            return;
        }

        string id;
        try
        {
            id = registry.Uploads.Start(name);
        }
        catch (UploadException ex) when (ex.Error == UploadError.TooMany)
        {
            throw new DistributionException(429, "TOOMANYREQUESTS", ex.Message);
        }

        var digest = query["digest"].ToString();
        if (digest.Length > 0)
        {
            await AppendAsync(http, name, id, null);
            await FinishAsync(http, name, id, digest);
            return;
        }

        Accepted(http, name, id, 0);
    }

    private async Task PatchUploadAsync(HttpContext http, string name, string id)
    {
        Repository(name);
        long? start = null;
        if (http.Request.Headers.ContentRange.ToString() is { Length: > 0 } contentRange)
        {
            var text = contentRange.StartsWith("bytes ", StringComparison.Ordinal) ? contentRange["bytes ".Length..] : contentRange;
            var dash = text.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            {
                throw new DistributionException(416, "BLOB_UPLOAD_INVALID", $"invalid Content-Range: {contentRange}");
            }

            start = first;
        }

        var size = await AppendAsync(http, name, id, start);
        Accepted(http, name, id, size);
    }

    private async Task FinishUploadAsync(HttpContext http, string name, string id)
    {
        Repository(name);
        await AppendAsync(http, name, id, null);
        await FinishAsync(http, name, id, http.Request.Query["digest"].ToString());
    }

    private Task UploadStatusAsync(HttpContext http, string name, string id)
    {
        Repository(name);
        var size = registry.Uploads.Offset(name, id) ?? throw DistributionException.UploadUnknown();
        Accepted(http, name, id, size);
        http.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private async Task CancelUploadAsync(HttpContext http, string name, string id)
    {
        Repository(name);
        if (!await registry.Uploads.CancelAsync(name, id, http.RequestAborted))
        {
            throw DistributionException.UploadUnknown();
        }

        http.Response.StatusCode = 204;
    }

    private async Task<long> AppendAsync(HttpContext http, string name, string id, long? start)
    {
        try
        {
            return await registry.Uploads.AppendAsync(name, id, http.Request.BodyReader, start, http.RequestAborted);
        }
        catch (UploadException ex) when (ex.Error == UploadError.OutOfOrder)
        {
            var size = registry.Uploads.Offset(name, id) ?? 0;
            http.Response.Headers.Location = $"/v2/{name}/blobs/uploads/{id}";
            http.Response.Headers.Range = $"0-{Math.Max(size - 1, 0)}";
            http.Response.Headers["Docker-Upload-UUID"] = id;
            throw new DistributionException(416, "BLOB_UPLOAD_INVALID", ex.Message);
        }
        catch (UploadException)
        {
            throw DistributionException.UploadUnknown();
        }
    }

    private async Task FinishAsync(HttpContext http, string name, string id, string digest)
    {
        try
        {
            await registry.Uploads.FinishAsync(name, id, digest, http.RequestAborted);
        }
        catch (UploadException ex) when (ex.Error is UploadError.DigestInvalid or UploadError.DigestMismatch)
        {
            throw DistributionException.DigestInvalid(ex.Message);
        }
        catch (UploadException)
        {
            throw DistributionException.UploadUnknown();
        }

        registry.Gc.Touch(digest);
        Created(http, name, digest);
    }

    private static void Created(HttpContext http, string name, string digest)
    {
        http.Response.StatusCode = 201;
        http.Response.Headers.Location = $"/v2/{name}/blobs/{digest}";
        http.Response.Headers["Docker-Content-Digest"] = digest;
        http.Response.ContentLength = 0;
    }

    private static void Accepted(HttpContext http, string name, string id, long size)
    {
        http.Response.StatusCode = 202;
        http.Response.Headers.Location = $"/v2/{name}/blobs/uploads/{id}";
        http.Response.Headers.Range = $"0-{Math.Max(size - 1, 0)}";
        http.Response.Headers["Docker-Upload-UUID"] = id;
        http.Response.ContentLength = 0;
    }

    // ---- helpers ----

    private static async Task<byte[]> ReadSmallBodyAsync(HttpContext http, int limit)
    {
        if (http.Request.ContentLength > limit)
        {
            throw new DistributionException(413, "SIZE_INVALID", $"manifest is larger than {limit} bytes");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await ReadBodyAsync(http, chunk)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                throw new DistributionException(413, "SIZE_INVALID", $"manifest is larger than {limit} bytes");
            }
        }

        return buffer.ToArray();
    }

    private static async Task<int> ReadBodyAsync(HttpContext http, byte[] chunk)
    {
        try
        {
            return await http.Request.Body.ReadAsync(chunk, http.RequestAborted);
        }
        catch (IOException ex)
        {
            throw new BodyReadException(ex);
        }
    }

    private static async Task JsonAsync(HttpContext http, int status, Action<Utf8JsonWriter> write, string contentType = "application/json; charset=utf-8")
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = contentType;
        http.Response.ContentLength = buffer.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), http.RequestAborted);
        }
    }

    private DistributionException FromEcr(AwsException aws, DistributionRoute route) => aws.ErrorType switch
    {
        "RepositoryNotFoundException" => DistributionException.NameUnknown(route.Name, registry.AccountId),
        "ImageNotFoundException" => DistributionException.ManifestUnknown(route.Reference),
        "ImageTagAlreadyExistsException" => new DistributionException(400, "TAG_INVALID", aws.Message),
        "ImageDigestDoesNotMatchException" => DistributionException.DigestInvalid(aws.Message),
        "ReferencedImagesNotFoundException" => new DistributionException(400, "MANIFEST_BLOB_UNKNOWN", aws.Message),
        "InvalidParameterException" => DistributionException.ManifestInvalid(aws.Message),
        _ => new DistributionException(aws.StatusCode >= 500 ? 500 : 400, "UNKNOWN", aws.Message),
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registry refused {Method} {Path}: {Code}: {ErrorMessage}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string code, string errorMessage);

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry failed {Method} {Path}")]
    private static partial void LogFailed(ILogger logger, string method, string path, Exception exception);
}
