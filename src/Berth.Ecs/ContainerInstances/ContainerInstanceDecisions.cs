using System.Collections.Immutable;
using System.Text.Json;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.ContainerInstances;

/// <summary>The container instance operations that change state, as pure functions of (state, request, now).</summary>
public static class ContainerInstanceDecisions
{
    /// <summary>
    /// RegisterContainerInstance (sent by the agent). With <c>containerInstanceArn</c> it re-registers that
    /// instance — same ARN, new resources and agent attributes, ACTIVE again — which is how a restarted agent
    /// keeps its identity and its tasks. Otherwise a new instance with an ID from <paramref name="ids"/>.
    /// The agent is not connected until its channel says so (<see cref="SetAgentConnected"/>).
    /// </summary>
    public static Decision<EcsState, ContainerInstance> Register(EcsState state, Scope scope, IdSource ids, DateTimeOffset now, RegisterContainerInstanceRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        TagRules.Validate(request.Tags);
        ImmutableArray<ResourceRecord> resources = [.. ContainerInstanceRules.NormalizeTotal(request.TotalResources).Select(ResourceRecord.FromWire)];
        var identity = Identity.Parse(request.InstanceIdentityDocument);
        var agentAttributes = AgentAttributes(request.Attributes, identity);

        InstanceRecord instance;
        if (!string.IsNullOrEmpty(request.ContainerInstanceArn))
        {
            var existing = ContainerInstanceRules.Find(state, scope, cluster, request.ContainerInstanceArn)
                ?? throw AwsException.InvalidParameter($"The referenced container instance {request.ContainerInstanceArn} was not found in cluster {cluster.ClusterName}.");
            if (existing.Status == InstanceStatus.Inactive)
            {
                // The AWS agent treats this as terminal: a deregistered instance never comes back under its old ARN.
                throw AwsException.Client($"The container instance {existing.ContainerInstanceArn} is inactive and cannot be registered again. Remove the agent's saved state to register as a new instance.");
            }

            // Custom attributes (PutAttributes) survive; the agent's own are replaced by what it sends now.
            var custom = existing.Attributes.Where(a => !IsAgentAttribute(a.Name) && !agentAttributes.Any(n => n.Name == a.Name));
            instance = existing with
            {
                Attributes = [.. custom, .. agentAttributes],
                Version = existing.Version + 1,
                Tags = request.Tags is { Count: > 0 } ? ResourceTag.FromWire(request.Tags) : existing.Tags,
            };
        }
        else
        {
            var arn = Arn.ContainerInstance(scope, cluster.ClusterName, ids.Hex32());
            instance = new InstanceRecord
            {
                ContainerInstanceArn = arn,
                Ec2InstanceId = identity?.InstanceId ?? NonEmpty(request.Ec2InstanceId) ?? ids.Ec2InstanceId(),
                Version = 1,
                RegisteredAt = now,
                Attributes = [.. agentAttributes],
                Tags = ResourceTag.FromWire(request.Tags),
                Health = Health("INITIALIZING", now),
            };
        }

        instance = instance with
        {
            RegisteredResources = resources,
            VersionInfo = request.VersionInfo is { } v ? new AgentVersions(v.AgentVersion, v.AgentHash, v.DockerVersion) : instance.VersionInfo,
            Status = InstanceStatus.Active,
            StatusReason = null,
            AgentConnected = false,
        };
        var edit = new StateEdit(state);
        edit.Put(instance);
        return edit.Done(ContainerInstanceViews.Render(edit.State, instance, null, full: true));
    }

    /// <summary>
    /// DeregisterContainerInstance. Refused while tasks on the instance are not STOPPED, unless <c>force</c>:
    /// then those tasks are asked to stop (ECS's "Container instance deregistration forced by user").
    /// The instance stays visible as INACTIVE.
    /// </summary>
    public static Decision<EcsState, ContainerInstance> Deregister(EcsState state, Scope scope, DateTimeOffset now, DeregisterContainerInstanceRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var existing = ContainerInstanceRules.Find(state, scope, cluster, request.ContainerInstance)
            ?? throw AwsException.InvalidParameter($"The referenced container instance {request.ContainerInstance} was not found in cluster {cluster.ClusterName}.");
        var edit = new StateEdit(state);
        if (existing.Status == InstanceStatus.Inactive)
        {
            return edit.Done(ContainerInstanceViews.Render(state, existing, null, full: true));
        }

        var live = state.LiveTasksOn(existing.ContainerInstanceArn).Where(t => t.LastStatus != EcsTaskStatus.Stopped).ToList();
        if (live.Count > 0 && request.Force != true)
        {
            throw AwsException.InvalidParameter("Found running tasks on the instance.");
        }

        foreach (var task in live)
        {
            if (TaskLifecycle.RequestStop(task, now, StopCode.UserInitiated, TaskLifecycle.DeregistrationForced) is { } stopping)
            {
                edit.Put(stopping);
            }
        }

        var instance = existing with { Status = InstanceStatus.Inactive, Version = existing.Version + 1 };
        edit.Put(instance);
        return edit.Done(ContainerInstanceViews.Render(edit.State, instance, null, full: true));
    }

