using Berth.Ecs.Model;
using Berth.Ecs.TaskDefinitions;
using Berth.Protocol.Errors;

namespace Berth.Ecs.Tests.TaskDefinitions;

/// <summary>Tag limits: 50 tags, keys of 1–128 characters, values of 0–256, no <c>aws:</c> prefix, unique keys.</summary>
public class TagRulesTests
{
    [Theory]
    [InlineData(0, 1, 0)]
    [InlineData(50, 3, 0)]
    [InlineData(1, 128, 0)]
    [InlineData(1, 1, 256)]
    public void Accepted_at_the_limits(int count, int keyLength, int valueLength)
    {
        TagRules.Validate(Tags(count, keyLength, valueLength));
    }

    [Fact]
    public void No_tags_at_all_is_fine() => TagRules.Validate(null);

    [Theory]
    [InlineData(51, 3, 0, "The maximum number of tags per resource is 50. 51 tags were specified.")]
    [InlineData(1, 0, 0, "Tag keys must be between 1 and 128 characters in length.")]
    [InlineData(1, 129, 0, "Tag keys must be between 1 and 128 characters in length.")]
    [InlineData(1, 1, 257, "Tag values must be between 0 and 256 characters in length.")]
    public void Refused_past_the_limits(int count, int keyLength, int valueLength, string message)
    {
        var error = Assert.Throws<AwsException>(() => TagRules.Validate(Tags(count, keyLength, valueLength)));

        Assert.Equal(("InvalidParameterException", message), (error.ErrorType, error.Message));
    }

    [Theory]
    [InlineData("aws:created-by", "Invalid tag key 'aws:created-by'. Tag keys beginning with 'aws:' are reserved for AWS use.")]
    [InlineData("AWS:team", "Invalid tag key 'AWS:team'. Tag keys beginning with 'aws:' are reserved for AWS use.")]
    [InlineData("team", "Duplicate tag key 'team'. Each tag key must be unique.")]
    public void Reserved_and_duplicate_keys_are_refused(string key, string message)
    {
        var tags = new List<Tag> { new() { Key = "team", Value = "web" }, new() { Key = key, Value = "x" } };

        var error = Assert.Throws<AwsException>(() => TagRules.Validate(tags));

        Assert.Equal(("InvalidParameterException", message), (error.ErrorType, error.Message));
    }

    [Fact]
    public void A_key_merely_containing_aws_is_fine() =>
        TagRules.Validate([new Tag { Key = "team:aws:x", Value = "value" }]);

    private static List<Tag> Tags(int count, int keyLength, int valueLength) =>
        Enumerable.Range(0, count)
            .Select(i => new Tag { Key = keyLength == 0 ? "" : i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture).PadRight(keyLength, 'k')[..keyLength], Value = new string('v', valueLength) })
            .ToList();
}
