using Berth.Ecs.Arns;
using Berth.Ecs.Capacity;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.Clusters;

/// <summary>The cluster operations that change state, as pure functions of (state, request).</summary>
public static class ClusterDecisions
{
    /// <summary>
    /// CreateCluster. An ACTIVE cluster of that name is returned unchanged (ECS's idempotent create);
    /// an INACTIVE one comes back ACTIVE with the new configuration.
    /// </summary>
    public static Decision<EcsState, ClusterRecord> Create(EcsState state, Scope scope, CreateClusterRequest request)
    {
        var name = string.IsNullOrEmpty(request.ClusterName) ? ClusterRules.DefaultName : request.ClusterName;
        if (name == FargateCapacity.ClusterName)
        {
            throw ClusterRules.Reserved(name);
        }

        return CreateAny(state, scope, request, name);
    }

    /// <summary>Berth's FARGATE capacity cluster, created by the server itself (users cannot create it).</summary>
    public static Decision<EcsState, ClusterRecord> CreateCapacity(EcsState state, Scope scope) =>
        CreateAny(state, scope, new CreateClusterRequest(), FargateCapacity.ClusterName);

    private static Decision<EcsState, ClusterRecord> CreateAny(EcsState state, Scope scope, CreateClusterRequest request, string name)
    {
        ClusterRules.ValidateName(name);
        ClusterRules.ValidateSettings(request.Settings);
        TagRules.Validate(request.Tags);
        ClusterRules.ValidateCapacityProviders(state, scope, request.CapacityProviders, request.DefaultCapacityProviderStrategy);

        var arn = Arn.Cluster(scope, name);
        var edit = new StateEdit(state);
        if (state.Clusters.TryGetValue(arn, out var existing) && existing.Status == ClusterStatus.Active)
        {
            return edit.Done(existing);
        }

        var cluster = new ClusterRecord
        {
            ClusterArn = arn,
            ClusterName = name,
            Status = ClusterStatus.Active,
            Settings = request.Settings is { } settings ? [.. settings.Select(s => new NameValue(s.Name ?? string.Empty, s.Value))] : [new NameValue("containerInsights", "disabled")],
            Configuration = request.Configuration is { } configuration ? FrozenJson.Of(configuration, WireJsonContext.Default.ClusterConfiguration) : null,
            Tags = ResourceTag.FromWire(request.Tags),
            CapacityProviders = [.. (request.CapacityProviders ?? []).Select(p => CapacityProviders.CapacityProviderRules.NameOf(p ?? string.Empty))],
            DefaultCapacityProviderStrategy = ClusterRecord.FromWire(request.DefaultCapacityProviderStrategy?.Select(s => new CapacityProviderStrategyItem { CapacityProvider = CapacityProviders.CapacityProviderRules.NameOf(s.CapacityProvider ?? string.Empty), Weight = s.Weight, Base = s.Base })),
            ServiceConnectNamespace = request.ServiceConnectDefaults?.Namespace,
        };
        edit.Put(cluster);
        return edit.Done(cluster);
    }

    /// <summary>UpdateCluster: settings, configuration and Service Connect defaults.</summary>
    public static Decision<EcsState, ClusterRecord> Update(EcsState state, Scope scope, UpdateClusterRequest request)
    {
        var cluster = ClusterRules.RequireChangeable(state, scope, request.Cluster);
        if (request.Settings is not null)
        {
            ClusterRules.ValidateSettings(request.Settings);
            cluster = cluster with { Settings = ClusterRules.Merge(cluster.Settings, request.Settings) };
        }

        if (request.Configuration is not null)
        {
            cluster = cluster with { Configuration = FrozenJson.Of(request.Configuration, WireJsonContext.Default.ClusterConfiguration) };
        }

        if (request.ServiceConnectDefaults is not null)
        {
            cluster = cluster with { ServiceConnectNamespace = request.ServiceConnectDefaults.Namespace };
        }

        var edit = new StateEdit(state);
        edit.Put(cluster);
        return edit.Done(cluster);
    }

    /// <summary>UpdateClusterSettings.</summary>
    public static Decision<EcsState, ClusterRecord> UpdateSettings(EcsState state, Scope scope, UpdateClusterSettingsRequest request)
    {
        ClusterRules.ValidateSettings(request.Settings);
        var cluster = ClusterRules.RequireChangeable(state, scope, request.Cluster);
        cluster = cluster with { Settings = ClusterRules.Merge(cluster.Settings, request.Settings ?? []) };
        var edit = new StateEdit(state);
        edit.Put(cluster);
        return edit.Done(cluster);
    }

    /// <summary>
    /// DeleteCluster: refused while the cluster holds container instances, services or tasks; the
    /// cluster then stays visible as INACTIVE, as in ECS.
    /// </summary>
    public static Decision<EcsState, ClusterRecord> Delete(EcsState state, Scope scope, DeleteClusterRequest request)
    {
        var cluster = ClusterRules.RequireChangeable(state, scope, request.Cluster);
        var arn = cluster.ClusterArn;
        if (state.ContainerInstances.Values.Any(i => i.Status is ContainerInstances.InstanceStatus.Active or ContainerInstances.InstanceStatus.Draining or ContainerInstances.InstanceStatus.Registering && ClusterOf(i.ContainerInstanceArn) == cluster.ClusterName))
        {
            throw new AwsException("ClusterContainsContainerInstancesException", "The Cluster cannot be deleted while Container Instances are active or draining.");
        }

        if (state.Services.Values.Any(s => s.ClusterArn == arn && s.Status is Services.ServiceStatus.Active or Services.ServiceStatus.Draining))
        {
            throw new AwsException("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.");
        }

        if (state.TasksIn(arn).Any(t => t.LastStatus != EcsTaskStatus.Stopped))
        {
            throw new AwsException("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.");
        }

        var deleted = cluster with { Status = ClusterStatus.Inactive };
        var edit = new StateEdit(state);
        edit.Put(deleted);
        return edit.Done(deleted);
    }

    private static string? ClusterOf(string? containerInstanceArn)
    {
        // container-instance/CLUSTER/ID
        if (containerInstanceArn is null)
        {
            return null;
        }

        var parts = containerInstanceArn.Split('/');
        return parts.Length >= 3 ? parts[^2] : null;
    }
}
