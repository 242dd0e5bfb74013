using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Berth.EndToEnd.Tests.Services.ServiceKit;

namespace Berth.EndToEnd.Tests.Services;

/// <summary>
/// Replica services on the local engine as the AWS CLI and boto3 show them: scaling, replacing a killed task,
/// the circuit breaker with rollback, and a rolling update that keeps every task serving.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class ServiceSchedulerTests(ServicesFixture fixture, ITestOutputHelper output)
{
    private const string Cluster = "default";

    private EcsSession Ecs => fixture.Ecs;

    [Fact]
    public async Task Scale_from_0_to_3_starts_three_containers_and_reaches_steady_state_then_back_to_0_stops_them()
    {
        var family = "svc-scale-" + fixture.RunId;
        var definition = await RegisterSleeperAsync(Ecs, family, fixture.Image);
        const string Name = "scale";
        try
        {
            var created = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "create-service", "--cluster", Cluster, "--service-name", Name, "--task-definition", family, "--desired-count", "0"))!["service"]!;
            Assert.Equal("ACTIVE", (string?)created["status"]);
            Assert.Equal(0, (int?)created["desiredCount"]);
            var deployment = Assert.Single(created["deployments"]!.AsArray())!;
            Assert.Equal("PRIMARY", (string?)deployment["status"]);
            Assert.StartsWith("ecs-svc/", (string?)deployment["id"], StringComparison.Ordinal);

            var steady = await WaitSteadyAsync(Ecs, Cluster, Name, definition, 0);
            Assert.Empty(await TasksAsync(Ecs, Cluster, Name));
            var steadyBefore = SteadyEvents(steady);

            // 0 → 3.
            var updated = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "update-service", "--cluster", Cluster, "--service", Name, "--desired-count", "3"))!["service"]!;
            Assert.Equal(3, (int?)updated["desiredCount"]);
            var scaled = await WaitSteadyAsync(Ecs, Cluster, Name, definition, 3, steadyBefore);
            output.WriteLine(string.Join("\n", Events(scaled)));

            var tasks = await TasksAsync(Ecs, Cluster, Name);
            Assert.Equal(3, tasks.Count);
            var primaryId = (string)scaled["deployments"]![0]!["id"]!;
            Assert.All(tasks, t =>
            {
                Assert.Equal("RUNNING", (string?)t["lastStatus"]);
                Assert.Equal(primaryId, (string?)t["startedBy"]);
                Assert.Equal("service:" + Name, (string?)t["group"]);
                Assert.Equal(definition, (string?)t["taskDefinitionArn"]);
            });

            // The started events (one or several) name exactly these three tasks.
            Assert.Equal(tasks.Select(t => IdOf((string)t["taskArn"]!)).Order(), StartedTaskIds(scaled, Name).Order());
            Assert.Equal($"(service {Name}) has reached a steady state.", Events(scaled)[0]);
            Assert.Equal(3, (await RunningContainersAsync(family)).Count);

            // The CLI shows the same.
            var described = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "describe-services", "--cluster", Cluster, "--services", Name))!["services"]![0]!;
            Assert.Equal(3, (int?)described["runningCount"]);
            Assert.Equal("COMPLETED", (string?)described["deployments"]![0]!["rolloutState"]);

            // 3 → 0.
            var steadyAt3 = SteadyEvents(scaled);
            await Clients.AwsJsonAsync(fixture.Server, "ecs", "update-service", "--cluster", Cluster, "--service", Name, "--desired-count", "0");
            var arns = tasks.Select(t => (string)t["taskArn"]!).ToList();
            var stopped = await Ecs.WaitTasksAsync(Cluster, arns, t => (string?)t["lastStatus"] == "STOPPED", "STOPPED", ServiceTimeout);
            Assert.All(stopped, t =>
            {
                Assert.Equal("ServiceSchedulerInitiated", (string?)t["stopCode"]);
                Assert.StartsWith("Scaling activity initiated by (deployment ecs-svc/", (string?)t["stoppedReason"], StringComparison.Ordinal);
            });
            var down = await WaitSteadyAsync(Ecs, Cluster, Name, definition, 0, steadyAt3);
            Assert.Equal(0, (int?)down["runningCount"]);
            Assert.Equal(arns.Select(IdOf).Order(), StoppedTaskIds(down, Name).Order());
            await Poll.UntilAsync(async () => (await RunningContainersAsync(family)).Count == 0, ServiceTimeout, () => "the containers still run");
        }
        finally
        {
            await DeleteAsync(Ecs, Cluster, Name);
        }
    }

    [Fact]
    public async Task A_killed_container_stops_its_task_and_the_service_starts_a_replacement()
    {
        var family = "svc-kill-" + fixture.RunId;
        var definition = await RegisterSleeperAsync(Ecs, family, fixture.Image);
        const string Name = "kill";
        try
        {
            await Ecs.OkAsync("create_service", new JsonObject { ["cluster"] = Cluster, ["serviceName"] = Name, ["taskDefinition"] = definition, ["desiredCount"] = 2 });
            var steady = await WaitSteadyAsync(Ecs, Cluster, Name, definition, 2);
            var tasks = await TasksAsync(Ecs, Cluster, Name);
            Assert.Equal(2, tasks.Count);
            var victim = tasks[0];
            var victimArn = (string)victim["taskArn"]!;
            var runtimeId = (string)victim["containers"]![0]!["runtimeId"]!;

            await DockerCli.OkAsync("kill", runtimeId);

            var dead = await Ecs.WaitStatusAsync(Cluster, victimArn, "STOPPED", ServiceTimeout);
            Assert.Equal("EssentialContainerExited", (string?)dead["stopCode"]);
            Assert.Equal(137, (int?)dead["containers"]![0]!["exitCode"]);

            var back = await WaitSteadyAsync(Ecs, Cluster, Name, definition, 2, SteadyEvents(steady));
            var now = await TasksAsync(Ecs, Cluster, Name);
            Assert.Equal(2, now.Count);
            Assert.DoesNotContain(victimArn, now.Select(t => (string)t["taskArn"]!));
            Assert.Contains((string)tasks[1]["taskArn"]!, now.Select(t => (string)t["taskArn"]!));
            Assert.All(now, t => Assert.Equal("RUNNING", (string?)t["lastStatus"]));
            var replacement = now.Single(t => (string)t["taskArn"]! != (string)tasks[1]["taskArn"]!);
            Assert.Contains(IdOf((string)replacement["taskArn"]!), StartedTaskIds(back, Name));
            Assert.Equal(2, (int?)back["runningCount"]);
            Assert.Equal(2, (await RunningContainersAsync(family)).Count);
        }
        finally
        {
            await DeleteAsync(Ecs, Cluster, Name);
        }
    }

    [Fact]
    public async Task A_revision_that_cannot_start_trips_the_circuit_breaker_and_rolls_back_to_the_last_completed_deployment()
    {
        var family = "svc-breaker-" + fixture.RunId;
        // The good revision turns HEALTHY a few seconds after it runs: the rollback takes that long, and meanwhile
        // DescribeServices shows the failed deployment beside it (it is dropped once the rollback completes).
        var good = await RegisterSleeperAsync(Ecs, family, fixture.Image, healthCheck: ReadyCheck, command: "sleep 1; touch /ready; " + SleeperCommand);
        var bad = await RegisterSleeperAsync(Ecs, family, "127.0.0.1:1/nope:1");
        const string Name = "breaker";
        try
        {
            await Ecs.OkAsync("create_service", new JsonObject { ["cluster"] = Cluster, ["serviceName"] = Name, ["taskDefinition"] = good, ["desiredCount"] = 2 });
            var steady = await WaitSteadyAsync(Ecs, Cluster, Name, good, 2);
            var goodDeployment = (string)steady["deployments"]![0]!["id"]!;

            var updated = (await Clients.AwsJsonAsync(fixture.Server, "ecs", "update-service", "--cluster", Cluster, "--service", Name, "--task-definition", bad,
                "--deployment-configuration", "deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,minimumHealthyPercent=100"))!["service"]!;
            var badDeployment = (string)updated["deployments"]!.AsArray().Single(d => (string?)d!["status"] == "PRIMARY")!["id"]!;
            Assert.NotEqual(goodDeployment, badDeployment);

            // Watch every deployment the service shows until it is steady on the good revision again.
            var seen = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
            var running = new List<int>();
            var final = await WaitAsync(
                Ecs,
                Cluster,
                Name,
                s =>
                {
                    foreach (var d in s["deployments"]!.AsArray())
                    {
                        seen[(string)d!["id"]!] = d.DeepClone();
                    }

                    running.Add((int)s["runningCount"]!);
                    return Steady(s, good, 2) && SteadyEvents(s) > SteadyEvents(steady) && seen.Count >= 3;
                },
                "back on the good revision");
            output.WriteLine(string.Join("\n", Events(final)));

            var failed = seen[badDeployment];
            Assert.Equal("FAILED", (string?)failed["rolloutState"]);
            Assert.Contains("circuit breaker", (string?)failed["rolloutStateReason"], StringComparison.Ordinal);
            Assert.Equal(bad, (string?)failed["taskDefinition"]);
            Assert.True((int)failed["failedTasks"]! >= 3, failed.ToJsonString());

            // One PRIMARY deployment, COMPLETED, on the good revision: a new deployment, not the first one.
            var primary = Assert.Single(final["deployments"]!.AsArray())!;
            var rollbackId = (string)primary["id"]!;
            Assert.NotEqual(goodDeployment, rollbackId);
            Assert.NotEqual(badDeployment, rollbackId);
            Assert.Equal(good, (string?)final["taskDefinition"]);

            var events = Events(final);
            Assert.Contains($"(service {Name}) (deployment {badDeployment}) deployment failed: tasks failed to start.", events);
            Assert.Contains($"(service {Name}) rolling back to deployment {goodDeployment}.", events);
            Assert.Contains($"(service {Name}) (deployment {rollbackId}) deployment completed.", events);

            // The good tasks kept serving throughout (min 100 %), and the service ends with its two tasks running.
            Assert.All(running, r => Assert.True(r >= 2, $"runningCount dropped to {r}"));
            var tasks = await TasksAsync(Ecs, Cluster, Name);
            Assert.Equal(2, tasks.Count);
            Assert.All(tasks, t =>
            {
                Assert.Equal("RUNNING", (string?)t["lastStatus"]);
                Assert.Equal(good, (string?)t["taskDefinitionArn"]);
            });

            // The bad revision's tasks failed to start, but for those still starting when the rollback stopped them.
            var stopped = (await TasksAsync(Ecs, Cluster, Name, "STOPPED")).Where(t => (string?)t["startedBy"] == badDeployment).ToList();
            Assert.True(stopped.Count(t => (string?)t["stopCode"] == "TaskFailedToStart") >= 3, $"{stopped.Count} stopped tasks");
            Assert.All(stopped, t => Assert.Contains((string?)t["stopCode"], new[] { "TaskFailedToStart", "ServiceSchedulerInitiated" }));
            Assert.All(stopped, t => Assert.Equal("STOPPED", (string?)t["lastStatus"]));
        }
        finally
        {
            await DeleteAsync(Ecs, Cluster, Name);
        }
    }

    [Fact]
    public async Task A_rolling_update_at_100_200_percent_never_has_fewer_than_desired_running_nor_more_than_twice_live()
    {
        var family = "svc-roll-" + fixture.RunId;
        var first = await RegisterSleeperAsync(Ecs, family, fixture.Image);
        // The new revision turns HEALTHY some seconds after it runs, which holds the rollout open while it is sampled.
        var second = await RegisterSleeperAsync(Ecs, family, fixture.Image, healthCheck: ReadyCheck, command: "touch /ready; " + SleeperCommand);
        const string Name = "roll";
        const int Desired = 3;
        try
        {
            await Ecs.OkAsync("create_service", new JsonObject
            {
                ["cluster"] = Cluster,
                ["serviceName"] = Name,
                ["taskDefinition"] = first,
                ["desiredCount"] = Desired,
                ["deploymentConfiguration"] = new JsonObject { ["maximumPercent"] = 200, ["minimumHealthyPercent"] = 100 },
            });
            var steady = await WaitSteadyAsync(Ecs, Cluster, Name, first, Desired);

            await Clients.AwsJsonAsync(fixture.Server, "ecs", "update-service", "--cluster", Cluster, "--service", Name, "--task-definition", second);

            // Sample the tasks as often as the session answers until the rollout completes.
            var samples = 0;
            var minRunning = int.MaxValue;
            var maxLive = 0;
            var maxNew = 0;
            JsonNode? last = null;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                var live = await TasksAsync(Ecs, Cluster, Name);
                var runningLive = live.Count(t => (string?)t["lastStatus"] == "RUNNING" && (string?)t["desiredStatus"] == "RUNNING");
                var liveNow = live.Count(t => (string?)t["desiredStatus"] == "RUNNING");
                minRunning = Math.Min(minRunning, runningLive);
                maxLive = Math.Max(maxLive, liveNow);
                maxNew = Math.Max(maxNew, live.Count(t => (string?)t["taskDefinitionArn"] == second));
                samples++;
                Assert.True(runningLive >= Desired, $"sample {samples}: only {runningLive} RUNNING: {new JsonArray([.. live.Select(t => t.DeepClone())]).ToJsonString()}");
                Assert.True(liveNow <= 2 * Desired, $"sample {samples}: {liveNow} live tasks");
                if (samples % 5 == 0)
                {
                    last = await DescribeAsync(Ecs, Cluster, Name);
                    if (Steady(last, second, Desired) && SteadyEvents(last) > SteadyEvents(steady))
                    {
                        break;
                    }

                    Assert.True(clock.Elapsed < ServiceTimeout, $"the rollout never completed: {last.ToJsonString()}");
                }
            }

            output.WriteLine($"{samples} samples; RUNNING at least {minRunning}, live at most {maxLive}, new tasks at most {maxNew}");

            // The rollout was seen under way: old and new tasks live together.
            Assert.True(maxLive > Desired, $"never more than {maxLive} live tasks in {samples} samples");
            Assert.Equal(Desired, maxNew);
            var tasks = await TasksAsync(Ecs, Cluster, Name);
            Assert.Equal(Desired, tasks.Count);
            Assert.All(tasks, t => Assert.Equal(second, (string?)t["taskDefinitionArn"]));
            var done = last!["deployments"]![0]!;
            Assert.Equal("COMPLETED", (string?)done["rolloutState"]);
            Assert.Contains($"(service {Name}) (deployment {(string)done["id"]!}) deployment completed.", Events(last));

            // The old tasks were stopped by the deployment.
            var old = (await TasksAsync(Ecs, Cluster, Name, "STOPPED")).Where(t => (string?)t["taskDefinitionArn"] == first).ToList();
            Assert.Equal(Desired, old.Count);
            Assert.All(old, t => Assert.Equal($"Scaling activity initiated by (deployment {(string)done["id"]!})", (string?)t["stoppedReason"]));
        }
        finally
        {
            await DeleteAsync(Ecs, Cluster, Name);
        }
    }
}
