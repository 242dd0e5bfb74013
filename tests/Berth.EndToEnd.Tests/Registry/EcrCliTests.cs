using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Registry;

/// <summary>ECR's API through the AWS CLI: repositories, images, immutability, lifecycle policies, deletes and garbage collection, layer uploads.</summary>
[Collection(RegistryCollection.Name)]
public sealed class EcrCliTests(RegistryFixture fixture)
{
    private BerthServer Server => fixture.Server;

    private Task<JsonNode?> Ecr(params string[] arguments) => Clients.AwsJsonAsync(Server, ["ecr", .. arguments]);

    [Fact]
    public async Task Repositories_create_describe_tag_and_delete_with_ECR_errors()
    {
        var name = $"e2e/repo-{fixture.RunId}";
        var created = await fixture.CreateRepositoryAsync(name, "--image-tag-mutability", "IMMUTABLE", "--tags", "Key=team,Value=e2e");
        Assert.Equal($"arn:aws:ecr:us-east-1:000000000000:repository/{name}", (string?)created["repositoryArn"]);
        Assert.Equal("IMMUTABLE", (string?)created["imageTagMutability"]);

        var again = await Clients.AwsErrorAsync(Server, "RepositoryAlreadyExistsException", "CreateRepository", "ecr", "create-repository", "--repository-name", name);
        Assert.Contains($"The repository with name '{name}' already exists in the registry with id '000000000000'", again, StringComparison.Ordinal);
        await Clients.AwsErrorAsync(Server, "InvalidParameterException", "CreateRepository", "ecr", "create-repository", "--repository-name", "Bad_Name");

        var described = (await Ecr("describe-repositories", "--repository-names", name))!["repositories"]!.AsArray();
        Assert.Equal(name, (string?)Assert.Single(described)!["repositoryName"]);
        var missing = await Clients.AwsErrorAsync(Server, "RepositoryNotFoundException", "DescribeRepositories", "ecr", "describe-repositories", "--repository-names", "e2e/none-" + fixture.RunId);
        Assert.Contains("does not exist in the registry with id '000000000000'", missing, StringComparison.Ordinal);

        var arn = (string)created["repositoryArn"]!;
        await Ecr("tag-resource", "--resource-arn", arn, "--tags", "Key=tier,Value=gold");
        await Ecr("untag-resource", "--resource-arn", arn, "--tag-keys", "team");
        var tags = (await Ecr("list-tags-for-resource", "--resource-arn", arn))!["tags"]!.AsArray();
        Assert.Equal("tier=gold", string.Join(',', tags.Select(t => $"{t!["Key"]}={t["Value"]}")));

        var mutable = (await Ecr("put-image-tag-mutability", "--repository-name", name, "--image-tag-mutability", "MUTABLE"))!;
        Assert.Equal("MUTABLE", (string?)mutable["imageTagMutability"]);

        await Ecr("delete-repository", "--repository-name", name);
        await Clients.AwsErrorAsync(Server, "RepositoryNotFoundException", "DeleteRepository", "ecr", "delete-repository", "--repository-name", name);
    }

    [Fact]
    public async Task Images_list_get_put_and_an_immutable_tag_refuses_overwrites()
    {
        var name = $"e2e/images-{fixture.RunId}";
        await fixture.CreateRepositoryAsync(name, "--image-tag-mutability", "IMMUTABLE");
        var (first, _) = fixture.Layout("imm-1", 5_000);
        var (second, _) = fixture.Layout("imm-2", 5_000);
        await fixture.PushLayoutAsync(first, name, "v1");

        // skopeo pushing other content to the same tag: refused with the spec's TAG_INVALID and ECR's message.
        var password = await fixture.PasswordAsync();
        var refused = await RegistryFixture.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + password, "oci:" + second + ":latest", $"docker://{fixture.Host}/{name}:v1");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("cannot be overwritten because the repository is immutable", refused.Stderr, StringComparison.Ordinal);

        var listed = (await Ecr("list-images", "--repository-name", name))!["imageIds"]!.AsArray();
        var v1 = Assert.Single(listed)!;
        Assert.Equal("v1", (string?)v1["imageTag"]);
        var digest = (string)v1["imageDigest"]!;

        var got = (await Ecr("batch-get-image", "--repository-name", name, "--image-ids", "imageTag=v1", "imageTag=nope"))!;
        var manifest = (string)got["images"]![0]!["imageManifest"]!;
        Assert.Equal("ImageNotFound", (string?)got["failures"]![0]!["failureCode"]);

