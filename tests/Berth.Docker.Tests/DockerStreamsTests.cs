using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Berth.Docker.Tests;

/// <summary>Unit tests of the stream parsers and the wire mapping, without an engine.</summary>
public sealed class DockerStreamsTests
{
    [Fact]
    public async Task Demux_separates_streams_and_lines()
    {
        var bytes = Frames((1, "hello\n"), (2, "oops\n"), (1, "a\nb\n"));
        var lines = await ReadAllAsync(new MemoryStream(bytes));
        Assert.Equal(
            [new LogLine(LogStream.Stdout, "hello"), new LogLine(LogStream.Stderr, "oops"), new LogLine(LogStream.Stdout, "a"), new LogLine(LogStream.Stdout, "b")],
            lines);
    }

    [Fact]
    public async Task Demux_joins_a_line_split_across_frames_even_when_interleaved()
    {
        var bytes = Frames((1, "par"), (2, "err line\n"), (1, "tial\r\n"), (2, ""), (1, "tail without newline"));
        var lines = await ReadAllAsync(new MemoryStream(bytes));
        Assert.Equal(
            [new LogLine(LogStream.Stderr, "err line"), new LogLine(LogStream.Stdout, "partial"), new LogLine(LogStream.Stdout, "tail without newline")],
            lines);
    }

    [Fact]
    public async Task Demux_handles_reads_that_split_headers_and_utf8()
    {
        var bytes = Frames((1, "héllo wörld\n"), (2, "ünïcode\n"));
        var lines = await ReadAllAsync(new TrickleStream(bytes, chunk: 3));
        Assert.Equal([new LogLine(LogStream.Stdout, "héllo wörld"), new LogLine(LogStream.Stderr, "ünïcode")], lines);
    }

    [Fact]
    public async Task Demux_rejects_a_truncated_frame()
    {
        var bytes = Frames((1, "complete\n"), (1, "truncated payload\n"));
        var cut = bytes[..^5];
        var ex = await Assert.ThrowsAsync<DockerException>(() => ReadAllAsync(new MemoryStream(cut)));
        Assert.Contains("inside a frame", ex.Message);

        var headerCut = Frames((1, "x\n")).Concat(new byte[] { 1, 0, 0 }).ToArray();
        await Assert.ThrowsAsync<DockerException>(() => ReadAllAsync(new MemoryStream(headerCut)));
    }

    [Fact]
    public async Task Demux_of_an_empty_stream_is_empty()
    {
        Assert.Empty(await ReadAllAsync(new MemoryStream()));
    }

    [Fact]
    public void ContainerSpec_serializes_with_docker_names_and_omits_nulls()
    {
        var spec = new ContainerSpec
        {
            Image = "busybox",
            Cmd = ["sh"],
            ExposedPorts = ["80/tcp"],
            Healthcheck = new HealthcheckSpec { Test = ["CMD-SHELL", "true"], Interval = HealthcheckSpec.Nanoseconds(TimeSpan.FromSeconds(2)) },
            HostConfig = new HostConfig
            {
                Memory = 8 << 20,
                NetworkMode = "container:abc",
                PortBindings = new Dictionary<string, IReadOnlyList<PortBinding>> { ["80/tcp"] = [new PortBinding { HostIp = "127.0.0.1", HostPort = "" }] },
                Ulimits = [new Ulimit("nofile", 1024, 2048)],
            },
        };
        var json = JsonSerializer.Serialize(spec, DockerJsonContext.Default.ContainerSpec);
        Assert.Equal(
            """{"Image":"busybox","Cmd":["sh"],"ExposedPorts":{"80/tcp":{}},"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":2000000000},"HostConfig":{"Memory":8388608,"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":""}]},"NetworkMode":"container:abc","Ulimits":[{"Name":"nofile","Soft":1024,"Hard":2048}]}}""",
            json);
    }

