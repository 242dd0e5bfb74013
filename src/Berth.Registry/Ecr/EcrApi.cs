using System.Text;
using System.Text.Json.Serialization.Metadata;
using Berth.Ecr.Model;
using Berth.Protocol.Dispatch;
using Berth.Registry.Blobs;
using Berth.Registry.State;
using Berth.Registry.Uploads;
using Berth.Storage.Commit;

namespace Berth.Registry.Ecr;

/// <summary>
/// Wires ECR's operations into the dispatch table (signing name <c>ecr</c>): reads run on the registry's current
/// snapshot, writes go through its commit pipeline as pure decisions; blob and upload I/O stays here at the edge.
/// </summary>
public sealed class EcrApi(RegistryService registry)
{
    /// <summary>The part size InitiateLayerUpload advertises (ECR's minimum part size, 5 MiB).</summary>
    public const int PartSize = 5 * 1024 * 1024;

    private static readonly WireJsonContext Json = WireJsonContext.Default;

    private string AccountId => registry.AccountId;

    /// <summary>Adds every ECR operation Berth implements to <paramref name="table"/>.</summary>
    public void Register(DispatchTable table)
    {
        // Repositories
        Write(table, "CreateRepository", Json.CreateRepositoryRequest, Json.CreateRepositoryResponse,
            (s, c, r) => RepositoryDecisions.Create(s, c.Region, AccountId, registry.Time.GetUtcNow(), r),
            repository => new CreateRepositoryResponse { Repository = EcrQueries.Render(repository, registry.Options.Host) });
        Read(table, "DescribeRepositories", Json.DescribeRepositoriesRequest, Json.DescribeRepositoriesResponse,
            (s, r) => EcrQueries.DescribeRepositories(s, AccountId, registry.Options.Host, r));
        Add(table, "DeleteRepository", Json.DeleteRepositoryRequest, Json.DeleteRepositoryResponse, async (_, r) =>
        {
            var repository = await registry.Pipeline.ExecuteAsync(s => RepositoryDecisions.Delete(s, AccountId, r));
            registry.Removed([.. repository.Images.Values]);
            return new DeleteRepositoryResponse { Repository = EcrQueries.Render(repository, registry.Options.Host) };
        });
        Write(table, "PutImageTagMutability", Json.PutImageTagMutabilityRequest, Json.PutImageTagMutabilityResponse,
            (s, _, r) => RepositoryDecisions.PutTagMutability(s, AccountId, r),
            repository => new PutImageTagMutabilityResponse { RegistryId = AccountId, RepositoryName = repository.Name, ImageTagMutability = repository.TagMutability });
        Write(table, "PutImageScanningConfiguration", Json.PutImageScanningConfigurationRequest, Json.PutImageScanningConfigurationResponse,
            (s, _, r) => RepositoryDecisions.PutScanning(s, AccountId, r),
            repository => new PutImageScanningConfigurationResponse
            {
                RegistryId = AccountId,
                RepositoryName = repository.Name,
                ImageScanningConfiguration = new ImageScanningConfiguration { ScanOnPush = repository.ScanOnPush },
            });

        // Tags
        Write(table, "TagResource", Json.TagResourceRequest, Json.TagResourceResponse, (s, _, r) => RepositoryDecisions.Tag(s, AccountId, r), _ => new TagResourceResponse());
        Write(table, "UntagResource", Json.UntagResourceRequest, Json.UntagResourceResponse, (s, _, r) => RepositoryDecisions.Untag(s, AccountId, r), _ => new UntagResourceResponse());
        Read(table, "ListTagsForResource", Json.ListTagsForResourceRequest, Json.ListTagsForResourceResponse, (s, r) => EcrQueries.ListTags(s, AccountId, r));

        // Authorization
        Add(table, "GetAuthorizationToken", Json.GetAuthorizationTokenRequest, Json.GetAuthorizationTokenResponse, (c, _) =>
        {
            var (password, expires) = registry.Tokens.Issue(c.PrincipalArn);
            return ValueTask.FromResult(new GetAuthorizationTokenResponse
            {
                AuthorizationData =
                [
                    new AuthorizationData
                    {
                        AuthorizationToken = Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:" + password)),
                        ExpiresAt = expires,
                        ProxyEndpoint = "http://" + registry.Options.Host,
                    },
                ],
            });
        });

        // Images
        Read(table, "DescribeImages", Json.DescribeImagesRequest, Json.DescribeImagesResponse, (s, r) => EcrQueries.DescribeImages(s, AccountId, r));
        Read(table, "ListImages", Json.ListImagesRequest, Json.ListImagesResponse, (s, r) => EcrQueries.ListImages(s, AccountId, r));
        Read(table, "BatchGetImage", Json.BatchGetImageRequest, Json.BatchGetImageResponse, BatchGetImage);
        Add(table, "BatchDeleteImage", Json.BatchDeleteImageRequest, Json.BatchDeleteImageResponse, async (_, r) =>
        {
            var result = await registry.Pipeline.ExecuteAsync(s => ImageDecisions.BatchDelete(s, AccountId, r));
            registry.Removed(result.Removed);
            return new BatchDeleteImageResponse { ImageIds = result.Deleted, Failures = result.Failures };
        });
        Add(table, "PutImage", Json.PutImageRequest, Json.PutImageResponse, PutImageAsync);

        // Layers
        Read(table, "BatchCheckLayerAvailability", Json.BatchCheckLayerAvailabilityRequest, Json.BatchCheckLayerAvailabilityResponse, CheckLayers);
        Add(table, "InitiateLayerUpload", Json.InitiateLayerUploadRequest, Json.InitiateLayerUploadResponse, (_, r) =>
        {
            RepositoryDecisions.Require(registry.Pipeline.Current, r.RepositoryName, AccountId);
            try
            {
                return ValueTask.FromResult(new InitiateLayerUploadResponse { UploadId = registry.Uploads.Start(r.RepositoryName!), PartSize = PartSize });
            }
            catch (UploadException ex) when (ex.Error == UploadError.TooMany)
            {
                throw EcrErrors.TooManyUploads(r.RepositoryName!, registry.Uploads.MaxPerRepository);
            }
        });
        Add(table, "UploadLayerPart", Json.UploadLayerPartRequest, Json.UploadLayerPartResponse, UploadPartAsync);
        Add(table, "CompleteLayerUpload", Json.CompleteLayerUploadRequest, Json.CompleteLayerUploadResponse, CompleteUploadAsync);
        Read(table, "GetDownloadUrlForLayer", Json.GetDownloadUrlForLayerRequest, Json.GetDownloadUrlForLayerResponse, (s, r) =>
        {
            var repository = RepositoryDecisions.Require(s, r.RepositoryName, AccountId);
            if (!Digest.IsValid(r.LayerDigest) || !registry.Blobs.Exists(r.LayerDigest))
            {
                throw new Berth.Protocol.Errors.AwsException("LayersNotFoundException",
                    $"The layer with digest {r.LayerDigest} does not exist within the repository with name '{repository.Name}' in the registry with id '{AccountId}'");
            }

            return new GetDownloadUrlForLayerResponse { DownloadUrl = $"http://{registry.Options.Host}/v2/{repository.Name}/blobs/{r.LayerDigest}", LayerDigest = r.LayerDigest };
        });

        // Lifecycle policies
        Add(table, "PutLifecyclePolicy", Json.PutLifecyclePolicyRequest, Json.PutLifecyclePolicyResponse, async (_, r) =>
        {
            var (repository, expired) = await registry.Pipeline.ExecuteAsync(s => RepositoryDecisions.PutLifecyclePolicy(s, AccountId, registry.Time.GetUtcNow(), r));
            registry.Removed(expired);
            return new PutLifecyclePolicyResponse { RegistryId = AccountId, RepositoryName = repository.Name, LifecyclePolicyText = repository.LifecyclePolicy };
        });
        Read(table, "GetLifecyclePolicy", Json.GetLifecyclePolicyRequest, Json.GetLifecyclePolicyResponse, (s, r) => EcrQueries.GetLifecyclePolicy(s, AccountId, r));
        Write(table, "DeleteLifecyclePolicy", Json.DeleteLifecyclePolicyRequest, Json.DeleteLifecyclePolicyResponse,
            (s, _, r) => RepositoryDecisions.DeleteLifecyclePolicy(s, AccountId, r),
            repository => new DeleteLifecyclePolicyResponse
            {
                RegistryId = AccountId,
                RepositoryName = repository.Name,
                LifecyclePolicyText = repository.LifecyclePolicy,
                LastEvaluatedAt = repository.LifecycleEvaluatedAt,
            });
    }

