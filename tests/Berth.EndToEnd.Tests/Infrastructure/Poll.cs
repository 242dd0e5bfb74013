using System.Diagnostics;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>Polling with a short interval and a generous deadline, instead of sleeping.</summary>
public static class Poll
{
    /// <summary>How long a wait lasts unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How often a condition is checked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    /// <summary>Checks <paramref name="condition"/> every 0.2 s until it holds; fails with <paramref name="describe"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"after {timeout.TotalSeconds:F0} s: {describe()}");
            }

            await Task.Delay(Interval);
        }
    }

    /// <summary>Checks a synchronous condition every 0.2 s.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
        => UntilAsync(() => Task.FromResult(condition()), timeout, describe);
}
