using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

/// <summary>A small cluster to run tasks on: state built through the real decisions, deterministic IDs and times.</summary>
public sealed class World
{
    public const string ClusterName = "web";
    public const string Prefix = "arn:aws:ecs:us-east-1:000000000000:";

    public World()
    {
        State = ClusterDecisions.Create(EcsState.Empty, Scope, new CreateClusterRequest { ClusterName = ClusterName }).State;
    }

    public EcsState State { get; set; }

    public IdSource Ids { get; } = IdSource.Sequential();

    public DateTimeOffset Time { get; set; } = Now;

    public string ClusterArn => Prefix + "cluster/" + ClusterName;

    public static ContainerDefinition Container(string name = "app", int? memory = 128, int? cpu = null, int? hostPort = null, int containerPort = 80, string protocol = "tcp", bool? essential = null) => new()
    {
        Name = name,
        Image = "busybox",
        Memory = memory,
        Cpu = cpu,
        Essential = essential,
        PortMappings = hostPort is null ? null : [new PortMapping { ContainerPort = containerPort, HostPort = hostPort, Protocol = protocol }],
    };

    /// <summary>Registers a revision and returns its ARN.</summary>
    public string Define(string family = "app", string? networkMode = null, string? cpu = null, string? memory = null, List<Tag>? tags = null, params ContainerDefinition[] containers)
    {
        var decision = TaskDefinitionDecisions.Register(State, Scope, Principal, Time, new RegisterTaskDefinitionRequest
        {
            Family = family,
            NetworkMode = networkMode,
            Cpu = cpu,
            Memory = memory,
            Tags = tags,
            ContainerDefinitions = containers.Length == 0 ? [Container()] : [.. containers],
        });
        State = decision.State;
        return decision.Result.Definition.TaskDefinitionArn!;
    }

    /// <summary>Registers an instance (agent connected unless told otherwise) and returns its ARN.</summary>
    public string AddInstance(int cpu = 1024, int memory = 2048, bool connected = true, string? az = "us-east-1a", string status = "ACTIVE", string[]? reservedPorts = null, string cluster = ClusterName, List<EcsAttribute>? attributes = null)
    {
        var request = new RegisterContainerInstanceRequest
        {
            Cluster = cluster,
            TotalResources =
            [
                new Resource { Name = "CPU", Type = "INTEGER", IntegerValue = cpu },
                new Resource { Name = "MEMORY", Type = "INTEGER", IntegerValue = memory },
                new Resource { Name = "PORTS", Type = "STRINGSET", StringSetValue = [.. reservedPorts ?? ["22", "2375", "2376", "51678", "51679"]] },
                new Resource { Name = "PORTS_UDP", Type = "STRINGSET", StringSetValue = [] },
            ],
            VersionInfo = new VersionInfo { AgentVersion = "1.0.0", DockerVersion = "27.0.0" },
            Attributes = [.. az is null ? [] : new[] { new EcsAttribute { Name = "ecs.availability-zone", Value = az } }, .. attributes ?? []],
        };
        var arn = Apply(ContainerInstanceDecisions.Register(State, Scope, Ids, Time, request)).ContainerInstanceArn!;
        if (connected)
        {
            Apply(ContainerInstanceDecisions.SetAgentConnected(State, arn, true, Time));
        }

        if (status != "ACTIVE")
        {
            Apply(ContainerInstanceDecisions.UpdateState(State, Scope, new UpdateContainerInstancesStateRequest { Cluster = cluster, ContainerInstances = [arn], Status = status }));
        }

        return arn;
    }

    /// <summary>Creates Berth's FARGATE capacity cluster and registers one capacity host there.</summary>
    public string AddFargateCapacity(int cpu = 4096, int memory = 8192)
    {
        State = ClusterDecisions.CreateCapacity(State, Scope).State;
        return AddInstance(cpu, memory, cluster: Berth.Ecs.Capacity.FargateCapacity.ClusterName);
    }

