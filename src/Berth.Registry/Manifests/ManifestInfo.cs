using System.Text.Json;

namespace Berth.Registry.Manifests;

/// <summary>The media types of the manifests Berth stores.</summary>
public static class MediaTypes
{
    /// <summary>Docker image manifest, schema 2.</summary>
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>Docker manifest list.</summary>
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>OCI image manifest.</summary>
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>OCI image index.</summary>
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";

    /// <summary>Every manifest media type accepted on push.</summary>
    public static readonly string[] Manifests = [DockerManifest, DockerManifestList, OciManifest, OciIndex];

    /// <summary>True for the two index types (whose references are other manifests).</summary>
    public static bool IsIndex(string mediaType) => mediaType is DockerManifestList or OciIndex;
}

/// <summary>A descriptor inside a manifest.</summary>
public sealed record Descriptor(string MediaType, string Digest, long Size, string? ArtifactType, IReadOnlyDictionary<string, string>? Annotations);

/// <summary>A manifest parsed for what the registry must know: its type, what it references, and its subject.</summary>
/// <param name="MediaType">The manifest's media type.</param>
/// <param name="Blobs">Config and layers (image manifests); empty for an index.</param>
/// <param name="Manifests">The manifests an index lists; empty for an image manifest.</param>
/// <param name="Subject">The manifest this one refers to (the referrers API), if any.</param>
/// <param name="ArtifactType">The artifact type: <c>artifactType</c>, else the config's media type.</param>
/// <param name="Annotations">The manifest's annotations.</param>
public sealed record ManifestInfo(
    string MediaType,
    IReadOnlyList<Descriptor> Blobs,
    IReadOnlyList<Descriptor> Manifests,
    Descriptor? Subject,
    string? ArtifactType,
    IReadOnlyDictionary<string, string>? Annotations)
{
    /// <summary>The sum of the layers' sizes (ECR's imageSizeInBytes counts layers, not the config).</summary>
    public long LayersSize => Blobs.Skip(1).Sum(b => b.Size);
}

/// <summary>Why a manifest was refused.</summary>
public sealed class ManifestException(string message) : Exception(message);

/// <summary>Reads manifests (never trusting the client's Content-Type alone).</summary>
public static class ManifestParser
{
    /// <summary>
    /// Parses <paramref name="content"/>. The media type is the manifest's own <c>mediaType</c>, else
    /// <paramref name="contentType"/>, else inferred from its shape (OCI allows the field to be absent).
    /// </summary>
    public static ManifestInfo Parse(ReadOnlySpan<byte> content, string? contentType)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(content);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw new ManifestException("manifest is not valid JSON: " + ex.Message);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ManifestException("manifest is not a JSON object");
            }

            if (!root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var number) || number != 2)
            {
                throw new ManifestException("schemaVersion must be 2");
            }

            var declared = String(root, "mediaType");
            var type = contentType?.Split(';')[0].Trim();
            var mediaType = declared
                ?? (type is not null && MediaTypes.Manifests.Contains(type) ? type : null)
                ?? (root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest);
            if (!MediaTypes.Manifests.Contains(mediaType))
            {
                throw new ManifestException($"unsupported manifest media type {mediaType}");
            }

            if (declared is not null && type is not null && MediaTypes.Manifests.Contains(type) && type != declared)
            {
                throw new ManifestException($"the Content-Type {type} does not match the manifest's mediaType {declared}");
            }

            var subject = root.TryGetProperty("subject", out var s) ? ReadDescriptor(s) : null;
            var annotations = ReadAnnotations(root);
            if (MediaTypes.IsIndex(mediaType))
            {
                if (!root.TryGetProperty("manifests", out var list) || list.ValueKind != JsonValueKind.Array)
                {
                    throw new ManifestException("an index needs a manifests array");
                }

                var manifests = list.EnumerateArray().Select(ReadDescriptor).ToList();
                return new ManifestInfo(mediaType, [], manifests, subject, String(root, "artifactType"), annotations);
            }

            if (!root.TryGetProperty("config", out var config))
            {
                throw new ManifestException("an image manifest needs a config");
            }

            var blobs = new List<Descriptor> { ReadDescriptor(config) };
            if (root.TryGetProperty("layers", out var layers))
            {
                if (layers.ValueKind != JsonValueKind.Array)
                {
                    throw new ManifestException("layers must be an array");
                }

                blobs.AddRange(layers.EnumerateArray().Select(ReadDescriptor));
            }

            // The layers' total is the image's size: one that overflows 64 bits is no image.
            var total = 0L;
            foreach (var blob in blobs.Skip(1))
            {
                if (long.MaxValue - total < blob.Size)
                {
                    throw new ManifestException("the layers' sizes add up to more than a 64-bit size");
                }

                total += blob.Size;
            }

            return new ManifestInfo(mediaType, blobs, [], subject, String(root, "artifactType") ?? blobs[0].MediaType, annotations);
        }
    }

    private static Descriptor ReadDescriptor(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ManifestException("a descriptor must be an object");
        }

        var digest = String(element, "digest");
        if (!Blobs.Digest.IsValid(digest))
        {
            throw new ManifestException($"descriptor digest {digest} is not a valid sha256 digest");
        }

        // A size that is no whole 64-bit number (1e30, 2.5) is as invalid as a missing one.
        var size = element.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var n) ? n : -1;
        if (size < 0)
        {
            throw new ManifestException($"descriptor {digest} has no valid size");
        }

        return new Descriptor(String(element, "mediaType") ?? string.Empty, digest, size, String(element, "artifactType"), ReadAnnotations(element));
    }

    private static Dictionary<string, string>? ReadAnnotations(JsonElement element)
    {
        if (!element.TryGetProperty("annotations", out var a) || a.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in a.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String)
            {
                result[property.Name] = property.Value.GetString()!;
            }
        }

        return result;
    }

    private static string? String(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
