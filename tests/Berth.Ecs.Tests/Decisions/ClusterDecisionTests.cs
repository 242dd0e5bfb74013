using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Decisions;

public class ClusterDecisionTests
{
    private static EcsState WithCluster(string name, EcsState? state = null)
        => ClusterDecisions.Create(state ?? EcsState.Empty, Scope, new CreateClusterRequest { ClusterName = name }).State;

    [Fact]
    public void CreateWithoutANameMakesTheDefaultCluster()
    {
        var decision = ClusterDecisions.Create(EcsState.Empty, Scope, new CreateClusterRequest());
        Assert.Equal("arn:aws:ecs:us-east-1:000000000000:cluster/default", decision.Result.ClusterArn);
        Assert.Equal(ClusterStatus.Active, decision.Result.Status);
        Assert.Single(decision.Mutations);
    }

    [Fact]
    public void BerthsCapacityClusterCannotBeChangedDeletedOrTagged()
    {
        var state = ClusterDecisions.CreateCapacity(EcsState.Empty, Scope).State;
        const string message = "The cluster name berth-fargate is reserved for Berth's FARGATE capacity.";
        var refusals = new Func<object>[]
        {
            () => ClusterDecisions.Update(state, Scope, new UpdateClusterRequest { Cluster = "berth-fargate", Settings = [new ClusterSetting { Name = "containerInsights", Value = "enabled" }] }),
            () => ClusterDecisions.UpdateSettings(state, Scope, new UpdateClusterSettingsRequest { Cluster = "berth-fargate", Settings = [new ClusterSetting { Name = "containerInsights", Value = "enabled" }] }),
            () => ClusterDecisions.Delete(state, Scope, new DeleteClusterRequest { Cluster = "berth-fargate" }),
            () => Berth.Ecs.Tagging.TagDecisions.Tag(state, Scope, new TagResourceRequest { ResourceArn = "arn:aws:ecs:us-east-1:000000000000:cluster/berth-fargate", Tags = [new Tag { Key = "a", Value = "1" }] }),
            () => ClusterDecisions.Create(state, Scope, new CreateClusterRequest { ClusterName = "berth-fargate" }),
        };
        foreach (var refused in refusals)
        {
            var ex = Assert.Throws<AwsException>(refused);
            Assert.Equal(("InvalidParameterException", message), (ex.ErrorType, ex.Message));
        }
    }

    [Fact]
    public void CreatingAnActiveClusterAgainReturnsItAndWritesNothing()
    {
        var state = ClusterDecisions.Create(EcsState.Empty, Scope, new CreateClusterRequest { ClusterName = "web", Tags = [new Tag { Key = "a", Value = "1" }] }).State;
        var again = ClusterDecisions.Create(state, Scope, new CreateClusterRequest { ClusterName = "web" });
        Assert.Empty(again.Mutations);
        Assert.Equal("1", Assert.Single(again.Result.Tags!).Value);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("dots.not.allowed")]
    [InlineData("slash/no")]
    public void InvalidNamesAreRefused(string name)
    {
        var ex = Assert.Throws<AwsException>(() => ClusterDecisions.Create(EcsState.Empty, Scope, new CreateClusterRequest { ClusterName = name }));
        Assert.Equal("InvalidParameterException", ex.ErrorType);
    }

    [Fact]
    public void A255CharacterNameIsTheLongestAllowed()
    {
        ClusterDecisions.Create(EcsState.Empty, Scope, new CreateClusterRequest { ClusterName = new string('a', 255) });
        Assert.Throws<AwsException>(() => ClusterDecisions.Create(EcsState.Empty, Scope, new CreateClusterRequest { ClusterName = new string('a', 256) }));
    }

    [Fact]
    public void DeleteLeavesTheClusterInactiveAndUnlisted()
    {
        var state = WithCluster("web");
        var deleted = ClusterDecisions.Delete(state, Scope, new DeleteClusterRequest { Cluster = "web" });
        Assert.Equal(ClusterStatus.Inactive, deleted.Result.Status);
        var described = ClusterQueries.Describe(deleted.State, Scope, new DescribeClustersRequest { Clusters = ["web"] });
        Assert.Equal("INACTIVE", Assert.Single(described.Clusters!).Status);
        Assert.Empty(ClusterQueries.List(deleted.State, Scope, new ListClustersRequest()).ClusterArns!);
        var ex = Assert.Throws<AwsException>(() => ClusterDecisions.Delete(deleted.State, Scope, new DeleteClusterRequest { Cluster = "web" }));
        Assert.Equal("ClusterNotFoundException", ex.ErrorType);
    }

