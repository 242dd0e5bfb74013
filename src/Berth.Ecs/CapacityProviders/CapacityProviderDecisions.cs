using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Paging;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.CapacityProviders;

/// <summary>
/// Create/Update/DeleteCapacityProvider, DescribeCapacityProviders and PutClusterCapacityProviders as pure
/// functions of (state, request). FARGATE and FARGATE_SPOT are built in: always described, never stored.
/// </summary>
public static class CapacityProviderDecisions
{
    /// <summary>CreateCapacityProvider: an Auto Scaling group provider, stored and validated (the group comes later).</summary>
    public static Decision<EcsState, CapacityProvider> Create(EcsState state, Scope scope, CreateCapacityProviderRequest request)
    {
        if (request.ManagedInstancesProvider is not null)
        {
            throw AwsException.Client("Berth does not run Amazon ECS Managed Instances capacity providers; use an Auto Scaling group provider.");
        }

        if (request.Name is { } given && CapacityProviderRules.IsFargate(given))
        {
            throw AwsException.InvalidParameter($"The capacity provider name {given} is reserved. Specify a different name and try again.");
        }

        CapacityProviderRules.ValidateName(request.Name);
        var group = request.AutoScalingGroupProvider ?? throw AwsException.InvalidParameter("autoScalingGroupProvider must be specified.");
        CapacityProviderRules.ValidateGroup(group.AutoScalingGroupArn);
        var normalized = CapacityProviderRules.Normalize(group);
        TagRules.Validate(request.Tags);
        if (request.Cluster is not null)
        {
            ClusterRules.RequireActive(state, scope, request.Cluster);
        }

        var arn = CapacityProviderRules.ArnOf(scope, request.Name!);
        if (state.CapacityProviders.ContainsKey(arn))
        {
            throw AwsException.InvalidParameter("The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.");
        }

        if (state.CapacityProviders.Values.Any(p => p.CapacityProviderArn.StartsWith(scope.EcsPrefix, StringComparison.Ordinal) && p.GroupArn == group.AutoScalingGroupArn))
        {
            throw AwsException.InvalidParameter("The specified Auto Scaling group ARN is already being used by another capacity provider. Specify a unique Auto Scaling group ARN and try again.");
        }

        var record = new CapacityProviderRecord
        {
            CapacityProviderArn = arn,
            Name = request.Name!,
            AutoScalingGroupProvider = FrozenJson.Of(normalized, WireJsonContext.Default.AutoScalingGroupProvider),
            Tags = ResourceTag.FromWire(request.Tags),
        };
        var edit = new StateEdit(state);
        edit.Put(record);
        return edit.Done(View(record, tags: true));
    }

    /// <summary>UpdateCapacityProvider: managed scaling, termination protection and draining of a provider the user created.</summary>
    public static Decision<EcsState, CapacityProvider> Update(EcsState state, Scope scope, UpdateCapacityProviderRequest request)
    {
        var name = CapacityProviderRules.NameOf(request.Name ?? string.Empty);
        if (CapacityProviderRules.IsFargate(name))
        {
            throw AwsException.InvalidParameter($"The {name} capacity provider is reserved and cannot be updated.");
        }

        if (request.ManagedInstancesProvider is not null)
        {
            throw AwsException.Client("Berth does not run Amazon ECS Managed Instances capacity providers; use an Auto Scaling group provider.");
        }

        var record = CapacityProviderRules.Find(state, scope, name) ?? throw AwsException.InvalidParameter("The specified capacity provider does not exist. Specify a valid name or ARN and try again.");
        var update = request.AutoScalingGroupProvider ?? throw AwsException.InvalidParameter("autoScalingGroupProvider must be specified.");
        var before = record.AutoScalingGroupProvider.Thaw(WireJsonContext.Default.AutoScalingGroupProvider);
        var after = new AutoScalingGroupProvider
        {
            AutoScalingGroupArn = before.AutoScalingGroupArn,
            ManagedScaling = update.ManagedScaling is { } scaling ? CapacityProviderRules.Scaling(scaling, before.ManagedScaling) : before.ManagedScaling,
            ManagedTerminationProtection = CapacityProviderRules.Switch("managedTerminationProtection", update.ManagedTerminationProtection ?? before.ManagedTerminationProtection, "DISABLED"),
            ManagedDraining = CapacityProviderRules.Switch("managedDraining", update.ManagedDraining ?? before.ManagedDraining, "ENABLED"),
        };
        after = CapacityProviderRules.Normalize(after);
        record = record with { AutoScalingGroupProvider = FrozenJson.Of(after, WireJsonContext.Default.AutoScalingGroupProvider), UpdateStatus = "UPDATE_COMPLETE" };
        var edit = new StateEdit(state);
        edit.Put(record);
        return edit.Done(View(record, tags: true));
    }

