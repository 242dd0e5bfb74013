using Berth.Ecs.Services;

namespace Berth.Ecs.Tests.Services;

public class ServiceReconcilerTests
{
    private const string New = "ecs-svc/2";
    private const string Old = "ecs-svc/1";

    private static ServiceTaskView T(string arn, string deployment = New, bool running = true, bool healthy = true, bool unhealthy = false, bool evicted = false, bool live = true, string instance = "i1") =>
        new(arn, deployment, instance, live, running, running && healthy, unhealthy, evicted, false);

    private static ServiceView Replica(int desired, int max = 200, int min = 100, bool canStart = true) =>
        new(desired, max, min, New, canStart, false, []);

    [Theory]
    [InlineData(3, 0, 3)] // scale out from nothing: start all
    [InlineData(3, 2, 1)] // one exited: replace it
    [InlineData(0, 0, 0)]
    public void StartsWhatIsMissing(int desired, int have, int starts)
    {
        var plan = ServiceReconciler.Plan(Replica(desired), [.. Enumerable.Range(0, have).Select(i => T("t" + i))]);
        Assert.Equal(starts, plan.Starts);
        Assert.Empty(plan.Stops);
    }

    [Fact]
    public void ScaleInStopsSurplusTasksThatDoNotServeFirst()
    {
        var plan = ServiceReconciler.Plan(Replica(1), [T("serving"), T("pending", running: false), T("serving2")]);
        Assert.Equal(0, plan.Starts);
        Assert.Equal(["pending", "serving"], plan.Stops.Select(s => s.TaskArn).Order());
    }

    [Fact]
    public void ARollingUpdateWithinTwoHundredAndOneHundredStartsAllNewBeforeStoppingOld()
    {
        var old = Enumerable.Range(0, 4).Select(i => T("old" + i, Old)).ToList();
        var plan = ServiceReconciler.Plan(Replica(4, 200, 100), old);
        Assert.Equal(4, plan.Starts);
        Assert.Empty(plan.Stops);

        // New ones running and healthy: the old ones may all go now.
        var both = old.Concat(Enumerable.Range(0, 4).Select(i => T("new" + i))).ToList();
        var next = ServiceReconciler.Plan(Replica(4, 200, 100), both);
        Assert.Equal(0, next.Starts);
        Assert.Equal(4, next.Stops.Count);
        Assert.All(next.Stops, s => Assert.StartsWith("old", s.TaskArn));
    }

    [Fact]
    public void ARollingUpdateWithinOneHundredAndFiftyStopsFirstAndNeverGoesBelowTheMinimum()
    {
        var old = Enumerable.Range(0, 4).Select(i => T("old" + i, Old)).ToList();
        var plan = ServiceReconciler.Plan(Replica(4, 100, 50), old);

        // No room above desired: stop two (50 % stays healthy), then start two.
        Assert.Equal(2, plan.Stops.Count);
        Assert.Equal(2, plan.Starts);
    }

    [Fact]
    public void NewTasksThatAreNotHealthyYetDoNotLetOldOnesGo()
    {
        var tasks = new List<ServiceTaskView> { T("old0", Old), T("old1", Old), T("new0", running: false), T("new1", healthy: false) };
        var plan = ServiceReconciler.Plan(Replica(2, 200, 100), tasks);
        Assert.Empty(plan.Stops);
        Assert.Equal(0, plan.Starts);
        Assert.False(plan.PrimaryComplete);
    }

    [Fact]
    public void UnhealthyTasksAreStoppedAndReplaced()
    {
        var plan = ServiceReconciler.Plan(Replica(2), [T("ok"), T("sick", unhealthy: true, healthy: false)]);
        Assert.Equal(ServiceReconciler.UnhealthyReason, Assert.Single(plan.Stops).Reason);
        Assert.Equal(1, plan.Starts);
    }

    [Fact]
    public void TasksOnADrainingInstanceAreReplacedBeforeTheyStop()
    {
        var tasks = new List<ServiceTaskView> { T("a", instance: "i1"), T("b", instance: "i2", evicted: true) };
        var plan = ServiceReconciler.Plan(Replica(2, 200, 100), tasks);
        Assert.Equal(1, plan.Starts);
        Assert.Empty(plan.Stops);

        // The replacement runs: now the drained one may stop.
        var next = ServiceReconciler.Plan(Replica(2, 200, 100), [.. tasks, T("c", instance: "i1")]);
        Assert.Equal(ServiceReconciler.DrainingReason, Assert.Single(next.Stops).Reason);
        Assert.Equal(0, next.Starts);
    }

    [Fact]
    public void AFailedPrimaryStartsNothingAndLeavesOlderTasksServing()
    {
        var plan = ServiceReconciler.Plan(Replica(2, canStart: false), [T("old0", Old), T("old1", Old)]);
        Assert.Equal(0, plan.Starts);
        Assert.Empty(plan.Stops);
    }

    [Fact]
    public void ScalingToZeroStopsEveryTaskInOnePass()
    {
        // Found by the property tests: the primary's tasks the scale-in stopped were counted a second time against
        // the (zero) minimum, which left the older deployments' healthy tasks running until the next pass.
        var plan = ServiceReconciler.Plan(Replica(0), [T("new0"), T("old0", Old), T("old1", Old)]);
        Assert.Equal(["new0", "old0", "old1"], plan.Stops.Select(s => s.TaskArn).Order());
        Assert.Equal(0, plan.Starts);
    }

