using Berth.Protocol.Errors;
using Berth.Registry.Lifecycle;

namespace Berth.Registry.Tests;

public sealed class LifecyclePolicyTests
{
    private const string KeepTwoProd = """{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}""";

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("""{"rules":[]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","tagPrefixList":["a"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countNumber":1},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":0},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"delete"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":719163},"action":{"type":"expire"}}]}""")]
    [InlineData("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":800000},"action":{"type":"expire"}}]}""")]
    public void Invalid_policies_are_refused_as_InvalidParameterException(string text)
    {
        var error = Assert.Throws<AwsException>(() => LifecyclePolicy.Parse(text));
        Assert.Equal("InvalidParameterException", error.ErrorType);
        Assert.StartsWith("Invalid parameter at 'LifecyclePolicyText'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImageCountMoreThan_keeps_the_newest_of_what_it_selects()
    {
        var repository = Fixtures.Repository("app")
            .With(Fixtures.Image("a", Fixtures.T0), "prod-1")
            .With(Fixtures.Image("b", Fixtures.T0.AddHours(1)), "prod-2")
            .With(Fixtures.Image("c", Fixtures.T0.AddHours(2)), "prod-3")
            .With(Fixtures.Image("d", Fixtures.T0.AddHours(3)), "dev-1");
        var expired = LifecyclePolicy.Evaluate(LifecyclePolicy.Parse(KeepTwoProd), repository, Fixtures.T0.AddDays(1));
        Assert.Equal([Fixtures.DigestOf("a")], expired);
    }

    [Fact]
    public void SinceImagePushed_expires_what_is_older_than_the_days_given()
    {
        const string policy = """{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":3},"action":{"type":"expire"}}]}""";
        var repository = Fixtures.Repository("app")
            .With(Fixtures.Image("old", Fixtures.T0))
            .With(Fixtures.Image("new", Fixtures.T0.AddDays(2)))
            .With(Fixtures.Image("tagged-old", Fixtures.T0), "v1");
        var expired = LifecyclePolicy.Evaluate(LifecyclePolicy.Parse(policy), repository, Fixtures.T0.AddDays(4));
        Assert.Equal([Fixtures.DigestOf("old")], expired);
    }

    [Fact]
    public void The_most_days_a_rule_may_count_is_evaluated_without_error()
    {
        var policy = $$$"""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":{{{LifecyclePolicy.MaxDays}}}},"action":{"type":"expire"}}]}""";
        var repository = Fixtures.Repository("app").With(Fixtures.Image("a", Fixtures.T0));
        Assert.Empty(LifecyclePolicy.Evaluate(LifecyclePolicy.Parse(policy), repository, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void An_image_selected_by_an_earlier_rule_is_never_expired_by_a_later_one()
    {
        const string policy = """
            {"rules":[
              {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}},
              {"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}
            """;
        var repository = Fixtures.Repository("app")
            .With(Fixtures.Image("p1", Fixtures.T0), "prod-1")
            .With(Fixtures.Image("p2", Fixtures.T0.AddHours(1)), "prod-2")
            .With(Fixtures.Image("x", Fixtures.T0.AddHours(2)), "dev")
            .With(Fixtures.Image("y", Fixtures.T0.AddHours(3)));
        var expired = LifecyclePolicy.Evaluate(LifecyclePolicy.Parse(policy), repository, Fixtures.T0.AddDays(1));
        Assert.Equal([Fixtures.DigestOf("x")], expired);
    }

    [Fact]
    public void Several_prefixes_select_only_images_carrying_all_of_them()
    {
        var rule = LifecyclePolicy.Parse("""{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod","v"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}""")[0];
        Assert.True(LifecyclePolicy.Selects(rule, ["prod-a", "v1"]));
        Assert.False(LifecyclePolicy.Selects(rule, ["prod-a"]));
        Assert.False(LifecyclePolicy.Selects(rule, []));
    }

    [Theory]
    [InlineData("prod*", "prod-1", true)]
    [InlineData("*-rc", "1.0-rc", true)]
    [InlineData("a*b*c", "aXbYc", true)]
    [InlineData("a*b*c", "acb", false)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "exactly", false)]
    public void Wildcards_match_as_ECR_patterns_do(string pattern, string tag, bool matches)
        => Assert.Equal(matches, LifecyclePolicy.Wildcard(pattern, tag));
}
