using Berth.Agent.Logs;
using CsCheck;

namespace Berth.Logs.Tests;

/// <summary>
/// awslogs' blocking mode: the gate the agent reads a container's attached output through. A model of Docker stands
/// beside it: a container writes while its attach buffer holds less than about a megabyte, everything written reaches
/// json-file at once, and the shipper ships from json-file.
/// </summary>
public sealed class OutputGateTests
{
    // Docker's attach buffer (BytesPipe's block threshold).
    private const long DockerBuffer = 1_000_000;

    [Fact]
    public void A_new_gate_lets_the_reader_take_a_little_then_waits_for_shipping()
    {
        var gate = new OutputGate();
        Assert.True(gate.IsOpen);
        gate.Take((int)OutputGate.Rescue);
        Assert.False(gate.IsOpen);
        gate.Shipped(OutputGate.Lead);
        Assert.False(gate.IsOpen);
        gate.Shipped(OutputGate.Rescue + 1);
        Assert.True(gate.IsOpen);
    }

    [Fact]
    public void A_caught_up_shipper_opens_the_gate_even_if_its_counts_fell_short()
    {
        var gate = new OutputGate();
        gate.Take(200_000);
        Assert.False(gate.IsOpen);
        gate.CaughtUp();
        Assert.True(gate.IsOpen);
        gate.Take((int)OutputGate.Rescue);
        Assert.False(gate.IsOpen);
    }

    [Fact]
    public async Task A_waiting_reader_goes_on_once_shipping_opens_the_gate()
    {
        var gate = new OutputGate();
        gate.Take(100_000);
        var wait = gate.WaitOpenAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);
        gate.Shipped(100_000);
        Assert.False(wait.IsCompleted);
        gate.Shipped(OutputGate.Lead + 1);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Whatever_the_pieces_and_batches_the_container_finishes_and_stays_within_a_buffer_of_delivery()
        => Gen.Int[512, 32 * 1024].Select(Gen.Int[1024, 1_100_000], Gen.Int[0, int.MaxValue], Gen.Long[1, 4_000_000]).Sample(t =>
        {
            var (piece, batch, seed, total) = t;
            var random = new Random(seed);
            var gate = new OutputGate();
            long written = 0, passed = 0, shipped = 0, worst = 0;
            for (var step = 0; shipped < total; step++)
            {
                Assert.True(step < 10_000_000, $"stuck: written {written}, passed {passed}, shipped {shipped}");
                switch (random.Next(3))
                {
                    case 0 when written < total && written - passed < DockerBuffer:
                        written += Math.Min(piece, total - written);
                        break;
                    case 1 when passed < written && gate.IsOpen:
                        var take = (int)Math.Min(piece, written - passed);
                        gate.Take(take);
                        passed += take;
                        break;
                    case 2 when shipped < written:
                        var sent = Math.Min(batch, written - shipped);
                        shipped += sent;
                        gate.Shipped(sent);
                        break;
                    case 2:
                        gate.CaughtUp();
                        break;
                }

                worst = Math.Max(worst, written - shipped);
            }

            // Behind delivery by at most Docker's buffer, the rescue and a piece on each side of the gate.
            Assert.True(worst <= DockerBuffer + OutputGate.Rescue + (2L * piece), $"{worst} behind");
        }, iter: 200);
}
