using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.Tagging;
using Berth.Ecs.Tests.Tasks;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Decisions;

/// <summary>TagResource, UntagResource and ListTagsForResource on services and tasks, as on the other resources.</summary>
public class TagDecisionTests
{
    private static (World World, string ServiceArn, string TaskArn) WithServiceAndTask()
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        var definition = world.Define();
        var service = world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, world.Time, new CreateServiceRequest
        {
            Cluster = World.ClusterName,
            ServiceName = "web",
            TaskDefinition = definition,
            DesiredCount = 0,
            Tags = [new Tag { Key = "owner", Value = "a" }],
        }));
        var task = world.RunOne(definition);
        return (world, service.ServiceArn!, task.TaskArn!);
    }

    private static Dictionary<string, string?> Tags(World world, string arn)
        => TagDecisions.List(world.State, Scope, arn).ToDictionary(t => t.Key!, t => t.Value);

    [Fact]
    public void ServicesAndTasksAreTaggedUntaggedAndListed()
    {
        var (world, serviceArn, taskArn) = WithServiceAndTask();
        foreach (var arn in new[] { serviceArn, taskArn })
        {
            world.Apply(TagDecisions.Tag(world.State, Scope, new TagResourceRequest { ResourceArn = arn, Tags = [new Tag { Key = "owner", Value = "b" }, new Tag { Key = "env", Value = "test" }] }));
            Assert.Equal(new Dictionary<string, string?> { ["owner"] = "b", ["env"] = "test" }, Tags(world, arn));

            world.Apply(TagDecisions.Untag(world.State, Scope, new UntagResourceRequest { ResourceArn = arn, TagKeys = ["owner", "no-such-key"] }));
            Assert.Equal(new Dictionary<string, string?> { ["env"] = "test" }, Tags(world, arn));
        }

        // What DescribeServices and DescribeTasks show with include TAGS.
        Assert.Equal("env", Assert.Single(ServiceViews.ToWire(world.State.Services[serviceArn]).Tags!).Key);
        Assert.Equal("env", Assert.Single(world.Task(taskArn).Tags!).Key);
    }

    [Fact]
    public void FiftyTagsAtMostAndUnknownResourcesAreRefusedWithNothingWritten()
    {
        var (world, serviceArn, taskArn) = WithServiceAndTask();
        var before = world.State;
        var fifty = Enumerable.Range(0, 50).Select(i => new Tag { Key = "k" + i, Value = "v" }).ToList();

        // The service has one tag already: 50 more make 51.
        var tooMany = world.Refused(s => TagDecisions.Tag(s, Scope, new TagResourceRequest { ResourceArn = serviceArn, Tags = fifty }));
        Assert.Equal("InvalidParameterException", tooMany.ErrorType);

        var missingTask = world.Refused(s => TagDecisions.Tag(s, Scope, new TagResourceRequest { ResourceArn = taskArn[..^4] + "0000", Tags = [new Tag { Key = "a", Value = "1" }] }));
        Assert.Equal(("ResourceNotFoundException", "The specified resource could not be found."), (missingTask.ErrorType, missingTask.Message));
        var missingService = world.Refused(s => TagDecisions.Untag(s, Scope, new UntagResourceRequest { ResourceArn = serviceArn + "-gone", TagKeys = ["a"] }));
        Assert.Equal("ResourceNotFoundException", missingService.ErrorType);
        var otherType = world.Refused(s => TagDecisions.Tag(s, Scope, new TagResourceRequest { ResourceArn = World.Prefix + "task-set/web/web/ts-1", Tags = [new Tag { Key = "a", Value = "1" }] }));
        Assert.Equal(("InvalidParameterException", "The ARN provided is invalid."), (otherType.ErrorType, otherType.Message));

        Assert.Same(before, world.State);
        Assert.Single(Tags(world, serviceArn));
    }
}
