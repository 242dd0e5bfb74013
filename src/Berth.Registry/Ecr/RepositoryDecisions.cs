using System.Collections.Immutable;
using Berth.Ecr.Model;
using Berth.Protocol.Errors;
using Berth.Registry.Lifecycle;
using Berth.Registry.State;
using Berth.Storage.Commit;

namespace Berth.Registry.Ecr;

/// <summary>Repository writes as pure decisions: (state, request, time) → next state, mutations, answer.</summary>
public static class RepositoryDecisions
{
    /// <summary>The most tags a repository may carry.</summary>
    public const int MaxTags = 50;

    /// <summary>Finds a repository or throws RepositoryNotFoundException.</summary>
    public static RepositoryRecord Require(RegistryState state, string? name, string registryId)
        => name is not null && state.Repositories.TryGetValue(name, out var repository) ? repository : throw EcrErrors.RepositoryNotFound(name, registryId);

    /// <summary>CreateRepository.</summary>
    public static Decision<RegistryState, RepositoryRecord> Create(RegistryState state, string region, string accountId, DateTimeOffset now, CreateRepositoryRequest request)
    {
        var name = request.RepositoryName;
        RepositoryRules.RequireName(name);
        var mutability = request.ImageTagMutability ?? "MUTABLE";
        if (mutability is not ("MUTABLE" or "IMMUTABLE"))
        {
            throw EcrErrors.InvalidParameter("imageTagMutability", "Member must satisfy enum value set: [MUTABLE, IMMUTABLE]");
        }

        var encryption = request.EncryptionConfiguration?.EncryptionType ?? "AES256";
        if (encryption is not ("AES256" or "KMS" or "KMS_DSSE"))
        {
            throw EcrErrors.InvalidParameter("encryptionConfiguration.encryptionType", "Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]");
        }

        if (state.Repositories.ContainsKey(name!))
        {
            throw EcrErrors.RepositoryAlreadyExists(name!, accountId);
        }

        var repository = new RepositoryRecord
        {
            Name = name!,
            Arn = RepositoryRules.Arn(region, accountId, name!),
            RegistryId = accountId,
            CreatedAt = Truncate(now),
            TagMutability = mutability,
            ScanOnPush = request.ImageScanningConfiguration?.ScanOnPush ?? false,
            EncryptionType = encryption,
            KmsKey = request.EncryptionConfiguration?.KmsKey,
            Tags = ValidateTags([], request.Tags),
        };
        return new(state.With(repository), [RegistryCodec.Put(repository)], repository);
    }

    /// <summary>DeleteRepository: refused while images remain unless <c>force</c>; returns the repository as it was.</summary>
    public static Decision<RegistryState, RepositoryRecord> Delete(RegistryState state, string accountId, DeleteRepositoryRequest request)
    {
        var repository = Require(state, request.RepositoryName, accountId);
        if (!repository.Images.IsEmpty && request.Force != true)
        {
            throw EcrErrors.RepositoryNotEmpty(repository.Name, accountId);
        }

        return new(state with { Repositories = state.Repositories.Remove(repository.Name) }, [RegistryCodec.Delete(repository.Name)], repository);
    }

    /// <summary>PutImageTagMutability.</summary>
    public static Decision<RegistryState, RepositoryRecord> PutTagMutability(RegistryState state, string accountId, PutImageTagMutabilityRequest request)
    {
        if (request.ImageTagMutability is not ("MUTABLE" or "IMMUTABLE"))
        {
            throw EcrErrors.InvalidParameter("imageTagMutability", "Member must satisfy enum value set: [MUTABLE, IMMUTABLE]");
        }

        var repository = Require(state, request.RepositoryName, accountId) with { TagMutability = request.ImageTagMutability };
        return new(state.With(repository), [RegistryCodec.Put(repository)], repository);
    }

    /// <summary>PutImageScanningConfiguration (kept and returned; Berth does not scan).</summary>
    public static Decision<RegistryState, RepositoryRecord> PutScanning(RegistryState state, string accountId, PutImageScanningConfigurationRequest request)
    {
        var repository = Require(state, request.RepositoryName, accountId) with { ScanOnPush = request.ImageScanningConfiguration?.ScanOnPush ?? false };
        return new(state.With(repository), [RegistryCodec.Put(repository)], repository);
    }

