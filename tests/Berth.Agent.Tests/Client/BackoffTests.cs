using System.Diagnostics;
using Berth.Agent.Client;
using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Agent.Tests.Client;

/// <summary>The agent's one retry loop: the backoff as a pure function, and bounded attempts, jitter and timeouts on a fake clock.</summary>
public class BackoffTests
{
    private static readonly RetryPolicy Policy = new(4, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

    [Theory]
    [InlineData(1, 0.0, 50)]
    [InlineData(1, 0.5, 75)]
    [InlineData(1, 1.0, 100)]
    [InlineData(2, 0.0, 100)]
    [InlineData(2, 1.0, 200)]
    [InlineData(3, 0.5, 300)]
    [InlineData(4, 1.0, 800)]
    [InlineData(5, 1.0, 1000)]
    [InlineData(5, 0.0, 500)]
    [InlineData(64, 1.0, 1000)]
    [InlineData(10_000, 0.25, 625)]
    public void The_delay_doubles_up_to_the_cap_with_jitter_in_its_upper_half(int failures, double sample, int expectedMs)
        => Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Backoff.Delay(Policy, failures, sample));

    [Fact]
    public void Every_delay_lies_between_half_its_ceiling_and_its_ceiling_and_ceilings_never_shrink()
        => Gen.Int[1, 500].Select(Gen.Double[0.0, 0.999_999], Gen.Int[1, 10_000], Gen.Int[1, 120_000]).Sample(t =>
        {
            var (failures, sample, baseMs, maxMs) = t;
            var policy = new RetryPolicy(null, TimeSpan.FromMilliseconds(baseMs), TimeSpan.FromMilliseconds(maxMs), Timeout.InfiniteTimeSpan);
            var ceiling = Backoff.Ceiling(policy, failures);
            var delay = Backoff.Delay(policy, failures, sample);
            Assert.True(ceiling <= policy.MaxDelay);
            Assert.True(ceiling >= Backoff.Ceiling(policy, failures - 1 < 1 ? 1 : failures - 1));
            Assert.InRange(delay.Ticks, ceiling.Ticks / 2, ceiling.Ticks);
        });

    [Fact]
    public void Jitter_spreads_agents_that_fail_together()
    {
        var random = new Random(7);
        var delays = Enumerable.Range(0, 200).Select(_ => Backoff.Delay(Policy, 3, random.NextDouble())).ToList();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)));
        Assert.True(delays.Distinct().Count() > 150, "delays should differ from agent to agent");
    }

    [Fact]
    public async Task A_call_that_keeps_failing_is_tried_the_bounded_number_of_times_then_its_error_surfaces()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        var waits = new List<TimeSpan>();
        var run = Backoff.RunAsync<int>(
            Policy,
            _ =>
            {
                calls++;
                throw new IOException("connection refused " + calls);
            },
            ex => ex is IOException,
            time,
            new Random(1),
            (failures, _, delay) => waits.Add(delay),
            CancellationToken.None);

        var error = await Assert.ThrowsAsync<IOException>(() => DriveAsync(run, time));
        Assert.Equal("connection refused 4", error.Message);
        Assert.Equal(4, calls);
        Assert.Equal(3, waits.Count);
        for (var i = 0; i < waits.Count; i++)
        {
            var ceiling = Backoff.Ceiling(Policy, i + 1);
            Assert.InRange(waits[i], ceiling / 2, ceiling);
        }
    }

    [Fact]
    public async Task A_call_that_recovers_returns_its_result()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        var run = Backoff.RunAsync(
            Policy,
            _ => ++calls < 3 ? throw new HttpRequestException("503") : Task.FromResult("registered"),
            ex => ex is HttpRequestException,
            time,
            new Random(2),
            null,
            CancellationToken.None);

        Assert.Equal("registered", await DriveAsync(run, time));
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task An_error_that_is_not_transient_is_not_retried()
    {
        var calls = 0;
        var run = Backoff.RunAsync<int>(
            Policy,
            _ =>
            {
                calls++;
                throw new InvalidOperationException("refused for good");
            },
            ex => ex is IOException,
            new FakeTimeProvider(),
            new Random(3),
            null,
            CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task An_attempt_that_hangs_is_cut_at_its_timeout_and_counts_as_a_failure()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        var calls = 0;
        var cancelled = 0;
        var run = Backoff.RunAsync(
            Policy,
            async token =>
            {
                calls++;
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                catch (OperationCanceledException)
                {
                    cancelled++;
                    throw;
                }
            },
            ex => ex is IOException,
            time,
            new Random(4),
            null,
            CancellationToken.None);

        await Assert.ThrowsAsync<TimeoutException>(() => DriveAsync(run, time));
        Assert.Equal(4, calls);
        Assert.Equal(4, cancelled);
        Assert.True(time.GetUtcNow() - start >= 4 * Policy.AttemptTimeout, "each attempt ran to its timeout");
    }

    [Fact]
    public async Task The_callers_cancellation_ends_the_retries()
    {
        var time = new FakeTimeProvider();
        using var cancel = new CancellationTokenSource();
        var calls = 0;
        var run = Backoff.RunAsync<int>(
            Policy with { MaxAttempts = null },
            _ =>
            {
                Interlocked.Increment(ref calls);
                throw new IOException("down");
            },
            ex => ex is IOException,
            time,
            new Random(5),
            null,
            cancel.Token);

        // The clock stops once the third attempt failed: the loop then waits out its backoff, which the cancellation ends.
        var guard = Stopwatch.StartNew();
        while (Volatile.Read(ref calls) < 3 && guard.Elapsed < TimeSpan.FromSeconds(30))
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(3, calls);
    }

    // Moves the fake clock on until the retry loop ends; the stopwatch only guards against a hang.
    private static async Task<T> DriveAsync<T>(Task<T> run, FakeTimeProvider time)
    {
        var guard = Stopwatch.StartNew();
        while (!run.IsCompleted && guard.Elapsed < TimeSpan.FromSeconds(30))
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1);
        }

        return await run;
    }

    private static async Task DriveAsync(Task run, FakeTimeProvider time)
    {
        var guard = Stopwatch.StartNew();
        while (!run.IsCompleted && guard.Elapsed < TimeSpan.FromSeconds(30))
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1);
        }

        await run;
    }
}
