namespace Berth.Ecs.Tests;

public class SmokeTest
{
    [Fact]
    public void Builds() => Assert.True(true);
}