    /// <summary>PutLifecyclePolicy: validated as ECR does, then applied at once (the images it expires are returned).</summary>
    public static Decision<RegistryState, (RepositoryRecord Repository, List<ImageRecord> Expired)> PutLifecyclePolicy(RegistryState state, string accountId, DateTimeOffset now, PutLifecyclePolicyRequest request)
    {
        var rules = LifecyclePolicy.Parse(request.LifecyclePolicyText);
        var repository = Require(state, request.RepositoryName, accountId) with { LifecyclePolicy = request.LifecyclePolicyText };
        var (applied, expired) = ImageDecisions.ApplyLifecycle(repository, rules, now);
        return new(state.With(applied), [RegistryCodec.Put(applied)], (applied, expired));
    }

    /// <summary>DeleteLifecyclePolicy: returns the repository as it was.</summary>
    public static Decision<RegistryState, RepositoryRecord> DeleteLifecyclePolicy(RegistryState state, string accountId, DeleteLifecyclePolicyRequest request)
    {
        var repository = Require(state, request.RepositoryName, accountId);
        if (repository.LifecyclePolicy is null)
        {
            throw EcrErrors.LifecyclePolicyNotFound(repository.Name, accountId);
        }

        var updated = repository with { LifecyclePolicy = null, LifecycleEvaluatedAt = null };
        return new(state.With(updated), [RegistryCodec.Put(updated)], repository);
    }

    /// <summary>TagResource: new keys added, existing keys get the new value.</summary>
    public static Decision<RegistryState, bool> Tag(RegistryState state, string accountId, TagResourceRequest request)
    {
        var repository = FromArn(state, accountId, request.ResourceArn);
        var updated = repository with { Tags = ValidateTags(repository.Tags, request.Tags) };
        return new(state.With(updated), [RegistryCodec.Put(updated)], true);
    }

    /// <summary>UntagResource: removes the keys given; missing keys are ignored.</summary>
    public static Decision<RegistryState, bool> Untag(RegistryState state, string accountId, UntagResourceRequest request)
    {
        var repository = FromArn(state, accountId, request.ResourceArn);
        var keys = request.TagKeys ?? [];
        var updated = repository with { Tags = [.. repository.Tags.Where(t => !keys.Contains(t.Key))] };
        return new(state.With(updated), [RegistryCodec.Put(updated)], true);
    }

    /// <summary>The repository a resource ARN names.</summary>
    public static RepositoryRecord FromArn(RegistryState state, string accountId, string? arn)
    {
        var name = RepositoryRules.NameFromArn(arn) ?? throw EcrErrors.InvalidParameter("resourceArn", "Invalid ARN");
        return Require(state, name, accountId);
    }

    /// <summary>Merges <paramref name="added"/> into <paramref name="existing"/> with ECR's tag limits.</summary>
    public static ImmutableArray<ResourceTag> ValidateTags(ImmutableArray<ResourceTag> existing, List<Tag>? added)
    {
        var result = existing.ToList();
        foreach (var tag in added ?? [])
        {
            if (string.IsNullOrEmpty(tag.Key) || tag.Key.Length > 128 || tag.Key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw new AwsException("InvalidTagParameterException", "Invalid parameter at 'tags' failed to satisfy constraint: 'Tag keys must be 1 to 128 characters and must not start with aws:'");
            }

            if ((tag.Value ?? string.Empty).Length > 256)
            {
                throw new AwsException("InvalidTagParameterException", "Invalid parameter at 'tags' failed to satisfy constraint: 'Tag values must be at most 256 characters'");
            }

            result.RemoveAll(t => t.Key == tag.Key);
            result.Add(new ResourceTag(tag.Key, tag.Value ?? string.Empty));
        }

        if (result.Count > MaxTags)
        {
            throw new AwsException("TooManyTagsException", $"A repository can have at most {MaxTags} tags.");
        }

        return [.. result];
    }

    // The wire carries milliseconds; storing no more than that makes what is stored what is returned.
    private static DateTimeOffset Truncate(DateTimeOffset value) => new(value.Ticks - (value.Ticks % TimeSpan.TicksPerMillisecond), value.Offset);
}
