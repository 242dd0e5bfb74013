using System.Text.Json;
using Berth.Ecs;
using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Events.Firing;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;

namespace Berth.Server.Events;

/// <summary>
/// Runs the tasks of EventBridge ECS targets through ECS's own RunTask (the same checks, the placement planned outside
/// the writer and committed inside it), as the account root. The firings of one instant go as one batch: planned in
/// one placement session and committed in pieces (<see cref="EcsApi.RunTasksAsync"/>).
/// </summary>
public sealed class EcsRunTaskTarget(EcsApi ecs, string accountId) : IRunTaskTarget
{
    private static readonly WireJsonContext Json = WireJsonContext.Default;

    // The universal target's Input is RunTask's request as the SDKs name it: members in either case (cluster or Cluster).
    private static readonly WireJsonContext Lenient = new(new JsonSerializerOptions
    {
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    });

    /// <inheritdoc />
    public async Task<RunTaskOutcome> RunTaskAsync(RunTaskCall call, CancellationToken cancellationToken) =>
        (await RunTasksAsync([call], cancellationToken))[0];

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunTaskOutcome>> RunTasksAsync(IReadOnlyList<RunTaskCall> calls, CancellationToken cancellationToken)
    {
        var outcomes = new RunTaskOutcome[calls.Count];
        var requests = new RunTaskRequest?[calls.Count];

        // Each firing's request is its own work: made side by side (a burst has thousands).
        Parallel.For(0, calls.Count, i =>
        {
            var call = calls[i];
            try
            {
                var request = Request(call);

                // What the wire edge checks before RunTask sees a request.
                RequiredMembers.Check(request, Json.RunTaskRequest, WireRequired.ByType);
                requests[i] = request;
            }
            catch (JsonException e)
            {
                outcomes[i] = new RunTaskOutcome([], [call.RequestJson is null ? $"Input is not ECS task overrides: {e.Message}" : $"Input is not a RunTask request: {e.Message}"]);
            }
            catch (AwsException e)
            {
                outcomes[i] = new RunTaskOutcome([], [$"{e.ErrorType}: {e.Message}"]);
            }
        });

        var byRegion = new Dictionary<string, List<(int Index, RunTaskRequest Request)>>(StringComparer.Ordinal);
        for (var i = 0; i < calls.Count; i++)
        {
            if (requests[i] is not { } request)
            {
                continue;
            }

            if (!byRegion.TryGetValue(calls[i].Region, out var mine))
            {
                byRegion.Add(calls[i].Region, mine = []);
            }

            mine.Add((i, request));
        }

        foreach (var (region, runs) in byRegion)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Only the tasks' ARNs are reported, so the answers need not carry ECS's whole view of each task.
            var answers = await ecs.RunTasksAsync(new Scope(region, accountId), [.. runs.Select(r => r.Request)], arnsOnly: true);
            for (var j = 0; j < runs.Count; j++)
            {
                outcomes[runs[j].Index] = answers[j] switch
                {
                    ({ } response, _) => new RunTaskOutcome(
                        [.. (response.Tasks ?? []).Select(t => t.TaskArn!)],
                        [.. (response.Failures ?? []).Select(f => $"{f.Arn}: {f.Reason}{(f.Detail is null ? "" : " (" + f.Detail + ")")}")]),
                    (_, { } error) => new RunTaskOutcome([], [$"{error.ErrorType}: {error.Message}"]),
                    _ => new RunTaskOutcome([], ["RunTask gave no answer"]) { Retryable = true },
                };
            }
        }

        return outcomes;
    }

    /// <summary>ECS's RunTask request for a firing: the target's EcsParameters, its Input as overrides, its startedBy.</summary>
    internal static RunTaskRequest Request(RunTaskCall call)
    {
        if (call.RequestJson is { } json)
        {
            var request = JsonSerializer.Deserialize(json, Lenient.RunTaskRequest) ?? throw new JsonException("null is not a RunTask request");
            request.StartedBy ??= call.StartedBy;
            request.ClientToken ??= call.ClientToken;
            return request;
        }

        var p = call.Parameters;
        return new RunTaskRequest
        {
            Cluster = call.ClusterArn,
            TaskDefinition = p.TaskDefinitionArn,
            Count = p.TaskCount,
            StartedBy = call.StartedBy,
            ClientToken = call.ClientToken,
            LaunchType = p.LaunchType,
            PlatformVersion = p.PlatformVersion,
            Group = p.Group,
            NetworkConfiguration = p.HasNetworkConfiguration
                ? new NetworkConfiguration
                {
                    AwsvpcConfiguration = new AwsVpcConfiguration
                    {
                        Subnets = [.. p.Subnets],
                        SecurityGroups = p.SecurityGroups.IsEmpty ? null : [.. p.SecurityGroups],
                        AssignPublicIp = p.AssignPublicIp,
                    },
                }
                : null,
            PlacementConstraints = p.PlacementConstraints.IsEmpty ? null : [.. p.PlacementConstraints.Select(c => new PlacementConstraint { Type = c.Type, Expression = c.Value })],
            PlacementStrategy = p.PlacementStrategy.IsEmpty ? null : [.. p.PlacementStrategy.Select(s => new PlacementStrategy { Type = s.Type, Field = s.Value })],
            CapacityProviderStrategy = p.CapacityProviderStrategy.IsEmpty ? null : [.. p.CapacityProviderStrategy.Select(c => new CapacityProviderStrategyItem { CapacityProvider = c.Provider, Weight = c.Weight, Base = c.Base })],
            PropagateTags = p.PropagateTags,
            ReferenceId = p.ReferenceId,
            Tags = p.Tags.IsEmpty ? null : [.. p.Tags.Select(t => new Tag { Key = t.Key, Value = t.Value })],
            EnableECSManagedTags = p.EnableEcsManagedTags ? true : null,
            EnableExecuteCommand = p.EnableExecuteCommand ? true : null,
            Overrides = call.Input is { } input ? JsonSerializer.Deserialize(input, Json.TaskOverride) : null,
        };
    }
}