        // PutImage: a new tag for the same manifest works; the same again is ImageAlreadyExistsException; moving v1 is refused.
        var put = (await Ecr("put-image", "--repository-name", name, "--image-tag", "v1-alias", "--image-manifest", manifest))!;
        Assert.Equal(digest, (string?)put["image"]!["imageId"]!["imageDigest"]);
        await Clients.AwsErrorAsync(Server, "ImageAlreadyExistsException", "PutImage", "ecr", "put-image", "--repository-name", name, "--image-tag", "v1-alias", "--image-manifest", manifest);
        var changed = JsonNode.Parse(manifest)!;
        changed["annotations"] = new JsonObject { ["e2e"] = "changed" };
        var error = await Clients.AwsErrorAsync(Server, "ImageTagAlreadyExistsException", "PutImage", "ecr", "put-image", "--repository-name", name, "--image-tag", "v1", "--image-manifest", changed.ToJsonString());
        Assert.Contains($"The image tag 'v1' already exists in the '{name}' repository and cannot be overwritten because the repository is immutable.", error, StringComparison.Ordinal);

        var details = (await Ecr("describe-images", "--repository-name", name))!["imageDetails"]!.AsArray();
        Assert.Equal(["v1", "v1-alias"], Assert.Single(details)!["imageTags"]!.AsArray().Select(t => (string)t!).Order(StringComparer.Ordinal));
        await Clients.AwsErrorAsync(Server, "ImageNotFoundException", "DescribeImages", "ecr", "describe-images", "--repository-name", name, "--image-ids", "imageTag=nope");

