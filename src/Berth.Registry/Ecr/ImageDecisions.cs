using Berth.Ecr.Model;
using Berth.Registry.Blobs;
using Berth.Registry.Lifecycle;
using Berth.Registry.State;
using Berth.Storage.Commit;
using Berth.Storage.Documents;

namespace Berth.Registry.Ecr;

/// <summary>What a manifest push did: the image as stored and the images the lifecycle policy expired because of it.</summary>
public sealed record PutImageResult(ImageRecord Image, List<ImageRecord> Expired);

/// <summary>What BatchDeleteImage did: the ids it removed, the failures, and the images that are gone.</summary>
public sealed record DeleteImagesResult(List<ImageIdentifier> Deleted, List<ImageFailure> Failures, List<ImageRecord> Removed);

/// <summary>Image writes as pure decisions.</summary>
public static class ImageDecisions
{
    /// <summary>
    /// Puts a manifest (already stored as a blob) into a repository, optionally under a tag. An IMMUTABLE repository
    /// refuses to move an existing tag; <paramref name="refuseExisting"/> (ECR's PutImage) refuses a push that changes nothing.
    /// The repository's lifecycle policy is applied afterwards, in the same commit.
    /// </summary>
    public static Decision<RegistryState, PutImageResult> Put(RegistryState state, string accountId, string repositoryName, ImageRecord image, string? tag, bool refuseExisting, DateTimeOffset now)
    {
        var repository = RepositoryDecisions.Require(state, repositoryName, accountId);
        var missing = image.Children.Where(c => !repository.Images.ContainsKey(c)).ToList();
        if (missing.Count > 0)
        {
            throw EcrErrors.ReferencedImagesNotFound(missing, repositoryName);
        }

        var existing = repository.Images.GetValueOrDefault(image.Digest);
        string? previous = null;
        if (tag is not null)
        {
            if (!RepositoryRules.IsValidTag(tag))
            {
                throw EcrErrors.InvalidParameter("imageTag", "must satisfy regular expression '[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}'");
            }

            if (repository.ImageTags.TryGetValue(tag, out previous) && previous != image.Digest && repository.TagMutability == "IMMUTABLE")
            {
                throw EcrErrors.ImageTagAlreadyExists(tag, repositoryName);
            }
        }

        if (refuseExisting && existing is not null && (tag is null || previous == image.Digest))
        {
            throw EcrErrors.ImageAlreadyExists(image.Digest, tag, repositoryName, accountId);
        }

        // A manifest pushed again keeps its first push time: lifecycle rules count from it.
        var stored = existing ?? image with { PushedAt = now };
        var updated = repository with
        {
            Images = repository.Images.SetItem(stored.Digest, stored),
            ImageTags = tag is null ? repository.ImageTags : repository.ImageTags.SetItem(tag, stored.Digest),
        };
        var expired = new List<ImageRecord>();
        if (updated.LifecyclePolicy is { } policy)
        {
            (updated, expired) = ApplyLifecycle(updated, LifecyclePolicy.Parse(policy), now);
        }

        return new(state.With(updated), [RegistryCodec.Put(updated)], new PutImageResult(stored, expired));
    }

    /// <summary>BatchDeleteImage: a tag removes the tag (and the image with its last tag); a digest removes the image and its tags.</summary>
    public static Decision<RegistryState, DeleteImagesResult> BatchDelete(RegistryState state, string accountId, BatchDeleteImageRequest request)
    {
        var repository = RepositoryDecisions.Require(state, request.RepositoryName, accountId);
        var deleted = new List<ImageIdentifier>();
        var failures = new List<ImageFailure>();
        var removed = new List<ImageRecord>();
        foreach (var id in request.ImageIds ?? [])
        {
            var (digest, failure) = Resolve(repository, id);
            if (failure is not null)
            {
                failures.Add(failure);
                continue;
            }

            if (id.ImageDigest is null && id.ImageTag is not null && repository.ImageTags.Count(t => t.Value == digest) > 1)
            {
                repository = repository with { ImageTags = repository.ImageTags.Remove(id.ImageTag) };
                deleted.Add(new ImageIdentifier { ImageDigest = digest, ImageTag = id.ImageTag });
                continue;
            }

            if (repository.IsChildOfIndex(digest!))
            {
                failures.Add(Failure(id, "ImageReferencedByManifestList", "Requested image is referenced by a manifest list"));
                continue;
            }

            var tags = repository.TagsOf(digest!);
            removed.Add(repository.Images[digest!]);
            repository = Remove(repository, [digest!]);
            deleted.AddRange(tags.Count == 0
                ? [new ImageIdentifier { ImageDigest = digest }]
                : tags.Select(t => new ImageIdentifier { ImageDigest = digest, ImageTag = t }));
        }

        return new(state.With(repository), [RegistryCodec.Put(repository)], new DeleteImagesResult(deleted, failures, removed));
    }

