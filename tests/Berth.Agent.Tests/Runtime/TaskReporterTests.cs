using System.Collections.Concurrent;
using Berth.Agent.Client;
using Berth.Agent.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Agent.Tests.Runtime;

/// <summary>A task's reporter sends its reports in order and ends with the task, once STOPPED is delivered.</summary>
public class TaskReporterTests
{
    private const string Arn = "arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef";

    private static readonly RetryPolicy Quick = new(3, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(10));

    [Fact]
    public async Task The_reporter_ends_once_its_tasks_STOPPED_is_delivered()
    {
        var delivered = new ConcurrentQueue<string>();
        var reporter = New((report, _) =>
        {
            delivered.Enqueue(report.Status);
            return Task.CompletedTask;
        });
        var running = reporter.RunAsync(CancellationToken.None);
        await reporter.Enqueue(Report("PENDING"), CancellationToken.None);
        await reporter.Enqueue(Report("RUNNING"), CancellationToken.None);
        Assert.False(running.IsCompleted);
        await reporter.Enqueue(Report("STOPPED", "Essential container in task exited"), CancellationToken.None);

        await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("STOPPED", delivered.Last());
        Assert.Equal(delivered.Distinct(), delivered);
    }

    [Fact]
    public async Task A_report_the_server_fails_is_retried_and_the_reporter_still_ends()
    {
        var attempts = 0;
        var delivered = new ConcurrentQueue<string>();
        var reporter = New((report, _) =>
        {
            if (Interlocked.Increment(ref attempts) <= 2)
            {
                throw new HttpRequestException("connection refused");
            }

            delivered.Enqueue(report.Status);
            return Task.CompletedTask;
        });
        await reporter.Enqueue(Report("STOPPED", "Berth agent error: boom"), CancellationToken.None);

        await reporter.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["STOPPED"], delivered);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task A_report_out_of_attempts_waits_for_the_server_and_is_then_delivered()
    {
        var serverUp = false;
        var attempts = 0;
        var delivered = new ConcurrentQueue<string>();
        var reporter = New((report, _) =>
        {
            Interlocked.Increment(ref attempts);
            if (!Volatile.Read(ref serverUp))
            {
                throw new HttpRequestException("connection refused");
            }

            delivered.Enqueue(report.Status);
            return Task.CompletedTask;
        });
        var running = reporter.RunAsync(CancellationToken.None);
        await reporter.Enqueue(Report("STOPPED", "Essential container in task exited"), CancellationToken.None);

        // Its bounded attempts spent, the reporter waits instead of spinning: the count stays put.
        while (Volatile.Read(ref attempts) < Quick.MaxAttempts)
        {
            await Task.Delay(10);
        }

        await Task.Delay(200);
        Assert.Equal(Quick.MaxAttempts, Volatile.Read(ref attempts));
        Assert.False(running.IsCompleted);

        Volatile.Write(ref serverUp, true);
        reporter.ServerReachable();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["STOPPED"], delivered);
    }

    [Fact]
    public async Task A_report_the_server_refuses_for_good_ends_the_reporter()
    {
        var attempts = 0;
        var reporter = New((_, _) =>
        {
            Interlocked.Increment(ref attempts);
            throw new EcsClientException(400, "InvalidParameterException", "The referenced task was not found.");
        });
        await reporter.Enqueue(Report("STOPPED"), CancellationToken.None);

        await reporter.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task A_reporter_completed_without_STOPPED_ends_once_its_queue_is_sent()
    {
        var delivered = new ConcurrentQueue<string>();
        var reporter = New((report, _) =>
        {
            delivered.Enqueue(report.Status);
            return Task.CompletedTask;
        });
        await reporter.Enqueue(Report("RUNNING"), CancellationToken.None);
        reporter.Complete();

        await reporter.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["RUNNING"], delivered);
    }

    private static TaskReporter New(Func<TaskReport, CancellationToken, Task> submit)
        => new(Arn, submit, Quick, TimeProvider.System, new Random(11), NullLogger.Instance);

    private static TaskReport Report(string status, string? reason = null)
        => new(Arn, status, reason, [], null, null, null, "UNKNOWN");
}