        await Clients.AwsErrorAsync(Server, "RepositoryNotEmptyException", "DeleteRepository", "ecr", "delete-repository", "--repository-name", name);
        await Ecr("delete-repository", "--repository-name", name, "--force");
    }

    [Fact]
    public async Task Deleted_images_lose_their_blobs_to_garbage_collection_but_shared_blobs_stay()
    {
        var name = $"e2e/gc-{fixture.RunId}";
        await fixture.CreateRepositoryAsync(name);
        var shared = RegistryFixture.Tar(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20_000));
        var (first, _) = fixture.Layout("gc-1", 30_000, shared);
        var (second, _) = fixture.Layout("gc-2", 30_000, shared);
        await fixture.PushLayoutAsync(first, name, "one");
        await fixture.PushLayoutAsync(second, name, "two");
        var one = await BlobsOfAsync(name, "one");
        var two = await BlobsOfAsync(name, "two");
        Assert.All(one.Concat(two), d => Assert.True(fixture.BlobStored(d), d));
        var sharedDigest = Assert.Single(one.Intersect(two));

        var deleted = (await Ecr("batch-delete-image", "--repository-name", name, "--image-ids", "imageTag=one"))!;
        Assert.Equal("one", (string?)deleted["imageIds"]![0]!["imageTag"]);
        Assert.Empty(deleted["failures"]!.AsArray());
        var onlyOne = one.Except(two).ToList();
        await Poll.UntilAsync(() => onlyOne.All(d => !fixture.BlobStored(d)), TimeSpan.FromSeconds(20), () => "the deleted image's own blobs are still stored");
        Assert.True(fixture.BlobStored(sharedDigest));
        Assert.All(two, d => Assert.True(fixture.BlobStored(d), d));

        // The surviving image still pulls whole.
        var password = await fixture.PasswordAsync();
        await RegistryFixture.SkopeoOkAsync("copy", "--src-tls-verify=false", "--src-creds", "AWS:" + password, $"docker://{fixture.Host}/{name}:two", "oci:" + fixture.Scratch.File("gc-pulled") + ":two");
        await Ecr("delete-repository", "--repository-name", name, "--force");
        await Poll.UntilAsync(() => two.All(d => !fixture.BlobStored(d)), TimeSpan.FromSeconds(20), () => "a force-deleted repository's blobs are still stored");
    }

    [Fact]
    public async Task A_lifecycle_policy_expires_images_when_put_and_on_each_push()
    {
        var name = $"e2e/lifecycle-{fixture.RunId}";
        await fixture.CreateRepositoryAsync(name);
        var (layout, _) = fixture.Layout("lc", 5_000);
        await fixture.PushLayoutAsync(layout, name, "rel-1");
        var manifest = (string)(await Ecr("batch-get-image", "--repository-name", name, "--image-ids", "imageTag=rel-1"))!["images"]![0]!["imageManifest"]!;

        // Same blobs, different manifests (an annotation each): cheap distinct images.
        async Task PutVariantAsync(string tag)
        {
            var variant = JsonNode.Parse(manifest)!;
            variant["annotations"] = new JsonObject { ["variant"] = tag };
            await Ecr("put-image", "--repository-name", name, "--image-tag", tag, "--image-manifest", variant.ToJsonString());
            await Task.Delay(1100); // distinct push times, which the policy orders by
        }

        await Task.Delay(1100);
        await PutVariantAsync("rel-2");
        await PutVariantAsync("rel-3");
        await PutVariantAsync("dev-1");
        var policy = """{"rules":[{"rulePriority":1,"description":"two releases","selection":{"tagStatus":"tagged","tagPrefixList":["rel"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}""";
        var put = (await Ecr("put-lifecycle-policy", "--repository-name", name, "--lifecycle-policy-text", policy))!;
        Assert.Equal(name, (string?)put["repositoryName"]);
        Assert.Equal(["dev-1", "rel-2", "rel-3"], await TagsAsync(name));

        await PutVariantAsync("rel-4");
        Assert.Equal(["dev-1", "rel-3", "rel-4"], await TagsAsync(name));

        var got = (await Ecr("get-lifecycle-policy", "--repository-name", name))!;
        Assert.Equal(JsonNode.Parse(policy)!.ToJsonString(), JsonNode.Parse((string)got["lifecyclePolicyText"]!)!.ToJsonString());
        await Clients.AwsErrorAsync(Server, "InvalidParameterException", "PutLifecyclePolicy", "ecr", "put-lifecycle-policy", "--repository-name", name,
            "--lifecycle-policy-text", """{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}""");
        await Ecr("delete-lifecycle-policy", "--repository-name", name);
        await Clients.AwsErrorAsync(Server, "LifecyclePolicyNotFoundException", "GetLifecyclePolicy", "ecr", "get-lifecycle-policy", "--repository-name", name);
    }

    [Fact]
    public async Task Layers_upload_through_the_ECR_API_and_PutImage_needs_them()
    {
        var name = $"e2e/layers-{fixture.RunId}";
        await fixture.CreateRepositoryAsync(name);
        var layer = RegistryFixture.Tar(System.Security.Cryptography.RandomNumberGenerator.GetBytes(50_000));
        var layerDigest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(layer));
        var config = System.Text.Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["{{{layerDigest}}}"]}}""");
        var configDigest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(config));
        var manifest = $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layerDigest}}","size":{{layer.Length}}}]}""";

        var missing = await Clients.AwsErrorAsync(Server, "LayersNotFoundException", "PutImage", "ecr", "put-image", "--repository-name", name, "--image-tag", "t", "--image-manifest", manifest);
        Assert.Contains(configDigest, missing, StringComparison.Ordinal);
        var check = (await Ecr("batch-check-layer-availability", "--repository-name", name, "--layer-digests", layerDigest))!;
        Assert.Equal("UNAVAILABLE", (string?)check["layers"]![0]!["layerAvailability"]);

        foreach (var (content, digest) in new[] { (layer, layerDigest), (config, configDigest) })
        {
            var uploadId = (string)(await Ecr("initiate-layer-upload", "--repository-name", name))!["uploadId"]!;
            var half = content.Length / 2;
            var parts = new[] { content[..half], content[half..] };
            long first = 0;
            foreach (var part in parts)
            {
                var file = fixture.Scratch.File($"part-{Guid.NewGuid():N}");
                await File.WriteAllBytesAsync(file, part);
                var uploaded = (await Ecr("upload-layer-part", "--repository-name", name, "--upload-id", uploadId,
                    "--part-first-byte", first.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--part-last-byte", (first + part.Length - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--layer-part-blob", "fileb://" + file))!;
                first += part.Length;
                Assert.Equal(first - 1, (long)uploaded["lastByteReceived"]!);
            }

            var completed = (await Ecr("complete-layer-upload", "--repository-name", name, "--upload-id", uploadId, "--layer-digests", digest))!;
            Assert.Equal(digest, (string?)completed["layerDigest"]);
        }

        check = (await Ecr("batch-check-layer-availability", "--repository-name", name, "--layer-digests", layerDigest, configDigest))!;
        Assert.All(check["layers"]!.AsArray(), l => Assert.Equal("AVAILABLE", (string?)l!["layerAvailability"]));
        await Ecr("put-image", "--repository-name", name, "--image-tag", "t", "--image-manifest", manifest);
        var url = (await Ecr("get-download-url-for-layer", "--repository-name", name, "--layer-digest", layerDigest))!;
        Assert.EndsWith($"/v2/{name}/blobs/{layerDigest}", (string)url["downloadUrl"]!, StringComparison.Ordinal);

        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await fixture.PasswordAsync());
        Assert.Equal(layer, await http.GetByteArrayAsync(new Uri((string)url["downloadUrl"]!)));
        var pulled = fixture.Scratch.File("layers-pulled");
        await RegistryFixture.SkopeoOkAsync("copy", "--src-tls-verify=false", "--src-creds", "AWS:" + await fixture.PasswordAsync(), $"docker://{fixture.Host}/{name}:t", "dir:" + pulled);
    }

    private async Task<List<string>> BlobsOfAsync(string name, string tag)
    {
        var manifest = JsonNode.Parse((string)(await Ecr("batch-get-image", "--repository-name", name, "--image-ids", $"imageTag={tag}"))!["images"]![0]!["imageManifest"]!)!;
        return [(string)manifest["config"]!["digest"]!, .. manifest["layers"]!.AsArray().Select(l => (string)l!["digest"]!)];
    }

    private async Task<List<string>> TagsAsync(string name)
        => [.. (await Ecr("list-images", "--repository-name", name, "--filter", "tagStatus=TAGGED"))!["imageIds"]!.AsArray().Select(i => (string)i!["imageTag"]!).Order(StringComparer.Ordinal)];
}
