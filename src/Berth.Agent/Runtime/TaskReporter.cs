using System.Threading.Channels;
using Berth.Agent.Client;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Runtime;

/// <summary>
/// Sends one task's reports in order so the actor never waits on the network: a task whose essential container exits
/// stops at once even while the server is away. Each report gets bounded attempts (<see cref="RetryPolicy"/>); one that
/// runs out of them waits for a sign of the server (<see cref="ServerReachable"/>) or a newer report, so a report is
/// never dropped while retries stay bounded. The reporter ends with its task: once STOPPED is delivered (or refused).
/// </summary>
internal sealed partial class TaskReporter(string taskArn, Func<TaskReport, CancellationToken, Task> submit, RetryPolicy retry, TimeProvider time, Random random, ILogger logger)
{
    /// <summary>The last status a task reports.</summary>
    public const string StoppedStatus = "STOPPED";

    private readonly Channel<TaskReport> _queue = Channel.CreateUnbounded<TaskReport>();
    private TaskCompletionSource _serverBack = NewSignal();

    /// <summary>The task reported on.</summary>
    public string TaskArn => taskArn;

    /// <summary>Queues a report (the actor's report callback); never waits.</summary>
    public Task Enqueue(TaskReport report, CancellationToken cancellationToken)
    {
        _queue.Writer.TryWrite(report);
        return Task.CompletedTask;
    }

    /// <summary>The server answered again (a new channel): a report that ran out of attempts is tried again now.</summary>
    public void ServerReachable() => Interlocked.Exchange(ref _serverBack, NewSignal()).TrySetResult();

    /// <summary>No more reports will come (the actor ended without STOPPED, as on shutdown): the reporter ends once the queue is sent.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Sends reports until STOPPED is delivered, the queue is completed and sent, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(cancellationToken))
            {
                var report = Newest(null);
                while (true)
                {
                    // Taken before the attempts, so a sign of the server during them is not missed.
                    var back = Volatile.Read(ref _serverBack).Task;
                    if (await TrySendAsync(report, cancellationToken))
                    {
                        break;
                    }

                    await Task.WhenAny(back, _queue.Reader.WaitToReadAsync(cancellationToken).AsTask());
                    report = Newest(report);
                }

                if (report.Status == StoppedStatus)
                {
                    _queue.Writer.TryComplete();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The agent is stopping; its successor reports what the containers show.
        }
    }

    // Reports waiting behind a slow one are folded into the newest: the server takes a task's status forward in one
    // step and stamps the times of every status it passes.
    private TaskReport Newest(TaskReport? report)
    {
        while (_queue.Reader.TryRead(out var newer))
        {
            report = newer;
        }

        return report!;
    }

    // True once the server took the report or refused it for good; false when it ran out of attempts.
    private async Task<bool> TrySendAsync(TaskReport report, CancellationToken cancellationToken)
    {
        try
        {
            await Backoff.RunAsync(retry, token => submit(report, token), Transient, time, random, null, cancellationToken);
            return true;
        }
        catch (EcsClientException ex) when (ex.Status is >= 400 and < 500)
        {
            // The server refused it for good (task gone): retrying would not help.
            LogReportRefused(logger, taskArn, ex.Message);
            return true;
        }
        catch (Exception ex) when (Transient(ex))
        {
            LogReportDelayed(logger, taskArn, report.Status, ex.Message);
            return false;
        }
    }

    private static bool Transient(Exception ex)
        => ex is HttpRequestException or IOException or TimeoutException or EcsClientException { Status: not (>= 400 and < 500) };

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report for task {TaskArn} refused: {Error}")]
    private static partial void LogReportRefused(ILogger logger, string taskArn, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report {Status} for task {TaskArn} not delivered: {Error}; trying again when the server is back")]
    private static partial void LogReportDelayed(ILogger logger, string taskArn, string status, string error);
}
