using System.Text.RegularExpressions;
using Berth.Ecs.Arns;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using Berth.Scheduling;
using Berth.Storage.Commit;

namespace Berth.Ecs.Services;

/// <summary>CreateService, UpdateService and DeleteService as pure functions of (state, request, now, ids).</summary>
public static partial class ServiceDecisions
{
    /// <summary>
    /// CreateService: checks the request as ECS does and stores the service ACTIVE with its first deployment
    /// PRIMARY; the controller then starts its tasks.
    /// </summary>
    public static Decision<EcsState, Service> Create(EcsState state, Scope scope, string principal, IdSource ids, DateTimeOffset now, CreateServiceRequest request, ITargetGroupCatalog? targetGroups = null)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var name = request.ServiceName ?? string.Empty;
        if (!NamePattern().IsMatch(name))
        {
            throw AwsException.InvalidParameter("Service name can have up to 255 characters. Valid characters are letters (uppercase and lowercase), numbers, hyphens (-), and underscores (_).");
        }

        var arn = $"{scope.EcsPrefix}service/{cluster.ClusterName}/{name}";
        if (state.Services.TryGetValue(arn, out var existing) && existing.Status != ServiceStatus.Inactive)
        {
            throw AwsException.InvalidParameter("Creation of service was not idempotent.");
        }

        var scheduling = request.SchedulingStrategy ?? "REPLICA";
        if (Array.IndexOf(WireEnums.SchedulingStrategy, scheduling) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for schedulingStrategy: {scheduling}. Valid values are {string.Join(", ", WireEnums.SchedulingStrategy)}.");
        }

        var controller = request.DeploymentController?.Type ?? "ECS";
        if (controller is not ("ECS" or "EXTERNAL"))
        {
            throw AwsException.InvalidParameter(Array.IndexOf(WireEnums.DeploymentControllerType, controller) < 0
                ? $"Invalid value for deploymentController.type: {controller}. Valid values are {string.Join(", ", WireEnums.DeploymentControllerType)}."
                : $"Berth runs the ECS (rolling update) and EXTERNAL (task sets) deployment controllers; {controller} is not supported.");
        }

        if (controller == "EXTERNAL")
        {
            return CreateExternal(state, scope, principal, now, request, cluster, name, arn, scheduling);
        }

        if (scheduling == "REPLICA" && request.DesiredCount is null)
        {
            throw AwsException.InvalidParameter("desiredCount is required when schedulingStrategy is REPLICA.");
        }

        if (request.DesiredCount is < 0)
        {
            throw AwsException.InvalidParameter("desiredCount must be greater than or equal to 0.");
        }

        if (string.IsNullOrEmpty(request.TaskDefinition))
        {
            throw AwsException.InvalidParameter("TaskDefinition can not be blank.");
        }

        var (launchType, strategy) = StrategyRules.Resolve(state, scope, cluster, request.LaunchType, request.CapacityProviderStrategy);
        if (scheduling == "DAEMON")
        {
            if (launchType == "FARGATE")
            {
                throw AwsException.InvalidParameter("The DAEMON scheduling strategy is not supported with the FARGATE launch type.");
            }

            if (request.PlacementStrategy is { Count: > 0 })
            {
                throw AwsException.InvalidParameter("The daemon scheduling strategy does not support placement strategies. Remove the placement strategy and try again");
            }

            if (request.DesiredCount is > 0)
            {
                throw AwsException.InvalidParameter("The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again");
            }
        }

