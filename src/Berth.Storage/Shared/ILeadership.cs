using Berth.Storage.Documents;

namespace Berth.Storage.Shared;

/// <summary>A term of leadership this server won: its fence, and a token cancelled when the term ends here.</summary>
public sealed record Lead(Fence Fence, CancellationToken Ended);

/// <summary>Which server runs a controller group's controllers: one at a time, each term fenced.</summary>
public interface ILeadership
{
    /// <summary>The term this server holds now, if it leads.</summary>
    Lead? Current { get; }

    /// <summary>Waits until this server leads and returns the term.</summary>
    Task<Lead> WaitForLeadAsync(CancellationToken cancellationToken);
}

/// <summary>Runs work only while this server leads, under the term's fence, and again after every term it wins.</summary>
public static class Leading
{
    /// <summary>
    /// Runs <paramref name="work"/> in each term <paramref name="leadership"/> wins, with a token cancelled when the term
    /// ends (or <paramref name="cancellationToken"/> is), until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static async Task RunAsync(ILeadership leadership, Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Lead lead;
            try
            {
                lead = await leadership.WaitForLeadAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            using var term = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lead.Ended);
            using (Fencing.Enter(lead.Fence))
            {
                try
                {
                    await work(term.Token);
                }
                catch (OperationCanceledException) when (term.IsCancellationRequested)
                {
                    // The term ended (wait for the next one) or the work was stopped (the loop ends).
                }
            }
        }
    }
}