    /// <summary>UpdateContainerInstancesState: ACTIVE ⇄ DRAINING; unknown instances come back as MISSING failures.</summary>
    public static Decision<EcsState, UpdateContainerInstancesStateResponse> UpdateState(EcsState state, Scope scope, UpdateContainerInstancesStateRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var references = request.ContainerInstances ?? [];
        if (references.Count == 0)
        {
            throw AwsException.InvalidParameter("instanceIds can not be empty.");
        }

        if (references.Count > 10)
        {
            throw AwsException.InvalidParameter("instanceIds can have at most 10 items.");
        }

        if (request.Status is not ("ACTIVE" or "DRAINING"))
        {
            throw AwsException.InvalidParameter($"Container instance status can only be updated to ACTIVE or DRAINING; {request.Status} is not allowed.");
        }

        var edit = new StateEdit(state);
        var response = new UpdateContainerInstancesStateResponse { ContainerInstances = [], Failures = [] };
        foreach (var reference in references)
        {
            var arn = ContainerInstanceRules.ArnOf(scope, cluster, reference);
            var existing = ContainerInstanceRules.Find(edit.State, scope, cluster, reference);
            if (existing is null)
            {
                response.Failures.Add(new Failure { Arn = arn, Reason = "MISSING" });
                continue;
            }

            if (existing.Status is not (InstanceStatus.Active or InstanceStatus.Draining))
            {
                var status = WireText.Of(existing.Status);
                response.Failures.Add(new Failure { Arn = arn, Reason = status, Detail = $"A container instance in {status} status cannot be updated to {request.Status}." });
                continue;
            }

            var instance = existing;
            var wanted = request.Status == "ACTIVE" ? InstanceStatus.Active : InstanceStatus.Draining;
            if (existing.Status != wanted)
            {
                instance = existing with { Status = wanted, Version = existing.Version + 1 };
                edit.Put(instance);
            }

            response.ContainerInstances.Add(ContainerInstanceViews.Render(edit.State, instance, null, full: true));
        }

        return edit.Done(response);
    }

    /// <summary>
    /// Called by the server's agent channel hub when an agent's channel opens or closes. Returns the
    /// instance as it now is, or null (and changes nothing) for an unknown instance; nothing is written
    /// when the flag already has that value.
    /// </summary>
    public static Decision<EcsState, InstanceRecord?> SetAgentConnected(EcsState state, string containerInstanceArn, bool connected, DateTimeOffset now)
    {
        var edit = new StateEdit(state);
        if (!state.ContainerInstances.TryGetValue(containerInstanceArn, out var existing))
        {
            return edit.Done<InstanceRecord?>(null);
        }

        if (existing.AgentConnected == connected)
        {
            if (connected && existing.AgentSeenAt != now)
            {
                // Open again (on this server or another): seen now.
                existing = existing with { AgentSeenAt = now };
                edit.Put(existing);
            }

            return edit.Done<InstanceRecord?>(existing);
        }

        var instance = existing with
        {
            AgentConnected = connected,
            AgentSeenAt = connected ? now : existing.AgentSeenAt,
            Health = Health(connected ? "OK" : "INSUFFICIENT_DATA", now),
            Version = existing.Version + 1,
        };
        edit.Put(instance);
        return edit.Done<InstanceRecord?>(instance);
    }

    /// <summary>
    /// Several servers: a server says the channels of <paramref name="containerInstanceArns"/> are open on it now. An
    /// instance another server's leader took for gone while its channel was open here is connected again.
    /// </summary>
    public static Decision<EcsState, int> AgentsSeen(EcsState state, IReadOnlyCollection<string> containerInstanceArns, DateTimeOffset now)
    {
        var edit = new StateEdit(state);
        var seen = 0;
        foreach (var arn in containerInstanceArns)
        {
            if (state.ContainerInstances.TryGetValue(arn, out var existing) && existing.Status != InstanceStatus.Inactive)
            {
                edit.Put(existing.AgentConnected
                    ? existing with { AgentSeenAt = now }
                    : existing with { AgentConnected = true, AgentSeenAt = now, Health = Health("OK", now), Version = existing.Version + 1 });
                seen++;
            }
        }

        return edit.Done(seen);
    }