        var launch = TaskBuilder.Check(state, scope, cluster, new TaskBuilder.Parameters(
            request.TaskDefinition, null, null, 128, null, null, null, null, null, request.NetworkConfiguration, launchType));
        ValidatePlacement(launch.Definition, request.PlacementConstraints, request.PlacementStrategy, launchType);
        LoadBalancerRules.Validate(request.LoadBalancers ?? [], launch.Definition, targetGroups ?? NoTargetGroups.Instance);
        TaskDecisions.PlatformVersion(request.PlatformVersion, launchType);
        var configuration = Configuration(request.DeploymentConfiguration, scheduling, null);
        ValidateCreateSettings(request);
        var service = new ServiceRecord
        {
            ServiceArn = arn,
            ServiceName = name,
            ClusterArn = cluster.ClusterArn!,
            LoadBalancers = ServiceLoadBalancer.FromWire(request.LoadBalancers),
            ServiceRegistries = FrozenJson.Of(request.ServiceRegistries ?? [], WireJsonContext.Default.ListServiceRegistry),
            Status = ServiceStatus.Active,
            DesiredCount = scheduling == "DAEMON" ? 0 : request.DesiredCount ?? 0,
            LaunchType = strategy is null ? WireText.Parse<LaunchType>(launchType) : null,
            CapacityProviderStrategy = strategy is null ? null : ServiceViews.Freeze(strategy, WireJsonContext.Default.ListCapacityProviderStrategyItem),
            PlatformVersion = launchType == "FARGATE" ? request.PlatformVersion ?? "LATEST" : null,
            PlatformFamily = launchType == "FARGATE" ? "Linux" : null,
            TaskDefinition = launch.Definition.TaskDefinitionArn!,
            DeploymentConfiguration = configuration,
            RoleArn = request.Role,
            CreatedAt = now,
            PlacementConstraints = [.. (request.PlacementConstraints ?? []).Select(c => new PlacementRule(c.Type ?? string.Empty, c.Expression))],
            PlacementStrategy = [.. (request.PlacementStrategy ?? []).Select(c => new PlacementRule(c.Type ?? string.Empty, c.Field))],
            NetworkConfiguration = ServiceViews.Freeze(request.NetworkConfiguration, WireJsonContext.Default.NetworkConfiguration),
            HealthCheckGracePeriodSeconds = request.HealthCheckGracePeriodSeconds ?? 0,
            SchedulingStrategy = WireText.Parse<SchedulingStrategy>(scheduling)!.Value,
            Tags = ResourceTag.FromWire(request.Tags),
            CreatedBy = principal,
            EnableEcsManagedTags = request.EnableECSManagedTags ?? false,
            PropagateTags = request.PropagateTags ?? "NONE",
            EnableExecuteCommand = request.EnableExecuteCommand ?? false,
            AvailabilityZoneRebalancing = request.AvailabilityZoneRebalancing ?? "DISABLED",
        };
        service = ServiceModel.StartDeployment(service, scope, ids, now);
        var edit = new StateEdit(state);
        edit.Put(service);
        return edit.Done(ServiceViews.ToWire(service));
    }

    /// <summary>
    /// CreateService with the EXTERNAL deployment controller: the service is stored ACTIVE with no deployment and
    /// starts nothing by itself; its task sets (CreateTaskSet) say what runs. What a task set carries (task definition,
    /// launch type or capacity providers, platform version, network, load balancers, service registries) must be blank.
    /// </summary>
    private static Decision<EcsState, Service> CreateExternal(EcsState state, Scope scope, string principal, DateTimeOffset now, CreateServiceRequest request, ClusterRecord cluster, string name, string arn, string scheduling)
    {
        if (scheduling == "DAEMON")
        {
            throw AwsException.InvalidParameter("The EXTERNAL deployment controller type does not support the DAEMON scheduling strategy.");
        }

        if (request.DesiredCount is null)
        {
            throw AwsException.InvalidParameter("desiredCount is required when schedulingStrategy is REPLICA.");
        }

        if (request.DesiredCount is < 0)
        {
            throw AwsException.InvalidParameter("desiredCount must be greater than or equal to 0.");
        }

        foreach (var (given, what) in new (bool, string)[]
        {
            (!string.IsNullOrEmpty(request.TaskDefinition), "taskDefinition"),
            (!string.IsNullOrEmpty(request.LaunchType), "launchType"),
            (request.CapacityProviderStrategy is { Count: > 0 }, "capacityProviderStrategy"),
            (!string.IsNullOrEmpty(request.PlatformVersion), "platformVersion"),
            (request.NetworkConfiguration is not null, "networkConfiguration"),
            (request.LoadBalancers is { Count: > 0 }, "loadBalancers"),
            (request.ServiceRegistries is { Count: > 0 }, "serviceRegistries"),
        })
        {
            if (given)
            {
                throw AwsException.InvalidParameter($"{what} must be blank for a service with the EXTERNAL deployment controller: give it to CreateTaskSet.");
            }
        }

        if (request.PlacementConstraints is { Count: > 0 } || request.PlacementStrategy is { Count: > 0 })
        {
            ValidatePlacement(new TaskDefinition(), request.PlacementConstraints, request.PlacementStrategy, "EC2");
        }

        ValidateCreateSettings(request);
        var service = new ServiceRecord
        {
            ServiceArn = arn,
            ServiceName = name,
            ClusterArn = cluster.ClusterArn!,
            Status = ServiceStatus.Active,
            DesiredCount = request.DesiredCount ?? 0,
            TaskDefinition = string.Empty,
            DeploymentConfiguration = Configuration(request.DeploymentConfiguration, scheduling, null),
            DeploymentController = DeploymentControllerType.External,
            RoleArn = request.Role,
            CreatedAt = now,
            PlacementConstraints = [.. (request.PlacementConstraints ?? []).Select(c => new PlacementRule(c.Type ?? string.Empty, c.Expression))],
            PlacementStrategy = [.. (request.PlacementStrategy ?? []).Select(c => new PlacementRule(c.Type ?? string.Empty, c.Field))],
            HealthCheckGracePeriodSeconds = request.HealthCheckGracePeriodSeconds ?? 0,
            SchedulingStrategy = SchedulingStrategy.Replica,
            Tags = ResourceTag.FromWire(request.Tags),
            CreatedBy = principal,
            EnableEcsManagedTags = request.EnableECSManagedTags ?? false,
            PropagateTags = request.PropagateTags ?? "NONE",
            EnableExecuteCommand = request.EnableExecuteCommand ?? false,
            AvailabilityZoneRebalancing = request.AvailabilityZoneRebalancing ?? "DISABLED",
        };
        var edit = new StateEdit(state);
        edit.Put(service);
        return edit.Done(ServiceViews.ToWire(service));
    }

    /// <summary>
    /// UpdateService: a new desired count is taken at once; a new task definition, network configuration,
    /// launch configuration or <c>forceNewDeployment</c> starts a new deployment.
    /// </summary>
    public static Decision<EcsState, Service> Update(EcsState state, Scope scope, IdSource ids, DateTimeOffset now, UpdateServiceRequest request, ITargetGroupCatalog? targetGroups = null)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var service = Find(state, scope, cluster, request.Service) ?? throw new AwsException("ServiceNotFoundException", "Service not found.");
        if (service.Status != ServiceStatus.Active)
        {
            throw new AwsException("ServiceNotActiveException", "Service was not ACTIVE.");
        }

        if (service.External)
        {
            return UpdateExternal(state, service, now, request);
        }

        var deploy = request.ForceNewDeployment == true;
        if (request.DesiredCount is { } desired)
        {
            if (desired < 0)
            {
                throw AwsException.InvalidParameter("desiredCount must be greater than or equal to 0.");
            }

            if (service.SchedulingStrategy == SchedulingStrategy.Daemon)
            {
                throw AwsException.InvalidParameter("The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again");
            }

            service = service with { DesiredCount = desired };
        }

        var launchType = WireText.Of(service.LaunchType) ?? "FARGATE";
        if (request.CapacityProviderStrategy is { Count: > 0 } strategy)
        {
            var (type, resolved) = StrategyRules.Resolve(state, scope, cluster, null, strategy);
            launchType = type;
            var frozen = FrozenJson.Of(resolved!, WireJsonContext.Default.ListCapacityProviderStrategyItem);
            deploy |= service.LaunchType is not null || !StrategyRules.Terms(service.CapacityProviderStrategy).Select(Describe).SequenceEqual(resolved!.Select(Describe));
            service = service with { CapacityProviderStrategy = frozen, LaunchType = null };
        }

        if (request.TaskDefinition is { } taskDefinition)
        {
            var launch = TaskBuilder.Check(state, scope, cluster, new TaskBuilder.Parameters(
                taskDefinition, null, null, 128, null, null, null, null, null, request.NetworkConfiguration ?? service.NetworkConfiguration?.Thaw(WireJsonContext.Default.NetworkConfiguration), launchType));
            deploy |= launch.Definition.TaskDefinitionArn != service.TaskDefinition;
            service = service with { TaskDefinition = launch.Definition.TaskDefinitionArn! };
        }

        if (request.NetworkConfiguration is not null)
        {
            service = service with { NetworkConfiguration = FrozenJson.Of(request.NetworkConfiguration, WireJsonContext.Default.NetworkConfiguration) };
            deploy = true;
        }

        if (request.PlatformVersion is { } platformVersion)
        {
            TaskDecisions.PlatformVersion(platformVersion, launchType);
            deploy |= platformVersion != service.PlatformVersion;
            service = service with { PlatformVersion = platformVersion };
        }

        service = WithSettings(service, request, () => TaskDefinitionLookup.Find(state, TaskDefinitionLookup.Parse(scope, service.TaskDefinition))?.Definition
            ?? throw AwsException.Client("TaskDefinition not found."), launchType);

        if (request.LoadBalancers is not null)
        {
            service = service with { LoadBalancers = ServiceLoadBalancer.FromWire(request.LoadBalancers) };
            deploy = true;
        }

        // A change of service registries is a new deployment too, as ECS makes it.
        if (request.ServiceRegistries is not null)
        {
            service = service with { ServiceRegistries = FrozenJson.Of(request.ServiceRegistries, WireJsonContext.Default.ListServiceRegistry) };
            deploy = true;
        }

        // The load balancers must fit the revision the service runs from now on, whichever of the two changed.
        if ((request.LoadBalancers is not null || request.TaskDefinition is not null) && service.LoadBalancers.Length > 0)
        {
            var definition = TaskDefinitionLookup.Find(state, TaskDefinitionLookup.Parse(scope, service.TaskDefinition))?.Definition
                ?? throw AwsException.Client("TaskDefinition not found.");
            LoadBalancerRules.Validate(ServiceLoadBalancer.ToWire(service.LoadBalancers), definition, targetGroups ?? NoTargetGroups.Instance);
        }

        if (deploy)
        {
            service = ServiceModel.StartDeployment(service, scope, ids, now);
        }
        else if (service.Deployments.Any(d => d.Status == DeploymentStatus.Primary))
        {
            var count = service.DesiredCount;
            service = ServiceModel.WithDeployment(service, service.Primary.Id, d => d with { DesiredCount = count, UpdatedAt = now });
            service = service with { Controller = service.Controller with { SteadyReported = false, RetryPlacementAt = null, PlacementFailures = 0 } };
        }

        var edit = new StateEdit(state);
        edit.Put(service);
        return edit.Done(ServiceViews.ToWire(service));
    }

    /// <summary>
    /// UpdateService of an EXTERNAL service: the desired count (and with it every task set's computed desired count),
    /// placement, health check grace period, tags settings and ECS Exec change; what task sets carry is refused, as ECS
    /// has a new task set made for it.
    /// </summary>
    private static Decision<EcsState, Service> UpdateExternal(EcsState state, ServiceRecord service, DateTimeOffset now, UpdateServiceRequest request)
    {
        foreach (var (given, what) in new (bool, string)[]
        {
            (request.TaskDefinition is not null, "task definition"),
            (request.CapacityProviderStrategy is not null, "capacity provider strategy"),
            (request.NetworkConfiguration is not null, "network configuration"),
            (request.PlatformVersion is not null, "platform version"),
            (request.LoadBalancers is not null, "load balancers"),
            (request.ServiceRegistries is not null, "service registries"),
            (request.ForceNewDeployment == true, "forceNewDeployment"),
        })
        {
            if (given)
            {
                throw AwsException.InvalidParameter($"Unable to update {what} on services with a EXTERNAL deployment controller. Create a new task set with CreateTaskSet instead.");
            }
        }

        if (request.DesiredCount is { } desired)
        {
            if (desired < 0)
            {
                throw AwsException.InvalidParameter("desiredCount must be greater than or equal to 0.");
            }

            service = TaskSetDecisions.Recompute(service with { DesiredCount = desired }, now);
        }

        // Its task sets carry their own task definitions: the placement rules are checked as an EC2 service's.
        service = WithSettings(service, request, () => new TaskDefinition(), "EC2");
        service = service with { Controller = service.Controller with { SteadyReported = false, RetryPlacementAt = null, PlacementFailures = 0 } };
        var edit = new StateEdit(state);
        edit.Put(service);
        return edit.Done(ServiceViews.ToWire(service));
    }

    // CreateService's settings every controller takes: the grace period, tag propagation and the tags.
    private static void ValidateCreateSettings(CreateServiceRequest request)
    {
        if (request.HealthCheckGracePeriodSeconds is < 0 or > 2147483647)
        {
            throw AwsException.InvalidParameter("healthCheckGracePeriodSeconds must be between 0 and 2147483647.");
        }

        if (request.PropagateTags is { } propagate && Array.IndexOf(WireEnums.PropagateTags, propagate) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for propagateTags: {propagate}. Valid values are {string.Join(", ", WireEnums.PropagateTags)}.");
        }

        TagRules.Validate(request.Tags);
    }

    // UpdateService's settings that are not a deployment's: placement (checked against the definition), the
    // deployment configuration, the grace period, ECS Exec, managed tags and tag propagation.
    private static ServiceRecord WithSettings(ServiceRecord service, UpdateServiceRequest request, Func<TaskDefinition> definition, string launchType)
    {
        if (request.PlacementConstraints is not null || request.PlacementStrategy is not null)
        {
            var constraints = request.PlacementConstraints ?? [.. service.PlacementConstraints.Select(c => new PlacementConstraint { Type = c.Type, Expression = c.Value })];
            var strategies = request.PlacementStrategy ?? [.. service.PlacementStrategy.Select(c => new PlacementStrategy { Type = c.Type, Field = c.Value })];
            ValidatePlacement(definition(), constraints, strategies, launchType);
            service = service with
            {
                PlacementConstraints = [.. constraints.Select(c => new PlacementRule(c.Type ?? string.Empty, c.Expression))],
                PlacementStrategy = [.. strategies.Select(c => new PlacementRule(c.Type ?? string.Empty, c.Field))],
            };
        }

        if (request.DeploymentConfiguration is not null)
        {
            service = service with { DeploymentConfiguration = Configuration(request.DeploymentConfiguration, WireText.Of(service.SchedulingStrategy), ServiceViews.ToWire(service.DeploymentConfiguration)) };
        }

        return service with
        {
            HealthCheckGracePeriodSeconds = request.HealthCheckGracePeriodSeconds ?? service.HealthCheckGracePeriodSeconds,
            EnableExecuteCommand = request.EnableExecuteCommand ?? service.EnableExecuteCommand,
            EnableEcsManagedTags = request.EnableECSManagedTags ?? service.EnableEcsManagedTags,
            PropagateTags = request.PropagateTags ?? service.PropagateTags,
        };
    }

    /// <summary>
    /// DeleteService: a replica service must be scaled to 0 first unless <c>force</c>; the service turns DRAINING,
    /// the controller stops its tasks and then marks it INACTIVE.
    /// </summary>
    public static Decision<EcsState, Service> Delete(EcsState state, Scope scope, DateTimeOffset now, DeleteServiceRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var found = Find(state, scope, cluster, request.Service) ?? throw new AwsException("ServiceNotFoundException", "Service not found.");
        if (found.Status != ServiceStatus.Active)
        {
            return new StateEdit(state).Done(ServiceViews.ToWire(found));
        }

        if (found.SchedulingStrategy != SchedulingStrategy.Daemon && found.DesiredCount > 0 && request.Force != true)
        {
            throw AwsException.InvalidParameter("The service cannot be stopped while it is scaled above 0.");
        }

        var service = found with
        {
            Status = ServiceStatus.Draining,
            DesiredCount = 0,
            Deployments = [.. found.Deployments.Select(d => d with { DesiredCount = 0, UpdatedAt = now })],
            TaskSets = [.. found.TaskSets.Select(t => t.Status == TaskSetStatus.Draining ? t : t with { Status = TaskSetStatus.Draining, ComputedDesiredCount = 0, UpdatedAt = now })],
            Controller = found.Controller with { SteadyReported = false },
        };
        var edit = new StateEdit(state);
        edit.Put(service);
        return edit.Done(ServiceViews.ToWire(service));
    }

    /// <summary>The service a name or ARN stands for in a cluster, or null.</summary>
    public static ServiceRecord? Find(EcsState state, Scope scope, ClusterRecord cluster, string? reference)
    {
        if (string.IsNullOrEmpty(reference))
        {
            return null;
        }

        var name = reference.StartsWith("arn:", StringComparison.Ordinal) ? reference[(reference.LastIndexOf('/') + 1)..] : reference;
        return state.Services.TryGetValue($"{scope.EcsPrefix}service/{cluster.ClusterName}/{name}", out var stored) ? stored : null;
    }

    private static void ValidatePlacement(TaskDefinition definition, List<PlacementConstraint>? constraints, List<PlacementStrategy>? strategies, string launchType)
    {
        try
        {
            PlacementRules.Validate(TaskDecisions.Constraints(definition, constraints, launchType), TaskDecisions.Strategies(strategies), launchType);
        }
        catch (PlacementSpecException e)
        {
            throw AwsException.InvalidParameter(e.Message);
        }
    }

    private static DeploymentSettings Configuration(DeploymentConfiguration? given, string scheduling, DeploymentConfiguration? current)
    {
        // ECS's defaults: 200/100 for replica services, 100/0 for daemons; the circuit breaker off.
        var maximum = given?.MaximumPercent ?? current?.MaximumPercent ?? (scheduling == "DAEMON" ? 100 : 200);
        var minimum = given?.MinimumHealthyPercent ?? current?.MinimumHealthyPercent ?? (scheduling == "DAEMON" ? 0 : 100);
        if (minimum is < 0 or > 100)
        {
            throw AwsException.InvalidParameter("minimumHealthyPercent must be between 0 and 100.");
        }

        if (maximum is < 100 or > 2000 && !(maximum >= 0 && maximum < 100 && minimum == 0))
        {
            throw AwsException.InvalidParameter("maximumPercent must be between 100 and 2000.");
        }

        if (maximum <= minimum && !(maximum == 100 && minimum == 100 && scheduling == "DAEMON"))
        {
            throw AwsException.InvalidParameter("maximumPercent must be greater than minimumHealthyPercent.");
        }

        return ServiceViews.FromWire(new DeploymentConfiguration
        {
            MaximumPercent = maximum,
            MinimumHealthyPercent = minimum,
            DeploymentCircuitBreaker = new DeploymentCircuitBreaker
            {
                Enable = given?.DeploymentCircuitBreaker?.Enable ?? current?.DeploymentCircuitBreaker?.Enable ?? false,
                Rollback = given?.DeploymentCircuitBreaker?.Rollback ?? current?.DeploymentCircuitBreaker?.Rollback ?? false,
            },
            Alarms = given?.Alarms ?? current?.Alarms,
            Strategy = given?.Strategy ?? current?.Strategy,
            BakeTimeInMinutes = given?.BakeTimeInMinutes ?? current?.BakeTimeInMinutes,
            LifecycleHooks = given?.LifecycleHooks ?? current?.LifecycleHooks,
        });
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,255}$")]
    private static partial Regex NamePattern();

    // A strategy entry as text, to tell a changed strategy from the same one given again.
    private static string Describe(CapacityProviderStrategyItem item) => $"{item.CapacityProvider}|{item.Weight ?? 0}|{item.Base ?? 0}";
}
