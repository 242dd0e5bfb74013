using Berth.Ecs.AccountSettings;
using Berth.Ecs.AgentAccess;
using Berth.Ecs.Arns;
using Berth.Ecs.Attributes;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tagging;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Protocol.Dispatch;
using Berth.Storage.Commit;

namespace Berth.Ecs;

/// <summary>
/// Wires ECS's operations into the dispatch table: reads run on the current snapshot, writes go through
/// the commit pipeline as pure decisions. This is the only place that knows both the wire and the state.
/// </summary>
public sealed class EcsApi(CommitPipeline<EcsState> pipeline, TimeProvider time)
{
    private static readonly WireJsonContext Json = WireJsonContext.Default;

    /// <summary>Where IDs of new container instances, tasks and containers come from (random unless a test says otherwise).</summary>
    public IdSource Ids { get; init; } = IdSource.Random;

    /// <summary>Where each placement's seed comes from (random unless a test says otherwise).</summary>
    public Random PlacementRandom { get; init; } = new();

    /// <summary>
    /// How many times a RunTask plans on a snapshot before it plans inside the writer, where nothing can change
    /// under it. Each retry follows a commit that changed what the plan relied on.
    /// </summary>
    public int OptimisticAttempts { get; init; } = 3;

    /// <summary>The base URL DiscoverPollEndpoint hands agents for their channels (the server's own address).</summary>
    public string AgentEndpoint { get; init; } = "http://127.0.0.1:4580";

    /// <summary>The target groups services may name in <c>loadBalancers</c> (none unless load balancing is attached).</summary>
    public ITargetGroupCatalog TargetGroups { get; init; } = NoTargetGroups.Instance;

