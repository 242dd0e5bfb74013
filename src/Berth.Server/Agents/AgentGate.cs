using Berth.Ecs.AgentAccess;
using Berth.Ecs.Arns;
using Berth.Ecs.State;
using Berth.Logs.Model;
using Berth.Protocol.Auth;
using Berth.Protocol.Dispatch;
using Berth.Storage.Commit;

namespace Berth.Server.Agents;

/// <summary>
/// What the AWS JSON edge lets a scoped key do before any handler runs: a join token nothing, an agent's key only the
/// operations of <see cref="AgentAccessRules.AgentTargets"/>, and of CloudWatch Logs only the groups task definitions
/// name. The ECS operations check the rest (their own instance, their own tasks) inside their decisions.
/// </summary>
public sealed class AgentGate(CommitPipeline<EcsState> pipeline, string accountId)
{
    private const string LogsPrefix = Berth.Logs.Model.WireOperations.TargetPrefix + ".";

    /// <summary>Throws AccessDeniedException unless <paramref name="identity"/>'s key may call <paramref name="operation"/> with <paramref name="body"/>.</summary>
    public void Check(SigV4Identity identity, Operation operation, ReadOnlyMemory<byte> body)
    {
        if (identity.Scope is not { } caller)
        {
            return;
        }

        var scope = new Scope(identity.Region, accountId);
        var name = operation.Target[(operation.Target.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var action = operation.SigningName + ":" + name;
        if (caller.Kind != CredentialKind.Agent || !AgentAccessRules.AgentTargets.Contains(operation.Target))
        {
            throw AgentAccessRules.Denied(scope, caller, action, null);
        }

        if (!operation.Target.StartsWith(LogsPrefix, StringComparison.Ordinal))
        {
            return;
        }

        // Read as the handler will read it, so a body the check cannot see is one the handler refuses too.
        IReadOnlyList<string?> groups = name switch
        {
            "CreateLogGroup" => [WireInput.Read(body, WireJsonContext.Default.CreateLogGroupRequest).LogGroupName],
            "CreateLogStream" => [WireInput.Read(body, WireJsonContext.Default.CreateLogStreamRequest).LogGroupName],
            "PutLogEvents" => [WireInput.Read(body, WireJsonContext.Default.PutLogEventsRequest).LogGroupName],
            "DescribeLogGroups" => Identifiers(WireInput.Read(body, WireJsonContext.Default.DescribeLogGroupsRequest)),
            _ => [null],
        };
        var state = pipeline.Current;
        foreach (var group in groups)
        {
            if (group is null || !AgentAccessRules.MayWriteLogGroup(state, group))
            {
                throw AgentAccessRules.Denied(scope, caller, action, group is null ? "*" : $"arn:aws:logs:{scope.Region}:{accountId}:log-group:{group}");
            }
        }
    }

    // An agent looks its groups up by name only; a prefix or pattern would list every group.
    private static List<string?> Identifiers(DescribeLogGroupsRequest request)
        => request.LogGroupIdentifiers is { Count: > 0 } ids && request.LogGroupNamePrefix is null && request.LogGroupNamePattern is null ? [.. ids] : [null];
}
