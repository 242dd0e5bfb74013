using Berth.Agent.Engine;
using Berth.Ecs.Model;

namespace Berth.Agent.Tests.Engine;

public class ContainerSpecsTests
{
    private static TaskSpecContext Context(string networkMode = "bridge", string? cgroupParent = null, TaskOverride? overrides = null) => new(
        "arn:aws:ecs:us-east-1:0:cluster/default",
        "arn:aws:ecs:us-east-1:0:task/default/abc123",
        "arn:aws:ecs:us-east-1:0:container-instance/default/i1",
        new TaskDefinition
        {
            Family = "web",
            Revision = 3,
            NetworkMode = networkMode,
            Cpu = "512",
            Memory = "256",
            ContainerDefinitions = [Web()],
            Volumes = [new Volume { Name = "host", Host = new HostVolumeProperties { SourcePath = "/srv" } }, new Volume { Name = "data" }],
        },
        overrides,
        "pause1",
        new Dictionary<string, string>(),
        "127.0.0.1",
        cgroupParent);

    private static ContainerDefinition Web() => new()
    {
        Name = "web",
        Image = "busybox",
        Command = ["httpd"],
        Environment = [new Ecs.Model.KeyValuePair { Name = "A", Value = "1" }, new Ecs.Model.KeyValuePair { Name = "B", Value = "2" }],
        PortMappings = [new PortMapping { ContainerPort = 80, HostPort = 8080 }, new PortMapping { ContainerPort = 81 }],
        MountPoints = [new MountPoint { SourceVolume = "host", ContainerPath = "/h", ReadOnly = true }, new MountPoint { SourceVolume = "data", ContainerPath = "/d" }],
        DockerLabels = new Dictionary<string, string> { ["team"] = "a" },
        HealthCheck = new HealthCheck { Command = ["CMD-SHELL", "true"], Interval = 5 },
    };

    [Fact]
    public void BridgeContainersGetTheEcsLabelsPortsAndVolumes()
    {
        var spec = ContainerSpecs.For(Context(), Web());
        Assert.Equal("arn:aws:ecs:us-east-1:0:task/default/abc123", spec.Labels![ContainerSpecs.TaskArnLabel]);
        Assert.Equal("web", spec.Labels[ContainerSpecs.ContainerNameLabel]);
        Assert.Equal("3", spec.Labels[ContainerSpecs.VersionLabel]);
        Assert.Equal("a", spec.Labels["team"]);
        Assert.Equal(["80/tcp", "81/tcp"], spec.ExposedPorts);
        Assert.Equal("8080", spec.HostConfig!.PortBindings!["80/tcp"][0].HostPort);
        Assert.Equal(string.Empty, spec.HostConfig.PortBindings["81/tcp"][0].HostPort); // dynamic
        Assert.Equal("127.0.0.1", spec.HostConfig.PortBindings["81/tcp"][0].HostIp);
        Assert.Equal(["/srv:/h:ro"], spec.HostConfig.Binds);
        Assert.Equal("ecs-abc123-data", Assert.Single(spec.HostConfig.Mounts!).Source);
        Assert.Equal(5_000_000_000L, spec.Healthcheck!.Interval);
        Assert.Equal(2, spec.HostConfig.CpuShares);
        Assert.Equal("ecs-web-3-web-abc123", ContainerSpecs.DockerName(Context(), "web"));
    }

    [Fact]
    public void AwsvpcContainersJoinThePauseNamespaceWithoutPublishing()
    {
        var spec = ContainerSpecs.For(Context("awsvpc"), Web());
        Assert.Equal("container:pause1", spec.HostConfig!.NetworkMode);
        Assert.Null(spec.ExposedPorts);
        Assert.Null(spec.HostConfig.PortBindings);
    }

    [Fact]
    public void TaskLimitsGoToTheTaskCgroupWhenThereIsOneElseCapEachContainer()
    {
        var capped = ContainerSpecs.For(Context(), Web());
        Assert.Equal(256L * 1024 * 1024, capped.HostConfig!.Memory);
        Assert.Equal(500_000_000L, capped.HostConfig.NanoCpus);
        Assert.Null(capped.HostConfig.CgroupParent);

        var shared = ContainerSpecs.For(Context(cgroupParent: "/berth/abc123"), Web());
        Assert.Equal("/berth/abc123", shared.HostConfig!.CgroupParent);
        Assert.Null(shared.HostConfig.Memory);
        Assert.Null(shared.HostConfig.NanoCpus);
    }

    [Fact]
    public void OverridesReplaceCommandAndMergeEnvironment()
    {
        var overrides = new TaskOverride
        {
            ContainerOverrides = [new ContainerOverride { Name = "web", Command = ["sh"], Environment = [new Ecs.Model.KeyValuePair { Name = "B", Value = "3" }], Memory = 64 }],
        };
        var spec = ContainerSpecs.For(Context(overrides: overrides), Web());
        Assert.Equal(["sh"], spec.Cmd);
        Assert.Equal(["A=1", "B=3"], spec.Env);
        Assert.Equal(64L * 1024 * 1024, spec.HostConfig!.Memory);
        Assert.Equal(spec.HostConfig.Memory, spec.HostConfig.MemorySwap);
    }
}
