using Berth.Agent.Client;
using Berth.Agent.Engine;
using Berth.Docker;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Runtime;

/// <summary>
/// Docker's event stream of task containers, for their health: the engine emits <c>health_status: healthy</c> or
/// <c>unhealthy</c> as a container's health check result changes, so no container is inspected on a timer. When the
/// stream was away (the engine restarted, the connection dropped) it resumes from the last event seen, and every actor
/// is asked to look once, since changes older than the engine's replay buffer would be lost.
/// </summary>
internal static partial class ContainerEvents
{
    /// <summary>Health events of containers an agent made (Docker matches <c>health_status</c> against <c>health_status: ...</c>).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> HealthFilters = new Dictionary<string, IReadOnlyList<string>>
    {
        ["type"] = ["container"],
        ["label"] = [ContainerSpecs.InstanceLabel],
        ["event"] = ["health_status"],
    };

    /// <summary>Delivers health events until <paramref name="cancellationToken"/> fires, reconnecting with <paramref name="reconnect"/>'s backoff; <paramref name="resync"/> after each reconnection.</summary>
    public static async Task RunAsync(IDockerEngine docker, RetryPolicy reconnect, TimeProvider time, Random random, Action<DockerEvent> deliver, Action resync, ILogger logger, CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow();
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var engineEvent in docker.EventsAsync(HealthFilters, since, null, cancellationToken))
                {
                    failures = 0;
                    since = engineEvent.Time > since ? engineEvent.Time : since;
                    deliver(engineEvent);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is DockerException or IOException or HttpRequestException)
            {
                LogEventsLost(logger, ex.Message);
            }

            failures++;
            try
            {
                await Task.Delay(Backoff.Delay(reconnect, failures, random.NextDouble()), time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            resync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Docker's event stream was lost: {Error}; reconnecting")]
    private static partial void LogEventsLost(ILogger logger, string error);
}
