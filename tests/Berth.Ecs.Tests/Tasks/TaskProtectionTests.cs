using Berth.Ecs.Model;
using Berth.Ecs.Tasks;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

/// <summary>UpdateTaskProtection / GetTaskProtection as ECS answers them.</summary>
public class TaskProtectionTests
{
    private static (World World, string ServiceTask, string Plain) Setup()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define();
        var serviceTask = world.RunOne(definition, r => r.Group = "service:web").TaskArn!;
        var plain = world.RunOne(definition).TaskArn!;
        return (world, serviceTask, plain);
    }

    [Fact]
    public void Protects_for_120_minutes_by_default_and_clears()
    {
        var (world, task, _) = Setup();
        var response = world.Apply(TaskProtection.Update(world.State, Scope, world.Time, new UpdateTaskProtectionRequest { Cluster = World.ClusterName, Tasks = [task], ProtectionEnabled = true }));
        var p = Assert.Single(response.ProtectedTasks!);
        Assert.Equal((task, true, world.Time.AddMinutes(120)), (p.TaskArn, p.ProtectionEnabled, p.ExpirationDate));
        Assert.True(TaskProtection.IsProtected(world.Record(task), world.Time.AddMinutes(119)));
        Assert.False(TaskProtection.IsProtected(world.Record(task), world.Time.AddMinutes(120)));

        // Expired protection reads as off.
        var later = TaskProtection.Get(world.State, Scope, world.Time.AddMinutes(121), new GetTaskProtectionRequest { Cluster = World.ClusterName, Tasks = [task] });
        Assert.Equal((false, (DateTimeOffset?)null), (later.ProtectedTasks![0].ProtectionEnabled, later.ProtectedTasks[0].ExpirationDate));

        world.Apply(TaskProtection.Update(world.State, Scope, world.Time, new UpdateTaskProtectionRequest { Cluster = World.ClusterName, Tasks = [task], ProtectionEnabled = false }));
        Assert.Null(world.Record(task).ProtectedUntil);
    }

    [Fact]
    public void Failures_for_missing_and_non_service_tasks()
    {
        var (world, task, plain) = Setup();
        var response = world.Apply(TaskProtection.Update(world.State, Scope, world.Time, new UpdateTaskProtectionRequest
        {
            Cluster = World.ClusterName,
            Tasks = [task, plain, "0123456789abcdef"],
            ProtectionEnabled = true,
            ExpiresInMinutes = 2880,
        }));
        Assert.Equal([task], response.ProtectedTasks!.Select(p => p.TaskArn));
        Assert.Equal(["TASK_NOT_VALID", "MISSING"], response.Failures!.Select(f => f.Reason));
        Assert.Null(world.Record(plain).ProtectedUntil);
    }

    [Theory]
    [InlineData(0, "expiresInMinutes should be between 1 and 2880 minutes.")]
    [InlineData(2881, "expiresInMinutes should be between 1 and 2880 minutes.")]
    public void Refuses_bad_expiry(int minutes, string message)
    {
        var (world, task, _) = Setup();
        var e = world.Refused(s => TaskProtection.Update(s, Scope, world.Time, new UpdateTaskProtectionRequest { Cluster = World.ClusterName, Tasks = [task], ProtectionEnabled = true, ExpiresInMinutes = minutes }));
        Assert.Equal(("InvalidParameterException", message), (e.ErrorType, e.Message));
    }

    [Fact]
    public void Refuses_more_than_ten_tasks_and_unknown_clusters()
    {
        var (world, task, _) = Setup();
        var e = world.Refused(s => TaskProtection.Update(s, Scope, world.Time, new UpdateTaskProtectionRequest { Cluster = World.ClusterName, Tasks = [.. Enumerable.Repeat(task, 11)], ProtectionEnabled = true }));
        Assert.Equal("The number of tasks in the request exceeds the limit of 10.", e.Message);
        Assert.Equal("ClusterNotFoundException", world.Refused(s => TaskProtection.Get(s, Scope, world.Time, new GetTaskProtectionRequest { Cluster = "nope", Tasks = [task] })).ErrorType);
    }
}
