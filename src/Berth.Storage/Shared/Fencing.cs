using Berth.Storage.Documents;

namespace Berth.Storage.Shared;

/// <summary>
/// The fence of the controller whose code runs in this async flow. A controller runs its loop inside
/// <see cref="Enter"/>, and every command it (or anything it calls, such as an API's decision) gives a
/// <see cref="Commit.CommitPipeline{TState}"/> carries the fence, so a former leader's writes are refused by the store.
/// </summary>
public static class Fencing
{
    private static readonly AsyncLocal<Fence?> Ambient = new();

    /// <summary>The fence of this flow, if a controller runs it.</summary>
    public static Fence? Current => Ambient.Value;

    /// <summary>Runs the rest of this flow (until the scope is disposed) under <paramref name="fence"/>.</summary>
    public static Scope Enter(Fence fence)
    {
        var previous = Ambient.Value;
        Ambient.Value = fence;
        return new Scope(previous);
    }

    /// <summary>Restores the fence that was current before <see cref="Enter"/>.</summary>
    public readonly struct Scope(Fence? previous) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => Ambient.Value = previous;
    }
}