    private BatchGetImageResponse BatchGetImage(RegistryState state, BatchGetImageRequest request)
    {
        var repository = RepositoryDecisions.Require(state, request.RepositoryName, AccountId);
        var images = new List<Image>();
        var failures = new List<ImageFailure>();
        foreach (var id in request.ImageIds ?? [])
        {
            var (digest, failure) = ImageDecisions.Resolve(repository, id);
            if (failure is not null)
            {
                failures.Add(failure);
                continue;
            }

            var image = repository.Images[digest!];
            if (request.AcceptedMediaTypes is { Count: > 0 } accepted && !accepted.Contains(image.MediaType))
            {
                failures.Add(new ImageFailure { ImageId = id, FailureCode = "ImageNotFound", FailureReason = "Requested image not found for the accepted media types" });
                continue;
            }

            var content = registry.Blobs.ReadAll(digest!);
            if (content is null)
            {
                failures.Add(new ImageFailure { ImageId = id, FailureCode = "ImageNotFound", FailureReason = "Requested image not found" });
                continue;
            }

            images.Add(new Image
            {
                RegistryId = AccountId,
                RepositoryName = repository.Name,
                ImageId = new ImageIdentifier { ImageDigest = digest, ImageTag = id.ImageTag },
                ImageManifest = Encoding.UTF8.GetString(content),
                ImageManifestMediaType = image.MediaType,
            });
        }

        return new BatchGetImageResponse { Images = images, Failures = failures };
    }

