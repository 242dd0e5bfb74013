using Berth.Agent.Logs;
using Berth.Ecs.Model;

namespace Berth.Logs.Tests;

/// <summary>The agent's awslogs driver, pure parts: options, stream names, multi-line joining, batches, checkpoints.</summary>
public sealed class AwsLogsDriverTests
{
    private static ContainerDefinition Definition(Dictionary<string, string> options) => new()
    {
        Name = "web",
        LogConfiguration = new LogConfiguration { LogDriver = "awslogs", Options = options },
    };

    [Fact]
    public void Stream_names_are_ECSs_prefix_container_task_or_the_container_id()
    {
        var prefixed = AwsLogsConfig.Of(Definition(new() { ["awslogs-group"] = "/ecs/web", ["awslogs-stream-prefix"] = "ecs" }))!;
        Assert.Equal("ecs/web/0123abcd", prefixed.StreamName("web", "0123abcd", "f00d"));
        var bare = AwsLogsConfig.Of(Definition(new() { ["awslogs-group"] = "/ecs/web" }))!;
        Assert.Equal("f00d", bare.StreamName("web", "0123abcd", "f00d"));
    }

    [Fact]
    public void The_container_writes_to_json_file_with_the_delivery_mode_asked_for()
    {
        var config = AwsLogsConfig.Of(Definition(new() { ["awslogs-group"] = "g", ["mode"] = "non-blocking", ["max-buffer-size"] = "4m", ["awslogs-create-group"] = "true" }))!;
        var docker = config.DockerLogConfig();
        Assert.Equal("json-file", docker.Type);
        Assert.Equal(new Dictionary<string, string> { ["mode"] = "non-blocking", ["max-buffer-size"] = "4m" }, docker.Config);
        Assert.True(config.CreateGroup);
        Assert.Null(AwsLogsConfig.Of(new ContainerDefinition { Name = "x", LogConfiguration = new LogConfiguration { LogDriver = "json-file" } }));
    }

    [Theory]
    // The container's own mode, else the account's defaultLogDriverMode, else ECS's default (non-blocking).
    [InlineData("blocking", null, true)]
    [InlineData("blocking", "non-blocking", true)]
    [InlineData("non-blocking", "blocking", false)]
    [InlineData(null, "blocking", true)]
    [InlineData(null, "non-blocking", false)]
    [InlineData(null, null, false)]
    public void A_container_waits_for_delivery_only_in_blocking_mode(string? mode, string? accountDefault, bool blocks)
    {
        var options = new Dictionary<string, string> { ["awslogs-group"] = "g" };
        if (mode is not null)
        {
            options["mode"] = mode;
        }

        Assert.Equal(blocks, AwsLogsConfig.Of(Definition(options))!.Blocks(accountDefault));
    }

    [Theory]
    [InlineData("%Y-%m-%d %H:%M:%S", "2024-01-31 23:59:01 started", true)]
    [InlineData("%Y-%m-%d %H:%M:%S", "  at Foo.Bar()", false)]
    [InlineData("%b %d, %Y", "Jan 05, 2024 boot", true)]
    [InlineData("[%Y-%m-%dT%H:%M:%S%z]", "[2024-01-05T10:00:00+0100] x", true)]
    [InlineData("%H:%M:%S%L", "10:00:00.123 x", true)]
    public void Datetime_formats_become_the_drivers_expressions(string format, string line, bool starts)
        => Assert.Equal(starts, System.Text.RegularExpressions.Regex.IsMatch(line, "^" + AwsLogsConfig.DatetimeRegex(format)));

