using System.Text.Json;
using Berth.Ecs.Model;
using Berth.Events.Firing;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;

namespace Berth.Server.Events;

/// <summary>
/// Runs the tasks of EventBridge ECS targets through the ECS API's own RunTask operation (the same validation, the
/// placement planned outside the writer and committed inside it), as the account root.
/// </summary>
public sealed class EcsRunTaskTarget(DispatchTable table, string accountId) : IRunTaskTarget
{
    private static readonly WireJsonContext Json = WireJsonContext.Default;

    // The universal target's Input is RunTask's request as the SDKs name it: members in either case (cluster or Cluster).
    private static readonly WireJsonContext Lenient = new(new JsonSerializerOptions
    {
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    });

    /// <inheritdoc />
    public async Task<RunTaskOutcome> RunTaskAsync(RunTaskCall call, CancellationToken cancellationToken)
    {
        RunTaskRequest request;
        try
        {
            request = Request(call);
        }
        catch (JsonException e)
        {
            return new RunTaskOutcome([], [call.RequestJson is null ? $"Input is not ECS task overrides: {e.Message}" : $"Input is not a RunTask request: {e.Message}"]);
        }

        if (!table.TryGet(WireOperations.TargetPrefix + ".RunTask", out var runTask))
        {
            return new RunTaskOutcome([], ["RunTask is not available"]);
        }

        var context = new RequestContext(call.Region, accountId, $"arn:aws:iam::{accountId}:root", Guid.NewGuid().ToString()) { Cancellation = cancellationToken };
        try
        {
            var body = await runTask.Invoke(context, JsonSerializer.SerializeToUtf8Bytes(request, Json.RunTaskRequest));
            var response = JsonSerializer.Deserialize(body, Json.RunTaskResponse)!;
            return new RunTaskOutcome(
                [.. (response.Tasks ?? []).Select(t => t.TaskArn!)],
                [.. (response.Failures ?? []).Select(f => $"{f.Arn}: {f.Reason}{(f.Detail is null ? "" : " (" + f.Detail + ")")}")]);
        }
        catch (AwsException e)
        {
            return new RunTaskOutcome([], [$"{e.ErrorType}: {e.Message}"]);
        }
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
