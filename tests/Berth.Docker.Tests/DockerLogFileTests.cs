using System.Text;

namespace Berth.Docker.Tests;

/// <summary>Reading a json-file log directly, as the agent's awslogs shipper does, from a file written here.</summary>
public sealed class DockerLogFileTests : IDisposable
{
    // Docker writes no byte order mark.
    private static readonly UTF8Encoding NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private readonly string _path = Path.Combine(Path.GetTempPath(), "berth-json-file-" + Guid.NewGuid().ToString("N") + ".log");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public async Task Reads_lines_streams_escapes_and_timestamps()
    {
        File.WriteAllText(_path, string.Join('\n',
            """{"log":"line0\n","stream":"stdout","time":"2026-12-02T15:04:05.123456789Z"}""",
            """{"log":"line1\n","stream":"stdout","time":"2026-12-02T15:04:05.5Z"}""",
            """{"log":"oops \"quoted\" \u00e9\t\n","stream":"stderr","time":"2026-12-02T15:04:05.5Z"}""",
            """{"log":"crlf\r\n","stream":"stdout","time":"2026-12-02T15:04:06.000000001Z"}""",
            """{"stream":"stdout","log":"fields in another order\n","time":"2026-12-02T15:04:06.000000002Z"}""",
            """{"log":"offset\n","stream":"stdout","time":"2026-12-02T17:04:07.25+02:00"}""") + "\n", NoBom);

        var lines = await ReadAllAsync();

        var second = DateTimeOffset.Parse("2026-12-02T15:04:05Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() * 1_000_000;
        Assert.Equal(
            [
                new TimedLogLine(LogStream.Stdout, second + 123_456_789, "line0"),
                new TimedLogLine(LogStream.Stdout, second + 500_000_000, "line1"),
                new TimedLogLine(LogStream.Stderr, second + 500_000_000, "oops \"quoted\" é\t"),
                new TimedLogLine(LogStream.Stdout, second + 1_000_000_001, "crlf"),
                new TimedLogLine(LogStream.Stdout, second + 1_000_000_002, "fields in another order"),
                new TimedLogLine(LogStream.Stdout, second + 2_250_000_000, "offset"),
            ],
            lines);
    }

    [Fact]
    public async Task Joins_the_pieces_of_a_long_line_per_stream()
    {
        File.WriteAllText(_path, string.Join('\n',
            """{"log":"first ","stream":"stdout","time":"2026-12-02T15:04:05.1Z"}""",
            """{"log":"error\n","stream":"stderr","time":"2026-12-02T15:04:05.2Z"}""",
            """{"log":"half\n","stream":"stdout","time":"2026-12-02T15:04:05.3Z"}""") + "\n", NoBom);

        var lines = await ReadAllAsync();

        Assert.Equal(["error", "first half"], lines.Select(l => l.Text));
        Assert.Equal([LogStream.Stderr, LogStream.Stdout], lines.Select(l => l.Stream));
    }

    [Fact]
    public async Task Refuses_an_entry_without_a_time()
    {
        File.WriteAllText(_path, """{"log":"x\n","stream":"stdout"}""" + "\n", NoBom);

        await Assert.ThrowsAsync<DockerException>(ReadAllAsync);
    }

    private async Task<List<TimedLogLine>> ReadAllAsync()
    {
        var lines = new List<TimedLogLine>();
        await foreach (var line in DockerLogFile.FollowAsync(_path, _ => Task.FromResult(false), TimeProvider.System))
        {
            lines.Add(line);
        }

        return lines;
    }
}
