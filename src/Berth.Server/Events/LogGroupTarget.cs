using Berth.Events.Firing;
using Berth.Logs.Ingest;
using Berth.Logs.Model;
using Berth.Logs.Storage;
using Berth.Protocol.Errors;

namespace Berth.Server.Events;

/// <summary>
/// EventBridge's CloudWatch Logs target over Berth's logs store: each event is one log event in a stream named by the
/// event's id (created on first use) of an existing log group, under CloudWatch Logs' own limits.
/// </summary>
public sealed class LogGroupTarget(LogStore store, TimeProvider time) : ILogGroupTarget
{
    /// <inheritdoc />
    public async Task<string?> PutAsync(LogDelivery delivery, CancellationToken cancellationToken)
    {
        if (store.FindGroup(delivery.Region, delivery.LogGroup) is null)
        {
            return $"log group {delivery.LogGroup} does not exist";
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            try
            {
                await store.CreateStreamAsync(delivery.Region, delivery.LogGroup, delivery.Stream, now);
            }
            catch (AwsException e) when (e.ErrorType == "ResourceAlreadyExistsException")
            {
                // The same event delivered again: it goes on in the stream it has.
            }

            InputLogEvent[] events = [new InputLogEvent { Timestamp = delivery.Time.ToUnixTimeMilliseconds(), Message = delivery.Message }];
            var (rejected, _) = await store.PutEventsAsync(delivery.Region, delivery.LogGroup, delivery.Stream, null, events, now, EventLimits.Check);
            return rejected is null ? null : "the log event was rejected (too old or too new for the log group)";
        }
        catch (AwsException e)
        {
            return $"{e.ErrorType}: {e.Message}";
        }
    }
}
