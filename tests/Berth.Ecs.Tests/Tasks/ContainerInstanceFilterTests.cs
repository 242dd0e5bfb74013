using Berth.Ecs.Attributes;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

/// <summary>ListContainerInstances' <c>filter</c>: the cluster query language over the stored instances and their tasks.</summary>
public class ContainerInstanceFilterTests
{
    /// <summary>
    /// Three instances: <c>a</c> (t2.small, us-east-1a, stack=prod) runs a task of group <c>database</c>;
    /// <c>b</c> (t2.micro, us-east-1b) is idle; <c>c</c> (m5.large, us-east-1a, agent disconnected) registered a day later.
    /// </summary>
    private sealed class Cluster
    {
        public Cluster()
        {
            A = World.AddInstance(az: "us-east-1a");
            B = World.AddInstance(az: "us-east-1b");
            World.Time = Now.AddDays(1);
            C = World.AddInstance(az: "us-east-1a", connected: false);
            Attribute(A, "ecs.instance-type", "t2.small");
            Attribute(A, "stack", "prod");
            Attribute(B, "ecs.instance-type", "t2.micro");
            Attribute(C, "ecs.instance-type", "m5.large");

            // Only a and b are connected, and b is filled up first so the task can only land on a.
            World.Apply(ContainerInstanceDecisions.UpdateState(World.State, Scope, new UpdateContainerInstancesStateRequest { Cluster = World.ClusterName, ContainerInstances = [B], Status = "DRAINING" }));
            Task = World.RunOne(World.Define(), r => r.Group = "database");
            World.Apply(ContainerInstanceDecisions.UpdateState(World.State, Scope, new UpdateContainerInstancesStateRequest { Cluster = World.ClusterName, ContainerInstances = [B], Status = "ACTIVE" }));
            Assert.Equal(A, Task.ContainerInstanceArn);
            World.TaskReports(Task.TaskArn!, "RUNNING");
        }

        public World World { get; } = new();

        public string A { get; }

        public string B { get; }

        public string C { get; }

        public EcsTask Task { get; }

        public string[] List(string? filter, string? status = null) =>
            [.. ContainerInstanceQueries.List(World.State, Scope, new ListContainerInstancesRequest { Cluster = World.ClusterName, Filter = filter, Status = status }).ContainerInstanceArns!
                .Select(arn => arn == A ? "a" : arn == B ? "b" : arn == C ? "c" : arn)];

        private void Attribute(string arn, string name, string value) =>
            World.Apply(AttributeDecisions.Put(World.State, Scope, new PutAttributesRequest
            {
                Cluster = World.ClusterName,
                Attributes = [new EcsAttribute { Name = name, Value = value, TargetId = arn }],
            }));
    }

    [Theory]
    [InlineData(null, "a b c")]
    [InlineData("", "a b c")]
    [InlineData("   ", "a b c")]
    [InlineData("attribute:ecs.instance-type == t2.small", "a")]
    [InlineData("attribute:ecs.instance-type =~ t2.*", "a b")]
    [InlineData("not(attribute:ecs.instance-type =~ t2.*)", "c")]
    [InlineData("attribute:ecs.availability-zone in [us-east-1a, us-east-1c]", "a c")]
    [InlineData("attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1b", "a")]
    [InlineData("attribute:stack exists", "a")]
    [InlineData("attribute:stack != prod", "")]
    [InlineData("attribute:stack !exists", "b c")]
    [InlineData("task:group == database", "a")]
    [InlineData("not(task:group == database)", "b c")]
    [InlineData("task:group != database", "b c")]
    [InlineData("runningTasksCount == 1", "a")]
    [InlineData("runningTasksCount == 0", "b c")]
    [InlineData("agentConnected == false", "c")]
    [InlineData("agentVersion >= 1.0.0", "a b c")]
    [InlineData("agentVersion > 1.0", "")]
    [InlineData("registeredAt > 2026-11-21", "c")]
    [InlineData("registeredAt == 2026-11-21", "a b")]
    [InlineData("registeredAt <= 2026-11-21T12:00:00Z", "a b")]
    [InlineData("ec2InstanceId =~ i-.*", "a b c")]
    [InlineData("ec2InstanceId == i-none or agentConnected == false", "c")]
    public void FilterSelectsMatchingInstances(string? filter, string expected)
    {
        var cluster = new Cluster();
        Assert.Equal(expected, string.Join(' ', cluster.List(filter)));
    }

    [Fact]
    public void FilterMatchesOnTheInstanceIdAndCombinesWithStatus()
    {
        var cluster = new Cluster();
        var id = cluster.World.Describe(cluster.B).Ec2InstanceId;
        Assert.Equal(["b"], cluster.List($"ec2InstanceId in ['{id}', 'i-wxyx7890']"));
        Assert.Empty(cluster.List($"ec2InstanceId == {id}", status: "DRAINING"));
        Assert.Equal(["b"], cluster.List($"ec2InstanceId == {id}", status: "ACTIVE"));
    }

    [Fact]
    public void AStoppedTaskLeavesItsGroupBehind()
    {
        var cluster = new Cluster();
        cluster.World.Apply(Berth.Ecs.Tasks.TaskDecisions.Stop(cluster.World.State, Scope, Now, new StopTaskRequest { Cluster = World.ClusterName, Task = cluster.Task.TaskArn }));
        Assert.Equal(["a"], cluster.List("task:group == database"));
        cluster.World.TaskReports(cluster.Task.TaskArn!, "STOPPED");
        Assert.Empty(cluster.List("task:group == database"));
        Assert.Empty(cluster.List("runningTasksCount > 0"));
    }

    [Theory]
    [InlineData("attribute:ecs.instance-type ==", "Invalid expression: unexpected end of expression at position 30, expected a value.")]
    [InlineData("not(attribute:ecs.instance-type == )", "Invalid expression: unexpected token ')' at position 35, expected a value.")]
    [InlineData("instanceType == t2.small", "Invalid expression: unknown subject 'instanceType' at position 0, expected agentConnected, agentVersion, attribute:NAME, ec2InstanceId, registeredAt, runningTasksCount or task:group.")]
    public void ABadFilterIsAnInvalidParameter(string filter, string message)
    {
        var cluster = new Cluster();
        var error = cluster.World.Refused(s => ContainerInstanceQueries.List(s, Scope, new ListContainerInstancesRequest { Cluster = World.ClusterName, Filter = filter }));
        Assert.Equal(("InvalidParameterException", message), (error.ErrorType, error.Message));
    }

    [Fact]
    public void AFilterLongerThan2000CharactersIsRefused()
    {
        var world = new World();
        var error = world.Refused(s => ContainerInstanceQueries.List(s, Scope, new ListContainerInstancesRequest { Cluster = World.ClusterName, Filter = "attribute:x == " + new string('y', 2000) }));
        Assert.Equal("InvalidParameterException", error.ErrorType);
        Assert.Contains("2000", error.Message, StringComparison.Ordinal);
    }
}