    public RunTaskResponse Run(string taskDefinition, int? count = null, Action<RunTaskRequest>? change = null)
    {
        var request = new RunTaskRequest { Cluster = ClusterName, TaskDefinition = taskDefinition, Count = count };
        change?.Invoke(request);
        return Apply(TaskDecisions.Run(State, Scope, Ids, new Random(1), Time, request));
    }

    public EcsTask RunOne(string taskDefinition, Action<RunTaskRequest>? change = null)
    {
        var response = Run(taskDefinition, change: change);
        Assert.Empty(response.Failures!);
        return Assert.Single(response.Tasks!);
    }

    public AwsException Refused<T>(Func<EcsState, T> action) => Assert.Throws<AwsException>(() => action(State));

    /// <summary>The task as DescribeTasks shows it.</summary>
    public EcsTask Task(string arn) => TaskViews.ToWire(State.Tasks[arn]);

    /// <summary>The task as the state keeps it.</summary>
    public TaskRecord Record(string arn) => State.Tasks[arn];

    public ContainerInstance Describe(string instanceArn) => Assert.Single(ContainerInstanceQueries.Describe(State, Scope, new DescribeContainerInstancesRequest
    {
        Cluster = ClusterName,
        ContainerInstances = [instanceArn],
        Include = ["TAGS", "CONTAINER_INSTANCE_HEALTH"],
    }).ContainerInstances!);

    public void TaskReports(string taskArn, string status, string? reason = null, params ContainerStateChange[] containers) =>
        Apply(TaskStateDecisions.SubmitTask(State, Scope, Time, new SubmitTaskStateChangeRequest
        {
            Cluster = ClusterName,
            Task = taskArn,
            Status = status,
            Reason = reason,
            Containers = containers.Length == 0 ? null : [.. containers],
        }));

    public void ContainerReports(string taskArn, string name, string status, int? exitCode = null, string? reason = null, List<NetworkBinding>? bindings = null) =>
        Apply(TaskStateDecisions.SubmitContainer(State, Scope, Time, new SubmitContainerStateChangeRequest
        {
            Cluster = ClusterName,
            Task = taskArn,
            ContainerName = name,
            Status = status,
            ExitCode = exitCode,
            Reason = reason,
            NetworkBindings = bindings,
        }));

    public T Apply<T>(Decision<EcsState, T> decision)
    {
        State = decision.State;
        AssertLiveIndexHolds(State);
        return decision.Result;
    }

    /// <summary>Every task index is exactly what the tasks say, after every decision, and holds the current task objects.</summary>
    public static void AssertLiveIndexHolds(EcsState state)
    {
        static string Flat(IReadOnlyDictionary<string, System.Collections.Immutable.ImmutableSortedDictionary<string, TaskRecord>> index)
            => string.Join('\n', index.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ": " + string.Join(',', p.Value.Keys)));
        var rebuilt = state.Reindexed();
        Assert.Equal(Flat(rebuilt.LiveTasksByInstance), Flat(state.LiveTasksByInstance));
        Assert.Equal(Flat(rebuilt.TasksByCluster), Flat(state.TasksByCluster));
        Assert.Equal(Flat(rebuilt.TasksByGroup), Flat(state.TasksByGroup));
        Assert.Equal(rebuilt.StoppedTasks, state.StoppedTasks);
        Assert.Equal(
            state.Tasks.Values.Where(t => t.ContainerInstanceArn is not null && (t.DesiredStatus != EcsTaskStatus.Stopped || t.LastStatus != EcsTaskStatus.Stopped)).Select(t => t.TaskArn).Order(StringComparer.Ordinal),
            state.LiveTasksByInstance.Values.SelectMany(v => v.Keys).Order(StringComparer.Ordinal));
        Assert.All(state.LiveTasksByInstance.Values.Concat(state.TasksByCluster.Values).Concat(state.TasksByGroup.Values).SelectMany(v => v), p => Assert.Same(state.Tasks[p.Key], p.Value));
    }

    public static int Integer(ContainerInstance instance, string name) => instance.RemainingResources!.Single(r => r.Name == name).IntegerValue!.Value;

    public static List<string> Ports(ContainerInstance instance, string name) => instance.RemainingResources!.Single(r => r.Name == name).StringSetValue!;
}
