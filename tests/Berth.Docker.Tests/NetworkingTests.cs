using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Berth.Docker.Tests;

/// <summary>Port bindings, networks, shared network namespaces and volumes.</summary>
public sealed class NetworkingTests(DockerFixture fixture) : IClassFixture<DockerFixture>
{
    private readonly DockerClient _docker = fixture.Client;

    [Fact]
    public async Task Static_and_dynamic_host_ports_on_loopback()
    {
        var staticPort = FreeLoopbackPort();
        var spec = fixture.Spec("sh", "-c", "nc -ll -p 80 -e echo hi & nc -ll -p 81 -e echo there; wait") with
        {
            ExposedPorts = ["80/tcp", "81/tcp"],
            HostConfig = new HostConfig
            {
                PortBindings = new Dictionary<string, IReadOnlyList<PortBinding>>
                {
                    ["80/tcp"] = [new PortBinding { HostIp = "127.0.0.1", HostPort = staticPort.ToString() }],
                    ["81/tcp"] = [new PortBinding { HostIp = "127.0.0.1", HostPort = "" }],
                },
            },
        };
        var id = await fixture.RunAsync("ports", spec);

        var settings = (await _docker.InspectContainerAsync(id)).NetworkSettings!;
        Assert.Equal(staticPort, settings.HostPort(80));
        var dynamicPort = settings.HostPort(81);
        Assert.NotNull(dynamicPort);
        Assert.NotEqual(0, dynamicPort);
        Assert.Equal("127.0.0.1", settings.Ports!["81/tcp"]![0].HostIp);
        Assert.False(string.IsNullOrEmpty(settings.IPAddress));

        Assert.Equal("hi", await ReadLineFromAsync(staticPort));
        Assert.Equal("there", await ReadLineFromAsync(dynamicPort.Value));
    }

    [Fact]
    public async Task Network_create_connect_inspect_disconnect_remove()
    {
        var name = fixture.Name("net");
        fixture.TrackNetwork(name);
        var networkId = await _docker.CreateNetworkAsync(new NetworkSpec
        {
            Name = name,
            Labels = new Dictionary<string, string> { [DockerFixture.LabelKey] = fixture.RunId },
        });
        await Assert.ThrowsAsync<DockerConflictException>(() => _docker.CreateNetworkAsync(new NetworkSpec { Name = name }));

        var container = await fixture.RunAsync("netmember", fixture.Spec("sleep", "30"));
        await _docker.ConnectNetworkAsync(name, container, aliases: ["web"]);

        var network = await _docker.InspectNetworkAsync(name);
        Assert.Equal(networkId, network.Id);
        Assert.Equal("bridge", network.Driver);
        Assert.Equal(fixture.RunId, network.Labels![DockerFixture.LabelKey]);
        var member = network.Containers![container];
        Assert.Equal(fixture.Name("netmember"), member.Name);
        Assert.Contains('/', member.IPv4Address!);

        var endpoints = (await _docker.InspectContainerAsync(container)).NetworkSettings!.Networks!;
        Assert.Equal(new[] { "bridge", name }.Order(), endpoints.Keys.Order());
        Assert.Equal(member.IPv4Address!.Split('/')[0], endpoints[name].IPAddress);
        Assert.Contains("web", endpoints[name].Aliases!);

        await _docker.DisconnectNetworkAsync(name, container);
        await _docker.RemoveNetworkAsync(name);
        await Assert.ThrowsAsync<DockerNotFoundException>(() => _docker.InspectNetworkAsync(name));
    }

    [Fact]
    public async Task Container_network_mode_shares_the_namespace()
    {
        var pause = await fixture.RunAsync("pause", fixture.Spec("sleep", "30"));
        var pauseSettings = (await _docker.InspectContainerAsync(pause)).NetworkSettings!;

        var spec = fixture.Spec("sh", "-c", "cat /sys/class/net/eth0/address; ip -4 addr show eth0") with
        {
            HostConfig = new HostConfig { NetworkMode = $"container:{pause}" },
        };
        var member = await fixture.RunAsync("member", spec);
        Assert.Equal(0, await _docker.WaitContainerAsync(member));

        var output = string.Join('\n', (await fixture.LogsAsync(member)).Select(l => l.Text));
        Assert.Contains(pauseSettings.Networks!["bridge"].MacAddress!, output);
        Assert.Contains($"inet {pauseSettings.IPAddress}/", output);
        Assert.Equal($"container:{pause}", (await _docker.InspectContainerAsync(member)).HostConfig!.NetworkMode);
    }

    [Fact]
    public async Task Named_volume_mounts_and_volumes_from()
    {
        var volumeName = fixture.Name("vol");
        fixture.TrackVolume(volumeName);
        var volume = await _docker.CreateVolumeAsync(new VolumeSpec
        {
            Name = volumeName,
            Driver = "local",
            Labels = new Dictionary<string, string> { [DockerFixture.LabelKey] = fixture.RunId },
        });
        Assert.Equal(volumeName, volume.Name);
        Assert.Equal("local", volume.Driver);
        Assert.Equal(fixture.RunId, (await _docker.InspectVolumeAsync(volumeName)).Labels![DockerFixture.LabelKey]);

        var mount = new MountSpec { Type = "volume", Source = volumeName, Target = "/data" };
        var writer = await fixture.RunAsync("writer", fixture.Spec("sh", "-c", "echo persisted > /data/file") with
        {
            HostConfig = new HostConfig { Mounts = [mount] },
        });
        Assert.Equal(0, await _docker.WaitContainerAsync(writer));

        var reader = await fixture.RunAsync("reader", fixture.Spec("cat", "/data/file") with
        {
            HostConfig = new HostConfig { Mounts = [mount with { ReadOnly = true }], ReadonlyRootfs = true },
        });
        var borrower = await fixture.RunAsync("borrower", fixture.Spec("sh", "-c", "cat /data/file; echo more >> /data/file") with
        {
            HostConfig = new HostConfig { VolumesFrom = [writer] },
        });
        Assert.Equal(0, await _docker.WaitContainerAsync(reader));
        Assert.Equal(0, await _docker.WaitContainerAsync(borrower));
        Assert.Equal(["persisted"], (await fixture.LogsAsync(reader)).Select(l => l.Text));
        Assert.Equal(["persisted"], (await fixture.LogsAsync(borrower)).Select(l => l.Text));

        await Assert.ThrowsAsync<DockerConflictException>(() => _docker.RemoveVolumeAsync(volumeName));
        foreach (var id in new[] { writer, reader, borrower })
            await _docker.RemoveContainerAsync(id);
        await _docker.RemoveVolumeAsync(volumeName);
        await Assert.ThrowsAsync<DockerNotFoundException>(() => _docker.InspectVolumeAsync(volumeName));
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Connects and reads one line, retrying while the server in the container is still starting.</summary>
    private static async Task<string?> ReadLineFromAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(IPAddress.Loopback, port, cancel.Token);
                using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
                var line = await reader.ReadLineAsync(cancel.Token);
                if (!string.IsNullOrEmpty(line) || DateTime.UtcNow > deadline)
                    return line;
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && DateTime.UtcNow < deadline)
            {
            }
            await Task.Delay(100);
        }
    }
}