    /// <summary>Adds every ECS operation Berth implements to <paramref name="table"/>.</summary>
    public void Register(DispatchTable table)
    {
        // Clusters
        Read(table, "DescribeClusters", Json.DescribeClustersRequest, Json.DescribeClustersResponse, ClusterQueries.Describe);
        Read(table, "ListClusters", Json.ListClustersRequest, Json.ListClustersResponse, ClusterQueries.List);
        Write(table, "CreateCluster", Json.CreateClusterRequest, Json.CreateClusterResponse,
            (s, c, r) => ClusterDecisions.Create(s, Scope(c), r), cluster => new CreateClusterResponse { Cluster = ClusterViews.Render(pipeline.Current, cluster, null, full: true) });
        Write(table, "UpdateCluster", Json.UpdateClusterRequest, Json.UpdateClusterResponse,
            (s, c, r) => ClusterDecisions.Update(s, Scope(c), r), cluster => new UpdateClusterResponse { Cluster = ClusterViews.Render(pipeline.Current, cluster, null, full: true) });
        Write(table, "UpdateClusterSettings", Json.UpdateClusterSettingsRequest, Json.UpdateClusterSettingsResponse,
            (s, c, r) => ClusterDecisions.UpdateSettings(s, Scope(c), r), cluster => new UpdateClusterSettingsResponse { Cluster = ClusterViews.Render(pipeline.Current, cluster, null, full: true) });
        Write(table, "DeleteCluster", Json.DeleteClusterRequest, Json.DeleteClusterResponse,
            (s, c, r) => ClusterDecisions.Delete(s, Scope(c), r), cluster => new DeleteClusterResponse { Cluster = ClusterViews.Render(pipeline.Current, cluster, null, full: true) });

        // Capacity providers
        Write(table, "CreateCapacityProvider", Json.CreateCapacityProviderRequest, Json.CreateCapacityProviderResponse,
            (s, c, r) => CapacityProviderDecisions.Create(s, Scope(c), r), x => new CreateCapacityProviderResponse { CapacityProvider = x });
        Write(table, "UpdateCapacityProvider", Json.UpdateCapacityProviderRequest, Json.UpdateCapacityProviderResponse,
            (s, c, r) => CapacityProviderDecisions.Update(s, Scope(c), r), x => new UpdateCapacityProviderResponse { CapacityProvider = x });
        Write(table, "DeleteCapacityProvider", Json.DeleteCapacityProviderRequest, Json.DeleteCapacityProviderResponse,
            (s, c, r) => CapacityProviderDecisions.Delete(s, Scope(c), r), x => new DeleteCapacityProviderResponse { CapacityProvider = x });
        Read(table, "DescribeCapacityProviders", Json.DescribeCapacityProvidersRequest, Json.DescribeCapacityProvidersResponse, CapacityProviderDecisions.Describe);
        Write(table, "PutClusterCapacityProviders", Json.PutClusterCapacityProvidersRequest, Json.PutClusterCapacityProvidersResponse,
            (s, c, r) => CapacityProviderDecisions.PutCluster(s, Scope(c), r), cluster => new PutClusterCapacityProvidersResponse { Cluster = ClusterViews.Render(pipeline.Current, cluster, null, full: true) });

        // Task definitions
        Write(table, "RegisterTaskDefinition", Json.RegisterTaskDefinitionRequest, Json.RegisterTaskDefinitionResponse,
            (s, c, r) => TaskDefinitionDecisions.Register(s, Scope(c), c.PrincipalArn, time.GetUtcNow(), r),
            stored => new RegisterTaskDefinitionResponse { TaskDefinition = stored.Wire(), Tags = stored.WireTags() });
        Read(table, "DescribeTaskDefinition", Json.DescribeTaskDefinitionRequest, Json.DescribeTaskDefinitionResponse, TaskDefinitionQueries.Describe);
        Read(table, "ListTaskDefinitions", Json.ListTaskDefinitionsRequest, Json.ListTaskDefinitionsResponse, TaskDefinitionQueries.List);
        Read(table, "ListTaskDefinitionFamilies", Json.ListTaskDefinitionFamiliesRequest, Json.ListTaskDefinitionFamiliesResponse, TaskDefinitionQueries.ListFamilies);
        Write(table, "DeregisterTaskDefinition", Json.DeregisterTaskDefinitionRequest, Json.DeregisterTaskDefinitionResponse,
            (s, c, r) => TaskDefinitionDecisions.Deregister(s, Scope(c), time.GetUtcNow(), r), d => new DeregisterTaskDefinitionResponse { TaskDefinition = d });
        Write(table, "DeleteTaskDefinitions", Json.DeleteTaskDefinitionsRequest, Json.DeleteTaskDefinitionsResponse,
            (s, c, r) => TaskDefinitionDecisions.Delete(s, Scope(c), r), response => response);

        // Tags
        Read(table, "ListTagsForResource", Json.ListTagsForResourceRequest, Json.ListTagsForResourceResponse,
            (s, scope, r) => new ListTagsForResourceResponse { Tags = TagDecisions.List(s, scope, r.ResourceArn) });
        Write(table, "TagResource", Json.TagResourceRequest, Json.TagResourceResponse,
            (s, c, r) => TagDecisions.Tag(s, Scope(c), r), _ => new TagResourceResponse());
        Write(table, "UntagResource", Json.UntagResourceRequest, Json.UntagResourceResponse,
            (s, c, r) => TagDecisions.Untag(s, Scope(c), r), _ => new UntagResourceResponse());

        // Attributes
        Write(table, "PutAttributes", Json.PutAttributesRequest, Json.PutAttributesResponse,
            (s, c, r) => AttributeDecisions.Put(s, Scope(c), r), a => new PutAttributesResponse { Attributes = a });
        Write(table, "DeleteAttributes", Json.DeleteAttributesRequest, Json.DeleteAttributesResponse,
            (s, c, r) => AttributeDecisions.Delete(s, Scope(c), r), a => new DeleteAttributesResponse { Attributes = a });
        Read(table, "ListAttributes", Json.ListAttributesRequest, Json.ListAttributesResponse, AttributeDecisions.List);

        // Container instances
        Write(table, "RegisterContainerInstance", Json.RegisterContainerInstanceRequest, Json.RegisterContainerInstanceResponse,
            (s, c, r) =>
            {
                AgentAccessRules.CheckRegister(s, Scope(c), c.Scope, r);
                return ContainerInstanceDecisions.Register(s, Scope(c), Ids, time.GetUtcNow(), r);
            },
            x => new RegisterContainerInstanceResponse { ContainerInstance = x });
        Write(table, "DeregisterContainerInstance", Json.DeregisterContainerInstanceRequest, Json.DeregisterContainerInstanceResponse,
            (s, c, r) => ContainerInstanceDecisions.Deregister(s, Scope(c), time.GetUtcNow(), r), x => new DeregisterContainerInstanceResponse { ContainerInstance = x });
        Write(table, "UpdateContainerInstancesState", Json.UpdateContainerInstancesStateRequest, Json.UpdateContainerInstancesStateResponse,
            (s, c, r) => ContainerInstanceDecisions.UpdateState(s, Scope(c), r), response => response);
        Read(table, "DescribeContainerInstances", Json.DescribeContainerInstancesRequest, Json.DescribeContainerInstancesResponse, ContainerInstanceQueries.Describe);
        Read(table, "ListContainerInstances", Json.ListContainerInstancesRequest, Json.ListContainerInstancesResponse, ContainerInstanceQueries.List);
        Read(table, "DiscoverPollEndpoint", Json.DiscoverPollEndpointRequest, Json.DiscoverPollEndpointResponse,
            (s, scope, r) => ContainerInstanceQueries.DiscoverPollEndpoint(s, scope, r, AgentEndpoint));

        // Tasks
        table.Add(WireOperations.TargetPrefix, "RunTask", WireOperations.SigningName, Json.RunTaskRequest, Json.RunTaskResponse,
            (c, r) => new ValueTask<RunTaskResponse>(RunTaskAsync(Scope(c), r)), WireRequired.ByType);
        Write(table, "StartTask", Json.StartTaskRequest, Json.StartTaskResponse,
            (s, c, r) => TaskDecisions.Start(s, Scope(c), Ids, time.GetUtcNow(), r), response => response);
        Write(table, "StopTask", Json.StopTaskRequest, Json.StopTaskResponse,
            (s, c, r) => TaskDecisions.Stop(s, Scope(c), time.GetUtcNow(), r), task => new StopTaskResponse { Task = TaskViews.ToWire(task) });
        Read(table, "DescribeTasks", Json.DescribeTasksRequest, Json.DescribeTasksResponse, TaskQueries.Describe);
        Read(table, "ListTasks", Json.ListTasksRequest, Json.ListTasksResponse, TaskQueries.List);
        Write(table, "UpdateTaskProtection", Json.UpdateTaskProtectionRequest, Json.UpdateTaskProtectionResponse,
            (s, c, r) => TaskProtection.Update(s, Scope(c), time.GetUtcNow(), r), response => response);
        Read(table, "GetTaskProtection", Json.GetTaskProtectionRequest, Json.GetTaskProtectionResponse,
            (s, scope, r) => TaskProtection.Get(s, scope, time.GetUtcNow(), r));
        Write(table, "SubmitTaskStateChange", Json.SubmitTaskStateChangeRequest, Json.SubmitTaskStateChangeResponse,
            (s, c, r) =>
            {
                AgentAccessRules.CheckTaskReport(s, Scope(c), c.Scope, r.Cluster, r.Task, "ecs:SubmitTaskStateChange");
                return TaskStateDecisions.SubmitTask(s, Scope(c), time.GetUtcNow(), r);
            },
            ack => new SubmitTaskStateChangeResponse { Acknowledgment = ack });
        Write(table, "SubmitContainerStateChange", Json.SubmitContainerStateChangeRequest, Json.SubmitContainerStateChangeResponse,
            (s, c, r) =>
            {
                AgentAccessRules.CheckTaskReport(s, Scope(c), c.Scope, r.Cluster, r.Task, "ecs:SubmitContainerStateChange");
                return TaskStateDecisions.SubmitContainer(s, Scope(c), time.GetUtcNow(), r);
            },
            ack => new SubmitContainerStateChangeResponse { Acknowledgment = ack });

        // Services
        Write(table, "CreateService", Json.CreateServiceRequest, Json.CreateServiceResponse,
            (s, c, r) => ServiceDecisions.Create(s, Scope(c), c.PrincipalArn, Ids, time.GetUtcNow(), r, TargetGroups), x => new CreateServiceResponse { Service = x });
        Write(table, "UpdateService", Json.UpdateServiceRequest, Json.UpdateServiceResponse,
            (s, c, r) => ServiceDecisions.Update(s, Scope(c), Ids, time.GetUtcNow(), r, TargetGroups), x => new UpdateServiceResponse { Service = x });
        Write(table, "DeleteService", Json.DeleteServiceRequest, Json.DeleteServiceResponse,
            (s, c, r) => ServiceDecisions.Delete(s, Scope(c), time.GetUtcNow(), r), x => new DeleteServiceResponse { Service = x });
        Read(table, "DescribeServices", Json.DescribeServicesRequest, Json.DescribeServicesResponse, ServiceQueries.Describe);
        Read(table, "ListServices", Json.ListServicesRequest, Json.ListServicesResponse, ServiceQueries.List);
        Read(table, "ListServiceDeployments", Json.ListServiceDeploymentsRequest, Json.ListServiceDeploymentsResponse, ServiceDeploymentQueries.List);
        Read(table, "DescribeServiceDeployments", Json.DescribeServiceDeploymentsRequest, Json.DescribeServiceDeploymentsResponse, ServiceDeploymentQueries.Describe);
        Read(table, "DescribeServiceRevisions", Json.DescribeServiceRevisionsRequest, Json.DescribeServiceRevisionsResponse, ServiceDeploymentQueries.Revisions);
        Write(table, "StopServiceDeployment", Json.StopServiceDeploymentRequest, Json.StopServiceDeploymentResponse,
            (s, c, r) => ServiceDeploymentQueries.Stop(s, Scope(c), Ids, time.GetUtcNow(), r), arn => new StopServiceDeploymentResponse { ServiceDeploymentArn = arn });

        // Task sets (services with the EXTERNAL deployment controller)
        Write(table, "CreateTaskSet", Json.CreateTaskSetRequest, Json.CreateTaskSetResponse,
            (s, c, r) => TaskSetDecisions.Create(s, Scope(c), Ids, time.GetUtcNow(), r, TargetGroups), x => new CreateTaskSetResponse { TaskSet = x });
        Write(table, "UpdateTaskSet", Json.UpdateTaskSetRequest, Json.UpdateTaskSetResponse,
            (s, c, r) => TaskSetDecisions.Update(s, Scope(c), time.GetUtcNow(), r), x => new UpdateTaskSetResponse { TaskSet = x });
        Write(table, "DeleteTaskSet", Json.DeleteTaskSetRequest, Json.DeleteTaskSetResponse,
            (s, c, r) => TaskSetDecisions.Delete(s, Scope(c), time.GetUtcNow(), r), x => new DeleteTaskSetResponse { TaskSet = x });
        Write(table, "UpdateServicePrimaryTaskSet", Json.UpdateServicePrimaryTaskSetRequest, Json.UpdateServicePrimaryTaskSetResponse,
            (s, c, r) => TaskSetDecisions.UpdatePrimary(s, Scope(c), time.GetUtcNow(), r), x => new UpdateServicePrimaryTaskSetResponse { TaskSet = x });
        Read(table, "DescribeTaskSets", Json.DescribeTaskSetsRequest, Json.DescribeTaskSetsResponse, TaskSetDecisions.Describe);

        // Account settings
        Write(table, "PutAccountSetting", Json.PutAccountSettingRequest, Json.PutAccountSettingResponse,
            (s, c, r) => AccountSettingDecisions.Put(s, Scope(c), c.PrincipalArn, r), x => new PutAccountSettingResponse { Setting = x });
        Write(table, "PutAccountSettingDefault", Json.PutAccountSettingDefaultRequest, Json.PutAccountSettingDefaultResponse,
            (s, c, r) => AccountSettingDecisions.PutDefault(s, Scope(c), r), x => new PutAccountSettingDefaultResponse { Setting = x });
        Write(table, "DeleteAccountSetting", Json.DeleteAccountSettingRequest, Json.DeleteAccountSettingResponse,
            (s, c, r) => AccountSettingDecisions.Delete(s, Scope(c), c.PrincipalArn, r), x => new DeleteAccountSettingResponse { Setting = x });
        table.Add(WireOperations.TargetPrefix, "ListAccountSettings", WireOperations.SigningName, Json.ListAccountSettingsRequest, Json.ListAccountSettingsResponse,
            (c, r) => ValueTask.FromResult(AccountSettingDecisions.List(pipeline.Current, Scope(c), c.PrincipalArn, r)), WireRequired.ByType);
    }