    [Fact]
    public void DeleteIsRefusedWhileTheClusterHoldsInstancesServicesOrTasks()
    {
        var state = WithCluster("web");
        var arn = state.Clusters.Keys.Single();
        var withInstance = state with
        {
            ContainerInstances = state.ContainerInstances.Add("i", new Berth.Ecs.ContainerInstances.InstanceRecord { ContainerInstanceArn = "arn:aws:ecs:us-east-1:000000000000:container-instance/web/1", Ec2InstanceId = "i-1", Status = Berth.Ecs.ContainerInstances.InstanceStatus.Active, Health = new("OK", default, default) }),
        };
        var withService = state with { Services = state.Services.Add("s", new Berth.Ecs.Services.ServiceRecord { ServiceArn = "s", ServiceName = "s", ClusterArn = arn!, TaskDefinition = "d", Status = Berth.Ecs.Services.ServiceStatus.Active, DeploymentConfiguration = new Berth.Ecs.Services.DeploymentSettings() }) };
        var withTask = state.WithTask(new TaskRecord { TaskArn = "t", ClusterArn = arn!, TaskDefinitionArn = "d", LastStatus = EcsTaskStatus.Running });
        var stoppedTask = state.WithTask(new TaskRecord { TaskArn = "t", ClusterArn = arn!, TaskDefinitionArn = "d", LastStatus = EcsTaskStatus.Stopped, DesiredStatus = EcsTaskStatus.Stopped });

        Assert.Equal("ClusterContainsContainerInstancesException", Assert.Throws<AwsException>(() => ClusterDecisions.Delete(withInstance, Scope, new DeleteClusterRequest { Cluster = "web" })).ErrorType);
        Assert.Equal("ClusterContainsServicesException", Assert.Throws<AwsException>(() => ClusterDecisions.Delete(withService, Scope, new DeleteClusterRequest { Cluster = "web" })).ErrorType);
        Assert.Equal("ClusterContainsTasksException", Assert.Throws<AwsException>(() => ClusterDecisions.Delete(withTask, Scope, new DeleteClusterRequest { Cluster = arn })).ErrorType);
        Assert.Equal(ClusterStatus.Inactive, ClusterDecisions.Delete(stoppedTask, Scope, new DeleteClusterRequest { Cluster = "web" }).Result.Status);
    }

    [Fact]
    public void SettingsAreMergedByName()
    {
        var state = WithCluster("web");
        var updated = ClusterDecisions.UpdateSettings(state, Scope, new UpdateClusterSettingsRequest
        {
            Cluster = "web",
            Settings = [new ClusterSetting { Name = "containerInsights", Value = "enhanced" }],
        });
        Assert.Equal("enhanced", Assert.Single(updated.Result.Settings!).Value);
        Assert.Equal("disabled", Assert.Single(state.Clusters.Values.Single().Settings!).Value); // the old snapshot is untouched
        var ex = Assert.Throws<AwsException>(() => ClusterDecisions.UpdateSettings(state, Scope, new UpdateClusterSettingsRequest
        {
            Cluster = "web",
            Settings = [new ClusterSetting { Name = "containerInsights", Value = "sometimes" }],
        }));
        Assert.Equal("InvalidParameterException", ex.ErrorType);
    }

    [Fact]
    public void DescribeReportsMissingClustersAsFailures()
    {
        var state = WithCluster("web");
        var described = ClusterQueries.Describe(state, Scope, new DescribeClustersRequest { Clusters = ["web", "nope"] });
        Assert.Equal("web", Assert.Single(described.Clusters!).ClusterName);
        var failure = Assert.Single(described.Failures!);
        Assert.Equal(("arn:aws:ecs:us-east-1:000000000000:cluster/nope", "MISSING"), (failure.Arn, failure.Reason));
        Assert.Null(described.Clusters![0].Tags);
    }

    [Fact]
    public void ClustersBelongToTheirRegion()
    {
        var state = WithCluster("web");
        var other = Scope with { Region = "eu-west-1" };
        Assert.Empty(ClusterQueries.List(state, other, new ListClustersRequest()).ClusterArns!);
        Assert.Equal("MISSING", Assert.Single(ClusterQueries.Describe(state, other, new DescribeClustersRequest { Clusters = ["web"] }).Failures!).Reason);
    }

    [Fact]
    public void CapacityProviderStrategyRules()
    {
        var ok = new CreateClusterRequest
        {
            ClusterName = "f",
            CapacityProviders = ["FARGATE", "FARGATE_SPOT"],
            DefaultCapacityProviderStrategy = [new() { CapacityProvider = "FARGATE", Base = 1, Weight = 1 }, new() { CapacityProvider = "FARGATE_SPOT", Weight = 3 }],
        };
        Assert.Equal(2, ClusterDecisions.Create(EcsState.Empty, Scope, ok).Result.DefaultCapacityProviderStrategy.Length);
        var twoBases = new CreateClusterRequest
        {
            ClusterName = "f",
            CapacityProviders = ["FARGATE", "FARGATE_SPOT"],
            DefaultCapacityProviderStrategy = [new() { CapacityProvider = "FARGATE", Base = 1 }, new() { CapacityProvider = "FARGATE_SPOT", Base = 1 }],
        };
        Assert.Throws<AwsException>(() => ClusterDecisions.Create(EcsState.Empty, Scope, twoBases));
        Assert.Throws<AwsException>(() => ClusterDecisions.Create(EcsState.Empty, Scope, new CreateClusterRequest { ClusterName = "f", CapacityProviders = ["NOPE"] }));
    }
}
