using Berth.Ecs.Arns;
using Berth.Ecs.TaskDefinitions;
using Berth.Protocol.Errors;

namespace Berth.Ecs.Tests.TaskDefinitions;

/// <summary>The ways a request names a task definition, split into the family's key and the revision.</summary>
public class TaskDefinitionLookupTests
{
    private static readonly Scope Scope = new("us-east-1", "000000000000");
    private const string Own = "arn:aws:ecs:us-east-1:000000000000:task-definition/";

    [Theory]
    [InlineData("web", Own + "web", "web", null)]
    [InlineData("web:3", Own + "web", "web", 3)]
    [InlineData(Own + "web:3", Own + "web", "web", 3)]
    [InlineData(Own + "web", Own + "web", "web", null)]
    [InlineData(Own + "a/b:12", Own + "a/b", "a/b", 12)]
    [InlineData(Own + "web:1:2", Own + "web:1", "web:1", 2)]
    [InlineData("arn:aws:ecs:eu-west-1:111111111111:task-definition/web:4", "arn:aws:ecs:eu-west-1:111111111111:task-definition/web", "web", 4)]
    [InlineData("arn:aws:ecs:us-east-1:000000000000:task-definitions/web:4", null, null, null)]
    public void SplitsEveryFormAsTheArnSays(string text, string? familyKey, string? family, int? revision)
    {
        if (familyKey is null)
        {
            Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => TaskDefinitionLookup.Parse(Scope, text)).ErrorType);
            return;
        }

        Assert.Equal(new TaskDefinitionLookup.Reference(familyKey, family!, revision), TaskDefinitionLookup.Parse(Scope, text));
    }

    [Theory]
    [InlineData("web:0", "0")]
    [InlineData("web:x", "x")]
    [InlineData(Own + "web:0", "0")]
    [InlineData(Own + "web:-1", "-1")]
    [InlineData(Own + "web:", "")]
    public void RefusesABadRevisionTheSameWayWhateverTheForm(string text, string shown)
    {
        var error = Assert.Throws<AwsException>(() => TaskDefinitionLookup.Parse(Scope, text));
        Assert.Equal(("ClientException", "Invalid revision number. Number: " + shown), (error.ErrorType, error.Message));
    }
}
