using Berth.Ecs.ContainerInstances;

namespace Berth.Ecs.Tests.Tasks;

public class LostInstancesTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Theory]
    // connected, away for (s; null = not seen since the start), server up for (s), live tasks → lost?
    [InlineData(false, 180, 600, true, true)]
    [InlineData(false, 179, 600, true, false)]
    [InlineData(true, 600, 600, true, false)]
    [InlineData(false, 600, 600, false, false)]
    [InlineData(false, null, 180, true, true)]
    [InlineData(false, null, 179, true, false)]
    // Away since before a restart: counted from the start, the agent could not come back while the server was down.
    [InlineData(false, 900, 60, true, false)]
    public void AnInstanceIsLostOnceItsAgentHasBeenAwayTheLimitWithTasksNotStopped(bool connected, int? awaySeconds, int upSeconds, bool liveTasks, bool lost)
    {
        var world = new World();
        var arn = world.AddInstance();
        if (liveTasks)
        {
            world.RunOne(world.Define());
        }

        var now = world.Time;
        var away = awaySeconds is { } s ? new Dictionary<string, DateTimeOffset> { [arn] = now - TimeSpan.FromSeconds(s) } : [];
        var plan = LostInstances.Plan(world.State, a => connected && a == arn, away, now - TimeSpan.FromSeconds(upSeconds), now, Limit);
        Assert.Equal(lost, plan.Count == 1);
        if (lost)
        {
            Assert.Equal($"agent disconnected for {Math.Min(awaySeconds ?? upSeconds, upSeconds)} s", plan[0].Reason);
        }
    }
}