    /// <summary>
    /// Several servers, the leader: the instances whose channel no server has said is open since
    /// <paramref name="staleBefore"/> are not connected any more (their server died with the channel open).
    /// Re-checked here, so an instance seen again since the plan stays connected.
    /// </summary>
    public static Decision<EcsState, IReadOnlyList<string>> AgentsAway(EcsState state, IReadOnlyCollection<string> containerInstanceArns, DateTimeOffset staleBefore, DateTimeOffset now)
    {
        var edit = new StateEdit(state);
        var away = new List<string>();
        foreach (var arn in containerInstanceArns)
        {
            if (state.ContainerInstances.TryGetValue(arn, out var existing) && IsStale(existing, staleBefore))
            {
                edit.Put(existing with { AgentConnected = false, Health = Health("INSUFFICIENT_DATA", now), Version = existing.Version + 1 });
                away.Add(arn);
            }
        }

        return edit.Done<IReadOnlyList<string>>(away);
    }

    /// <summary>Whether the state says <paramref name="instance"/>'s agent is connected but no server has said so since <paramref name="staleBefore"/>.</summary>
    public static bool IsStale(InstanceRecord instance, DateTimeOffset staleBefore)
        => instance.AgentConnected && instance.AgentSeenAt is { } seen && seen < staleBefore;

    /// <summary>
    /// Called by the server when an instance's agent has been gone too long: every task on it that is not
    /// STOPPED becomes STOPPED now (containers too), with ECS's wording for a lost host and
    /// <paramref name="reason"/> (e.g. "agent disconnected for 300 s"). Returns the tasks it stopped.
    /// </summary>
    public static Decision<EcsState, IReadOnlyList<TaskRecord>> MarkLost(EcsState state, string containerInstanceArn, DateTimeOffset now, string reason)
    {
        var edit = new StateEdit(state);
        if (!state.ContainerInstances.TryGetValue(containerInstanceArn, out var existing))
        {
            return edit.Done<IReadOnlyList<TaskRecord>>([]);
        }

        // ECS's text for tasks whose host went away is "Host EC2 (instance i-…) terminated."; Berth says lost, and why.
        var stoppedReason = $"Host EC2 (instance {existing.Ec2InstanceId}) lost: {reason}";
        var stopped = new List<TaskRecord>();
        foreach (var task in state.LiveTasksOn(containerInstanceArn))
        {
            if (TaskLifecycle.ForceStopped(task, now, StopCode.TerminationNotice, stoppedReason) is { } done)
            {
                edit.Put(done);
                stopped.Add(done);
            }
        }

        if (existing.AgentConnected)
        {
            edit.Put(existing with { AgentConnected = false, Health = Health("INSUFFICIENT_DATA", now), Version = existing.Version + 1 });
        }

        return edit.Done<IReadOnlyList<TaskRecord>>(stopped);
    }

    private static bool IsAgentAttribute(string? name) =>
        name is not null && (name.StartsWith("ecs.", StringComparison.Ordinal) || name.StartsWith("com.amazonaws.ecs.", StringComparison.Ordinal));

    private static List<NameValue> AgentAttributes(List<EcsAttribute>? sent, Identity? identity)
    {
        var attributes = new List<NameValue>();
        foreach (var attribute in sent ?? [])
        {
            if (string.IsNullOrEmpty(attribute.Name))
            {
                throw AwsException.InvalidParameter("Attribute name can not be blank.");
            }

            attributes.RemoveAll(a => a.Name == attribute.Name);
            attributes.Add(new NameValue(attribute.Name, attribute.Value));
        }

        // ECS adds these from the identity document; the agent's own values win when it sends them.
        void Add(string name, string? value)
        {
            if (value is not null && !attributes.Any(a => a.Name == name))
            {
                attributes.Add(new NameValue(name, value));
            }
        }

        Add("ecs.availability-zone", identity?.AvailabilityZone);
        Add("ecs.instance-type", identity?.InstanceType);
        Add("ecs.ami-id", identity?.ImageId);
        return attributes;
    }

    private static InstanceHealth Health(string status, DateTimeOffset now) => new(status, now, now);

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    /// <summary>The members of an EC2 instance identity document Berth uses (its signature is not checked).</summary>
    internal sealed record Identity(string? InstanceId, string? AvailabilityZone, string? InstanceType, string? ImageId)
    {
        public static Identity? Parse(string? document)
        {
            if (string.IsNullOrEmpty(document))
            {
                return null;
            }

            try
            {
                using var json = JsonDocument.Parse(document);
                var root = json.RootElement;
                string? Member(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                return new Identity(Member("instanceId"), Member("availabilityZone"), Member("instanceType"), Member("imageId"));
            }
            catch (JsonException)
            {
                throw AwsException.InvalidParameter("The instance identity document is not valid JSON.");
            }
        }
    }
}
