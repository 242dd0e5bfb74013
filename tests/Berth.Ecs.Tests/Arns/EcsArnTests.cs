using Berth.Ecs.Arns;

namespace Berth.Ecs.Tests.Arns;

public class EcsArnTests
{
    private static readonly Scope UsWest2 = new("us-west-2", "000000000000");

    [Fact]
    public void BuildsEcsArns()
    {
        Assert.Equal("arn:aws:ecs:us-west-2:000000000000:cluster/web", Arn.Cluster(UsWest2, "web"));
        Assert.Equal("arn:aws:ecs:us-west-2:000000000000:task-definition/app:3", Arn.TaskDefinition(UsWest2, "app", 3));
        Assert.Equal("arn:aws:ecs:us-west-2:000000000000:container-instance/web/abc", Arn.ContainerInstance(UsWest2, "web", "abc"));
        Assert.Equal("arn:aws-cn:ecs:cn-north-1:1:cluster/x", Arn.Cluster(new Scope("cn-north-1", "1"), "x"));
        Assert.Equal("arn:aws:iam::000000000000:root", UsWest2.RootPrincipal);
    }

    [Theory]
    [InlineData("arn:aws:ecs:us-east-1:123:cluster/web", "us-east-1", "123", "cluster", "web")]
    [InlineData("arn:aws:ecs:eu-west-1:123:task-definition/app:7", "eu-west-1", "123", "task-definition", "app:7")]
    [InlineData("arn:aws:ecs:eu-west-1:123:task/web/0123abcd", "eu-west-1", "123", "task", "web/0123abcd")]
    public void ParsesWhatItBuilds(string text, string region, string account, string type, string resource)
    {
        Assert.True(EcsArn.TryParse(text, out var arn));
        Assert.Equal((region, account, type, resource), (arn.Region, arn.AccountId, arn.ResourceType, arn.Resource));
        Assert.Equal(text, arn.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("web")]
    [InlineData("arn:aws:s3:::bucket/key")]
    [InlineData("arn:aws:ecs:us-east-1:123:cluster")]
    [InlineData("arn:aws:ecs:us-east-1:123:cluster/")]
    [InlineData("arn:aws:ecs::123:cluster/web")]
    public void RefusesWhatIsNotAnEcsArn(string? text)
    {
        Assert.False(EcsArn.TryParse(text, out _));
        Assert.False(EcsArn.IsOf(text, "cluster"));
    }

    [Theory]
    [InlineData("arn:aws:ecs:us-east-1:123:cluster/web", "cluster", true)]
    [InlineData("arn:aws:ecs:us-east-1:123:cluster/web:with:colons", "cluster", true)]
    [InlineData("arn:aws:ecs:us-east-1:123:cluster/web", "task", false)]
    [InlineData("arn:aws:ecs:us-east-1:123:clusters/web", "cluster", false)]
    [InlineData("arn:aws:ecs:us-east-1:123:task/web/0123abcd", "task", true)]
    [InlineData("arn:aws:ecs:us-east-1::cluster/web", "cluster", false)]
    [InlineData("arn::ecs:us-east-1:123:cluster/web", "cluster", false)]
    public void TellsTheResourceTypeAsTryParseDoes(string text, string type, bool expected)
    {
        Assert.Equal(expected, EcsArn.IsOf(text, type));
        Assert.Equal(expected, EcsArn.TryParse(text, out var arn) && arn.ResourceType == type);
    }
}