    private async ValueTask<PutImageResponse> PutImageAsync(RequestContext context, PutImageRequest request)
    {
        var name = request.RepositoryName!;
        RepositoryDecisions.Require(registry.Pipeline.Current, name, AccountId);
        var content = Encoding.UTF8.GetBytes(request.ImageManifest ?? string.Empty);
        ImageRecord image;
        try
        {
            image = await registry.PushManifestAsync(name, request.ImageTag, request.ImageDigest, content, request.ImageManifestMediaType, refuseExisting: true, context.Cancellation);
        }
        catch (Exception ex) when (ex is Manifests.ManifestException or MissingBlobsException)
        {
            throw RegistryService.AsEcrError(ex, name, AccountId);
        }

        return new PutImageResponse
        {
            Image = new Image
            {
                RegistryId = AccountId,
                RepositoryName = name,
                ImageId = new ImageIdentifier { ImageDigest = image.Digest, ImageTag = request.ImageTag },
                ImageManifest = request.ImageManifest,
                ImageManifestMediaType = image.MediaType,
            },
        };
    }

    private BatchCheckLayerAvailabilityResponse CheckLayers(RegistryState state, BatchCheckLayerAvailabilityRequest request)
    {
        RepositoryDecisions.Require(state, request.RepositoryName, AccountId);
        var layers = new List<Layer>();
        var failures = new List<LayerFailure>();
        foreach (var digest in request.LayerDigests ?? [])
        {
            if (!Digest.IsValid(digest))
            {
                failures.Add(new LayerFailure { LayerDigest = digest, FailureCode = "InvalidLayerDigest", FailureReason = "Invalid layer digest" });
                continue;
            }

            var size = registry.Blobs.SizeOf(digest);
            if (size is not null)
            {
                registry.Gc.Touch(digest);
            }

            layers.Add(new Layer { LayerDigest = digest, LayerAvailability = size is null ? "UNAVAILABLE" : "AVAILABLE", LayerSize = size });
        }

        return new BatchCheckLayerAvailabilityResponse { Layers = layers, Failures = failures };
    }

