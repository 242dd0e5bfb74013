using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Ecs.Tests.Tasks;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Services;

public class ServicePassTests
{
    private static Service Describe(World world, string name = "web") =>
        Assert.Single(ServiceQueries.Describe(world.State, Scope, new DescribeServicesRequest { Cluster = World.ClusterName, Services = [name] }).Services!);

    private static PassResult Pass(World world) => world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));

    private static List<TaskRecord> Live(World world, string name = "web") =>
        [.. world.State.Tasks.Values.Where(t => t.Group == "service:" + name && t.DesiredStatus == EcsTaskStatus.Running)];

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

    private static void Fail(World world, string taskArn)
    {
        var failed = world.Record(taskArn) with
        {
            LastStatus = EcsTaskStatus.Stopped,
            DesiredStatus = EcsTaskStatus.Stopped,
            StopCode = StopCode.TaskFailedToStart,
            StoppedReason = "CannotPullContainerError: nope",
        };
        var edit = new StateEdit(world.State);
        edit.Put(failed);
        world.State = edit.State;
    }

    private static Service Create(World world, string definition, int desired = 3, Action<CreateServiceRequest>? change = null)
    {
        var request = new CreateServiceRequest { Cluster = World.ClusterName, ServiceName = "web", TaskDefinition = definition, DesiredCount = desired };
        change?.Invoke(request);
        return world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, world.Time, request));
    }

    private static void Update(World world, Action<UpdateServiceRequest> change)
    {
        var request = new UpdateServiceRequest { Cluster = World.ClusterName, Service = "web" };
        change(request);
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time, request));
    }

    [Fact]
    public void AServiceReachesItsDesiredCountAndSaysItIsSteady()
    {
        var world = new World();
        world.AddInstance();
        world.AddInstance(az: "us-east-1b");
        var created = Create(world, world.Define());
        Assert.Equal(("ACTIVE", "PRIMARY", "IN_PROGRESS"), (created.Status, created.Deployments![0].Status, created.Deployments[0].RolloutState));
        Assert.StartsWith("ecs-svc/", created.Deployments[0].Id);

        Assert.Equal(3, Pass(world).Started);
        var tasks = Live(world);
        Assert.Equal(3, tasks.Count);
        Assert.All(tasks, t => Assert.Equal((created.Deployments[0].Id, "service:web"), (t.StartedBy, t.Group)));

        // Spread over zones first: both instances get tasks.
        Assert.Equal(2, tasks.Select(t => t.ContainerInstanceArn).Distinct().Count());
        Assert.Matches(@"^\(service web\) has started 3 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$", Describe(world).Events![0].Message);

        // Nothing reported yet: a second pass (or a restarted server's first) starts nothing more.
        Assert.Equal(0, Pass(world).Started);
        Assert.Equal(3, Live(world).Count);

        RunAll(world);
        Pass(world);
        var steady = Describe(world);
        Assert.Equal((3, 0, "COMPLETED"), (steady.RunningCount, steady.PendingCount, steady.Deployments![0].RolloutState));
        Assert.Equal("(service web) has reached a steady state.", steady.Events![0].Message);
        Assert.Contains(steady.Events, e => e.Message == $"(service web) (deployment {created.Deployments[0].Id}) deployment completed.");

        // Steady: a pass writes nothing.
        Assert.Empty(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)).Mutations);
    }

    [Fact]
    public void UpdateServiceStoresNewServiceRegistriesAsANewDeployment()
    {
        var world = new World();
        world.AddInstance();
        Create(world, world.Define(), desired: 1);
        var before = Describe(world).Deployments!.Count;
        Update(world, r => r.ServiceRegistries = [new ServiceRegistry { RegistryArn = "arn:aws:servicediscovery:us-east-1:000000000000:service/srv-1", ContainerName = "app", ContainerPort = 80 }]);
        var after = Describe(world);
        Assert.Equal("arn:aws:servicediscovery:us-east-1:000000000000:service/srv-1", Assert.Single(after.ServiceRegistries!).RegistryArn);
        Assert.Equal(before + 1, after.Deployments!.Count);
    }

    [Fact]
    public void ADaemonRefusesADesiredCountInECSsWords()
    {
        var world = new World();
        var refused = Assert.Throws<Berth.Protocol.Errors.AwsException>(() => Create(world, world.Define(), desired: 2, r => r.SchedulingStrategy = "DAEMON"));
        Assert.Equal("The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again", refused.Message);
    }

    [Fact]
    public void ADaemonRefusesADesiredCountOnUpdateInECSsWordsToo()
    {
        var world = new World();
        world.AddInstance();
        Create(world, world.Define(), desired: 0, r => r.SchedulingStrategy = "DAEMON");
        var refused = Assert.Throws<Berth.Protocol.Errors.AwsException>(() => Update(world, r => r.DesiredCount = 2));
        Assert.Equal("The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again", refused.Message);
    }

    [Fact]
    public void AnUnknownServiceIsMissingUnderTheArnECSGivesIt()
    {
        var world = new World();
        world.AddInstance();
        Create(world, world.Define(), desired: 1);
        var arn = World.Prefix + "service/" + World.ClusterName + "/gone";
        var response = ServiceQueries.Describe(world.State, Scope, new DescribeServicesRequest { Cluster = World.ClusterName, Services = ["web", "nope", arn] });
        Assert.Equal("web", Assert.Single(response.Services!).ServiceName);
        Assert.Equal(
            new (string?, string?)[] { (World.Prefix + "service/nope", "MISSING"), (arn, "MISSING") },
            response.Failures!.Select(f => (f.Arn, f.Reason)));
    }

    [Fact]
    public void AnExitedTaskIsReplaced()
    {
        var world = new World();
        world.AddInstance();
        Create(world, world.Define(), desired: 2);
        Pass(world);
        RunAll(world);
        Pass(world);
        var victim = Live(world)[0].TaskArn!;
        world.TaskReports(victim, "STOPPED", "Essential container in task exited");
        Assert.Equal(1, Pass(world).Started);
        Assert.Equal(2, Live(world).Count);
        Assert.DoesNotContain(Live(world), t => t.TaskArn == victim);
    }

    [Fact]
    public void ARollingDeploymentReplacesEveryTaskAndDropsTheOldDeployment()
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        var first = world.Define();
        Create(world, first);
        Pass(world);
        RunAll(world);
        Pass(world);

        var second = world.Define();
        Update(world, r => r.TaskDefinition = second);
        var during = Describe(world);
        Assert.Equal(["PRIMARY", "ACTIVE"], during.Deployments!.Select(d => d.Status));
        Assert.Equal(second, during.TaskDefinition);

        Assert.Equal(3, Pass(world).Started); // maximumPercent 200: all new ones first
        Assert.Equal(6, Live(world).Count);
        Assert.Equal(0, Pass(world).Stopped); // not running yet: old ones stay (minimumHealthyPercent 100)
        RunAll(world);
        Assert.Equal(3, Pass(world).Stopped);
        Assert.All(Live(world), t => Assert.Equal(second, t.TaskDefinitionArn));
        StopAsked(world);
        Pass(world);
        var done = Describe(world);
        var deployment = Assert.Single(done.Deployments!);
        Assert.Equal(("PRIMARY", "COMPLETED", 3), (deployment.Status, deployment.RolloutState, deployment.RunningCount));

        var history = ServiceDeploymentQueries.List(world.State, Scope, new ListServiceDeploymentsRequest { Cluster = World.ClusterName, Service = "web" }).ServiceDeployments!;
        Assert.Equal(["SUCCESSFUL", "SUCCESSFUL"], history.Select(h => h.Status));
        var revisions = ServiceDeploymentQueries.Revisions(world.State, Scope, new DescribeServiceRevisionsRequest { ServiceRevisionArns = [history[0].TargetServiceRevisionArn!] }).ServiceRevisions!;
        Assert.Equal(second, Assert.Single(revisions).TaskDefinition);
    }

    [Fact]
    public void TheCircuitBreakerFailsTheDeploymentAndRollsBack()
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        var good = world.Define();
        Create(world, good, desired: 2, r => r.DeploymentConfiguration = new DeploymentConfiguration { DeploymentCircuitBreaker = new DeploymentCircuitBreaker { Enable = true, Rollback = true } });
        Pass(world);
        RunAll(world);
        Pass(world);
        var bad = world.Define();
        Update(world, r => r.TaskDefinition = bad);
        var badDeployment = Describe(world).Deployments![0].Id;

        // Threshold: max(3, ceil(0.5 × 2)) = 3 failed tasks.
        for (var round = 0; round < 3; round++)
        {
            Pass(world);
            foreach (var task in Live(world).Where(t => t.StartedBy == badDeployment).Take(1))
            {
                Fail(world, task.TaskArn!);
            }
        }

        Pass(world);
        var service = Describe(world);
        var failed = service.Deployments!.Single(d => d.Id == badDeployment);
        Assert.Equal(("ACTIVE", "FAILED", "ECS deployment circuit breaker: tasks failed to start."), (failed.Status, failed.RolloutState, failed.RolloutStateReason));
        Assert.True(failed.FailedTasks >= 3);
        Assert.Equal(good, service.TaskDefinition);
        var primary = service.Deployments!.Single(d => d.Status == "PRIMARY");
        Assert.Equal(good, primary.TaskDefinition);
        Assert.Contains(service.Events!, e => e.Message == $"(service web) (deployment {badDeployment}) deployment failed: tasks failed to start.");
        Assert.Contains(service.Events!, e => e.Message!.StartsWith("(service web) rolling back to deployment ecs-svc/", StringComparison.Ordinal));

        for (var round = 0; round < 4; round++)
        {
            RunAll(world);
            StopAsked(world);
            Pass(world);
        }

        var back = Describe(world);
        Assert.Equal(("COMPLETED", good, 2), (Assert.Single(back.Deployments!).RolloutState, back.Deployments![0].TaskDefinition, back.RunningCount));
        var history = ServiceDeploymentQueries.List(world.State, Scope, new ListServiceDeploymentsRequest { Cluster = World.ClusterName, Service = "web" }).ServiceDeployments!;
        Assert.Equal("ROLLBACK_SUCCESSFUL", history[0].Status);
    }

    [Fact]
    public void StoppingADeploymentInProgressRollsBackAndACompletedOneIsAConflict()
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        var good = world.Define();
        Create(world, good, desired: 1);
        Pass(world);
        RunAll(world);
        Pass(world);
        Update(world, r => r.TaskDefinition = world.Define());
        var history = ServiceDeploymentQueries.List(world.State, Scope, new ListServiceDeploymentsRequest { Cluster = World.ClusterName, Service = "web" }).ServiceDeployments!;
        var (inProgress, completed) = (history[0].ServiceDeploymentArn!, history[1].ServiceDeploymentArn!);

        Assert.Equal("ConflictException", world.Refused(s => ServiceDeploymentQueries.Stop(s, Scope, world.Ids, Now, new StopServiceDeploymentRequest { ServiceDeploymentArn = completed })).ErrorType);
        world.Apply(ServiceDeploymentQueries.Stop(world.State, Scope, world.Ids, Now, new StopServiceDeploymentRequest { ServiceDeploymentArn = inProgress }));

        var service = Describe(world);
        Assert.Equal(good, service.TaskDefinition);
        Assert.Equal(good, service.Deployments!.Single(d => d.Status == "PRIMARY").TaskDefinition);
        Assert.Contains(service.Events!, e => e.Message!.StartsWith("(service web) rolling back to deployment ecs-svc/", StringComparison.Ordinal));
        var record = Assert.Single(ServiceDeploymentQueries.Describe(world.State, Scope, new DescribeServiceDeploymentsRequest { ServiceDeploymentArns = [inProgress] }).ServiceDeployments!);
        Assert.Equal(("ROLLBACK_IN_PROGRESS", "Service deployment stopped by user."), (record.Status, record.Rollback!.Reason));
    }

    [Fact]
    public void AServiceThatCannotPlaceSaysWhyOnceAndBacksOff()
    {
        var world = new World();
        world.AddInstance(memory: 100);
        Create(world, world.Define(containers: [World.Container(memory: 512)]), desired: 1);
        var result = Pass(world);
        Assert.Equal(0, result.Started);
        Assert.Equal(world.Time.AddSeconds(1), result.WakeAt);
        var events = Describe(world).Events!;
        Assert.Matches(@"^\(service web\) was unable to place a task because no container instance met all of its requirements\. The closest matching \(container-instance [0-9a-f]{32}\) has insufficient memory available\. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide\.$", events[0].Message);

        // Retries back off (1 s, 2 s, 4 s ...) and say it again at most once a minute.
        world.Time = world.Time.AddSeconds(1);
        Assert.Equal(world.Time.AddSeconds(2), Pass(world).WakeAt);
        Assert.Single(Describe(world).Events!);
    }

    [Fact]
    public void DrainingAnInstanceMovesTheServicesTasksElsewhere()
    {
        var world = new World();
        var a = world.AddInstance();
        var b = world.AddInstance(az: "us-east-1b");
        Create(world, world.Define(), desired: 2);
        Pass(world);
        RunAll(world);
        Pass(world);
        Assert.Equal(2, Live(world).Select(t => t.ContainerInstanceArn).Distinct().Count());

        world.Apply(ContainerInstanceDecisions.UpdateState(world.State, Scope, new UpdateContainerInstancesStateRequest { Cluster = World.ClusterName, ContainerInstances = [a], Status = "DRAINING" }));
        Assert.Equal(1, Pass(world).Started);
        RunAll(world);
        Assert.Equal(1, Pass(world).Stopped);
        StopAsked(world);
        Pass(world);
        Assert.All(Live(world), t => Assert.Equal(b, t.ContainerInstanceArn));
        Assert.Equal(2, Live(world).Count);
    }

    [Fact]
    public void ADaemonFollowsInstancesAsTheyJoin()
    {
        var world = new World();
        world.AddInstance();
        world.AddInstance();
        Create(world, world.Define(), desired: 0, r =>
        {
            r.SchedulingStrategy = "DAEMON";
            r.DesiredCount = null;
        });
        Assert.Equal(2, Pass(world).Started);
        Assert.Equal(2, Live(world).Select(t => t.ContainerInstanceArn).Distinct().Count());
        var third = world.AddInstance();
        Assert.Equal(1, Pass(world).Started);
        Assert.Contains(Live(world), t => t.ContainerInstanceArn == third);
        Assert.Equal(3, Describe(world).DesiredCount);
    }

    [Fact]
    public void DeletingAServiceStopsItsTasksThenMakesItInactive()
    {
        var world = new World();
        world.AddInstance();
        Create(world, world.Define(), desired: 2);
        Pass(world);
        RunAll(world);
        Pass(world);
        Assert.Equal("InvalidParameterException", world.Refused(s => ServiceDecisions.Delete(s, Scope, Now, new DeleteServiceRequest { Cluster = World.ClusterName, Service = "web" })).ErrorType);
        Assert.Equal("DRAINING", world.Apply(ServiceDecisions.Delete(world.State, Scope, Now, new DeleteServiceRequest { Cluster = World.ClusterName, Service = "web", Force = true })).Status);
        Assert.Equal(2, Pass(world).Stopped);
        Assert.All(world.State.Tasks.Values.Where(t => t.Group == "service:web"), t => Assert.Equal(StopCode.ServiceSchedulerInitiated, t.StopCode));
        StopAsked(world);
        Pass(world);
        Assert.Equal("INACTIVE", Describe(world).Status);
        Assert.Empty(ServiceQueries.List(world.State, Scope, new ListServicesRequest { Cluster = World.ClusterName }).ServiceArns!);
    }

    [Fact]
    public void CreateRefusesWhatEcsRefuses()
    {
        var world = new World();
        var definition = world.Define();
        Create(world, definition);
        Assert.Equal("Creation of service was not idempotent.", world.Refused(s => ServiceDecisions.Create(s, Scope, Principal, world.Ids, Now, new CreateServiceRequest { Cluster = World.ClusterName, ServiceName = "web", TaskDefinition = definition, DesiredCount = 1 })).Message);
        Assert.Equal("ServiceNotFoundException", world.Refused(s => ServiceDecisions.Update(s, Scope, world.Ids, Now, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "nope", DesiredCount = 1 })).ErrorType);
        Assert.Equal("InvalidParameterException", world.Refused(s => ServiceDecisions.Create(s, Scope, Principal, world.Ids, Now, new CreateServiceRequest { Cluster = World.ClusterName, ServiceName = "bad name", TaskDefinition = definition, DesiredCount = 1 })).ErrorType);
        Assert.Equal("InvalidParameterException", world.Refused(s => ServiceDecisions.Create(s, Scope, Principal, world.Ids, Now, new CreateServiceRequest { Cluster = World.ClusterName, ServiceName = "x", TaskDefinition = definition })).ErrorType);
        Assert.Equal("minimumHealthyPercent must be between 0 and 100.", world.Refused(s => ServiceDecisions.Create(s, Scope, Principal, world.Ids, Now, new CreateServiceRequest
        {
            Cluster = World.ClusterName,
            ServiceName = "x",
            TaskDefinition = definition,
            DesiredCount = 1,
            DeploymentConfiguration = new DeploymentConfiguration { MinimumHealthyPercent = 150 },
        })).Message);
    }
}
