using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.Tagging;
using Berth.Ecs.Tests.Tasks;
using Berth.Protocol.Errors;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tagging;

/// <summary>TagResource, UntagResource and ListTagsForResource on services and tasks, with ECS's errors and limits.</summary>
public class TaggingTests
{
    private static List<Tag> Tags(int count, string prefix = "k") => [.. Enumerable.Range(0, count).Select(i => new Tag { Key = prefix + i, Value = "v" + i })];

    private static void Tag(World world, string arn, List<Tag> tags)
        => world.Apply(TagDecisions.Tag(world.State, Scope, new TagResourceRequest { ResourceArn = arn, Tags = tags }));

    private static string CreateService(World world, string? propagateTags = null)
    {
        var definition = world.Define();
        return world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, world.Time,
            new CreateServiceRequest { Cluster = World.ClusterName, ServiceName = "web", TaskDefinition = definition, DesiredCount = 1, PropagateTags = propagateTags, Tags = [new Tag { Key = "team", Value = "a" }] })).ServiceArn!;
    }

    [Fact]
    public void TagsPutOnAServiceArePropagatedToTheTasksItStartsAfterwards()
    {
        var world = new World();
        world.AddInstance();
        var service = CreateService(world, propagateTags: "SERVICE");
        Tag(world, service, [new Tag { Key = "tier", Value = "gold" }]);
        world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));
        var task = Assert.Single(world.State.Tasks.Values, t => t.Group == "service:web");
        Assert.Equal(["team=a", "tier=gold"], TagDecisions.List(world.State, Scope, task.TaskArn).Select(t => $"{t.Key}={t.Value}").Order());
    }

    [Fact]
    public void ServicesAndTasksAreTaggedUntaggedAndListed()
    {
        var world = new World();
        world.AddInstance();
        var service = CreateService(world);
        var task = world.RunOne(world.Define("batch")).TaskArn!;
        foreach (var arn in new[] { service, task })
        {
            Tag(world, arn, [new Tag { Key = "team", Value = "b" }, new Tag { Key = "tier", Value = "gold" }]);
            Assert.Equal(["team=b", "tier=gold"], TagDecisions.List(world.State, Scope, arn).Select(t => $"{t.Key}={t.Value}").Order());
            world.Apply(TagDecisions.Untag(world.State, Scope, new UntagResourceRequest { ResourceArn = arn, TagKeys = ["team", "nope"] }));
            Assert.Equal(["tier=gold"], TagDecisions.List(world.State, Scope, arn).Select(t => $"{t.Key}={t.Value}"));
        }

        // What DescribeServices shows with include TAGS is what TagResource wrote.
        var described = ServiceQueries.Describe(world.State, Scope, new DescribeServicesRequest { Cluster = World.ClusterName, Services = ["web"], Include = ["TAGS"] });
        Assert.Equal("tier", Assert.Single(Assert.Single(described.Services!).Tags!).Key);
    }

    [Fact]
    public void FiftyTagsAreTheMostAResourceCarries()
    {
        var world = new World();
        world.AddInstance();
        var service = CreateService(world);
        Tag(world, service, Tags(49));
        var refused = Assert.Throws<AwsException>(() => Tag(world, service, Tags(1, "more")));
        Assert.Equal(("InvalidParameterException", "The maximum number of tags per resource is 50. 51 tags were specified."), (refused.ErrorType, refused.Message));
        Assert.Equal(50, TagDecisions.List(world.State, Scope, service).Count);
    }

    [Fact]
    public void UnknownServicesAndTasksAreResourceNotFound()
    {
        var world = new World();
        foreach (var arn in new[] { World.Prefix + "service/" + World.ClusterName + "/gone", World.Prefix + "task/" + World.ClusterName + "/0123456789abcdef0123456789abcdef" })
        {
            Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => Tag(world, arn, Tags(1))).ErrorType);
            Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => TagDecisions.List(world.State, Scope, arn)).ErrorType);
        }
    }
}
