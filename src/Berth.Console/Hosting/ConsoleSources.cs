using System.Text.Json.Nodes;
using Berth.AutoScaling.State;
using Berth.CloudWatch.Alarms;
using Berth.CloudWatch.Store;
using Berth.Ecs.Arns;
using Berth.Ecs.State;
using Berth.Events.State;
using Berth.Logs.Storage;
using Berth.Protocol.Dispatch;
using Berth.Registry;
using Berth.Storage.Commit;
using Berth.WebConsole.Auth;

namespace Berth.WebConsole.Hosting;

/// <summary>What the console reads and acts through: the server's own stores and its API's dispatch table.</summary>
public sealed class ConsoleSources
{
    /// <summary>The ECS state; pages read <see cref="CommitPipeline{TState}.Current"/> and never write through it.</summary>
    public required CommitPipeline<EcsState> Ecs { get; init; }

    /// <summary>The API's operations: actions run through these, with the API's validation and errors.</summary>
    public required DispatchTable Api { get; init; }

    /// <summary>The registry (repositories and images), when the server has one.</summary>
    public RegistryService? Registry { get; init; }

    /// <summary>CloudWatch Logs' store (a task's awslogs lines), when the server has one.</summary>
    public LogStore? Logs { get; init; }

    /// <summary>Application Auto Scaling's state (a service's scalable target, policies and activities), when the server has it.</summary>
    public CommitPipeline<AutoScalingState>? AutoScaling { get; init; }

    /// <summary>The CloudWatch metric store (a service's utilization, a rule's invocations), when the server has one.</summary>
    public MetricStore? Metrics { get; init; }

    /// <summary>The CloudWatch alarms (a scaling policy's alarms and their states), when the server has them.</summary>
    public AlarmBook? Alarms { get; init; }

    /// <summary>EventBridge's state (rules, buses) and EventBridge Scheduler's (schedules), when the server has it.</summary>
    public CommitPipeline<EventsState>? Events { get; init; }

    /// <summary>How long a <c>rate()</c> minute lasts for the rule scheduler (one minute unless the server shortens it): next fire times follow it.</summary>
    public TimeSpan EventsRateMinute { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Load balancing (load balancers, target groups and their targets' health), when the server has it.</summary>
    public ConsoleLoadBalancing? LoadBalancing { get; init; }

    /// <summary>The region the console shows (the server's: its <c>default</c> cluster's).</summary>
    public required string Region { get; init; }

    /// <summary>The account the server serves.</summary>
    public required string AccountId { get; init; }

    /// <summary>The server's base URL, for the commands a page shows.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The scope every read and action runs in.</summary>
    public Scope Scope => new(Region, AccountId);

    /// <summary>
    /// Runs an ECS operation of the API as <paramref name="session"/>'s principal: the same input checks, decision and
    /// answer a signed request gets. Throws the API's <see cref="Berth.Protocol.Errors.AwsException"/>.
    /// </summary>
    public Task<JsonNode?> CallEcsAsync(string operation, ReadOnlyMemory<byte> body, ConsoleSession session, CancellationToken cancellationToken)
        => CallAsync(Berth.Ecs.Model.WireOperations.TargetPrefix, operation, body, session, cancellationToken);

    /// <summary>The same for an ECR operation.</summary>
    public Task<JsonNode?> CallEcrAsync(string operation, ReadOnlyMemory<byte> body, ConsoleSession session, CancellationToken cancellationToken)
        => CallAsync(Berth.Ecr.Model.WireOperations.TargetPrefix, operation, body, session, cancellationToken);

    private async Task<JsonNode?> CallAsync(string targetPrefix, string operation, ReadOnlyMemory<byte> body, ConsoleSession session, CancellationToken cancellationToken)
    {
        if (!Api.TryGet(targetPrefix + "." + operation, out var found))
        {
            throw new InvalidOperationException($"The API has no {operation}.");
        }

        var context = new RequestContext(Region, AccountId, session.PrincipalArn, Guid.NewGuid().ToString()) { Cancellation = cancellationToken };
        return JsonNode.Parse(await found.Invoke(context, body));
    }
}
