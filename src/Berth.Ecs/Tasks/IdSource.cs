using System.Globalization;

namespace Berth.Ecs.Tasks;

/// <summary>
/// Where the IDs of new container instances, tasks and containers come from. Decisions take one as a
/// parameter so that they stay pure functions in tests (<see cref="Sequential"/>); the server uses
/// <see cref="Random"/>.
/// </summary>
public abstract class IdSource
{
    /// <summary>Fresh random IDs (what ECS hands out).</summary>
    public static IdSource Random { get; } = new RandomIds();

    /// <summary>IDs 1, 2, 3, ... as 32 hex digits: deterministic, for tests.</summary>
    public static IdSource Sequential() => new SequentialIds();

    /// <summary>The next 128 bits.</summary>
    protected abstract Guid Next();

    /// <summary>32 lowercase hex digits: the ID of a task or a container instance.</summary>
    public string Hex32() => Next().ToString("N", CultureInfo.InvariantCulture);

    /// <summary>A UUID (8-4-4-4-12): the last segment of a container ARN, an attachment ID.</summary>
    public string Uuid() => Next().ToString("D", CultureInfo.InvariantCulture);

    /// <summary>An EC2-style instance ID: <c>i-</c> and 17 hex digits.</summary>
    public string Ec2InstanceId() => "i-" + Hex32()[15..];

    private sealed class RandomIds : IdSource
    {
        protected override Guid Next() => Guid.NewGuid();
    }

    private sealed class SequentialIds : IdSource
    {
        private long _next;

        protected override Guid Next() =>
            Guid.ParseExact(Interlocked.Increment(ref _next).ToString("x32", CultureInfo.InvariantCulture), "N");
    }
}