    [Fact]
    public void Lines_join_into_events_at_each_start_line()
    {
        var config = AwsLogsConfig.Of(Definition(new() { ["awslogs-group"] = "g", ["awslogs-multiline-pattern"] = "^INFO|^ERROR" }))!;
        var joiner = new MultilineJoiner(config.EventStart);
        var events = new List<ShipEvent>();
        string[] lines = ["INFO one", "ERROR two", "  at a", "  at b", "INFO three"];
        var position = LogPosition.Start;
        for (var i = 0; i < lines.Length; i++)
        {
            position = position.Next(100 + i);
            if (joiner.Add(10 + i, lines[i], position) is { } closed)
            {
                events.Add(closed);
            }
        }

        Assert.True(joiner.Pending);
        events.Add(joiner.Flush()!);
        Assert.Equal(["INFO one", "ERROR two\n  at a\n  at b", "INFO three"], events.Select(e => e.Message));
        Assert.Equal([10L, 11, 14], events.Select(e => e.TimestampMs));
        Assert.Equal(new LogPosition(103, 1), events[1].End);
    }

    [Fact]
    public void Without_a_pattern_every_line_is_an_event()
    {
        var joiner = new MultilineJoiner(null);
        Assert.Equal("a", joiner.Add(1, "a", new LogPosition(1, 1))!.Message);
        Assert.False(joiner.Pending);
    }

    [Fact]
    public void Positions_count_lines_that_share_a_timestamp()
    {
        var p = LogPosition.Start.Next(5).Next(5).Next(5).Next(6);
        Assert.Equal(new LogPosition(6, 1), p);
        Assert.Equal(new LogPosition(5, 3), LogPosition.Start.Next(5).Next(5).Next(5));
    }

    [Theory]
    [InlineData(false)] // the json-file, read from its start
    [InlineData(true)] // Docker's logs API, read from the checkpoint's timestamp (inclusive)
    public void A_resumed_read_skips_exactly_the_lines_already_read(bool fromSince)
    {
        // Lines at 10, 20, 20, 20, 30: the checkpoint after the second line stamped 20.
        long[] stamps = [10, 20, 20, 20, 30];
        var checkpoint = LogPosition.Start.Next(10).Next(20).Next(20);
        var skip = checkpoint.Count;
        var fresh = new List<int>();
        for (var i = fromSince ? 1 : 0; i < stamps.Length; i++)
        {
            if (!LogPosition.AlreadyRead(checkpoint, stamps[i], ref skip))
            {
                fresh.Add(i);
            }
        }

        Assert.Equal([3, 4], fresh);
    }

    [Fact]
    public void Batches_stop_at_10000_events_1_MiB_and_24_hours()
    {
        var many = new Queue<ShipEvent>(Enumerable.Range(0, 10_500).Select(i => new ShipEvent(1000, "x", new LogPosition(i, 1))));
        Assert.Equal(10_000, EventBatch.Take(many).Count);
        Assert.Equal(500, EventBatch.Take(many).Count);

        var big = new Queue<ShipEvent>(Enumerable.Range(0, 3).Select(i => new ShipEvent(1000, new string('x', 400_000), new LogPosition(i, 1))));
        Assert.Equal(2, EventBatch.Take(big).Count);

        var day = new Queue<ShipEvent>([new ShipEvent(0, "a", new(1, 1)), new ShipEvent(24 * 3600 * 1000, "b", new(2, 1)), new ShipEvent((24 * 3600 * 1000) + 1, "c", new(3, 1))]);
        Assert.Equal(2, EventBatch.Take(day).Count);

        var huge = new Queue<ShipEvent>([new ShipEvent(0, new string('é', 700_000), new(1, 1))]);
        var cut = Assert.Single(EventBatch.Take(huge));
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(cut.Message) <= EventBatch.MaxMessageBytes);
    }

    [Fact]
    public void Checkpoints_survive_a_round_trip_through_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), "berth-ckpt-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Equal(new ShipCheckpoint(LogPosition.Start, null), ShipCheckpoint.Load(path));
            var inFlight = new ShipCheckpoint(new LogPosition(1_700_000_000_123_456_789, 3), new LogPosition(1_700_000_000_999_000_000, 1));
            inFlight.Save(path);
            Assert.Equal(inFlight, ShipCheckpoint.Load(path));
            new ShipCheckpoint(new LogPosition(9, 1), null).Save(path);
            Assert.Equal(new ShipCheckpoint(new LogPosition(9, 1), null), ShipCheckpoint.Load(path));
            Assert.Equal("berth-9-1", ShipCheckpoint.TokenAfter(new LogPosition(9, 1)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