    private static Scope Scope(RequestContext context) => new(context.Region, context.AccountId);

    /// <summary>
    /// RunTask plans on the current snapshot outside the single writer (placement is the costly part), then
    /// commits; the commit re-checks every chosen instance if the state moved, and a plan that no longer fits is
    /// made again. The last attempt plans inside the writer, so a RunTask always ends.
    /// </summary>
    private async Task<RunTaskResponse> RunTaskAsync(Scope scope, RunTaskRequest request)
    {
        for (var attempt = 0; attempt < OptimisticAttempts; attempt++)
        {
            var plan = TaskDecisions.PlanRun(pipeline.Current, scope, new Random(NextSeed()), request);
            if (await pipeline.ExecuteAsync(s => TaskDecisions.CommitRun(s, scope, Ids, time.GetUtcNow(), request, plan)) is { } done)
            {
                return done;
            }
        }

        var seed = NextSeed();
        return await pipeline.ExecuteAsync(s => TaskDecisions.Run(s, scope, Ids, new Random(seed), time.GetUtcNow(), request));
    }

    /// <summary>
    /// Several RunTasks at once (the firings of one instant): planned on one snapshot in one placement session, a
    /// piece of <see cref="BatchCommitSize"/> at a time, each piece queued for commit while the next is planned and
    /// trusting the plans while the state moved only by the pieces before it. A plan that no longer fits goes through <see cref="RunTaskAsync(Scope, RunTaskRequest)"/>
    /// alone. Each entry is the response or the error ECS answered, exactly as the same RunTask made alone — but with
    /// <paramref name="arnsOnly"/>, the tasks of a response made ahead carry only their ARNs (what a caller that reports
    /// just those needs; turning 10,000 tasks into ECS's view of them was a quarter of a burst's building).
    /// </summary>
    public async Task<IReadOnlyList<(RunTaskResponse? Response, Protocol.Errors.AwsException? Error)>> RunTasksAsync(Scope scope, IReadOnlyList<RunTaskRequest> requests, bool arnsOnly = false)
    {
        var plannedOn = pipeline.Current;
        var planner = new TaskDecisions.RunPlanner(plannedOn, scope, new Random(NextSeed()));
        var plans = new (RunPlan? Plan, Protocol.Errors.AwsException? Error)[requests.Count];

        var builtAt = time.GetUtcNow();
        var results = new (RunTaskResponse? Response, Protocol.Errors.AwsException? Error)[requests.Count];
        var pieces = new List<(int[] Indexes, Task<IReadOnlyList<(RunTaskResponse? Response, Protocol.Errors.AwsException? Error)>> Commit)>();

        // Read and written only by the pieces' decisions, which the single writer runs one after another in order.
        EcsState? expected = plannedOn;

        // Planned, built and queued a piece at a time: the writer commits one piece while the next is planned and built.
        for (var from = 0; from < requests.Count; from += BatchCommitSize)
        {
            var count = Math.Min(BatchCommitSize, requests.Count - from);
            planner.Plan(requests, from, count, plans);
            var indexes = new List<int>(count);
            for (var i = from; i < from + count; i++)
            {
                if (plans[i].Error is { } error)
                {
                    results[i] = (null, error);
                }
                else
                {
                    indexes.Add(i);
                }
            }

            if (indexes.Count == 0)
            {
                continue;
            }

            // The tasks, answers and tokens a piece puts are made here, side by side, so the writer only puts them.
            var built = new BuiltRun?[indexes.Count];
            Parallel.For(0, indexes.Count, j => built[j] = TaskDecisions.Build(plans[indexes[j]].Plan!, requests[indexes[j]], scope, Ids, builtAt, arnsOnly));
            var runs = indexes.Select((i, j) => (requests[i], plans[i].Plan!, built[j])).ToList();
            pieces.Add(([.. indexes], pipeline.ExecuteAsync(s =>
            {
                // Once anything else committed under the plans, the session's counts are no longer the state's:
                // every later piece is checked too.
                var plansHold = ReferenceEquals(s, expected);
                var decision = TaskDecisions.CommitRuns(s, scope, Ids, time.GetUtcNow(), runs, plansHold);
                expected = plansHold ? decision.State : null;
                return decision;
            })));
        }

        foreach (var (indexes, commit) in pieces)
        {
            IReadOnlyList<(RunTaskResponse? Response, Protocol.Errors.AwsException? Error)> committed;
            try
            {
                committed = await commit;
            }
            catch (Exception)
            {
                // The store refused the piece: nothing of it was written, and each run is tried alone below.
                committed = new (RunTaskResponse?, Protocol.Errors.AwsException?)[indexes.Length];
            }

            for (var j = 0; j < indexes.Length; j++)
            {
                results[indexes[j]] = committed[j];
            }
        }

        for (var i = 0; i < requests.Count; i++)
        {
            if (results[i] is (null, null))
            {
                try
                {
                    results[i] = (await RunTaskAsync(scope, requests[i]), null);
                }
                catch (Protocol.Errors.AwsException e)
                {
                    results[i] = (null, e);
                }
            }
        }

        return results;
    }

    /// <summary>How many RunTasks of a <see cref="RunTasksAsync"/> batch one commit records (bounds the writer's time per decision).</summary>
    public int BatchCommitSize { get; init; } = 500;

    private int NextSeed()
    {
        lock (PlacementRandom)
        {
            return PlacementRandom.Next();
        }
    }

    private void Read<TIn, TOut>(DispatchTable table, string name, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TIn> input, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TOut> output, Func<EcsState, Scope, TIn, TOut> query)
        where TIn : class, new()
        => table.Add(WireOperations.TargetPrefix, name, WireOperations.SigningName, input, output,
            (context, request) => ValueTask.FromResult(query(pipeline.Current, Scope(context), request)), WireRequired.ByType);

    private void Write<TIn, TResult, TOut>(DispatchTable table, string name, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TIn> input, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TOut> output, Func<EcsState, RequestContext, TIn, Decision<EcsState, TResult>> decide, Func<TResult, TOut> respond)
        where TIn : class, new()
        => table.Add(WireOperations.TargetPrefix, name, WireOperations.SigningName, input, output,
            async (context, request) => respond(await pipeline.ExecuteAsync(state => decide(state, context, request))), WireRequired.ByType);
}
