using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.State;

namespace Berth.Ecs.Capacity;

/// <summary>
/// Where FARGATE tasks run: container instances registered in Berth's own capacity cluster, by default the
/// server's in-process capacity agent on the local Docker Engine. Users never manage them: the cluster is left
/// out of ListClusters, and a FARGATE task shows no container instance.
/// </summary>
public static class FargateCapacity
{
    /// <summary>The capacity cluster's name; CreateCluster refuses it.</summary>
    public const string ClusterName = "berth-fargate";

    /// <summary>The platform version LATEST resolves to, as on Fargate for Linux.</summary>
    public const string PlatformVersion = "1.4.0";

    /// <summary>Ephemeral storage a Fargate task gets when it asks for none (GiB).</summary>
    public const int DefaultEphemeralStorageGiB = 20;

    /// <summary>ECS's failure reason when Fargate has no room for a task.</summary>
    public const string Unavailable = "Capacity is unavailable at this time. Please try again later or in a different availability zone";

    /// <summary>Whether <paramref name="cluster"/> is a capacity cluster.</summary>
    public static bool IsCapacity(ClusterRecord cluster) => cluster.ClusterName == ClusterName;

    /// <summary>The capacity cluster of the request's region, else of any region (one server serves many regions).</summary>
    public static ClusterRecord? Find(EcsState state, Scope scope)
    {
        if (state.Clusters.TryGetValue(scope.EcsPrefix + "cluster/" + ClusterName, out var same) && same.Status == ClusterStatus.Active)
        {
            return same;
        }

        return state.Clusters.Values.FirstOrDefault(c => IsCapacity(c) && c.Status == ClusterStatus.Active);
    }

    /// <summary>Whether a task runs on Fargate capacity (its container instance is Berth's, not the user's).</summary>
    public static bool Runs(Tasks.TaskRecord task) => task.LaunchType == LaunchType.Fargate || task.CapacityProviderName is "FARGATE" or "FARGATE_SPOT";
}
