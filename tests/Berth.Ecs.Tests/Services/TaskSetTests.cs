using System.Text;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tagging;
using Berth.Ecs.Tasks;
using Berth.Ecs.Tests.Tasks;
using Berth.Protocol.Errors;
using Berth.Storage.Documents;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Services;

/// <summary>
/// Services with the EXTERNAL deployment controller and their task sets: ECS's shapes and errors, computed desired
/// counts, the primary task set, and the service pass keeping each task set's share of tasks running.
/// </summary>
public class TaskSetTests
{
    private const string Name = "ext";

    private static Service CreateExternal(World world, int desired = 2, Action<CreateServiceRequest>? change = null)
    {
        var request = new CreateServiceRequest
        {
            Cluster = World.ClusterName,
            ServiceName = Name,
            DesiredCount = desired,
            DeploymentController = new DeploymentController { Type = "EXTERNAL" },
        };
        change?.Invoke(request);
        return world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, world.Time, request));
    }

    private static TaskSet CreateTaskSet(World world, string definition, double? scale, Action<CreateTaskSetRequest>? change = null)
    {
        var request = new CreateTaskSetRequest
        {
            Cluster = World.ClusterName,
            Service = Name,
            TaskDefinition = definition,
            LaunchType = "EC2",
            Scale = scale is { } value ? new Scale { Value = value, Unit = "PERCENT" } : null,
        };
        change?.Invoke(request);
        return world.Apply(TaskSetDecisions.Create(world.State, Scope, world.Ids, world.Time, request));
    }

    private static TaskSet UpdateScale(World world, string? taskSet, double value)
        => world.Apply(TaskSetDecisions.Update(world.State, Scope, world.Time, new UpdateTaskSetRequest { Cluster = World.ClusterName, Service = Name, TaskSet = taskSet, Scale = new Scale { Value = value, Unit = "PERCENT" } }));

    private static TaskSet MakePrimary(World world, string? taskSet)
        => world.Apply(TaskSetDecisions.UpdatePrimary(world.State, Scope, world.Time, new UpdateServicePrimaryTaskSetRequest { Cluster = World.ClusterName, Service = Name, PrimaryTaskSet = taskSet }));

    private static TaskSet Delete(World world, string? taskSet, bool? force = null)
        => world.Apply(TaskSetDecisions.Delete(world.State, Scope, world.Time, new DeleteTaskSetRequest { Cluster = World.ClusterName, Service = Name, TaskSet = taskSet, Force = force }));

    private static DescribeTaskSetsResponse DescribeTaskSets(World world, params string[] taskSets)
        => TaskSetDecisions.Describe(world.State, Scope, new DescribeTaskSetsRequest { Cluster = World.ClusterName, Service = Name, TaskSets = taskSets.Length == 0 ? null : [.. taskSets] });

    private static TaskSet One(World world, string? taskSet) => Assert.Single(DescribeTaskSets(world, taskSet!).TaskSets!);

    private static Service Describe(World world) =>
        Assert.Single(ServiceQueries.Describe(world.State, Scope, new DescribeServicesRequest { Cluster = World.ClusterName, Services = [Name] }).Services!);

    private static PassResult Pass(World world) => world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));

    private static List<TaskRecord> Live(World world, string? startedBy = null) =>
        [.. world.State.Tasks.Values.Where(t => t.Group == "service:" + Name && t.DesiredStatus == EcsTaskStatus.Running && (startedBy is null || t.StartedBy == startedBy))];

    private static void RunAll(World world)
    {
        foreach (var task in world.State.Tasks.Values.Where(t => t.DesiredStatus == EcsTaskStatus.Running && t.LastStatus != EcsTaskStatus.Running).ToList())
        {
            world.TaskReports(task.TaskArn!, "RUNNING");
        }
    }

    private static void StopAsked(World world)
    {
        foreach (var task in world.State.Tasks.Values.Where(t => t.DesiredStatus == EcsTaskStatus.Stopped && t.LastStatus != EcsTaskStatus.Stopped).ToList())
        {
            world.TaskReports(task.TaskArn!, "STOPPED");
        }
    }

    // Passes and agent reports until nothing changes: what the controller and the agents reach together.
    private static void Settle(World world)
    {
        for (var i = 0; i < 10; i++)
        {
            RunAll(world);
            StopAsked(world);
            if (Pass(world) is { Started: 0, Stopped: 0 } && world.State.Tasks.Values.All(t => t.DesiredStatus == t.LastStatus || t.LastStatus == EcsTaskStatus.Stopped))
            {
                Pass(world);
                return;
            }
        }
    }

    public static TheoryData<int, double, int> ComputedCounts => new()
    {
        { 2, 100, 2 },
        { 2, 50, 1 },
        { 3, 50, 2 },     // 1.5 rounds up
        { 10, 12, 2 },    // 1.2 rounds up, ECS's own example
        { 30, 10, 3 },    // exactly 3, not 4 from a binary fraction
        { 3, 33.3, 1 },   // 0.999 rounds up
        { 3, 33.34, 2 },  // 1.0002 rounds up
        { 1, 0.1, 1 },
        { 5, 0, 0 },
        { 0, 100, 0 },
        { 7, 100, 7 },
    };

    [Theory]
    [MemberData(nameof(ComputedCounts))]
    public void TheComputedDesiredCountIsTheScaleOfTheDesiredCountRoundedUp(int desired, double scale, int expected)
        => Assert.Equal(expected, TaskSetDecisions.ComputedDesiredCount(desired, scale));

    [Fact]
    public void AnExternalServiceHasNoDeploymentAndStartsNothingByItself()
    {
        var world = new World();
        world.AddInstance();
        var created = CreateExternal(world, desired: 3);
        Assert.Equal(("ACTIVE", "EXTERNAL", 3), (created.Status, created.DeploymentController!.Type, created.DesiredCount));
        Assert.Empty(created.Deployments!);
        Assert.Empty(created.TaskSets!);
        Assert.Null(created.TaskDefinition);

        Assert.Equal(0, Pass(world).Started);
        Assert.Empty(Live(world));
        Assert.Equal("(service ext) has reached a steady state.", Describe(world).Events![0].Message);
    }

    public static TheoryData<string, Action<CreateServiceRequest>, string> ExternalCreateRefusals => new()
    {
        { "a task definition", r => r.TaskDefinition = "app:1", "taskDefinition must be blank for a service with the EXTERNAL deployment controller: give it to CreateTaskSet." },
        { "a launch type", r => r.LaunchType = "EC2", "launchType must be blank for a service with the EXTERNAL deployment controller: give it to CreateTaskSet." },
        { "load balancers", r => r.LoadBalancers = [new LoadBalancer { TargetGroupArn = "arn:tg", ContainerName = "app", ContainerPort = 80 }], "loadBalancers must be blank for a service with the EXTERNAL deployment controller: give it to CreateTaskSet." },
        { "DAEMON", r => { r.SchedulingStrategy = "DAEMON"; r.DesiredCount = null; }, "The EXTERNAL deployment controller type does not support the DAEMON scheduling strategy." },
        { "no desired count", r => r.DesiredCount = null, "desiredCount is required when schedulingStrategy is REPLICA." },
    };

    [Theory]
    [MemberData(nameof(ExternalCreateRefusals))]
    public void AnExternalServiceRefusesWhatBelongsToTaskSets(string why, Action<CreateServiceRequest> change, string message)
    {
        var world = new World();
        var before = world.State;
        var refused = Assert.Throws<AwsException>(() => CreateExternal(world, change: change));
        Assert.Equal(("InvalidParameterException", message), (refused.ErrorType, refused.Message));
        Assert.Same(before, world.State);
        Assert.NotNull(why);
    }

    [Fact]
    public void CodeDeployIsRefusedAsNotRunByBerth()
    {
        var world = new World();
        var refused = Assert.Throws<AwsException>(() => CreateExternal(world, change: r => r.DeploymentController = new DeploymentController { Type = "CODE_DEPLOY" }));
        Assert.Equal("InvalidParameterException", refused.ErrorType);
        Assert.Contains("CODE_DEPLOY is not supported", refused.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, Func<World, object>> TaskSetOperations => new()
    {
        { "CreateTaskSet", w => CreateTaskSet(w, w.Define(), 100) },
        { "UpdateTaskSet", w => UpdateScale(w, "ecs-svc/1", 50) },
        { "DeleteTaskSet", w => Delete(w, "ecs-svc/1") },
        { "UpdateServicePrimaryTaskSet", w => MakePrimary(w, "ecs-svc/1") },
        { "DescribeTaskSets", w => DescribeTaskSets(w) },
    };

    [Theory]
    [MemberData(nameof(TaskSetOperations))]
    public void TaskSetOperationsOnARollingUpdateServiceAreRefusedInECSsWords(string operation, Func<World, object> call)
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define();
        world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, world.Time, new CreateServiceRequest { Cluster = World.ClusterName, ServiceName = Name, TaskDefinition = definition, DesiredCount = 1 }));
        var refused = Assert.Throws<AwsException>(() => call(world));
        Assert.Equal(("InvalidParameterException", "Amazon ECS only supports task set management on services configured to use external deployment controllers."), (refused.ErrorType, refused.Message));
        Assert.NotNull(operation);
    }

    [Theory]
    [MemberData(nameof(TaskSetOperations))]
    public void TaskSetOperationsOnAnUnknownServiceAreServiceNotFound(string operation, Func<World, object> call)
    {
        var world = new World();
        var refused = Assert.Throws<AwsException>(() => call(world));
        Assert.Equal(("ServiceNotFoundException", "Service not found."), (refused.ErrorType, refused.Message));
        Assert.NotNull(operation);
    }

    public static TheoryData<string, Func<World, object>> UnknownTaskSetOperations => new()
    {
        { "UpdateTaskSet", w => UpdateScale(w, "ecs-svc/9999", 50) },
        { "DeleteTaskSet", w => Delete(w, "ecs-svc/9999") },
        { "UpdateServicePrimaryTaskSet", w => MakePrimary(w, World.Prefix + "task-set/web/ext/ecs-svc/9999") },
    };

    [Theory]
    [MemberData(nameof(UnknownTaskSetOperations))]
    public void AnUnknownTaskSetIsTaskSetNotFound(string operation, Func<World, object> call)
    {
        var world = new World();
        CreateExternal(world);
        var refused = Assert.Throws<AwsException>(() => call(world));
        Assert.Equal("TaskSetNotFoundException", refused.ErrorType);
        Assert.NotNull(operation);
    }

    public static TheoryData<double?, string?, string> BadScales => new()
    {
        { 101, "PERCENT", "The scale value must be between 0 and 100." },
        { -1, "PERCENT", "The scale value must be between 0 and 100." },
        { 50, "COUNT", "Invalid value for scale.unit: COUNT. Valid values are PERCENT." },
    };

    [Theory]
    [MemberData(nameof(BadScales))]
    public void AScaleOutsideZeroToAHundredPercentIsRefused(double? value, string? unit, string message)
    {
        var world = new World();
        world.AddInstance();
        CreateExternal(world);
        var definition = world.Define();
        var refused = Assert.Throws<AwsException>(() => CreateTaskSet(world, definition, null, r => r.Scale = new Scale { Value = value, Unit = unit }));
        Assert.Equal(("InvalidParameterException", message), (refused.ErrorType, refused.Message));
        var made = CreateTaskSet(world, definition, 10);
        refused = Assert.Throws<AwsException>(() => world.Apply(TaskSetDecisions.Update(world.State, Scope, world.Time,
            new UpdateTaskSetRequest { Cluster = World.ClusterName, Service = Name, TaskSet = made.Id, Scale = new Scale { Value = value, Unit = unit } })));
        Assert.Equal(message, refused.Message);
    }

    [Fact]
    public void ATaskSetIsCreatedActiveWithECSsShapeAndTheServiceListsIt()
    {
        var world = new World();
        world.AddInstance();
        CreateExternal(world, desired: 3);
        var definition = world.Define();
        var made = CreateTaskSet(world, definition, 50, r => { r.ExternalId = "deploy-7"; r.Tags = [new Tag { Key = "team", Value = "a" }]; });
        Assert.Matches("^ecs-svc/[0-9]{19}$", made.Id);
        Assert.Equal($"{World.Prefix}task-set/{World.ClusterName}/{Name}/{made.Id}", made.TaskSetArn);
        Assert.Equal((World.Prefix + "service/web/ext", World.Prefix + "cluster/web"), (made.ServiceArn, made.ClusterArn));
        Assert.Equal(("ACTIVE", definition, 2, 0, 0), (made.Status, made.TaskDefinition, made.ComputedDesiredCount, made.RunningCount, made.PendingCount));
        Assert.Equal((50.0, "PERCENT"), (made.Scale!.Value, made.Scale.Unit));
        Assert.Equal(("STABILIZING", world.Time, world.Time, world.Time), (made.StabilityStatus, made.StabilityStatusAt, made.CreatedAt, made.UpdatedAt));
        Assert.Equal(("deploy-7", "EC2", null), (made.ExternalId, made.LaunchType, made.StartedBy));
        Assert.Equal("team", Assert.Single(made.Tags!).Key);

        var service = Describe(world);
        Assert.Equal(made.Id, Assert.Single(service.TaskSets!).Id);
        Assert.Null(service.TaskDefinition);   // no primary task set yet

        // Without a scale, a task set runs nothing; the same client token gives back the same task set.
        var idle = CreateTaskSet(world, definition, null, r => r.ClientToken = "tok");
        Assert.Equal((0.0, 0), (idle.Scale!.Value, idle.ComputedDesiredCount));
        Assert.Equal(idle.Id, CreateTaskSet(world, definition, null, r => r.ClientToken = "tok").Id);
        Assert.Equal(2, DescribeTaskSets(world).TaskSets!.Count);
    }

    [Fact]
    public void EachTaskSetRunsItsShareOfTheDesiredCountOnRealPlacementsAndReachesSteadyState()
    {
        var world = new World();
        world.AddInstance();
        world.AddInstance(az: "us-east-1b");
        CreateExternal(world, desired: 2);
        var blue = CreateTaskSet(world, world.Define("blue"), 100);
        var green = CreateTaskSet(world, world.Define("green"), 50);

        // One task set places per pass.
        Assert.Equal(2, Pass(world).Started);
        Assert.Equal(1, Pass(world).Started);
        Assert.Equal(0, Pass(world).Started);
        Assert.Equal(2, Live(world, blue.Id).Count);
        Assert.Single(Live(world, green.Id));
        Assert.All(Live(world, blue.Id), t => Assert.Equal((blue.TaskDefinition, "service:ext"), (t.TaskDefinitionArn, t.Group)));
        Assert.All(Live(world, green.Id), t => Assert.Equal(green.TaskDefinition, t.TaskDefinitionArn));
        Assert.Equal((0, 2), (One(world, blue.Id).RunningCount, One(world, blue.Id).PendingCount));

        world.Time = world.Time.AddSeconds(5);
        RunAll(world);
        Pass(world);
        var steadyBlue = One(world, blue.Id);
        Assert.Equal((2, 0, "STEADY_STATE", world.Time), (steadyBlue.RunningCount, steadyBlue.PendingCount, steadyBlue.StabilityStatus, steadyBlue.StabilityStatusAt));
        Assert.Equal((1, "STEADY_STATE"), (One(world, green.Id).RunningCount, One(world, green.Id).StabilityStatus));
        var service = Describe(world);
        Assert.Equal((3, 0), (service.RunningCount, service.PendingCount));
        Assert.Equal("(service ext) has reached a steady state.", service.Events![0].Message);

        // Steady: a pass writes nothing.
        Assert.Empty(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)).Mutations);
    }

    [Fact]
    public void ThePrimaryTaskSetIsWhatTheServiceShowsAndMovesWhenAnotherIsChosen()
    {
        var world = new World();
        world.AddInstance();
        CreateExternal(world, desired: 1);
        var blue = CreateTaskSet(world, world.Define("blue"), 100);
        var green = CreateTaskSet(world, world.Define("green"), 0);
        List<string> ListEc2() => ServiceQueries.List(world.State, Scope, new ListServicesRequest { Cluster = World.ClusterName, LaunchType = "EC2" }).ServiceArns!;
        Assert.Empty(ListEc2());

        var primary = MakePrimary(world, blue.TaskSetArn!);
        Assert.Equal([World.Prefix + "service/web/ext"], ListEc2());
        Assert.Equal("PRIMARY", primary.Status);
        var service = Describe(world);
        Assert.Equal((blue.TaskDefinition, "EC2"), (service.TaskDefinition, service.LaunchType));
        Assert.Equal(["PRIMARY", "ACTIVE"], service.TaskSets!.Select(t => t.Status));

        world.Time = world.Time.AddMinutes(1);
        Assert.Equal("PRIMARY", MakePrimary(world, green.Id).Status);
        Assert.Equal(("ACTIVE", world.Time), (One(world, blue.Id).Status, One(world, blue.Id).UpdatedAt));
        Assert.Equal(green.TaskDefinition, Describe(world).TaskDefinition);

        // Making the primary the primary again changes nothing.
        var again = TaskSetDecisions.UpdatePrimary(world.State, Scope, world.Time, new UpdateServicePrimaryTaskSetRequest { Cluster = World.ClusterName, Service = Name, PrimaryTaskSet = green.Id });
        Assert.Empty(again.Mutations);
    }

    [Fact]
    public void ANewScaleOrDesiredCountChangesEveryComputedCountAndThePassFollows()
    {
        var world = new World();
        world.AddInstance();
        CreateExternal(world, desired: 2);
        var blue = CreateTaskSet(world, world.Define("blue"), 100);
        var green = CreateTaskSet(world, world.Define("green"), 50);
        Settle(world);
        Assert.Equal((2, 1), (Live(world, blue.Id).Count, Live(world, green.Id).Count));

        // Green to 100 %: a second green task; blue to 0 %: its tasks stop.
        Assert.Equal(2, UpdateScale(world, green.Id, 100).ComputedDesiredCount);
        Assert.Equal(0, UpdateScale(world, blue.Id, 0).ComputedDesiredCount);
        Settle(world);
        Assert.Equal((0, 2), (Live(world, blue.Id).Count, Live(world, green.Id).Count));
        Assert.All(world.State.Tasks.Values.Where(t => t.StartedBy == blue.Id), t => Assert.Equal(
            (EcsTaskStatus.Stopped, StopCode.ServiceSchedulerInitiated, $"Scaling activity initiated by (deployment {blue.Id})"), (t.LastStatus, t.StopCode, t.StoppedReason)));

        // UpdateService's desired count is every task set's base.
        var updated = world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time, new UpdateServiceRequest { Cluster = World.ClusterName, Service = Name, DesiredCount = 3 }));
        Assert.Equal([0, 3], updated.TaskSets!.Select(t => t.ComputedDesiredCount));
        Assert.Empty(updated.Deployments!);
        Settle(world);
        Assert.Equal(3, Live(world, green.Id).Count);
        Assert.Equal("STEADY_STATE", One(world, green.Id).StabilityStatus);
    }

    [Fact]
    public void AFailedTaskOfATaskSetIsReplaced()
    {
        var world = new World();
        world.AddInstance();
        CreateExternal(world, desired: 2);
        var blue = CreateTaskSet(world, world.Define(), 100);
        Settle(world);
        var victim = Live(world, blue.Id)[0];
        world.TaskReports(victim.TaskArn, "STOPPED", "Essential container in task exited");
        Assert.Equal("STABILIZING", Pass(world) is { Started: 1 } ? One(world, blue.Id).StabilityStatus : "no replacement");
        Assert.DoesNotContain(victim.TaskArn, Live(world, blue.Id).Select(t => t.TaskArn));
        Assert.Equal(2, Live(world, blue.Id).Count);
    }

    [Fact]
    public void DeletingATaskSetScaledAboveZeroNeedsForceThenItDrainsItsTasksAndGoes()
    {
        var world = new World();
        world.AddInstance();
        CreateExternal(world, desired: 2);
        var blue = CreateTaskSet(world, world.Define(), 100);
        Settle(world);
        var tasks = Live(world, blue.Id);
        Assert.Equal(2, tasks.Count);

        var refused = Assert.Throws<AwsException>(() => Delete(world, blue.Id));
        Assert.Equal("InvalidParameterException", refused.ErrorType);

        var deleted = Delete(world, blue.TaskSetArn!, force: true);
        Assert.Equal(("DRAINING", 0), (deleted.Status, deleted.ComputedDesiredCount));
        Assert.Equal(2, Pass(world).Stopped);
        Assert.Empty(Live(world, blue.Id));
        Assert.Equal("DRAINING", One(world, blue.Id).Status);   // its tasks are still stopping

        // A DRAINING task set can be neither scaled nor made primary.
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => UpdateScale(world, blue.Id, 50)).ErrorType);
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => MakePrimary(world, blue.Id)).ErrorType);

        StopAsked(world);
        Pass(world);
        var described = DescribeTaskSets(world, blue.Id!);
        Assert.Empty(described.TaskSets!);
        Assert.Equal((blue.Id, "MISSING"), (Assert.Single(described.Failures!).Arn, described.Failures![0].Reason));
        Assert.Empty(Describe(world).TaskSets!);
        Assert.All(tasks, t => Assert.Equal(EcsTaskStatus.Stopped, world.Record(t.TaskArn).LastStatus));

        // A task set at 0 % goes without force.
        var idle = CreateTaskSet(world, world.Define(), 0);
        Assert.Equal("DRAINING", Delete(world, idle.Id).Status);
    }

    [Fact]
    public void UpdateServiceOfAnExternalServiceRefusesWhatTaskSetsCarry()
    {
        var world = new World();
        world.AddInstance();
        CreateExternal(world);
        var definition = world.Define();
        var refused = Assert.Throws<AwsException>(() => world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time,
            new UpdateServiceRequest { Cluster = World.ClusterName, Service = Name, TaskDefinition = definition })));
        Assert.Equal(("InvalidParameterException", "Unable to update task definition on services with a EXTERNAL deployment controller. Create a new task set with CreateTaskSet instead."), (refused.ErrorType, refused.Message));
        refused = Assert.Throws<AwsException>(() => world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time,
            new UpdateServiceRequest { Cluster = World.ClusterName, Service = Name, ForceNewDeployment = true })));
        Assert.Equal("InvalidParameterException", refused.ErrorType);
    }

    [Fact]
    public void DeletingAnExternalServiceDrainsEveryTaskSetThenTheServiceIsInactive()
    {
        var world = new World();
        world.AddInstance();
        CreateExternal(world, desired: 1);
        var blue = CreateTaskSet(world, world.Define("blue"), 100);
        var green = CreateTaskSet(world, world.Define("green"), 100);
        Settle(world);
        Assert.Equal(2, Live(world).Count);

        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => world.Apply(ServiceDecisions.Delete(world.State, Scope, world.Time,
            new DeleteServiceRequest { Cluster = World.ClusterName, Service = Name }))).ErrorType);
        var draining = world.Apply(ServiceDecisions.Delete(world.State, Scope, world.Time, new DeleteServiceRequest { Cluster = World.ClusterName, Service = Name, Force = true }));
        Assert.Equal("DRAINING", draining.Status);
        Assert.All(draining.TaskSets!, t => Assert.Equal(("DRAINING", 0), (t.Status, t.ComputedDesiredCount)));

        // Task set operations on a service that is no longer ACTIVE.
        Assert.Equal("ServiceNotActiveException", Assert.Throws<AwsException>(() => CreateTaskSet(world, blue.TaskDefinition!, 100)).ErrorType);

        Assert.Equal(2, Pass(world).Stopped);
        StopAsked(world);
        Pass(world);
        var gone = Describe(world);
        Assert.Equal(("INACTIVE", 0), (gone.Status, gone.TaskSets!.Count));
        Assert.NotNull(green);
    }

    [Fact]
    public void TaskSetArnsAreTaggedUntaggedAndListed()
    {
        var world = new World();
        world.AddInstance();
        CreateExternal(world);
        var made = CreateTaskSet(world, world.Define(), 0, r => r.Tags = [new Tag { Key = "team", Value = "a" }]);
        world.Apply(TagDecisions.Tag(world.State, Scope, new TagResourceRequest { ResourceArn = made.TaskSetArn, Tags = [new Tag { Key = "tier", Value = "gold" }] }));
        Assert.Equal(["team=a", "tier=gold"], TagDecisions.List(world.State, Scope, made.TaskSetArn).Select(t => $"{t.Key}={t.Value}").Order());
        world.Apply(TagDecisions.Untag(world.State, Scope, new UntagResourceRequest { ResourceArn = made.TaskSetArn, TagKeys = ["team"] }));
        Assert.Equal(["tier=gold"], TagDecisions.List(world.State, Scope, made.TaskSetArn).Select(t => $"{t.Key}={t.Value}"));

        // DescribeTaskSets shows tags only when asked.
        Assert.Null(One(world, made.Id).Tags);
        var withTags = TaskSetDecisions.Describe(world.State, Scope, new DescribeTaskSetsRequest { Cluster = World.ClusterName, Service = Name, Include = ["TAGS"] });
        Assert.Equal("tier", Assert.Single(Assert.Single(withTags.TaskSets!).Tags!).Key);

        var missing = World.Prefix + $"task-set/{World.ClusterName}/{Name}/ecs-svc/1234";
        Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => TagDecisions.List(world.State, Scope, missing)).ErrorType);
    }

    [Fact]
    public void AServiceWithTaskSetsIsStoredAndLoadsBackTheSame()
    {
        var world = new World();
        world.AddInstance();
        CreateExternal(world, desired: 2);
        var blue = CreateTaskSet(world, world.Define(), 50, r => r.ExternalId = "x");
        MakePrimary(world, blue.Id);
        Settle(world);
        var service = world.State.Services.Values.Single();
        var document = StateCodec.Document(service);
        Assert.Contains("\"deploymentController\":\"EXTERNAL\"", Encoding.UTF8.GetString(document.Body!), StringComparison.Ordinal);
        var loaded = Assert.Single(StateCodec.Load([new StoredDocument(StateCodec.ServiceKind, service.ServiceArn, document.Body!)]).Services.Values);
        Assert.Equal(document.Body, StateCodec.Document(loaded).Body);
        Assert.Equal(("x", TaskSetStatus.Primary, StabilityStatus.SteadyState, 1), (loaded.TaskSets.Single().ExternalId, loaded.TaskSets.Single().Status, loaded.TaskSets.Single().StabilityStatus, loaded.TaskSets.Single().RunningCount));
        Assert.Equal((DeploymentControllerType.External, 2), (loaded.DeploymentController, loaded.DesiredCount));
    }
}
