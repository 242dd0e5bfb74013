using System.Runtime.CompilerServices;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;

namespace Berth.Ecs.AgentAccess;

/// <summary>
/// What an agent's own key may do, as ECS's instance role allows an instance: register itself, report its own tasks,
/// open its own channel and write the log groups task definitions name. Pure checks over one snapshot; the account's
/// keys (a <see langword="null"/> scope) pass every one.
/// </summary>
public static class AgentAccessRules
{
    /// <summary>The operations (full targets) an agent's key may call at all; the edge refuses every other one.</summary>
    public static readonly IReadOnlySet<string> AgentTargets = new HashSet<string>(StringComparer.Ordinal)
    {
        WireOperations.TargetPrefix + ".RegisterContainerInstance",
        WireOperations.TargetPrefix + ".SubmitTaskStateChange",
        WireOperations.TargetPrefix + ".SubmitContainerStateChange",
        Berth.Ecs.Model.Agent.AgentTaskMetrics.Target,
        "Logs_20140328.CreateLogGroup",
        "Logs_20140328.CreateLogStream",
        "Logs_20140328.PutLogEvents",
        "Logs_20140328.DescribeLogGroups",
    };

    private static readonly ConditionalWeakTable<object, HashSet<string>> GroupsByFamilies = [];

    /// <summary>The principal of an agent's key: the instance role session ECS's agents run as.</summary>
    public static string AgentPrincipal(string accountId, string ec2InstanceId) => $"arn:aws:sts::{accountId}:assumed-role/ecsInstanceRole/{ec2InstanceId}";

    /// <summary>The principal of a join token's key.</summary>
    public static string TokenPrincipal(string accountId, string tokenId) => $"arn:aws:sts::{accountId}:assumed-role/berthJoinToken/{tokenId}";

    /// <summary>The denial of an operation outside the key's scope, worded as IAM words it.</summary>
    public static AwsException Denied(Scope scope, CredentialScope caller, string action, string? resource)
        => AccessDenied.NotAuthorized(caller.Kind == CredentialKind.Agent ? AgentPrincipal(scope.AccountId, caller.Ec2InstanceId ?? "?") : TokenPrincipal(scope.AccountId, caller.TokenId), action, resource);

    /// <summary>RegisterContainerInstance: only in the agent's cluster, only as its own instance id, only over its own instance.</summary>
    public static void CheckRegister(EcsState state, Scope scope, CredentialScope? caller, RegisterContainerInstanceRequest request)
    {
        if (caller is null)
        {
            return;
        }

        var clusterArn = ClusterRules.ArnOf(scope, request.Cluster);
        var identity = ContainerInstanceDecisions.Identity.Parse(request.InstanceIdentityDocument);
        var ec2 = identity?.InstanceId ?? (string.IsNullOrEmpty(request.Ec2InstanceId) ? null : request.Ec2InstanceId);
        var existing = string.IsNullOrEmpty(request.ContainerInstanceArn) ? null
            : state.ContainerInstances.Values.FirstOrDefault(i => i.ContainerInstanceArn == request.ContainerInstanceArn || ContainerInstanceRules.IdOf(i.ContainerInstanceArn) == request.ContainerInstanceArn);
        if (caller.Kind != CredentialKind.Agent || Arn.ClusterName(clusterArn) != caller.Cluster || ec2 != caller.Ec2InstanceId
            || (existing is not null && existing.Ec2InstanceId != caller.Ec2InstanceId))
        {
            throw Denied(scope, caller, "ecs:RegisterContainerInstance", existing?.ContainerInstanceArn ?? clusterArn);
        }
    }

    /// <summary>SubmitTaskStateChange / SubmitContainerStateChange: only for a task placed on the agent's own instance.</summary>
    public static void CheckTaskReport(EcsState state, Scope scope, CredentialScope? caller, string? clusterRef, string? taskRef, string action)
    {
        if (caller is null)
        {
            return;
        }

        var task = state.Clusters.TryGetValue(ClusterRules.ArnOf(scope, clusterRef), out var cluster) ? TaskQueries.Find(state, scope, cluster, taskRef) : null;
        if (caller.Kind != CredentialKind.Agent || task is null || !RunsOn(state, caller, task))
        {
            throw Denied(scope, caller, action, task?.TaskArn ?? "*");
        }
    }

    /// <summary>Whether <paramref name="task"/> was placed on a container instance of the agent.</summary>
    public static bool RunsOn(EcsState state, CredentialScope caller, TaskRecord task)
        => task.ContainerInstanceArn is { } arn && OwnsInstance(state, caller, arn);

    /// <summary>Whether the container instance <paramref name="containerInstanceArn"/> is the agent's own.</summary>
    public static bool OwnsInstance(EcsState state, CredentialScope caller, string containerInstanceArn)
        => caller.Kind == CredentialKind.Agent
            && state.ContainerInstances.TryGetValue(containerInstanceArn, out var instance)
            && instance.Ec2InstanceId == caller.Ec2InstanceId
            && ClusterOf(containerInstanceArn) == caller.Cluster;

    // arn:aws:ecs:REGION:ACCOUNT:container-instance/CLUSTER/ID
    private static string? ClusterOf(string containerInstanceArn)
    {
        const string Marker = ":container-instance/";
        var start = containerInstanceArn.IndexOf(Marker, StringComparison.Ordinal);
        var end = containerInstanceArn.LastIndexOf('/');
        return start >= 0 && end > start + Marker.Length ? containerInstanceArn[(start + Marker.Length)..end] : null;
    }

    /// <summary>Whether an agent may write to <paramref name="logGroup"/>: a group some task definition's awslogs configuration names.</summary>
    public static bool MayWriteLogGroup(EcsState state, string logGroup)
    {
        // The families map is replaced on every registration, so the set is built once per set of task definitions.
        var groups = GroupsByFamilies.GetValue(state.Families, _ => [.. state.Families.Values
            .SelectMany(f => f.Revisions)
            .SelectMany(r => r.Definition.ContainerDefinitions ?? [])
            .Where(c => c.LogConfiguration?.LogDriver == "awslogs")
            .Select(c => c.LogConfiguration!.Options?.GetValueOrDefault("awslogs-group"))
            .OfType<string>()]);
        return groups.Contains(logGroup);
    }
}
