using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Protocol.Errors;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Decisions;

public class TaskDefinitionDecisionTests
{
    private static EcsState Register(EcsState state, string family, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            state = TaskDefinitionDecisions.Register(state, Scope, Principal, Now, Definition(family)).State;
        }

        return state;
    }

    [Fact]
    public void RevisionsCountUpPerFamily()
    {
        var state = Register(EcsState.Empty, "app", 3);
        state = Register(state, "other");
        var next = TaskDefinitionDecisions.Register(state, Scope, Principal, Now, Definition("app"));
        Assert.Equal(4, next.Result.Definition.Revision);
        Assert.Equal("arn:aws:ecs:us-east-1:000000000000:task-definition/app:4", next.Result.Definition.TaskDefinitionArn);
        Assert.Equal(Principal, next.Result.Definition.RegisteredBy);
        Assert.Equal(Now, next.Result.Definition.RegisteredAt);
    }

    [Fact]
    public void DescribeByFamilyGivesTheLatestActiveRevision()
    {
        var state = Register(EcsState.Empty, "app", 3);
        state = TaskDefinitionDecisions.Deregister(state, Scope, Now, new DeregisterTaskDefinitionRequest { TaskDefinition = "app:3" }).State;
        Assert.Equal(2, TaskDefinitionQueries.Describe(state, Scope, new DescribeTaskDefinitionRequest { TaskDefinition = "app" }).TaskDefinition!.Revision);
        var third = TaskDefinitionQueries.Describe(state, Scope, new DescribeTaskDefinitionRequest { TaskDefinition = "arn:aws:ecs:us-east-1:000000000000:task-definition/app:3" });
        Assert.Equal("INACTIVE", third.TaskDefinition!.Status);
        Assert.Equal(Now, third.TaskDefinition.DeregisteredAt);
        var ex = Assert.Throws<AwsException>(() => TaskDefinitionQueries.Describe(state, Scope, new DescribeTaskDefinitionRequest { TaskDefinition = "app:9" }));
        Assert.Equal(("ClientException", "Unable to describe task definition."), (ex.ErrorType, ex.Message));
    }

    [Fact]
    public void OnlyInactiveRevisionsCanBeDeleted()
    {
        var state = Register(EcsState.Empty, "app", 2);
        state = TaskDefinitionDecisions.Deregister(state, Scope, Now, new DeregisterTaskDefinitionRequest { TaskDefinition = "app:1" }).State;
        var deleted = TaskDefinitionDecisions.Delete(state, Scope, new DeleteTaskDefinitionsRequest { TaskDefinitions = ["app:1", "app:2", "app:7", "app"] });
        Assert.Equal("DELETE_IN_PROGRESS", Assert.Single(deleted.Result.TaskDefinitions!).Status);
        Assert.Equal(3, deleted.Result.Failures!.Count);
        Assert.Contains(deleted.Result.Failures, f => f.Reason!.Contains("still in ACTIVE status", StringComparison.Ordinal));

        // A deleted revision's number is never given again.
        var next = TaskDefinitionDecisions.Register(deleted.State, Scope, Principal, Now, Definition("app"));
        Assert.Equal(3, next.Result.Definition.Revision);
    }

    [Fact]
    public void ListingsSortFilterAndPage()
    {
        var state = Register(Register(Register(EcsState.Empty, "b", 2), "a", 11), "c");
        state = TaskDefinitionDecisions.Deregister(state, Scope, Now, new DeregisterTaskDefinitionRequest { TaskDefinition = "c:1" }).State;

        var asc = TaskDefinitionQueries.List(state, Scope, new ListTaskDefinitionsRequest());
        Assert.Equal(13, asc.TaskDefinitionArns!.Count);
        Assert.EndsWith("a:1", asc.TaskDefinitionArns[0], StringComparison.Ordinal);
        Assert.EndsWith("a:10", asc.TaskDefinitionArns[9], StringComparison.Ordinal); // numeric, not lexical, order
        var desc = TaskDefinitionQueries.List(state, Scope, new ListTaskDefinitionsRequest { Sort = "DESC", MaxResults = 2 });
        Assert.EndsWith("b:2", desc.TaskDefinitionArns![0], StringComparison.Ordinal);
        var desc2 = TaskDefinitionQueries.List(state, Scope, new ListTaskDefinitionsRequest { Sort = "DESC", MaxResults = 2, NextToken = desc.NextToken });
        Assert.EndsWith("a:11", desc2.TaskDefinitionArns![0], StringComparison.Ordinal);
        Assert.EndsWith("c:1", Assert.Single(TaskDefinitionQueries.List(state, Scope, new ListTaskDefinitionsRequest { Status = "INACTIVE" }).TaskDefinitionArns!), StringComparison.Ordinal);
        Assert.Equal(2, TaskDefinitionQueries.List(state, Scope, new ListTaskDefinitionsRequest { FamilyPrefix = "b" }).TaskDefinitionArns!.Count);
        Assert.Empty(TaskDefinitionQueries.List(state, Scope, new ListTaskDefinitionsRequest { FamilyPrefix = "" }).TaskDefinitionArns!);

        Assert.Equal(["a", "b", "c"], TaskDefinitionQueries.ListFamilies(state, Scope, new ListTaskDefinitionFamiliesRequest()).Families);
        Assert.Equal(["a", "b"], TaskDefinitionQueries.ListFamilies(state, Scope, new ListTaskDefinitionFamiliesRequest { Status = "ACTIVE" }).Families);
        Assert.Equal(["c"], TaskDefinitionQueries.ListFamilies(state, Scope, new ListTaskDefinitionFamiliesRequest { Status = "INACTIVE" }).Families);
        Assert.Equal(["a", "b", "c"], TaskDefinitionQueries.ListFamilies(state, Scope, new ListTaskDefinitionFamiliesRequest { Status = "ALL" }).Families);
    }

    [Fact]
    public void ARejectedRegistrationChangesNothing()
    {
        var request = Definition("app");
        request.ContainerDefinitions![0].Essential = false;
        Assert.Throws<AwsException>(() => TaskDefinitionDecisions.Register(EcsState.Empty, Scope, Principal, Now, request));
    }
}