    private async ValueTask<UploadLayerPartResponse> UploadPartAsync(RequestContext context, UploadLayerPartRequest request)
    {
        var name = request.RepositoryName!;
        RepositoryDecisions.Require(registry.Pipeline.Current, name, AccountId);
        var part = request.LayerPartBlob ?? [];
        if (request.PartFirstByte is not { } first || request.PartLastByte is not { } last || first < 0 || last - first + 1 != part.Length)
        {
            throw EcrErrors.InvalidParameter("partLastByte", "partFirstByte and partLastByte must bound the part sent");
        }

        try
        {
            var size = await registry.Uploads.AppendAsync(name, request.UploadId!, part, first, context.Cancellation);
            return new UploadLayerPartResponse { RegistryId = AccountId, RepositoryName = name, UploadId = request.UploadId, LastByteReceived = size - 1 };
        }
        catch (UploadException ex) when (ex.Error == UploadError.OutOfOrder)
        {
            throw EcrErrors.InvalidLayerPart(request.UploadId!, name, AccountId, (registry.Uploads.Offset(name, request.UploadId!) ?? 0) - 1);
        }
        catch (UploadException)
        {
            throw EcrErrors.UploadNotFound(request.UploadId, name, AccountId);
        }
    }

    private async ValueTask<CompleteLayerUploadResponse> CompleteUploadAsync(RequestContext context, CompleteLayerUploadRequest request)
    {
        var name = request.RepositoryName!;
        RepositoryDecisions.Require(registry.Pipeline.Current, name, AccountId);
        var id = request.UploadId!;
        var digest = request.LayerDigests is [var single] ? single : null;
        var offset = registry.Uploads.Offset(name, id) ?? throw EcrErrors.UploadNotFound(id, name, AccountId);
        if (offset == 0)
        {
            throw EcrErrors.EmptyUpload(id);
        }

        if (digest is not null && registry.Blobs.Exists(digest))
        {
            await registry.Uploads.CancelAsync(name, id, context.Cancellation);
            registry.Gc.Touch(digest);
            throw EcrErrors.LayerAlreadyExists(digest, name, AccountId);
        }

        try
        {
            await registry.Uploads.FinishAsync(name, id, digest, context.Cancellation);
        }
        catch (UploadException ex) when (ex.Error == UploadError.Unknown)
        {
            throw EcrErrors.UploadNotFound(id, name, AccountId);
        }
        catch (UploadException)
        {
            throw EcrErrors.InvalidLayer(digest);
        }

        registry.Gc.Touch(digest!);
        return new CompleteLayerUploadResponse { RegistryId = AccountId, RepositoryName = name, UploadId = id, LayerDigest = digest };
    }

    private void Read<TIn, TOut>(DispatchTable table, string name, JsonTypeInfo<TIn> input, JsonTypeInfo<TOut> output, Func<RegistryState, TIn, TOut> query)
        where TIn : class, new()
        => table.Add(WireOperations.TargetPrefix, name, WireOperations.SigningName, input, output,
            (_, request) => ValueTask.FromResult(query(registry.Pipeline.Current, request)), WireRequired.ByType);

    private void Write<TIn, TResult, TOut>(DispatchTable table, string name, JsonTypeInfo<TIn> input, JsonTypeInfo<TOut> output, Func<RegistryState, RequestContext, TIn, Decision<RegistryState, TResult>> decide, Func<TResult, TOut> respond)
        where TIn : class, new()
        => table.Add(WireOperations.TargetPrefix, name, WireOperations.SigningName, input, output,
            async (context, request) => respond(await registry.Pipeline.ExecuteAsync(state => decide(state, context, request))), WireRequired.ByType);

    private static void Add<TIn, TOut>(DispatchTable table, string name, JsonTypeInfo<TIn> input, JsonTypeInfo<TOut> output, Func<RequestContext, TIn, ValueTask<TOut>> handler)
        where TIn : class, new()
        => table.Add(WireOperations.TargetPrefix, name, WireOperations.SigningName, input, output, handler, WireRequired.ByType);
}