    [Fact]
    public void CompleteOnlyWhenThePrimaryHasEverythingAndNothingElseIsLeft()
    {
        Assert.True(ServiceReconciler.Plan(Replica(2), [T("a"), T("b")]).PrimaryComplete);
        Assert.False(ServiceReconciler.Plan(Replica(2), [T("a"), T("b"), T("old", Old)]).PrimaryComplete);
        Assert.True(ServiceReconciler.Plan(Replica(0), []).PrimaryComplete);
        Assert.True(ServiceReconciler.Plan(Replica(2), [T("a"), T("b"), T("gone", live: false)]).PrimaryComplete);
    }

    [Fact]
    public void ADaemonRunsOneTaskPerEligibleInstance()
    {
        var daemon = new ServiceView(0, 100, 0, New, true, true, ["i1", "i2", "i3"]);
        var plan = ServiceReconciler.Plan(daemon, [T("a", instance: "i1"), T("dup", instance: "i1"), T("off", instance: "i9"), T("old", Old, instance: "i2")]);
        Assert.Equal(["i2", "i3"], plan.DaemonTargets);
        Assert.Equal(["dup", "off", "old"], plan.Stops.Select(s => s.TaskArn).Order());
        Assert.False(plan.PrimaryComplete);

        var done = ServiceReconciler.Plan(daemon, [T("a", instance: "i1"), T("b", instance: "i2"), T("c", instance: "i3")]);
        Assert.Empty(done.DaemonTargets);
        Assert.True(done.PrimaryComplete);
    }

    [Fact]
    public void NeverMoreThanMaximumPercentLiveNorFewerThanMinimumHealthy()
    {
        // Every mix of old/new, serving or not, for desired 1..6 and the usual configurations.
        foreach (var (max, min) in new[] { (200, 100), (150, 50), (100, 50), (200, 0), (125, 75) })
        {
            for (var desired = 1; desired <= 6; desired++)
            {
                for (var oldServing = 0; oldServing <= desired; oldServing++)
                {
                    for (var fresh = 0; fresh <= desired; fresh++)
                    {
                        var tasks = Enumerable.Range(0, oldServing).Select(i => T("o" + i, Old))
                            .Concat(Enumerable.Range(0, fresh).Select(i => T("n" + i, running: i % 2 == 0))).ToList();
                        var plan = ServiceReconciler.Plan(Replica(desired, max, min), tasks);
                        var liveAfter = tasks.Count - plan.Stops.Count + plan.Starts;
                        var healthyBefore = tasks.Count(t => t.Healthy);
                        var healthyAfter = healthyBefore - plan.Stops.Count(s => tasks.First(t => t.Arn == s.TaskArn).Healthy);
                        var minHealthy = (int)Math.Ceiling(desired * min / 100.0);
                        Assert.True(liveAfter <= Math.Max(desired * max / 100, tasks.Count), $"{max}/{min} d={desired} o={oldServing} n={fresh}: {liveAfter} live");
                        Assert.True(healthyAfter >= Math.Min(minHealthy, healthyBefore), $"{max}/{min} d={desired} o={oldServing} n={fresh}: {healthyAfter} healthy");
                    }
                }
            }
        }
    }
}

/// <summary>Scale-in around tasks protected with UpdateTaskProtection.</summary>
public class ProtectedScaleInTests
{
    private static ServiceTaskView T(string arn, bool isProtected = false) =>
        new(arn, "ecs-svc/1", "i1", true, true, true, false, false, false) { Protected = isProtected };

    private static ServiceView Replica(int desired) => new(desired, 200, 100, "ecs-svc/1", true, false, []);

    [Fact]
    public void ScaleInChoosesOnlyUnprotectedTasks()
    {
        var plan = ServiceReconciler.Plan(Replica(1), [T("a", true), T("b"), T("c", true)]);
        Assert.Equal(["b"], plan.Stops.Select(s => s.TaskArn));
        Assert.Equal(0, plan.Starts);
        Assert.False(plan.PrimaryComplete);
    }

    [Fact]
    public void WhenEveryTaskIsProtectedTheCountWaits()
    {
        var plan = ServiceReconciler.Plan(Replica(1), [T("a", true), T("b", true)]);
        Assert.Empty(plan.Stops);
        Assert.Equal(0, plan.Starts);
        Assert.False(plan.PrimaryComplete);
    }

    [Fact]
    public void AScaleInToZeroLeavesProtectedTasksRunning()
    {
        var plan = ServiceReconciler.Plan(Replica(0), [T("a", true), T("b"), T("c", true)]);
        Assert.Equal(["b"], plan.Stops.Select(s => s.TaskArn));
        Assert.False(plan.PrimaryComplete);

        var unprotected = ServiceReconciler.Plan(Replica(0), [T("a", false), T("c", false)]);
        Assert.Equal(["a", "c"], unprotected.Stops.Select(s => s.TaskArn).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ProtectionDoesNotStopAScaleOut()
    {
        var plan = ServiceReconciler.Plan(Replica(3), [T("a", true)]);
        Assert.Equal(2, plan.Starts);
    }
}
