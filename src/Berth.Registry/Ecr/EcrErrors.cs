using Berth.Protocol.Errors;

namespace Berth.Registry.Ecr;

/// <summary>ECR's errors, with the messages ECR sends.</summary>
public static class EcrErrors
{
    /// <summary>RepositoryNotFoundException.</summary>
    public static AwsException RepositoryNotFound(string? name, string registryId)
        => new("RepositoryNotFoundException", $"The repository with name '{name}' does not exist in the registry with id '{registryId}'");

    /// <summary>LimitExceededException: the repository has as many layer uploads in flight as it may.</summary>
    public static AwsException TooManyUploads(string name, int limit)
        => new("LimitExceededException", $"The repository with name '{name}' already has {limit} layer uploads in progress. Complete or wait for some of them, then try again.");

    /// <summary>RepositoryAlreadyExistsException.</summary>
    public static AwsException RepositoryAlreadyExists(string name, string registryId)
        => new("RepositoryAlreadyExistsException", $"The repository with name '{name}' already exists in the registry with id '{registryId}'");

    /// <summary>RepositoryNotEmptyException.</summary>
    public static AwsException RepositoryNotEmpty(string name, string registryId)
        => new("RepositoryNotEmptyException", $"The repository with name '{name}' in registry with id '{registryId}' cannot be deleted because it still contains images");

    /// <summary>ImageNotFoundException.</summary>
    public static AwsException ImageNotFound(string? digest, string? tag, string name, string registryId)
        => new("ImageNotFoundException", $"The image with imageId {{imageDigest:'{digest ?? "null"}', imageTag:'{tag ?? "null"}'}} does not exist within the repository with name '{name}' in the registry with id '{registryId}'");

    /// <summary>ImageTagAlreadyExistsException (an IMMUTABLE repository refusing to move a tag).</summary>
    public static AwsException ImageTagAlreadyExists(string tag, string name)
        => new("ImageTagAlreadyExistsException", $"The image tag '{tag}' already exists in the '{name}' repository and cannot be overwritten because the repository is immutable.");

    /// <summary>ImageAlreadyExistsException (PutImage of what is already there).</summary>
    public static AwsException ImageAlreadyExists(string digest, string? tag, string name, string registryId)
        => new("ImageAlreadyExistsException", $"Image with digest '{digest}' and tag '{tag ?? "null"}' already exists in the repository with name '{name}' in registry with id '{registryId}'");

    /// <summary>LayersNotFoundException.</summary>
    public static AwsException LayersNotFound(IEnumerable<string> digests, string name, string registryId)
        => new("LayersNotFoundException", $"Layers with digests '[{string.Join(", ", digests)}]' required for pushing image into repository with name '{name}' in the registry with id '{registryId}' do not exist");

    /// <summary>ReferencedImagesNotFoundException (an index listing manifests the repository does not have).</summary>
    public static AwsException ReferencedImagesNotFound(IEnumerable<string> digests, string name)
        => new("ReferencedImagesNotFoundException", $"Manifest list references images with digests '[{string.Join(", ", digests)}]' which do not exist in the repository with name '{name}'");

    /// <summary>ImageDigestDoesNotMatchException.</summary>
    public static AwsException DigestDoesNotMatch(string given, string actual)
        => new("ImageDigestDoesNotMatchException", $"The supplied image digest '{given}' does not match the digest '{actual}' calculated for the image manifest");

    /// <summary>LifecyclePolicyNotFoundException.</summary>
    public static AwsException LifecyclePolicyNotFound(string name, string registryId)
        => new("LifecyclePolicyNotFoundException", $"Lifecycle policy does not exist for the repository with name '{name}' in the registry with id '{registryId}'");

    /// <summary>UploadNotFoundException.</summary>
    public static AwsException UploadNotFound(string? uploadId, string name, string registryId)
        => new("UploadNotFoundException", $"Upload with id '{uploadId}' does not exist within the repository with name '{name}' in the registry with id '{registryId}'");

    /// <summary>InvalidLayerException (the uploaded bytes do not hash to the digest given).</summary>
    public static AwsException InvalidLayer(string? digest)
        => new("InvalidLayerException", $"The layer digest calculated for this upload does not match the digest provided: '{digest}'");

    /// <summary>InvalidLayerPartException.</summary>
    public static AwsException InvalidLayerPart(string uploadId, string name, string registryId, long lastValidByte)
        => new("InvalidLayerPartException", $"The layer part for upload '{uploadId}' of repository '{name}' in registry '{registryId}' does not start at the next byte; last valid byte received: {lastValidByte}");

    /// <summary>LayerAlreadyExistsException.</summary>
    public static AwsException LayerAlreadyExists(string digest, string name, string registryId)
        => new("LayerAlreadyExistsException", $"The layer with digest '{digest}' already exists in the repository with name '{name}' in the registry with id '{registryId}'");

    /// <summary>EmptyUploadException.</summary>
    public static AwsException EmptyUpload(string uploadId)
        => new("EmptyUploadException", $"The upload with id '{uploadId}' has no layer parts");

    /// <summary>InvalidParameterException with ECR's constraint wording.</summary>
    public static AwsException InvalidParameter(string member, string constraint)
        => AwsException.InvalidParameter($"Invalid parameter at '{member}' failed to satisfy constraint: '{constraint}'");
}
