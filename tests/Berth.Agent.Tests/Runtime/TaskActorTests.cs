using System.Collections.Concurrent;
using Berth.Agent.Engine;
using Berth.Agent.Runtime;
using Berth.Docker;
using Berth.Ecs.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Agent.Tests.Runtime;

/// <summary>A task actor on the real engine: a failing step stops the task with its reason, and health comes from Docker's events.</summary>
public sealed class TaskActorTests(AgentDockerFixture fixture) : IClassFixture<AgentDockerFixture>, IDisposable
{
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("berth-agent-test-data-");

    public void Dispose() => _dataDir.Delete(recursive: true);

    [Theory]
    [InlineData("ImageExistsAsync")]
    [InlineData("CreateContainerAsync")]
    [InlineData("StartContainerAsync")]
    [InlineData("WaitContainerAsync")]
    public async Task A_step_that_throws_unexpectedly_stops_the_task_with_its_reason_and_leaves_no_container(string failingOperation)
    {
        var (engine, _) = EngineProbe.Over(fixture.Docker, failingOperation, new InvalidOperationException($"{failingOperation} answered nonsense"));
        var assignment = AgentDockerFixture.Assignment(fixture.Container("app", "sleep", "300"));
        var reports = new ConcurrentQueue<TaskReport>();
        var actor = NewActor(assignment, engine, reports);

        await actor.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(90));

        var stopped = Assert.Single(reports, r => r.Status == "STOPPED");
        Assert.Equal($"Berth agent error: {failingOperation} answered nonsense", stopped.Reason);
        Assert.Same(stopped, reports.Last());
        Assert.Equal("STOPPED", Assert.Single(stopped.Containers).Status);
        Assert.Empty(await fixture.ContainersOfAsync(actor.TaskArn));
    }

    [Fact]
    public async Task A_stop_that_throws_still_stops_the_task_and_its_container_is_removed()
    {
        var (engine, _) = EngineProbe.Over(fixture.Docker, "StopContainerAsync", new InvalidOperationException("stop answered nonsense"));
        var assignment = AgentDockerFixture.Assignment(fixture.Container("app", "sleep", "300"));
        var reports = new ConcurrentQueue<TaskReport>();
        var actor = NewActor(assignment, engine, reports);
        var run = actor.RunAsync(CancellationToken.None);
        await AgentDockerFixture.ReportAsync(reports, r => r.Status == "RUNNING", "RUNNING");

        actor.Desire(new EcsTask { DesiredStatus = "STOPPED" });
        await run.WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal("STOPPED", reports.Last().Status);
        Assert.Empty(await fixture.ContainersOfAsync(actor.TaskArn));
    }

    [Fact]
    public async Task Health_comes_from_the_engines_events_and_an_adopting_agent_reads_it_once()
    {
        var (engine, probe) = EngineProbe.Over(fixture.Docker);
        var db = fixture.Container("db", "sleep", "300");
        db.HealthCheck = new HealthCheck { Command = ["CMD-SHELL", "true"], Interval = 1, Timeout = 2, Retries = 1 };
        var app = fixture.Container("app", "sleep", "300");
        app.DependsOn = [new ContainerDependency { ContainerName = "db", Condition = "HEALTHY" }];
        var assignment = AgentDockerFixture.Assignment(db, app);
        var reports = new ConcurrentQueue<TaskReport>();
        var actor = NewActor(assignment, engine, reports);
        using var first = new CancellationTokenSource();
        var events = RouteEventsAsync(actor, first.Token);
        var run = actor.RunAsync(first.Token);

        // app waits for db's HEALTHY, which only the event stream tells: nothing inspects the containers meanwhile.
        var running = await AgentDockerFixture.ReportAsync(reports, r => r.Status == "RUNNING", "RUNNING");
        Assert.Equal("HEALTHY", running.Containers.Single(c => c.ContainerName == "db").HealthStatus);
        Assert.Equal("RUNNING", running.Containers.Single(c => c.ContainerName == "app").Status);
        Assert.Equal("HEALTHY", running.HealthStatus);
        Assert.Equal(0, probe.CallsTo(nameof(IDockerEngine.InspectContainerAsync)));

        // The agent stops (its containers stay); the next one adopts them, and health that changed before it started is
        // not in its event stream: the adoption's inspect tells it.
        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await events;
        assignment.Task!.LastStatus = "RUNNING";
        var adopted = await fixture.ContainersOfAsync(actor.TaskArn);
        Assert.Equal(2, adopted.Count);
        var again = new ConcurrentQueue<TaskReport>();
        var successor = NewActor(assignment, fixture.Docker, again, adopted);
        var rerun = successor.RunAsync(CancellationToken.None);
        var view = await AgentDockerFixture.ReportAsync(again, r => r.Containers.Count == 2, "after adoption");
        Assert.Equal("HEALTHY", view.Containers.Single(c => c.ContainerName == "db").HealthStatus);
        Assert.All(view.Containers, c => Assert.Equal("RUNNING", c.Status));

        successor.Desire(new EcsTask { DesiredStatus = "STOPPED" });
        await rerun.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal("STOPPED", again.Last().Status);
        Assert.Empty(await fixture.ContainersOfAsync(actor.TaskArn));
    }

    private TaskActor NewActor(Ecs.Model.Agent.AgentAssignment assignment, IDockerEngine engine, ConcurrentQueue<TaskReport> reports, IEnumerable<ContainerSummary>? adopted = null)
        => new(
            assignment,
            fixture.InstanceArn,
            engine,
            (report, _) =>
            {
                reports.Enqueue(report);
                return Task.CompletedTask;
            },
            fixture.Options(_dataDir.FullName),
            adopted ?? [],
            TimeProvider.System,
            NullLogger.Instance);

    // What AgentRuntime does: the engine's health events of the task's containers go to its actor.
    private Task RouteEventsAsync(TaskActor actor, CancellationToken cancellationToken)
        => Task.Run(() => ContainerEvents.RunAsync(
            fixture.Docker,
            fixture.Options(_dataDir.FullName).ReconnectRetry,
            TimeProvider.System,
            new Random(3),
            e =>
            {
                if (e.Attributes.GetValueOrDefault(ContainerSpecs.TaskArnLabel) == actor.TaskArn)
                {
                    actor.Observe(e);
                }
            },
            actor.ResyncHealth,
            NullLogger.Instance,
            cancellationToken), CancellationToken.None);
}
