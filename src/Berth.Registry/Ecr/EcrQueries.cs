using System.Text;
using Berth.Ecr.Model;
using Berth.Protocol.Errors;
using Berth.Registry.State;

namespace Berth.Registry.Ecr;

/// <summary>ECR reads as pure functions of a snapshot.</summary>
public static class EcrQueries
{
    /// <summary>The wire shape of a repository; its URI is <c>HOST:PORT/NAME</c> of this server.</summary>
    public static Repository Render(RepositoryRecord repository, string host) => new()
    {
        RepositoryArn = repository.Arn,
        RegistryId = repository.RegistryId,
        RepositoryName = repository.Name,
        RepositoryUri = $"{host}/{repository.Name}",
        CreatedAt = repository.CreatedAt,
        ImageTagMutability = repository.TagMutability,
        ImageScanningConfiguration = new ImageScanningConfiguration { ScanOnPush = repository.ScanOnPush },
        EncryptionConfiguration = new EncryptionConfiguration { EncryptionType = repository.EncryptionType, KmsKey = repository.KmsKey },
    };

    /// <summary>DescribeRepositories: named repositories (each must exist) or every one, paginated.</summary>
    public static DescribeRepositoriesResponse DescribeRepositories(RegistryState state, string accountId, string host, DescribeRepositoriesRequest request)
    {
        if (request.RepositoryNames is { Count: > 0 } names)
        {
            if (request.MaxResults is not null || request.NextToken is not null)
            {
                throw AwsException.InvalidParameter("Invalid parameter at 'maxResults' failed to satisfy constraint: 'maxResults and nextToken cannot be used with repositoryNames'");
            }

            return new DescribeRepositoriesResponse
            {
                Repositories = [.. names.Select(n => Render(RepositoryDecisions.Require(state, n, accountId), host))],
            };
        }

        var (page, next) = Page(state.Repositories.Keys, request.MaxResults, request.NextToken, 1000);
        return new DescribeRepositoriesResponse { Repositories = [.. page.Select(n => Render(state.Repositories[n], host))], NextToken = next };
    }

    /// <summary>DescribeImages.</summary>
    public static DescribeImagesResponse DescribeImages(RegistryState state, string accountId, DescribeImagesRequest request)
    {
        var repository = RepositoryDecisions.Require(state, request.RepositoryName, accountId);
        if (request.ImageIds is { Count: > 0 } ids)
        {
            var details = new List<ImageDetail>();
            foreach (var id in ids)
            {
                var (digest, failure) = ImageDecisions.Resolve(repository, id);
                if (failure is not null)
                {
                    throw failure.FailureCode == "ImageNotFound"
                        ? EcrErrors.ImageNotFound(id.ImageDigest, id.ImageTag, repository.Name, accountId)
                        : AwsException.InvalidParameter(failure.FailureReason!);
                }

                if (details.All(d => d.ImageDigest != digest))
                {
                    details.Add(Detail(repository, repository.Images[digest!]));
                }
            }

            return new DescribeImagesResponse { ImageDetails = details };
        }

        var status = request.Filter?.TagStatus ?? "ANY";
        var selected = repository.Images.Values.Where(i => MatchesStatus(repository, i.Digest, status)).Select(i => i.Digest);
        var (page, next) = Page(selected, request.MaxResults, request.NextToken, 1000);
        return new DescribeImagesResponse { ImageDetails = [.. page.Select(d => Detail(repository, repository.Images[d]))], NextToken = next };
    }

    /// <summary>ListImages: one id per tag, one digest-only id per untagged image.</summary>
    public static ListImagesResponse ListImages(RegistryState state, string accountId, ListImagesRequest request)
    {
        var repository = RepositoryDecisions.Require(state, request.RepositoryName, accountId);
        var status = request.Filter?.TagStatus ?? "ANY";
        var ids = new List<(string Key, ImageIdentifier Id)>();
        foreach (var image in repository.Images.Values)
        {
            var tags = repository.TagsOf(image.Digest);
            if (tags.Count == 0 && status != "TAGGED")
            {
                ids.Add((image.Digest, new ImageIdentifier { ImageDigest = image.Digest }));
            }
            else if (tags.Count > 0 && status != "UNTAGGED")
            {
                ids.AddRange(tags.Select(t => ($"{image.Digest}|{t}", new ImageIdentifier { ImageDigest = image.Digest, ImageTag = t })));
            }
        }

        var byKey = ids.ToDictionary(i => i.Key, i => i.Id, StringComparer.Ordinal);
        var (page, next) = Page(ids.Select(i => i.Key), request.MaxResults, request.NextToken, 1000);
        return new ListImagesResponse { ImageIds = [.. page.Select(k => byKey[k])], NextToken = next };
    }

    /// <summary>The ImageDetail of one image.</summary>
    public static ImageDetail Detail(RepositoryRecord repository, ImageRecord image) => new()
    {
        RegistryId = repository.RegistryId,
        RepositoryName = repository.Name,
        ImageDigest = image.Digest,
        ImageTags = repository.TagsOf(image.Digest) is { Count: > 0 } tags ? tags : null,
        ImageSizeInBytes = image.ImageSize,
        ImagePushedAt = image.PushedAt,
        ImageManifestMediaType = image.MediaType,
        ArtifactMediaType = image.ArtifactType,
        SubjectManifestDigest = image.Subject,
        ImageStatus = "ACTIVE",
    };

    /// <summary>ListTagsForResource.</summary>
    public static ListTagsForResourceResponse ListTags(RegistryState state, string accountId, ListTagsForResourceRequest request)
        => new() { Tags = [.. RepositoryDecisions.FromArn(state, accountId, request.ResourceArn).Tags.Select(t => new Tag { Key = t.Key, Value = t.Value })] };

    /// <summary>GetLifecyclePolicy.</summary>
    public static GetLifecyclePolicyResponse GetLifecyclePolicy(RegistryState state, string accountId, GetLifecyclePolicyRequest request)
    {
        var repository = RepositoryDecisions.Require(state, request.RepositoryName, accountId);
        return new GetLifecyclePolicyResponse
        {
            RegistryId = accountId,
            RepositoryName = repository.Name,
            LifecyclePolicyText = repository.LifecyclePolicy ?? throw EcrErrors.LifecyclePolicyNotFound(repository.Name, accountId),
            LastEvaluatedAt = repository.LifecycleEvaluatedAt,
        };
    }

    private static bool MatchesStatus(RepositoryRecord repository, string digest, string status) => status switch
    {
        "TAGGED" => repository.ImageTags.ContainsValue(digest),
        "UNTAGGED" => !repository.ImageTags.ContainsValue(digest),
        _ => true,
    };

    /// <summary>One page of sorted keys; the token is the last key returned (opaque to clients).</summary>
    public static (List<string> Page, string? NextToken) Page(IEnumerable<string> keys, int? maxResults, string? nextToken, int limit)
    {
        if (maxResults is < 1 || maxResults > limit)
        {
            throw AwsException.InvalidParameter($"Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to {limit} and greater than or equal to 1'");
        }

        string? after = null;
        if (nextToken is not null)
        {
            try
            {
                after = Encoding.UTF8.GetString(Convert.FromBase64String(nextToken));
            }
            catch (FormatException)
            {
                throw AwsException.InvalidParameter("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'");
            }
        }

        var ordered = keys.Order(StringComparer.Ordinal).Where(k => after is null || string.CompareOrdinal(k, after) > 0).ToList();
        var size = maxResults ?? 100;
        if (ordered.Count <= size)
        {
            return (ordered, null);
        }

        var page = ordered.Take(size).ToList();
        return (page, Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1])));
    }
}
