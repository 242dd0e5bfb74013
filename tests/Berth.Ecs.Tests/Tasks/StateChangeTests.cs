using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Tasks;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

public class StateChangeTests
{
    private static (World World, EcsTask Task) Running(params ContainerDefinition[] containers)
    {
        var world = new World();
        world.AddInstance();
        return (world, world.RunOne(world.Define(containers: containers)));
    }

    public static TheoryData<string[], string> Lifecycles() => new()
    {
        { ["PENDING", "RUNNING"], "RUNNING" },
        { ["RUNNING", "PENDING"], "RUNNING" },
        { ["RUNNING", "PROVISIONING"], "RUNNING" },
        { ["ACTIVATING", "PENDING", "RUNNING"], "RUNNING" },
        { ["RUNNING", "STOPPING", "RUNNING"], "STOPPING" },
        { ["STOPPED", "RUNNING"], "STOPPED" },
        { ["DEPROVISIONING", "DEACTIVATING"], "DEPROVISIONING" },
        { ["MANIFEST_PULLED"], "PROVISIONING" },
    };

    [Theory]
    [MemberData(nameof(Lifecycles))]
    public void TheTaskStatusOnlyMovesForward(string[] reports, string final)
    {
        var (world, task) = Running();
        foreach (var status in reports)
        {
            world.TaskReports(task.TaskArn!, status);
        }

        Assert.Equal(final, world.Task(task.TaskArn!).LastStatus);
    }

    [Fact]
    public void TimestampsAreStampedAsEcsShowsThem()
    {
        var (world, task) = Running();
        var arn = task.TaskArn!;
        var pullStart = Now.AddSeconds(1);
        var pullStop = Now.AddSeconds(5);
        world.Time = Now.AddSeconds(6);
        world.Apply(TaskStateDecisions.SubmitTask(world.State, Scope, world.Time, new SubmitTaskStateChangeRequest
        {
            Cluster = "web",
            Task = arn,
            Status = "RUNNING",
            PullStartedAt = pullStart,
            PullStoppedAt = pullStop,
            Containers = [new ContainerStateChange { ContainerName = "app", Status = "RUNNING", RuntimeId = "abc123" }],
        }));
        var running = world.Task(arn);
        Assert.Equal((pullStart, pullStop, world.Time, world.Time), (running.PullStartedAt, running.PullStoppedAt, running.StartedAt, running.ConnectivityAt));
        Assert.Equal(("CONNECTED", "RUNNING", "abc123"), (running.Connectivity, running.Containers![0].LastStatus, running.Containers[0].RuntimeId));
        var cluster = ClusterQueries.Describe(world.State, Scope, new DescribeClustersRequest { Clusters = ["web"] }).Clusters![0];
        Assert.Equal((1, 0), (cluster.RunningTasksCount, cluster.PendingTasksCount));

        world.Time = Now.AddSeconds(20);
        world.Apply(TaskDecisions.Stop(world.State, Scope, world.Time, new StopTaskRequest { Cluster = "web", Task = arn }));
        world.Time = Now.AddSeconds(25);
        world.TaskReports(arn, "STOPPED", null, new ContainerStateChange { ContainerName = "app", Status = "STOPPED", ExitCode = 143 });
        var stopped = world.Task(arn);
        Assert.Equal((Now.AddSeconds(20), Now.AddSeconds(25), Now.AddSeconds(25)), (stopped.StoppingAt, stopped.ExecutionStoppedAt, stopped.StoppedAt));
        Assert.Equal(("STOPPED", "STOPPED", "UserInitiated", "Task stopped by user"), (stopped.LastStatus, stopped.DesiredStatus, stopped.StopCode, stopped.StoppedReason));
        Assert.Equal(143, stopped.Containers![0].ExitCode);
        cluster = ClusterQueries.Describe(world.State, Scope, new DescribeClustersRequest { Clusters = ["web"] }).Clusters![0];
        Assert.Equal((0, 0), (cluster.RunningTasksCount, cluster.PendingTasksCount));
    }

    [Fact]
    public void AnEssentialContainerThatExitsStopsTheTask()
    {
        var (world, task) = Running(World.Container("app"), World.Container("sidecar", essential: false));
        var arn = task.TaskArn!;
        world.TaskReports(arn, "RUNNING");

        world.ContainerReports(arn, "sidecar", "STOPPED", exitCode: 1);
        Assert.Equal("RUNNING", world.Task(arn).DesiredStatus);

        world.Time = Now.AddMinutes(1);
        world.ContainerReports(arn, "app", "STOPPED", exitCode: 0);
        var stopping = world.Task(arn);
        Assert.Equal(("STOPPED", "EssentialContainerExited", "Essential container in task exited"), (stopping.DesiredStatus, stopping.StopCode, stopping.StoppedReason));
        Assert.Equal(world.Time, stopping.StoppingAt);
        Assert.Equal(0, stopping.Containers![0].ExitCode);

        world.TaskReports(arn, "STOPPED");
        Assert.Equal("EssentialContainerExited", world.Task(arn).StopCode);
    }

    [Fact]
    public void ATaskStoppedBeforeItRanFailedToStartWithTheReportedReason()
    {
        var (world, task) = Running();
        const string reason = "CannotPullContainerError: pull access denied for nope";
        world.TaskReports(task.TaskArn!, "STOPPED", reason, new ContainerStateChange { ContainerName = "app", Status = "STOPPED", Reason = reason });
        var stopped = world.Task(task.TaskArn!);
        Assert.Equal(("TaskFailedToStart", reason), (stopped.StopCode, stopped.StoppedReason));
        Assert.Equal(("STOPPED", "STOPPED"), (stopped.LastStatus, stopped.DesiredStatus));
        Assert.Null(stopped.StartedAt);
    }

