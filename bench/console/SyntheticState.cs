using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;

namespace Berth.Bench.WebConsole;

/// <summary>
/// A big ECS state for the console's render measurements (the benchmark and the render-time test share it): one
/// cluster <c>big</c> with <c>svc-0000</c>… services of running tasks, each service with 20 events.
/// </summary>
public static class SyntheticState
{
    /// <summary>The cluster's name.</summary>
    public const string Cluster = "big";

    /// <summary>The state: <paramref name="services"/> services of <paramref name="tasksPerService"/> RUNNING tasks each.</summary>
    public static EcsState Build(Scope scope, int services, int tasksPerService)
    {
        var state = ClusterDecisions.Create(EcsState.Empty, scope, new CreateClusterRequest { ClusterName = Cluster }).State;
        var clusterArn = Arn.Cluster(scope, Cluster);
        var definition = Arn.TaskDefinition(scope, "web", 1);
        var at = new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero);
        var serviceRecords = new List<ServiceRecord>();
        var tasks = new List<TaskRecord>();
        for (var s = 0; s < services; s++)
        {
            var name = ServiceName(s);
            serviceRecords.Add(new ServiceRecord
            {
                ServiceArn = $"{scope.EcsPrefix}service/{Cluster}/{name}",
                ServiceName = name,
                ClusterArn = clusterArn,
                Status = ServiceStatus.Active,
                DesiredCount = tasksPerService,
                RunningCount = tasksPerService,
                TaskDefinition = definition,
                CreatedAt = at,
                DeploymentConfiguration = new DeploymentSettings { MaximumPercent = 200, MinimumHealthyPercent = 100 },
                Events = [.. Enumerable.Range(0, 20).Select(e => new ServiceEventRecord($"{name}-{e}", at.AddMinutes(e), $"(service {name}) has reached a steady state."))],
            });
            for (var t = 0; t < tasksPerService; t++)
            {
                var id = TaskId(s, t);
                tasks.Add(new TaskRecord
                {
                    TaskArn = $"{scope.EcsPrefix}task/{Cluster}/{id}",
                    ClusterArn = clusterArn,
                    TaskDefinitionArn = definition,
                    Group = "service:" + name,
                    LastStatus = EcsTaskStatus.Running,
                    DesiredStatus = EcsTaskStatus.Running,
                    CreatedAt = at.AddSeconds((s * tasksPerService) + t),
                    StartedAt = at.AddSeconds((s * tasksPerService) + t + 1),
                    Containers = [new ContainerRecord { ContainerArn = $"{scope.EcsPrefix}container/{Cluster}/{id}/c", Name = "main", Image = "busybox", LastStatus = ContainerStatus.Running }],
                });
            }
        }

        state = state with { Services = state.Services.SetItems(serviceRecords.Select(r => new KeyValuePair<string, ServiceRecord>(r.ServiceArn, r))) };
        return state.WithTasks(tasks);
    }

    /// <summary>Service number <paramref name="index"/>'s name.</summary>
    public static string ServiceName(int index) => $"svc-{index:D4}";

    /// <summary>The ID of task <paramref name="task"/> of service <paramref name="service"/>.</summary>
    public static string TaskId(int service, int task) => $"{service:D4}{task:D4}".PadRight(32, '0');
}
