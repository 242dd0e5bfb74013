using Berth.Ecs.Model;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

public class StopAndListTests
{
    private static StopTaskRequest Stop(string task, string? reason = null) => new() { Cluster = "web", Task = task, Reason = reason };

    [Fact]
    public void StopAsksTheAgentToStopAndTwiceIsHarmless()
    {
        var world = new World();
        world.AddInstance();
        var task = world.RunOne(world.Define());
        var later = Now.AddMinutes(1);

        var stopped = world.Apply(TaskDecisions.Stop(world.State, Scope, later, Stop(task.TaskArn!)));
        Assert.Equal((EcsTaskStatus.Provisioning, EcsTaskStatus.Stopped, StopCode.UserInitiated, "Task stopped by user"), (stopped.LastStatus, stopped.DesiredStatus, stopped.StopCode, stopped.StoppedReason));
        Assert.Equal((later, 2L), (stopped.StoppingAt, stopped.Version));

        var again = TaskDecisions.Stop(world.State, Scope, later.AddMinutes(1), Stop(task.TaskArn!, "other reason"));
        Assert.Empty(again.Mutations);
        Assert.Equal(("Task stopped by user", later), (again.Result.StoppedReason, again.Result.StoppingAt));
    }

    [Fact]
    public void StopTakesAReasonAndATaskId()
    {
        var world = new World();
        world.AddInstance();
        var task = world.RunOne(world.Define());
        var id = task.TaskArn![(task.TaskArn!.LastIndexOf('/') + 1)..];
        Assert.Equal("deploy", world.Apply(TaskDecisions.Stop(world.State, Scope, Now, Stop(id, "deploy"))).StoppedReason);
    }

    [Fact]
    public void StoppingAnUnknownTaskIsRefused()
    {
        var world = new World();
        var ex = world.Refused(s => TaskDecisions.Stop(s, Scope, Now, Stop("0123")));
        Assert.Equal(("InvalidParameterException", "The referenced task was not found."), (ex.ErrorType, ex.Message));
    }

    [Fact]
    public void DescribeShowsTagsOnlyWhenAskedAndReportsMissingTasks()
    {
        var world = new World();
        world.AddInstance();
        var task = world.RunOne(world.Define(), r => r.Tags = [new Tag { Key = "k", Value = "v" }]);
        var plain = TaskQueries.Describe(world.State, Scope, new DescribeTasksRequest { Cluster = "web", Tasks = [task.TaskArn!, "missing"] });
        Assert.Null(Assert.Single(plain.Tasks!).Tags);
        Assert.Equal((World.Prefix + "task/web/missing", "MISSING"), (plain.Failures![0].Arn, plain.Failures[0].Reason));
        var tagged = TaskQueries.Describe(world.State, Scope, new DescribeTasksRequest { Cluster = "web", Tasks = [task.TaskArn!], Include = ["TAGS"] });
        Assert.Equal("k", Assert.Single(tagged.Tasks![0].Tags!).Key);
        Assert.NotNull(world.Task(task.TaskArn!).Tags);
        Assert.Throws<AwsException>(() => TaskQueries.Describe(world.State, Scope, new DescribeTasksRequest { Cluster = "web", Tasks = [] }));
        Assert.Throws<AwsException>(() => TaskQueries.Describe(world.State, Scope, new DescribeTasksRequest { Cluster = "web", Tasks = [.. Enumerable.Repeat("x", 101)] }));
    }

    [Fact]
    public void ListFiltersByDesiredStatusInstanceFamilyStartedByAndLaunchType()
    {
        var world = new World();
        var first = world.AddInstance(memory: 200);
        var second = world.AddInstance(memory: 4096);
        var app = world.Define("app");
        var db = world.Define("db");
        var onFirst = world.Apply(TaskDecisions.Start(world.State, Scope, world.Ids, Now, new StartTaskRequest { Cluster = "web", TaskDefinition = app, ContainerInstances = [first] })).Tasks![0];
        var appTask = world.RunOne(app, r => r.StartedBy = "ci");
        var dbTask = world.RunOne(db);
        world.Apply(TaskDecisions.Stop(world.State, Scope, Now, Stop(dbTask.TaskArn!)));

        List<string> List(Action<ListTasksRequest>? change = null)
        {
            var request = new ListTasksRequest { Cluster = "web" };
            change?.Invoke(request);
            return TaskQueries.List(world.State, Scope, request).TaskArns!;
        }

        Assert.Equal(new[] { onFirst.TaskArn!, appTask.TaskArn! }.Order(StringComparer.Ordinal), List());
        Assert.Equal([dbTask.TaskArn!], List(r => r.DesiredStatus = "STOPPED"));
        Assert.Empty(List(r => r.DesiredStatus = "PENDING"));
        Assert.Equal([onFirst.TaskArn!], List(r => r.ContainerInstance = first));
        Assert.Equal(new[] { onFirst.TaskArn!, appTask.TaskArn! }.Order(StringComparer.Ordinal), List(r => r.Family = "app"));
        Assert.Empty(List(r => r.Family = "db"));
        Assert.Equal([appTask.TaskArn!], List(r => r.StartedBy = "ci"));
        Assert.Equal(2, List(r => r.LaunchType = "EC2").Count);
        Assert.Empty(List(r => r.LaunchType = "EXTERNAL"));
        Assert.Contains(appTask.TaskArn!, List(r => { r.Family = "app"; r.ContainerInstance = appTask.ContainerInstanceArn; }));
        Assert.Empty(List(r => { r.Family = "db"; r.ContainerInstance = second; }));
    }

    public static TheoryData<string, Action<ListTasksRequest>, string> RefusedLists() => new()
    {
        { "startedBy with family", r => { r.StartedBy = "a"; r.Family = "app"; }, "InvalidParameterException" },
        { "startedBy with launchType", r => { r.StartedBy = "a"; r.LaunchType = "EC2"; }, "InvalidParameterException" },
        { "serviceName with family", r => { r.ServiceName = "svc"; r.Family = "app"; }, "InvalidParameterException" },
        { "unknown service", r => r.ServiceName = "svc", "ServiceNotFoundException" },
        { "bad desired status", r => r.DesiredStatus = "GONE", "InvalidParameterException" },
        { "maxResults 0", r => r.MaxResults = 0, "InvalidParameterException" },
        { "maxResults 101", r => r.MaxResults = 101, "InvalidParameterException" },
        { "missing cluster", r => r.Cluster = "nope", "ClusterNotFoundException" },
    };

    [Theory]
    [MemberData(nameof(RefusedLists))]
    public void RefusedListsNameTheirError(string name, Action<ListTasksRequest> change, string error)
    {
        var world = new World();
        var request = new ListTasksRequest { Cluster = "web" };
        change(request);
        var ex = Assert.Throws<AwsException>(() => TaskQueries.List(world.State, Scope, request));
        Assert.True(error == ex.ErrorType, $"{name}: {ex.ErrorType} {ex.Message}");
    }

    [Fact]
    public void ListPagesThroughEveryTaskOnce()
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        var definition = world.Define(containers: [World.Container(memory: 10)]);
        var all = world.Run(definition, 10).Tasks!.Concat(world.Run(definition, 5).Tasks!).Select(t => t.TaskArn!).Order(StringComparer.Ordinal).ToList();
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = TaskQueries.List(world.State, Scope, new ListTasksRequest { Cluster = "web", MaxResults = 4, NextToken = token });
            seen.AddRange(page.TaskArns!);
            token = page.NextToken;
            pages++;
        }
        while (token is not null);
        Assert.Equal(all, seen);
        Assert.Equal(4, pages);
    }
}
