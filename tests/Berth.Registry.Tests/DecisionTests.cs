using Berth.Ecr.Model;
using Berth.Protocol.Errors;
using Berth.Registry.Ecr;
using Berth.Registry.State;

namespace Berth.Registry.Tests;

public sealed class DecisionTests
{
    [Fact]
    public void CreateRepository_refuses_an_existing_name_and_an_invalid_one()
    {
        var state = RepositoryDecisions.Create(RegistryState.Empty, "us-east-1", Fixtures.Account, Fixtures.T0, new CreateRepositoryRequest { RepositoryName = "team/app" }).State;
        var repository = state.Repositories["team/app"];
        Assert.Equal("arn:aws:ecr:us-east-1:000000000000:repository/team/app", repository.Arn);
        Assert.Equal("MUTABLE", repository.TagMutability);

        var again = Assert.Throws<AwsException>(() => RepositoryDecisions.Create(state, "us-east-1", Fixtures.Account, Fixtures.T0, new CreateRepositoryRequest { RepositoryName = "team/app" }));
        Assert.Equal("RepositoryAlreadyExistsException", again.ErrorType);
        Assert.Equal("The repository with name 'team/app' already exists in the registry with id '000000000000'", again.Message);

        foreach (var bad in new[] { "Upper", "a", "a//b", "-a", "a_", "x/" })
        {
            Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => RepositoryDecisions.Create(state, "us-east-1", Fixtures.Account, Fixtures.T0, new CreateRepositoryRequest { RepositoryName = bad })).ErrorType);
        }
    }

    [Fact]
    public void DeleteRepository_refuses_one_with_images_unless_forced()
    {
        var state = Fixtures.State(Fixtures.Repository("app").With(Fixtures.Image("a", Fixtures.T0), "v1"));
        var error = Assert.Throws<AwsException>(() => RepositoryDecisions.Delete(state, Fixtures.Account, new DeleteRepositoryRequest { RepositoryName = "app" }));
        Assert.Equal("RepositoryNotEmptyException", error.ErrorType);
        Assert.Equal("The repository with name 'app' in registry with id '000000000000' cannot be deleted because it still contains images", error.Message);

        var forced = RepositoryDecisions.Delete(state, Fixtures.Account, new DeleteRepositoryRequest { RepositoryName = "app", Force = true });
        Assert.Empty(forced.State.Repositories);
        Assert.Equal("RepositoryNotFoundException", Assert.Throws<AwsException>(() => RepositoryDecisions.Delete(forced.State, Fixtures.Account, new DeleteRepositoryRequest { RepositoryName = "app" })).ErrorType);
    }

    [Fact]
    public void An_immutable_repository_refuses_to_move_a_tag_but_accepts_the_same_push_again()
    {
        var state = Fixtures.State(Fixtures.Repository("app", "IMMUTABLE").With(Fixtures.Image("a", Fixtures.T0), "v1"));
        var other = Fixtures.Image("b", Fixtures.T0);
        var error = Assert.Throws<AwsException>(() => ImageDecisions.Put(state, Fixtures.Account, "app", other, "v1", refuseExisting: false, Fixtures.T0));
        Assert.Equal("ImageTagAlreadyExistsException", error.ErrorType);
        Assert.Equal("The image tag 'v1' already exists in the 'app' repository and cannot be overwritten because the repository is immutable.", error.Message);

        var same = ImageDecisions.Put(state, Fixtures.Account, "app", Fixtures.Image("a", Fixtures.T0.AddDays(1)), "v1", refuseExisting: false, Fixtures.T0.AddDays(1));
        Assert.Equal(Fixtures.T0, same.Result.Image.PushedAt);

        var newTag = ImageDecisions.Put(state, Fixtures.Account, "app", other, "v2", refuseExisting: false, Fixtures.T0);
        Assert.Equal(other.Digest, newTag.State.Repositories["app"].ImageTags["v2"]);
    }

    [Fact]
    public void PutImage_refuses_a_push_that_changes_nothing()
    {
        var image = Fixtures.Image("a", Fixtures.T0);
        var state = Fixtures.State(Fixtures.Repository("app").With(image, "v1"));
        var error = Assert.Throws<AwsException>(() => ImageDecisions.Put(state, Fixtures.Account, "app", image, "v1", refuseExisting: true, Fixtures.T0));
        Assert.Equal("ImageAlreadyExistsException", error.ErrorType);

        var moved = ImageDecisions.Put(state, Fixtures.Account, "app", Fixtures.Image("b", Fixtures.T0), "v1", refuseExisting: true, Fixtures.T0);
        Assert.Equal(Fixtures.DigestOf("b"), moved.State.Repositories["app"].ImageTags["v1"]);
        Assert.True(moved.State.Repositories["app"].Images.ContainsKey(image.Digest));
    }

    [Fact]
    public void An_index_needs_its_manifests_in_the_repository()
    {
        var index = Fixtures.Image("index", Fixtures.T0) with { Children = [Fixtures.DigestOf("missing")] };
        var error = Assert.Throws<AwsException>(() => ImageDecisions.Put(Fixtures.State(Fixtures.Repository("app")), Fixtures.Account, "app", index, "v1", false, Fixtures.T0));
        Assert.Equal("ReferencedImagesNotFoundException", error.ErrorType);
    }

    [Fact]
    public void BatchDeleteImage_by_tag_keeps_an_image_with_other_tags_and_removes_one_with_its_last()
    {
        var a = Fixtures.Image("a", Fixtures.T0);
        var b = Fixtures.Image("b", Fixtures.T0);
        var state = Fixtures.State(Fixtures.Repository("app").With(a, "v1", "latest").With(b, "v2"));
        var result = ImageDecisions.BatchDelete(state, Fixtures.Account, new BatchDeleteImageRequest
        {
            RepositoryName = "app",
            ImageIds = [new ImageIdentifier { ImageTag = "v1" }, new ImageIdentifier { ImageTag = "v2" }, new ImageIdentifier { ImageTag = "nope" }, new ImageIdentifier()],
        });
        var repository = result.State.Repositories["app"];
        Assert.True(repository.Images.ContainsKey(a.Digest));
        Assert.False(repository.Images.ContainsKey(b.Digest));
        Assert.Equal(["latest"], repository.ImageTags.Keys);
        Assert.Equal([b.Digest], result.Result.Removed.Select(i => i.Digest));
        Assert.Equal(["ImageNotFound", "MissingDigestAndTag"], result.Result.Failures.Select(f => f.FailureCode));
        Assert.Equal(2, result.Result.Deleted.Count);
    }

    [Fact]
    public void BatchDeleteImage_by_digest_removes_every_tag_and_refuses_an_index_child()
    {
        var child = Fixtures.Image("child", Fixtures.T0);
        var index = Fixtures.Image("index", Fixtures.T0) with { Children = [child.Digest] };
        var a = Fixtures.Image("a", Fixtures.T0);
        var state = Fixtures.State(Fixtures.Repository("app").With(child).With(index, "multi").With(a, "x", "y"));
        var result = ImageDecisions.BatchDelete(state, Fixtures.Account, new BatchDeleteImageRequest
        {
            RepositoryName = "app",
            ImageIds = [new ImageIdentifier { ImageDigest = a.Digest }, new ImageIdentifier { ImageDigest = child.Digest }],
        });
        Assert.Equal(["x", "y"], result.Result.Deleted.Select(d => d.ImageTag));
        Assert.Equal("ImageReferencedByManifestList", Assert.Single(result.Result.Failures).FailureCode);
        Assert.Equal(["multi"], result.State.Repositories["app"].ImageTags.Keys);
    }

    [Fact]
    public void A_push_applies_the_lifecycle_policy_in_the_same_commit()
    {
        var repository = Fixtures.Repository("app") with
        {
            LifecyclePolicy = """{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}""",
        };
        var state = Fixtures.State(repository.With(Fixtures.Image("a", Fixtures.T0), "v1").With(Fixtures.Image("b", Fixtures.T0.AddHours(1)), "v2"));
        var result = ImageDecisions.Put(state, Fixtures.Account, "app", Fixtures.Image("c", Fixtures.T0), "v3", false, Fixtures.T0.AddHours(2));
        Assert.Equal([Fixtures.DigestOf("a")], result.Result.Expired.Select(i => i.Digest));
        Assert.Equal(["v2", "v3"], result.State.Repositories["app"].ImageTags.Keys);
    }

    [Fact]
    public void Tags_on_a_repository_are_merged_and_removed_by_key()
    {
        var state = Fixtures.State(Fixtures.Repository("app"));
        var arn = state.Repositories["app"].Arn;
        state = RepositoryDecisions.Tag(state, Fixtures.Account, new TagResourceRequest { ResourceArn = arn, Tags = [new Tag { Key = "a", Value = "1" }, new Tag { Key = "b", Value = "2" }] }).State;
        state = RepositoryDecisions.Tag(state, Fixtures.Account, new TagResourceRequest { ResourceArn = arn, Tags = [new Tag { Key = "a", Value = "3" }] }).State;
        state = RepositoryDecisions.Untag(state, Fixtures.Account, new UntagResourceRequest { ResourceArn = arn, TagKeys = ["b"] }).State;
        Assert.Equal([new ResourceTag("a", "3")], state.Repositories["app"].Tags.ToArray());
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => RepositoryDecisions.Tag(state, Fixtures.Account, new TagResourceRequest { ResourceArn = "nope", Tags = [] })).ErrorType);
    }

    [Fact]
    public void Pages_walk_sorted_keys_with_an_opaque_token()
    {
        var keys = new[] { "c", "a", "b", "d", "e" };
        var (first, token) = EcrQueries.Page(keys, 2, null, 1000);
        Assert.Equal(["a", "b"], first);
        var (second, token2) = EcrQueries.Page(keys, 2, token, 1000);
        Assert.Equal(["c", "d"], second);
        var (third, token3) = EcrQueries.Page(keys, 2, token2, 1000);
        Assert.Equal(["e"], third);
        Assert.Null(token3);
    }
}