    /// <summary>DeleteCapacityProvider: refused for the built-in providers and while a cluster still has the provider.</summary>
    public static Decision<EcsState, CapacityProvider> Delete(EcsState state, Scope scope, DeleteCapacityProviderRequest request)
    {
        var name = CapacityProviderRules.NameOf(request.CapacityProvider ?? string.Empty);
        if (CapacityProviderRules.IsFargate(name))
        {
            throw AwsException.InvalidParameter($"The {name} capacity provider is reserved and cannot be deleted.");
        }

        var record = CapacityProviderRules.Find(state, scope, name) ?? throw AwsException.InvalidParameter("The specified capacity provider does not exist. Specify a valid name or ARN and try again.");
        if (CapacityProviderRules.AssociatedWith(state, scope, name) is { } cluster)
        {
            throw new AwsException("ResourceInUseException", $"The specified capacity provider is in use and cannot be removed. It is associated with the cluster {cluster.ClusterName}; remove it with PutClusterCapacityProviders first.");
        }

        var edit = new StateEdit(state);
        edit.RemoveCapacityProvider(record.CapacityProviderArn);
        var view = View(record, tags: true);
        view.Status = "INACTIVE";
        view.UpdateStatus = "DELETE_COMPLETE";
        return edit.Done(view);
    }

    /// <summary>DescribeCapacityProviders: the named ones (failures for unknown names), else every one, paged; tags with <c>include=TAGS</c>.</summary>
    public static DescribeCapacityProvidersResponse Describe(EcsState state, Scope scope, DescribeCapacityProvidersRequest request)
    {
        if (request.Cluster is not null)
        {
            ClusterRules.RequireActive(state, scope, request.Cluster);
        }

        foreach (var include in request.Include ?? [])
        {
            if (include != "TAGS")
            {
                throw AwsException.InvalidParameter($"Invalid value for include: {include}. Valid values are TAGS.");
            }
        }

        var tags = request.Include?.Contains("TAGS") == true;
        var all = All(state, scope, tags);
        if (request.CapacityProviders is { Count: > 0 } names)
        {
            if (names.Count > 100)
            {
                throw AwsException.InvalidParameter("capacityProviders can have at most 100 items.");
            }

            if (request.MaxResults is not null || request.NextToken is not null)
            {
                throw AwsException.InvalidParameter("maxResults and nextToken cannot be used when capacityProviders are specified.");
            }

            var response = new DescribeCapacityProvidersResponse { CapacityProviders = [], Failures = [] };
            foreach (var reference in names)
            {
                var name = CapacityProviderRules.NameOf(reference);
                if (all.FirstOrDefault(p => p.Item.Name == name) is { Item: { } found })
                {
                    response.CapacityProviders.Add(found);
                }
                else
                {
                    response.Failures.Add(new Failure { Arn = reference, Reason = "MISSING" });
                }
            }

            return response;
        }

        var size = Page.Size(request.MaxResults, 10);
        var (items, next) = Page.Take(all, size, request.NextToken, "DescribeCapacityProviders");
        return new DescribeCapacityProvidersResponse { CapacityProviders = items, Failures = [], NextToken = next };
    }

