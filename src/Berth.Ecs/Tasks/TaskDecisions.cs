using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.Scheduling;
using Berth.Storage.Commit;

namespace Berth.Ecs.Tasks;

/// <summary>RunTask, StartTask and StopTask, as pure functions of (state, request, now, ids, rng).</summary>
public static class TaskDecisions
{
    /// <summary>
    /// RunTask on the EC2 (or EXTERNAL) launch type: up to 10 tasks placed by <see cref="Placement"/>.
    /// Tasks that fit nowhere come back as failures naming each instance and why it refused, as in ECS.
    /// A repeated <c>clientToken</c> returns the tasks of its first request and starts nothing.
    /// </summary>
    public static Decision<EcsState, RunTaskResponse> Run(EcsState state, Scope scope, IdSource ids, Random rng, DateTimeOffset now, RunTaskRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var count = request.Count ?? 1;
        if (count > 10)
        {
            throw AwsException.InvalidParameter("Task count can not be greater than 10.");
        }

        if (count < 1)
        {
            throw AwsException.InvalidParameter("Task count must be greater than 0.");
        }

        var edit = new StateEdit(state);
        string? tokenKey = null;
        string? fingerprint = null;
        if (request.ClientToken is { } token)
        {
            if (token.Length is 0 or > 64 || token.Any(c => c is < (char)33 or > (char)126))
            {
                throw AwsException.InvalidParameter("clientToken must be 1 to 64 characters in the range 33-126.");
            }

            tokenKey = scope.Region + "|" + token;
            fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request, WireJsonContext.Default.RunTaskRequest))));
            if (state.ClientTokens.TryGetValue(tokenKey, out var seen))
            {
                if (seen.Fingerprint != fingerprint)
                {
                    throw new AwsException("ConflictException", "The specified client token is already in use with a different RunTask request. Existing tasks: " + string.Join(", ", seen.TaskArns));
                }

                return edit.Done(new RunTaskResponse
                {
                    Tasks = [.. seen.TaskArns.Where(state.Tasks.ContainsKey).Select(a => state.Tasks[a])],
                    Failures = seen.Failures,
                });
            }
        }

        var launchType = LaunchType(cluster, request);
        var launch = TaskBuilder.Check(state, scope, cluster, new TaskBuilder.Parameters(
            request.TaskDefinition, request.Overrides, request.StartedBy, 128, request.Group, request.Tags, request.PropagateTags,
            request.EnableECSManagedTags, request.EnableExecuteCommand, request.NetworkConfiguration, launchType));
        var demand = TaskBuilder.Demand(launch, count) with
        {
            Constraints = Constraints(launch.Definition, request.PlacementConstraints),
            Strategies = Strategies(request.PlacementStrategy),
        };

        var snapshot = PlacementSnapshot.Of(state, cluster);
        if (!snapshot.Instances.Any(i => i.Status == "ACTIVE"))
        {
            throw AwsException.InvalidParameter("No Container Instances were found in your cluster.");
        }

        var response = new RunTaskResponse { Tasks = [], Failures = [] };
        foreach (var placement in Placement.Place(snapshot, demand, rng))
        {
            Record(placement, launch, scope, cluster, ids, now, edit, response);
        }

        if (tokenKey is not null)
        {
            edit.Put(tokenKey, new StoredClientToken(request.ClientToken!, fingerprint!, [.. response.Tasks.Select(t => t.TaskArn!)], response.Failures));
        }

        return edit.Done(response);
    }

    /// <summary>
    /// StartTask: one task on each named instance (up to 10), if it fits there. Unknown, INACTIVE and full
    /// instances come back as failures.
    /// </summary>
    public static Decision<EcsState, StartTaskResponse> Start(EcsState state, Scope scope, IdSource ids, DateTimeOffset now, StartTaskRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var targets = request.ContainerInstances ?? [];
        if (targets.Count == 0)
        {
            throw AwsException.InvalidParameter("Container instances cannot be empty.");
        }

        if (targets.Count > 10)
        {
            throw AwsException.InvalidParameter("Container instances can have at most 10 items.");
        }

        var launch = TaskBuilder.Check(state, scope, cluster, new TaskBuilder.Parameters(
            request.TaskDefinition, request.Overrides, request.StartedBy, 36, request.Group, request.Tags, request.PropagateTags,
            request.EnableECSManagedTags, request.EnableExecuteCommand, request.NetworkConfiguration, "EC2"));
        var pinned = targets.Select(t => ContainerInstanceRules.ArnOf(scope, cluster, t)).ToList();
        var demand = TaskBuilder.Demand(launch, pinned.Count) with { PinnedInstances = pinned };

        var edit = new StateEdit(state);
        var run = new RunTaskResponse { Tasks = [], Failures = [] };
        foreach (var placement in Placement.Place(PlacementSnapshot.Of(state, cluster), demand, new Random(0)))
        {
            Record(placement, launch, scope, cluster, ids, now, edit, run);
        }

        return edit.Done(new StartTaskResponse { Tasks = run.Tasks, Failures = run.Failures });
    }

    /// <summary>
    /// StopTask: desiredStatus STOPPED (the agent then stops it and reports STOPPED), stop code UserInitiated.
    /// A task already asked to stop is returned unchanged.
    /// </summary>
    public static Decision<EcsState, EcsTask> Stop(EcsState state, Scope scope, DateTimeOffset now, StopTaskRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var task = TaskQueries.Find(state, scope, cluster, request.Task) ?? throw AwsException.InvalidParameter("The referenced task was not found.");
        if (request.Reason is { Length: > 255 })
        {
            throw AwsException.InvalidParameter("reason can have at most 255 characters.");
        }

        var edit = new StateEdit(state);
        var reason = string.IsNullOrEmpty(request.Reason) ? TaskLifecycle.StoppedByUser : request.Reason;
        if (TaskLifecycle.RequestStop(task, now, "UserInitiated", reason) is not { } stopping)
        {
            return edit.Done(task);
        }

        edit.Put(stopping);
        return edit.Done(stopping);
    }

    private static void Record(TaskPlacement placement, TaskBuilder.Launch launch, Scope scope, Cluster cluster, IdSource ids, DateTimeOffset now, StateEdit edit, RunTaskResponse response)
    {
        if (placement.Instance is { } chosen)
        {
            var task = TaskBuilder.Build(launch, scope, cluster, edit.State.ContainerInstances[chosen.Arn], ids, now);
            edit.Put(task);
            response.Tasks!.Add(task);
            return;
        }

        // ECS reports each refusing instance once per request, however many tasks it refused.
        foreach (var failure in placement.Failures)
        {
            if (!response.Failures!.Any(f => f.Arn == failure.Arn && f.Reason == failure.Reason))
            {
                response.Failures!.Add(new Failure { Arn = failure.Arn, Reason = failure.Reason });
            }
        }
    }

    private static string LaunchType(Cluster cluster, RunTaskRequest request)
    {
        if (request.LaunchType is not null && request.CapacityProviderStrategy is { Count: > 0 })
        {
            throw AwsException.InvalidParameter("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.");
        }

        if (request.LaunchType is { } given && Array.IndexOf(WireEnums.LaunchType, given) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for launchType: {given}. Valid values are {string.Join(", ", WireEnums.LaunchType)}.");
        }

        var strategy = request.CapacityProviderStrategy is { Count: > 0 } asked ? asked
            : request.LaunchType is null ? cluster.DefaultCapacityProviderStrategy : null;
        if (strategy is { Count: > 0 })
        {
            ClusterRules.ValidateStrategy(strategy, cluster.CapacityProviders);
            throw FargateNotYet();
        }

        var launchType = request.LaunchType ?? "EC2";
        if (launchType is "FARGATE" or "MANAGED_INSTANCES")
        {
            throw FargateNotYet();
        }

        return launchType;
    }

    private static AwsException FargateNotYet() =>
        AwsException.Client("Berth does not run tasks on FARGATE (or capacity providers) yet. Use launchType EC2 or EXTERNAL with a registered container instance.");

    private static List<ConstraintSpec> Constraints(TaskDefinition definition, List<PlacementConstraint>? given)
    {
        var constraints = new List<ConstraintSpec>();
        foreach (var c in given ?? [])
        {
            if (c.Type is not ("distinctInstance" or "memberOf"))
            {
                throw AwsException.InvalidParameter($"Invalid value for placement constraint type: {c.Type}. Valid values are distinctInstance, memberOf.");
            }

            if (c.Type == "memberOf" && string.IsNullOrWhiteSpace(c.Expression))
            {
                throw AwsException.InvalidParameter("An expression is required for a memberOf placement constraint.");
            }

            if (c.Type == "distinctInstance" && !string.IsNullOrEmpty(c.Expression))
            {
                throw AwsException.InvalidParameter("An expression is not allowed for a distinctInstance placement constraint.");
            }

            constraints.Add(new ConstraintSpec(c.Type, c.Expression));
        }

        constraints.AddRange((definition.PlacementConstraints ?? []).Select(c => new ConstraintSpec(c.Type ?? "memberOf", c.Expression)));
        if (constraints.Count > 10)
        {
            throw AwsException.InvalidParameter("You can specify up to 10 placement constraints per task, including those in the task definition.");
        }

        return constraints;
    }

    private static List<StrategySpec> Strategies(List<PlacementStrategy>? given)
    {
        var strategies = given ?? [];
        if (strategies.Count > 5)
        {
            throw AwsException.InvalidParameter("You can specify up to 5 placement strategies.");
        }

        foreach (var s in strategies)
        {
            if (Array.IndexOf(WireEnums.PlacementStrategyType, s.Type) < 0)
            {
                throw AwsException.InvalidParameter($"Invalid value for placement strategy type: {s.Type}. Valid values are {string.Join(", ", WireEnums.PlacementStrategyType)}.");
            }
        }

        return [.. strategies.Select(s => new StrategySpec(s.Type!, s.Field))];
    }
}
