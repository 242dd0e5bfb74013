using Berth.Agent.Engine;
using Berth.Ecs.Model.Agent;

namespace Berth.Agent.Tests.Engine;

public class ImagePullsTests
{
    private static readonly AgentRegistryCredential Berth = new() { Registry = "127.0.0.1:4580", Username = "AWS", Password = "secret" };

    [Theory]
    [InlineData("127.0.0.1:4580/app:1", PullPolicy.Always)]
    [InlineData("127.0.0.1:4580/team/app@sha256:0123", PullPolicy.Always)]
    [InlineData("127.0.0.1:45800/app:1", PullPolicy.IfMissing)]
    [InlineData("127.0.0.1:4580app:1", PullPolicy.IfMissing)]
    [InlineData("busybox:latest", PullPolicy.IfMissing)]
    [InlineData("berth-e2e/busybox:1", PullPolicy.IfMissing)]
    [InlineData("registry.example:5000/app:1", PullPolicy.IfMissing)]
    public void Images_of_the_registry_the_task_has_a_credential_for_are_pulled_every_time(string image, PullPolicy expected)
    {
        var (policy, auth) = ImagePulls.For(image, [Berth]);
        Assert.Equal(expected, policy);
        if (expected == PullPolicy.Always)
        {
            Assert.Equal(("AWS", "secret", "127.0.0.1:4580"), (auth!.Username, auth.Password, auth.ServerAddress));
        }
        else
        {
            Assert.Null(auth);
        }
    }

    [Fact]
    public void Without_credentials_every_image_is_used_from_the_cache_when_there()
        => Assert.Equal((PullPolicy.IfMissing, null), ImagePulls.For("127.0.0.1:4580/app:1", []));
}
