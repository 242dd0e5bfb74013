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
        // The system's random bytes a block at a time (one call per 256 IDs; a burst of 10,000 RunTasks asks for
        // tens of thousands), each thread its own block.
        [ThreadStatic]
        private static byte[]? t_block;

        [ThreadStatic]
        private static int t_used;

        protected override Guid Next()
        {
            if (t_block is null || t_used == t_block.Length)
            {
                t_block ??= new byte[4096];
                System.Security.Cryptography.RandomNumberGenerator.Fill(t_block);
                t_used = 0;
            }

            var bytes = t_block.AsSpan(t_used, 16);
            t_used += 16;

            // A version 4 (random) UUID, as Guid.NewGuid makes.
            bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
            return new Guid(bytes);
        }
    }

    private sealed class SequentialIds : IdSource
    {
        private long _next;

        protected override Guid Next() =>
            Guid.ParseExact(Interlocked.Increment(ref _next).ToString("x32", CultureInfo.InvariantCulture), "N");
    }
}