    /// <summary>Deletes one manifest by digest (the distribution API's DELETE); returns the image removed.</summary>
    public static Decision<RegistryState, ImageRecord> DeleteManifest(RegistryState state, string accountId, string repositoryName, string digest)
    {
        var repository = RepositoryDecisions.Require(state, repositoryName, accountId);
        if (!repository.Images.TryGetValue(digest, out var image))
        {
            throw EcrErrors.ImageNotFound(digest, null, repositoryName, accountId);
        }

        var updated = Remove(repository, [digest]);
        return new(state.With(updated), [RegistryCodec.Put(updated)], image);
    }

    /// <summary>Deletes a tag only (the distribution API's DELETE by tag); the image stays, untagged if that was its last tag.</summary>
    public static Decision<RegistryState, string> DeleteTag(RegistryState state, string accountId, string repositoryName, string tag)
    {
        var repository = RepositoryDecisions.Require(state, repositoryName, accountId);
        if (!repository.ImageTags.TryGetValue(tag, out var digest))
        {
            throw EcrErrors.ImageNotFound(null, tag, repositoryName, accountId);
        }

        var updated = repository with { ImageTags = repository.ImageTags.Remove(tag) };
        return new(state.With(updated), [RegistryCodec.Put(updated)], digest);
    }

    /// <summary>Applies <paramref name="rules"/> to a repository: the images they expire are removed.</summary>
    public static (RepositoryRecord Repository, List<ImageRecord> Expired) ApplyLifecycle(RepositoryRecord repository, IReadOnlyList<LifecycleRule> rules, DateTimeOffset now)
    {
        var digests = LifecyclePolicy.Evaluate(rules, repository, now);
        var expired = digests.Select(d => repository.Images[d]).ToList();
        return (Remove(repository, digests) with { LifecycleEvaluatedAt = now }, expired);
    }

    /// <summary>The periodic pass: every repository's policy applied at <paramref name="now"/>; only changed repositories are written.</summary>
    public static Decision<RegistryState, List<ImageRecord>> ApplyAllLifecycles(RegistryState state, DateTimeOffset now)
    {
        var expired = new List<ImageRecord>();
        var mutations = new List<Mutation>();
        foreach (var repository in state.Repositories.Values.Where(r => r.LifecyclePolicy is not null))
        {
            IReadOnlyList<LifecycleRule> rules;
            try
            {
                rules = LifecyclePolicy.Parse(repository.LifecyclePolicy);
            }
            catch (Berth.Protocol.Errors.AwsException)
            {
                continue; // validated when it was put; nothing else can make it invalid
            }

            var (updated, gone) = ApplyLifecycle(repository, rules, now);
            if (gone.Count > 0)
            {
                state = state.With(updated);
                mutations.Add(RegistryCodec.Put(updated));
                expired.AddRange(gone);
            }
        }

        return new(state, mutations, expired);
    }

    /// <summary>Finds the digest an image id names in a repository, or the failure ECR reports for it.</summary>
    public static (string? Digest, ImageFailure? Failure) Resolve(RepositoryRecord repository, ImageIdentifier id)
    {
        if (id.ImageDigest is null && id.ImageTag is null)
        {
            return (null, Failure(id, "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"));
        }

        if (id.ImageDigest is not null && !Digest.IsValid(id.ImageDigest))
        {
            return (null, Failure(id, "InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"));
        }

        if (id.ImageTag is not null && !RepositoryRules.IsValidTag(id.ImageTag))
        {
            return (null, Failure(id, "InvalidImageTag", "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9-_.]+'"));
        }

        string? digest = null;
        if (id.ImageTag is not null)
        {
            if (!repository.ImageTags.TryGetValue(id.ImageTag, out digest))
            {
                return (null, Failure(id, "ImageNotFound", "Requested image not found"));
            }

            if (id.ImageDigest is not null && id.ImageDigest != digest)
            {
                return (null, Failure(id, "ImageTagDoesNotMatchDigest", "Invalid request parameters: given tag does not map to the given digest"));
            }
        }

        digest ??= id.ImageDigest;
        return repository.Images.ContainsKey(digest!) ? (digest, null) : (null, Failure(id, "ImageNotFound", "Requested image not found"));
    }

    /// <summary>The repository without the images <paramref name="digests"/> and their tags.</summary>
    public static RepositoryRecord Remove(RepositoryRecord repository, IReadOnlyCollection<string> digests)
    {
        if (digests.Count == 0)
        {
            return repository;
        }

        var gone = digests.ToHashSet(StringComparer.Ordinal);
        return repository with
        {
            Images = repository.Images.RemoveRange(gone),
            ImageTags = repository.ImageTags.RemoveRange(repository.ImageTags.Where(t => gone.Contains(t.Value)).Select(t => t.Key)),
        };
    }

    private static ImageFailure Failure(ImageIdentifier id, string code, string reason)
        => new() { ImageId = new ImageIdentifier { ImageDigest = id.ImageDigest, ImageTag = id.ImageTag }, FailureCode = code, FailureReason = reason };
}
