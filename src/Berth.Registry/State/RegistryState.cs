using System.Collections.Immutable;

namespace Berth.Registry.State;

/// <summary>A resource tag on a repository (ECR's TagResource).</summary>
public sealed record ResourceTag(string Key, string Value);

/// <summary>One image (manifest) in a repository. The manifest's bytes live in the blob store under <see cref="Digest"/>.</summary>
public sealed record ImageRecord
{
    /// <summary>The manifest's digest.</summary>
    public required string Digest { get; init; }

    /// <summary>The manifest's media type.</summary>
    public required string MediaType { get; init; }

    /// <summary>The manifest's own size in bytes.</summary>
    public required long ManifestSize { get; init; }

    /// <summary>What ECR reports as imageSizeInBytes: the layers' sizes.</summary>
    public required long ImageSize { get; init; }

    /// <summary>When it was first pushed.</summary>
    public required DateTimeOffset PushedAt { get; init; }

    /// <summary>The blobs it references (config first, then layers); empty for an index.</summary>
    public ImmutableArray<string> Blobs { get; init; } = [];

    /// <summary>The manifests it lists (an index); empty otherwise.</summary>
    public ImmutableArray<string> Children { get; init; } = [];

    /// <summary>The digest of the manifest it refers to (the referrers API), if any.</summary>
    public string? Subject { get; init; }

    /// <summary>The artifact type (its <c>artifactType</c>, else its config's media type).</summary>
    public string? ArtifactType { get; init; }

    /// <summary>The manifest's annotations (returned by the referrers API).</summary>
    public ImmutableSortedDictionary<string, string>? Annotations { get; init; }
}

/// <summary>A repository: its settings and its images and tags.</summary>
public sealed record RepositoryRecord
{
    /// <summary>The repository name (may contain slashes).</summary>
    public required string Name { get; init; }

    /// <summary>Its ARN.</summary>
    public required string Arn { get; init; }

    /// <summary>The registry (account) id.</summary>
    public required string RegistryId { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary><c>MUTABLE</c> or <c>IMMUTABLE</c>.</summary>
    public string TagMutability { get; init; } = "MUTABLE";

    /// <summary>Kept and returned; Berth does not scan.</summary>
    public bool ScanOnPush { get; init; }

    /// <summary>Kept and returned (<c>AES256</c> unless told otherwise).</summary>
    public string EncryptionType { get; init; } = "AES256";

    /// <summary>The KMS key named at creation, if any (kept and returned).</summary>
    public string? KmsKey { get; init; }

    /// <summary>Resource tags.</summary>
    public ImmutableArray<ResourceTag> Tags { get; init; } = [];

    /// <summary>The lifecycle policy text, if any.</summary>
    public string? LifecyclePolicy { get; init; }

    /// <summary>When the lifecycle policy was last applied.</summary>
    public DateTimeOffset? LifecycleEvaluatedAt { get; init; }

    /// <summary>Images by manifest digest.</summary>
    public ImmutableSortedDictionary<string, ImageRecord> Images { get; init; } = ImmutableSortedDictionary.Create<string, ImageRecord>(StringComparer.Ordinal);

    /// <summary>Tags: tag → manifest digest.</summary>
    public ImmutableSortedDictionary<string, string> ImageTags { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>The tags pointing at <paramref name="digest"/>, in order.</summary>
    public List<string> TagsOf(string digest) => [.. ImageTags.Where(t => t.Value == digest).Select(t => t.Key)];

    /// <summary>True when an index in this repository lists <paramref name="digest"/>.</summary>
    public bool IsChildOfIndex(string digest) => Images.Values.Any(i => i.Children.Contains(digest));
}

/// <summary>
/// Everything the registry's metadata holds, as one immutable snapshot; only the commit pipeline makes the next one.
/// Repositories are keyed by name: one registry per server, as the <c>/v2/</c> API (which has no region) sees it.
/// </summary>
public sealed record RegistryState(ImmutableSortedDictionary<string, RepositoryRecord> Repositories)
{
    /// <summary>A registry with no repositories.</summary>
    public static RegistryState Empty { get; } = new(ImmutableSortedDictionary.Create<string, RepositoryRecord>(StringComparer.Ordinal));

    /// <summary>Every digest some manifest still needs: every manifest itself and every blob one references.</summary>
    public HashSet<string> ReferencedDigests()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var repository in Repositories.Values)
        {
            foreach (var image in repository.Images.Values)
            {
                result.Add(image.Digest);
                foreach (var blob in image.Blobs)
                {
                    result.Add(blob);
                }
            }
        }

        return result;
    }

    /// <summary>The state with <paramref name="repository"/> put in place.</summary>
    public RegistryState With(RepositoryRecord repository) => this with { Repositories = Repositories.SetItem(repository.Name, repository) };
}
