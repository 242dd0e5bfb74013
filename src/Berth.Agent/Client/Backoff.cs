using System.Runtime.ExceptionServices;

namespace Berth.Agent.Client;

/// <summary>How a call is retried: how many attempts, the backoff between them and how long one attempt may take.</summary>
/// <param name="MaxAttempts">Attempts in all, the first included; null retries until the caller's token is cancelled.</param>
/// <param name="BaseDelay">The longest wait after the first failure; it doubles after each further failure.</param>
/// <param name="MaxDelay">The cap of that doubling.</param>
/// <param name="AttemptTimeout">How long one attempt may take; <see cref="Timeout.InfiniteTimeSpan"/> leaves it to the caller's token.</param>
public sealed record RetryPolicy(int? MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay, TimeSpan AttemptTimeout);

/// <summary>
/// The agent's one retry loop: bounded attempts, each with a timeout, and a capped exponential backoff with jitter
/// between them, so agents that lost their server together do not come back in step. The delay is a pure function of
/// (policy, failures, a random sample); time and randomness are the caller's.
/// </summary>
public static class Backoff
{
    /// <summary>
    /// The wait after <paramref name="failures"/> failures (1 or more): uniformly in [c/2, c] for the ceiling
    /// c = min(<see cref="RetryPolicy.MaxDelay"/>, <see cref="RetryPolicy.BaseDelay"/> × 2^(failures−1)), for a
    /// <paramref name="sample"/> in [0, 1).
    /// </summary>
    public static TimeSpan Delay(RetryPolicy policy, int failures, double sample)
    {
        var ceiling = Ceiling(policy, failures);
        return TimeSpan.FromTicks((long)(ceiling.Ticks * (0.5 + (0.5 * Math.Clamp(sample, 0, 1)))));
    }

    /// <summary>The longest wait after <paramref name="failures"/> failures: the doubling, capped.</summary>
    public static TimeSpan Ceiling(RetryPolicy policy, int failures)
    {
        // Doubling in floating point cannot overflow; the cap keeps the result a valid TimeSpan.
        var ticks = policy.BaseDelay.Ticks * Math.Pow(2, Math.Clamp(failures - 1, 0, 64));
        return TimeSpan.FromTicks((long)Math.Min(ticks, policy.MaxDelay.Ticks));
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, fails with an exception <paramref name="transient"/> does not
    /// accept, or has failed <see cref="RetryPolicy.MaxAttempts"/> times (the last failure is rethrown). An attempt that
    /// outlives <see cref="RetryPolicy.AttemptTimeout"/> is cancelled and counts as a <see cref="TimeoutException"/>.
    /// <paramref name="retrying"/> hears of each failure that is retried (failures so far, the error, the wait).
    /// </summary>
    public static async Task<T> RunAsync<T>(
        RetryPolicy policy,
        Func<CancellationToken, Task<T>> attempt,
        Func<Exception, bool> transient,
        TimeProvider time,
        Random random,
        Action<int, Exception, TimeSpan>? retrying,
        CancellationToken cancellationToken)
    {
        for (var failures = 1; ; failures++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Exception error;
            using (var timeout = new CancellationTokenSource(policy.AttemptTimeout, time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
            {
                try
                {
                    return await attempt(linked.Token);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    error = new TimeoutException($"The call did not finish within {policy.AttemptTimeout.TotalSeconds:0.###} s.");
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException && transient(ex))
                {
                    error = ex;
                }
            }

            if (policy.MaxAttempts is { } max && failures >= max)
            {
                ExceptionDispatchInfo.Throw(error);
            }

            var delay = Delay(policy, failures, random.NextDouble());
            retrying?.Invoke(failures, error, delay);
            await Task.Delay(delay, time, cancellationToken);
        }
    }

    /// <summary>Runs <paramref name="attempt"/> as <see cref="RunAsync{T}"/> does, for a call without a result.</summary>
    public static Task RunAsync(
        RetryPolicy policy,
        Func<CancellationToken, Task> attempt,
        Func<Exception, bool> transient,
        TimeProvider time,
        Random random,
        Action<int, Exception, TimeSpan>? retrying,
        CancellationToken cancellationToken)
        => RunAsync(
            policy,
            async token =>
            {
                await attempt(token);
                return true;
            },
            transient,
            time,
            random,
            retrying,
            cancellationToken);
}