    [Fact]
    public void AContainerThatFailsToStartFailsTheTask()
    {
        var (world, task) = Running();
        world.ContainerReports(task.TaskArn!, "app", "STOPPED", reason: "CannotStartContainerError: boom");
        var stopping = world.Task(task.TaskArn!);
        Assert.Equal(("STOPPED", "TaskFailedToStart", "CannotStartContainerError: boom"), (stopping.DesiredStatus, stopping.StopCode, stopping.StoppedReason));
    }

    [Fact]
    public void ContainerStatusOnlyMovesForwardButLateDetailsAreKept()
    {
        var (world, task) = Running();
        var arn = task.TaskArn!;
        world.ContainerReports(arn, "app", "RUNNING", bindings: [new NetworkBinding { BindIP = "0.0.0.0", ContainerPort = 80, HostPort = 32768, Protocol = "tcp" }]);
        world.ContainerReports(arn, "app", "PENDING");
        var container = world.Task(arn).Containers![0];
        Assert.Equal("RUNNING", container.LastStatus);
        Assert.Equal(32768, Assert.Single(container.NetworkBindings!).HostPort);
    }

    [Fact]
    public void EveryChangeBumpsTheVersionAndRepeatsWriteNothing()
    {
        var (world, task) = Running();
        var arn = task.TaskArn!;
        world.TaskReports(arn, "PENDING");
        Assert.Equal(2, world.Task(arn).Version);
        var repeat = TaskStateDecisions.SubmitTask(world.State, Scope, Now, new SubmitTaskStateChangeRequest { Cluster = "web", Task = arn, Status = "PENDING" });
        Assert.Empty(repeat.Mutations);
        Assert.Equal("true", repeat.Result);
        world.ContainerReports(arn, "app", "RUNNING");
        Assert.Equal(3, world.Task(arn).Version);
    }

    [Fact]
    public void HealthComesFromBerthsExtensionMembers()
    {
        var (world, task) = Running();
        var arn = task.TaskArn!;
        world.Apply(TaskStateDecisions.SubmitContainer(world.State, Scope, Now, new SubmitContainerStateChangeRequest { Cluster = "web", Task = arn, ContainerName = "app", Status = "RUNNING", HealthStatus = "HEALTHY" }));
        world.Apply(TaskStateDecisions.SubmitTask(world.State, Scope, Now, new SubmitTaskStateChangeRequest
        {
            Cluster = "web",
            Task = arn,
            Status = "RUNNING",
            HealthStatus = "UNHEALTHY",
            Containers = [new ContainerStateChange { ContainerName = "app", HealthStatus = "UNHEALTHY" }],
        }));
        var reported = world.Task(arn);
        Assert.Equal(("UNHEALTHY", "UNHEALTHY"), (reported.HealthStatus, reported.Containers![0].HealthStatus));
        Assert.Equal("InvalidParameterException", world.Refused(s => TaskStateDecisions.SubmitTask(s, Scope, Now, new SubmitTaskStateChangeRequest { Cluster = "web", Task = arn, HealthStatus = "GREEN" })).ErrorType);
    }

    [Fact]
    public void ReportsAboutUnknownTasksOrContainersAreRefused()
    {
        var (world, task) = Running();
        Assert.Equal("InvalidParameterException", world.Refused(s => TaskStateDecisions.SubmitTask(s, Scope, Now, new SubmitTaskStateChangeRequest { Cluster = "web", Task = "nope", Status = "RUNNING" })).ErrorType);
        Assert.Equal("InvalidParameterException", world.Refused(s => TaskStateDecisions.SubmitContainer(s, Scope, Now, new SubmitContainerStateChangeRequest { Cluster = "web", Task = task.TaskArn, ContainerName = "ghost", Status = "RUNNING" })).ErrorType);
    }

    [Fact]
    public void AssignmentsAreTheInstancesTasksThatAreNotStoppedWithTheirDefinitions()
    {
        var world = new World();
        var instance = world.AddInstance();
        var other = world.AddInstance();
        var definition = world.Define();
        var kept = world.Apply(TaskDecisions.Start(world.State, Scope, world.Ids, Now, new StartTaskRequest { Cluster = "web", TaskDefinition = definition, ContainerInstances = [instance, instance, other] })).Tasks!;
        world.Apply(TaskDecisions.Stop(world.State, Scope, Now, new StopTaskRequest { Cluster = "web", Task = kept[1].TaskArn }));
        var done = world.Apply(TaskDecisions.Start(world.State, Scope, world.Ids, Now, new StartTaskRequest { Cluster = "web", TaskDefinition = definition, ContainerInstances = [instance] })).Tasks![0];
        world.TaskReports(done.TaskArn!, "STOPPED", "CannotPullContainerError: x");

        var assignments = AgentAssignments.For(world.State, instance);

        Assert.Equal(new[] { kept[0].TaskArn!, kept[1].TaskArn! }.Order(StringComparer.Ordinal), assignments.Select(a => a.Task.TaskArn!));
        Assert.All(assignments, a => Assert.Equal(definition, a.Definition.TaskDefinitionArn));
        Assert.Equal(EcsTaskStatus.Stopped, assignments.Single(a => a.Task.TaskArn == kept[1].TaskArn).Task.DesiredStatus);
    }
}