    [Fact]
    public void Inspect_reads_nanosecond_times_zero_times_and_unpublished_ports()
    {
        const string json = """
            {"Id":"abc","State":{"Status":"exited","OOMKilled":true,"ExitCode":137,"StartedAt":"2024-05-01T10:20:30.123456789Z","FinishedAt":"0001-01-01T00:00:00Z"},
             "Config":{"ExposedPorts":{"80/tcp":{},"81/tcp":{}}},
             "NetworkSettings":{"Ports":{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"49153"},{"HostIp":"::","HostPort":"49153"}],"81/tcp":null}}}
            """;
        var inspect = JsonSerializer.Deserialize(json, DockerJsonContext.Default.ContainerInspect)!;
        Assert.True(inspect.State.OOMKilled);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 20, 30, TimeSpan.Zero).AddTicks(1234568), inspect.State.StartedAt);
        Assert.Null(inspect.State.FinishedAt);
        Assert.Equal(["80/tcp", "81/tcp"], inspect.Config!.ExposedPorts);
        Assert.Equal(49153, inspect.NetworkSettings!.HostPort(80));
        Assert.Null(inspect.NetworkSettings.HostPort(81));
        Assert.Null(inspect.NetworkSettings.HostPort(82));
    }

    [Theory]
    [InlineData("busybox", "busybox", "latest")]
    [InlineData("busybox:1.36", "busybox", "1.36")]
    [InlineData("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app", "latest")]
    [InlineData("127.0.0.1:5000/team/app:v2", "127.0.0.1:5000/team/app", "v2")]
    [InlineData("app@sha256:abcd", "app", "sha256:abcd")]
    public void Image_references_split_into_fromImage_and_tag(string image, string repository, string tag)
    {
        Assert.Equal((repository, tag), DockerClient.SplitReference(image));
    }

    [Fact]
    public void Registry_auth_is_url_safe_base64_json()
    {
        var encoded = DockerClient.EncodeAuth(new RegistryAuth("AWS", "p?>?>~~", "https://1234.dkr.ecr.us-east-1.amazonaws.com"));
        Assert.DoesNotContain('+', encoded);
        Assert.DoesNotContain('/', encoded);
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(encoded.Replace('-', '+').Replace('_', '/')));
        using var document = JsonDocument.Parse(json);
        Assert.Equal("AWS", document.RootElement.GetProperty("username").GetString());
        Assert.Equal("p?>?>~~", document.RootElement.GetProperty("password").GetString());
        Assert.Equal("https://1234.dkr.ecr.us-east-1.amazonaws.com", document.RootElement.GetProperty("serveraddress").GetString());
    }

    [Theory]
    [InlineData(false, 4)]
    [InlineData(true, 4)]
    [InlineData(false, 1024)]
    public async Task Attach_output_sizes_count_the_payload_in_pieces_no_larger_than_asked(bool raw, int chunk)
    {
        var bytes = raw ? Encoding.UTF8.GetBytes("hello\noops\na\nb\n") : Frames((1, "hello\n"), (2, "oops\n"), (1, ""), (1, "a\nb\n"));
        var sizes = new List<int>();
        await foreach (var size in DockerStreams.ReadOutputSizesAsync(new MemoryStream(bytes), raw, chunk))
            sizes.Add(size);
        Assert.Equal(15, sizes.Sum());
        Assert.All(sizes, size => Assert.InRange(size, 1, chunk));
    }

    [Fact]
    public async Task Attach_output_that_ends_inside_a_frame_is_an_error()
    {
        var bytes = Frames((1, "hello\n"));
        await Assert.ThrowsAsync<DockerException>(async () =>
        {
            await foreach (var _ in DockerStreams.ReadOutputSizesAsync(new MemoryStream(bytes[..^2]), raw: false))
            {
            }
        });
    }

    [Fact]
    public void Event_helpers_read_exit_code_name_and_health()
    {
        var die = new DockerEvent("container", "die", "id", new Dictionary<string, string> { ["exitCode"] = "3", ["name"] = "web" }, DateTimeOffset.UnixEpoch);
        Assert.Equal(3, die.ExitCode);
        Assert.Equal("web", die.Name);
        Assert.Null(die.HealthStatus);
        var health = die with { Action = "health_status: unhealthy", Attributes = new Dictionary<string, string>() };
        Assert.Equal("unhealthy", health.HealthStatus);
        Assert.Null(health.ExitCode);
    }

    private static async Task<List<LogLine>> ReadAllAsync(Stream stream)
    {
        var lines = new List<LogLine>();
        await foreach (var line in DockerStreams.ReadLogLinesAsync(stream))
            lines.Add(line);
        return lines;
    }

    private static byte[] Frames(params (byte Stream, string Text)[] frames)
    {
        var output = new MemoryStream();
        foreach (var (stream, text) in frames)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            var header = new byte[8];
            header[0] = stream;
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)payload.Length);
            output.Write(header);
            output.Write(payload);
        }
        return output.ToArray();
    }

    /// <summary>Returns at most <c>chunk</c> bytes per read, to split headers and multi-byte characters.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