    /// <summary>
    /// PutClusterCapacityProviders: the cluster's providers and default strategy, both replaced. A provider taken
    /// away while a task or service of the cluster still uses it is refused (ResourceInUseException), as in ECS.
    /// </summary>
    public static Decision<EcsState, ClusterRecord> PutCluster(EcsState state, Scope scope, PutClusterCapacityProvidersRequest request)
    {
        var cluster = ClusterRules.RequireChangeable(state, scope, request.Cluster);
        var providers = request.CapacityProviders ?? throw AwsException.InvalidParameter("capacityProviders must be specified.");
        var strategy = request.DefaultCapacityProviderStrategy ?? throw AwsException.InvalidParameter("defaultCapacityProviderStrategy must be specified.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var resolved = new List<string>();
        foreach (var reference in providers)
        {
            var name = CapacityProviderRules.NameOf(reference ?? string.Empty);
            if (!CapacityProviderRules.Exists(state, scope, name))
            {
                throw AwsException.InvalidParameter($"The specified capacity provider {reference} does not exist. Specify a valid capacity provider and try again.");
            }

            if (!names.Add(name))
            {
                throw AwsException.InvalidParameter("Duplicate capacity providers are not allowed.");
            }

            if (!CapacityProviderRules.IsFargate(name)
                && state.Clusters.Values.FirstOrDefault(c => c.ClusterArn != cluster.ClusterArn && c.Status == ClusterStatus.Active && c.ClusterArn.StartsWith(scope.EcsPrefix, StringComparison.Ordinal) && c.CapacityProviders.Contains(name)) is { } other)
            {
                throw AwsException.InvalidParameter($"The specified capacity provider {name} is already associated with the cluster {other.ClusterName}. An Auto Scaling group capacity provider can be associated with only one cluster.");
            }

            resolved.Add(name);
        }

        var items = strategy.Select(s => new CapacityProviderStrategyItem { CapacityProvider = s.CapacityProvider is { } p ? CapacityProviderRules.NameOf(p) : null, Weight = s.Weight, Base = s.Base }).ToList();
        StrategyRules.Validate(state, scope, items, resolved, "default capacity provider strategy");

        foreach (var removed in cluster.CapacityProviders.Where(p => !names.Contains(p)))
        {
            if (InUse(state, cluster, removed))
            {
                throw new AwsException("ResourceInUseException", $"The specified capacity provider {removed} is in use and cannot be removed.");
            }
        }

        var changed = cluster with { CapacityProviders = [.. resolved], DefaultCapacityProviderStrategy = ClusterRecord.FromWire(items) };
        var edit = new StateEdit(state);
        edit.Put(changed);
        return edit.Done(changed);
    }

    /// <summary>Whether a task not yet stopped or a live service of <paramref name="cluster"/> uses <paramref name="provider"/>.</summary>
    public static bool InUse(EcsState state, ClusterRecord cluster, string provider)
    {
        if (state.TasksIn(cluster.ClusterArn).Any(t => t.Holds && t.CapacityProviderName == provider))
        {
            return true;
        }

        return state.Services.Values.Any(s => s.ClusterArn == cluster.ClusterArn && s.Status != Services.ServiceStatus.Inactive
            && StrategyRules.Terms(s.CapacityProviderStrategy).Any(t => t.CapacityProvider == provider));
    }

    private static List<(string Key, CapacityProvider Item)> All(EcsState state, Scope scope, bool tags)
    {
        var list = new List<(string, CapacityProvider)>
        {
            ("0|" + CapacityProviderRules.Fargate, BuiltIn(scope, CapacityProviderRules.Fargate, tags)),
            ("0|" + CapacityProviderRules.FargateSpot, BuiltIn(scope, CapacityProviderRules.FargateSpot, tags)),
        };
        foreach (var record in state.CapacityProviders.Values.Where(p => p.CapacityProviderArn.StartsWith(scope.EcsPrefix, StringComparison.Ordinal)))
        {
            list.Add(("1|" + record.Name, View(record, tags)));
        }

        return list;
    }

    private static CapacityProvider BuiltIn(Scope scope, string name, bool tags) => new()
    {
        CapacityProviderArn = CapacityProviderRules.ArnOf(scope, name),
        Name = name,
        Status = "ACTIVE",
        Type = name == CapacityProviderRules.Fargate ? "FARGATE" : "FARGATE_SPOT",
        Tags = tags ? [] : null,
    };

    /// <summary>A stored provider as ECS shows it.</summary>
    public static CapacityProvider View(CapacityProviderRecord record, bool tags) => new()
    {
        CapacityProviderArn = record.CapacityProviderArn,
        Name = record.Name,
        Status = "ACTIVE",
        Type = "EC2_AUTOSCALING",
        AutoScalingGroupProvider = record.AutoScalingGroupProvider.Thaw(WireJsonContext.Default.AutoScalingGroupProvider),
        UpdateStatus = record.UpdateStatus,
        Tags = tags ? ResourceTag.ToWire(record.Tags) : null,
    };
}
